// Export of query results: ECS JSON lines (the same lines as the JSON-lines sink) and CSV.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "control/store/query.h"

namespace sluice::control::store {

// Writes every record `query` selects (all pages; query.limit sets the page size) to `out` as ECS
// JSON lines, decoded from the stored batches. `written` counts the lines. Returns an empty string
// on success.
std::string ExportJsonl(StoreReader& reader, const RecordQuery& query, std::FILE* out,
                        uint64_t& written);

// Writes the same records as CSV (RFC 4180, a header line first) with the columns of
// kCsvHeader. No packet data; a text cell that a spreadsheet would run as a formula (starting
// with = + - @, tab or carriage return) gets a leading apostrophe.
std::string ExportCsv(StoreReader& reader, const RecordQuery& query, std::FILE* out,
                      uint64_t& written);

inline constexpr char kCsvHeader[] =
    "timestamp,record_type,dataplane_id,run_id,worker_id,sequence,client_ip,client_port,"
    "server_ip,server_port,client_kind,client_id,host,method,url_path,endpoint,status,"
    "request_bytes,response_bytes,verdict,rule_ids,finding_ids,pii_request,pii_response,detector";

// Formats one row as a CSV line without the line end.
std::string FormatCsvRow(const RecordRow& row);

}  // namespace sluice::control::store
