// The write side of the store's SQLite index. Owned by the thread that owns the Store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "control/store/record_fields.h"
#include "control/store/sqlite_db.h"

namespace sluice::control::store {

// One row of the segments table.
struct SegmentRow {
  uint64_t number = 0;
  bool sealed = false;
  uint64_t created_ns = 0;
  uint64_t sealed_ns = 0;
  uint64_t bytes = 0;
  std::string hash_hex;
  uint64_t batches = 0;
  uint64_t records = 0;
  uint64_t first_ts_ns = 0;
  uint64_t last_ts_ns = 0;
  uint64_t last_received_ns = 0;
};

struct BatchKey {
  std::string_view dataplane_id;
  uint64_t run_id = 0;
  uint16_t worker_id = 0;
  uint64_t sequence = 0;
};

class IndexWriter {
 public:
  // Opens or creates the index in WAL mode with synchronous=FULL, so a COMMIT returns only once
  // the write-ahead log is fsynced.
  std::string Open(const std::string& path);

  std::string Begin();
  std::string Commit();
  void Rollback();

  // Inserts a batch row unless its key is stored already; `duplicate` tells which happened.
  std::string InsertBatch(const BatchKey& key, uint64_t segment, uint64_t offset,
                          uint64_t first_record_id, uint32_t records, uint64_t received_ns,
                          int64_t& batch_id, bool& duplicate);
  std::string InsertRecord(uint64_t record_id, int64_t batch_id, uint32_t record_index,
                           const RecordFields& fields);

  std::string InsertSegment(uint64_t number, uint64_t created_ns);
  std::string UpdateSegment(const SegmentRow& row);
  std::string ListSegments(std::vector<SegmentRow>& rows);

  // Deletes the index rows of segment `number` and logs `reason` in retention_log, in one
  // transaction.
  std::string DeleteSegment(const SegmentRow& segment, uint64_t now_ns, std::string_view reason);
  // Deletes the rows of batches at or after `offset` in segment `number`: used when recovery
  // finds the file shorter than the index expects.
  std::string DeleteBatchesFrom(uint64_t number, uint64_t offset, uint64_t& batches_deleted);

  // The id the next record gets: one past the largest stored.
  uint64_t NextRecordId();

  SqliteDb& db() { return db_; }

 private:
  std::string StepDone(SqliteStatement& statement, const char* what);
  std::string DeleteRecordRange(uint64_t first, uint64_t last);

  SqliteDb db_;
  SqliteStatement insert_batch_;
  SqliteStatement insert_record_;
  SqliteStatement insert_rule_;
  SqliteStatement insert_finding_;
  SqliteStatement insert_pii_;
  SqliteStatement insert_fingerprint_;
  SqliteStatement update_segment_;
};

}  // namespace sluice::control::store
