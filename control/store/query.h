// The read side of the store: record queries, one client's timeline, and fetching the stored
// batch behind a row.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "control/store/record_fields.h"
#include "control/store/sqlite_db.h"
#include "records_generated.h"

namespace sluice::control::store {

// Filters combine with AND. Rows come in (ts_ns, id) order.
struct RecordQuery {
  uint64_t since_ns = 0;                                     // inclusive
  uint64_t until_ns = std::numeric_limits<int64_t>::max();   // exclusive
  std::string client;    // client address or client id (pseudonym); empty: any
  std::string endpoint;  // endpoint template, e.g. /users/{id}
  uint16_t status = 0;   // HTTP status; 0: any
  std::optional<uint32_t> rule_id;
  std::optional<uint64_t> finding_id;
  std::optional<uint64_t> run_id;  // only records of this data plane run
  std::string pii_type;  // e.g. email: records with that type in either direction
  std::optional<RecordType> type;
  size_t limit = 1000;       // rows per page, at most kMaxQueryLimit
  std::string continuation;  // from the previous page; empty for the first
};

inline constexpr size_t kMaxQueryLimit = 100'000;

// Location of a full record: the frame of its batch and its index in the batch.
struct RecordLocation {
  uint64_t segment = 0;
  uint64_t offset = 0;
  uint32_t record_index = 0;
};

struct PiiSummary {
  PiiDirection direction = PiiDirection::kRequest;
  std::string type;
  uint64_t count = 0;
};

struct RecordRow {
  uint64_t id = 0;
  RecordType type = RecordType::kUnknown;
  uint64_t ts_ns = 0;
  std::string dataplane_id;
  uint64_t run_id = 0;
  uint16_t worker_id = 0;
  uint64_t sequence = 0;
  std::string client_ip;
  uint16_t client_port = 0;
  std::string server_ip;
  uint16_t server_port = 0;
  std::string client_kind;
  std::string client_id;
  std::string host;
  std::string method;
  std::string url_path;
  std::string endpoint;
  uint16_t status = 0;  // 0: no response
  uint64_t request_bytes = 0;
  uint64_t response_bytes = 0;
  int verdict = -1;  // wire::Verdict, -1 when not a transaction
  std::string detector;
  std::vector<uint32_t> rule_ids;
  std::vector<uint64_t> finding_ids;
  std::vector<PiiSummary> pii;
  RecordLocation location;
};

struct QueryPage {
  std::vector<RecordRow> rows;
  std::string continuation;  // empty when there are no more rows
};

// A stored batch decoded back to its wire form. The pointers stay valid while the object lives.
struct StoredBatch {
  std::vector<uint8_t> bytes;  // the Message exactly as it was received
  const wire::Batch* batch() const;
  // Returns nullptr when `index` is out of range.
  const wire::Record* record(uint32_t index) const;
};

struct RetentionEntry {
  uint64_t deleted_ns = 0;
  uint64_t segment = 0;
  std::string hash_hex;
  uint64_t bytes = 0;
  uint64_t records = 0;
  uint64_t first_ts_ns = 0;
  uint64_t last_ts_ns = 0;
  std::string reason;
};

// Per PII type, over the records a query selects (limit and continuation ignored).
struct PiiExposure {
  std::string type;
  uint64_t records = 0;
  uint64_t values = 0;                 // summed counts, both directions
  uint64_t distinct_fingerprints = 0;  // distinct values seen, by keyed fingerprint
};

// A read-only connection to a store. Any thread may own one; it never blocks the writer (the
// index is in WAL mode). A segment deleted by retention between a query and a fetch makes the
// fetch fail with an error that says so.
class StoreReader {
 public:
  std::string Open(const std::string& directory);

  std::string Query(const RecordQuery& query, QueryPage& page);
  // Everything one client (address or id) did in [since, until), in order.
  std::string Timeline(const std::string& client, uint64_t since_ns, uint64_t until_ns,
                       size_t limit, const std::string& continuation, QueryPage& page);
  std::string ReadBatch(const RecordLocation& location, StoredBatch& batch);
  std::string Retention(std::vector<RetentionEntry>& entries);
  std::string Exposure(const RecordQuery& query, std::vector<PiiExposure>& exposure);

  const std::string& directory() const { return directory_; }

 private:
  std::string directory_;
  SqliteDb db_;
};

}  // namespace sluice::control::store
