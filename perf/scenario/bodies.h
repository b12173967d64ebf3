#pragma once

#include <cstdint>
#include <string>

#include "perf/gen/rng.h"

namespace sluice::scenario {

// JSON documents of the scenario API. Person records carry an e-mail address and an E.164 phone
// number; cardholder records also carry a payment card number that passes the Luhn check.

void AppendPersonJson(std::string& out, gen::Rng& rng, int64_t id, bool with_card);
// {"data":[...],"total":N} with `count` person records numbered from `first_id`.
void AppendPeoplePage(std::string& out, gen::Rng& rng, int count, int64_t first_id, bool with_card,
                      const std::string& next_cursor);
// {"id":N,"history":[...]} with `entries` dated entries of codes and amounts.
void AppendHistoryJson(std::string& out, gen::Rng& rng, int64_t id, int entries);
void AppendChildrenJson(std::string& out, gen::Rng& rng, int64_t parent_id);

// A 16-digit Visa-range number (prefix 4) with a valid Luhn check digit.
std::string RandomCardNumber(gen::Rng& rng);
bool LuhnValid(const std::string& digits);

// An opaque page token as APIs hand out for cursor paging: base64url, 22 characters.
std::string RandomCursor(gen::Rng& rng);

}  // namespace sluice::scenario
