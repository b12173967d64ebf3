#pragma once

#include <cstdint>
#include <string>

#include "perf/gen/rng.h"

namespace sluice::gen {

// JSON documents of the modelled API. Each Append* function appends one object to `out`.
// Values are random but plausible: names from short lists, emails such as user123@example.com,
// ISO 8601 dates, prices in cents.

std::string RandomUuid(Rng& rng);
// Appends `unix_seconds` as an ISO 8601 UTC time, e.g. 2024-03-12T09:00:00Z.
void AppendIsoTime(std::string& out, int64_t unix_seconds);

void AppendUserJson(std::string& out, Rng& rng, int64_t id);
void AppendCustomerJson(std::string& out, Rng& rng, int64_t id);
void AppendRelatedAccountJson(std::string& out, Rng& rng);
void AppendOrderJson(std::string& out, Rng& rng, const std::string& uuid, int64_t customer_id);
void AppendProductJson(std::string& out, Rng& rng, const char* category);
void AppendStockJson(std::string& out, Rng& rng, const std::string& sku);
void AppendSessionJson(std::string& out, Rng& rng, int64_t user_id);
void AppendAuditEntryJson(std::string& out, Rng& rng);
void AppendErrorJson(std::string& out, const char* code, const std::string& message);

// Request bodies.
void AppendUserUpdateJson(std::string& out, Rng& rng, int64_t id, bool full_replace);
void AppendOrderCreateJson(std::string& out, Rng& rng, int64_t customer_id);
void AppendLoginJson(std::string& out, Rng& rng, int64_t user_id);

std::string RandomSku(Rng& rng);
const char* RandomCategory(Rng& rng);

}  // namespace sluice::gen
