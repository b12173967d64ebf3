#include "control/store/index_writer.h"

#include "control/store/index_schema.h"

namespace sluice::control::store {
namespace {

// 256 MiB of page cache (negative: KiB). Large batches touch many index pages at random; a small
// cache makes every insert a disk read once the index outgrows it.
constexpr char kPragmas[] =
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-262144; "
    "PRAGMA temp_store=MEMORY;";

constexpr char kInsertBatch[] =
    "INSERT OR IGNORE INTO batches (dataplane_id, run_id, worker_id, sequence, segment, offset, "
    "first_record_id, records, received_ns) VALUES (?,?,?,?,?,?,?,?,?)";
constexpr char kInsertRecord[] =
    "INSERT INTO records (id, batch_id, record_index, type, ts_ns, client_ip, client_port, "
    "server_ip, server_port, client_kind, client_id, host, method, url_path, endpoint, status, "
    "request_bytes, response_bytes, verdict, detector) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
constexpr char kInsertRule[] = "INSERT OR IGNORE INTO record_rules VALUES (?,?)";
constexpr char kInsertFinding[] = "INSERT OR IGNORE INTO record_findings VALUES (?,?)";
// A type listed twice in one direction (a hostile or buggy data plane) is summed.
constexpr char kInsertPii[] =
    "INSERT INTO record_pii VALUES (?,?,?,?) ON CONFLICT (record_id, direction, type) "
    "DO UPDATE SET count = count + excluded.count";
constexpr char kInsertFingerprint[] = "INSERT OR IGNORE INTO pii_fingerprints VALUES (?,?,?)";
constexpr char kUpdateSegment[] =
    "UPDATE segments SET state=?, sealed_ns=?, bytes=?, hash=?, batches=?, records=?, "
    "first_ts_ns=?, last_ts_ns=?, last_received_ns=? WHERE number=?";

int64_t Signed(uint64_t value) { return static_cast<int64_t>(value); }

}  // namespace

std::string IndexWriter::Open(const std::string& path) {
  if (std::string error = db_.Open(path, false); !error.empty()) return error;
  if (std::string error = db_.Exec(kPragmas); !error.empty()) {
    return "cannot configure index " + path + ": " + error;
  }
  if (std::string error = db_.Exec(kIndexSchema); !error.empty()) {
    return "cannot create the tables of index " + path + ": " + error;
  }
  const std::pair<SqliteStatement*, const char*> statements[] = {
      {&insert_batch_, kInsertBatch},   {&insert_record_, kInsertRecord},
      {&insert_rule_, kInsertRule},     {&insert_finding_, kInsertFinding},
      {&insert_pii_, kInsertPii},       {&insert_fingerprint_, kInsertFingerprint},
      {&update_segment_, kUpdateSegment},
  };
  for (const auto& [statement, sql] : statements) {
    if (std::string error = statement->Prepare(db_, sql); !error.empty()) return error;
  }
  return {};
}

std::string IndexWriter::Begin() {
  std::string error = db_.Exec("BEGIN IMMEDIATE");
  return error.empty() ? error : "cannot begin an index transaction: " + error;
}

std::string IndexWriter::Commit() {
  std::string error = db_.Exec("COMMIT");
  return error.empty() ? error : "cannot commit the index: " + error;
}

void IndexWriter::Rollback() {
  if (sqlite3_get_autocommit(db_.handle()) == 0) db_.Exec("ROLLBACK");
}

std::string IndexWriter::StepDone(SqliteStatement& statement, const char* what) {
  const int result = statement.Step();
  statement.Reset();
  if (result != SQLITE_DONE) return std::string("cannot insert ") + what + ": " + db_.LastError();
  return {};
}

std::string IndexWriter::InsertBatch(const BatchKey& key, uint64_t segment, uint64_t offset,
                                     uint64_t first_record_id, uint32_t records,
                                     uint64_t received_ns, int64_t& batch_id, bool& duplicate) {
  insert_batch_.BindText(1, key.dataplane_id);
  insert_batch_.BindInt(2, Signed(key.run_id));
  insert_batch_.BindInt(3, key.worker_id);
  insert_batch_.BindInt(4, Signed(key.sequence));
  insert_batch_.BindInt(5, Signed(segment));
  insert_batch_.BindInt(6, Signed(offset));
  insert_batch_.BindInt(7, Signed(first_record_id));
  insert_batch_.BindInt(8, records);
  insert_batch_.BindInt(9, Signed(received_ns));
  if (std::string error = StepDone(insert_batch_, "a batch"); !error.empty()) return error;
  duplicate = sqlite3_changes(db_.handle()) == 0;
  batch_id = sqlite3_last_insert_rowid(db_.handle());
  return {};
}

std::string IndexWriter::InsertRecord(uint64_t record_id, int64_t batch_id, uint32_t record_index,
                                      const RecordFields& fields) {
  SqliteStatement& s = insert_record_;
  s.BindInt(1, Signed(record_id));
  s.BindInt(2, batch_id);
  s.BindInt(3, record_index);
  s.BindInt(4, static_cast<int>(fields.type));
  s.BindInt(5, Signed(fields.ts_ns));
  s.BindTextOrNull(6, fields.client_ip);
  if (fields.client_ip.empty()) s.BindNull(7); else s.BindInt(7, fields.client_port);
  s.BindTextOrNull(8, fields.server_ip);
  if (fields.server_ip.empty()) s.BindNull(9); else s.BindInt(9, fields.server_port);
  s.BindTextOrNull(10, fields.client_kind);
  s.BindTextOrNull(11, fields.client_id);
  s.BindTextOrNull(12, fields.host);
  s.BindTextOrNull(13, fields.method);
  s.BindTextOrNull(14, fields.url_path);
  s.BindTextOrNull(15, fields.endpoint);
  if (fields.status == 0) s.BindNull(16); else s.BindInt(16, fields.status);
  const bool has_bytes = fields.type == RecordType::kTransaction ||
                         fields.type == RecordType::kFlowSummary;
  if (has_bytes) {
    s.BindInt(17, Signed(fields.request_bytes));
    s.BindInt(18, Signed(fields.response_bytes));
  }
  if (fields.verdict >= 0) s.BindInt(19, fields.verdict);
  s.BindTextOrNull(20, fields.detector);
  if (std::string error = StepDone(s, "a record"); !error.empty()) return error;

  for (const uint32_t rule : fields.rule_ids) {
    insert_rule_.BindInt(1, Signed(record_id));
    insert_rule_.BindInt(2, rule);
    if (std::string error = StepDone(insert_rule_, "a rule id"); !error.empty()) return error;
  }
  for (const uint64_t finding : fields.finding_ids) {
    insert_finding_.BindInt(1, Signed(record_id));
    insert_finding_.BindInt(2, Signed(finding));
    if (std::string error = StepDone(insert_finding_, "a finding id"); !error.empty()) return error;
  }
  for (const PiiEntry& pii : fields.pii) {
    insert_pii_.BindInt(1, Signed(record_id));
    insert_pii_.BindInt(2, static_cast<int>(pii.direction));
    insert_pii_.BindText(3, pii.type);
    insert_pii_.BindInt(4, Signed(pii.count));
    if (std::string error = StepDone(insert_pii_, "a PII count"); !error.empty()) return error;
    for (const std::string& fingerprint : pii.fingerprints) {
      insert_fingerprint_.BindInt(1, Signed(record_id));
      insert_fingerprint_.BindText(2, pii.type);
      insert_fingerprint_.BindText(3, fingerprint);
      if (std::string error = StepDone(insert_fingerprint_, "a fingerprint"); !error.empty()) {
        return error;
      }
    }
  }
  return {};
}

std::string IndexWriter::InsertSegment(uint64_t number, uint64_t created_ns) {
  SqliteStatement statement;
  if (std::string error = statement.Prepare(
          db_, "INSERT OR REPLACE INTO segments (number, state, created_ns, bytes) "
               "VALUES (?, 0, ?, 0)");
      !error.empty()) {
    return error;
  }
  statement.BindInt(1, Signed(number));
  statement.BindInt(2, Signed(created_ns));
  return StepDone(statement, "a segment");
}

std::string IndexWriter::UpdateSegment(const SegmentRow& row) {
  SqliteStatement& s = update_segment_;
  s.BindInt(1, row.sealed ? 1 : 0);
  if (row.sealed) s.BindInt(2, Signed(row.sealed_ns));
  s.BindInt(3, Signed(row.bytes));
  s.BindTextOrNull(4, row.hash_hex);
  s.BindInt(5, Signed(row.batches));
  s.BindInt(6, Signed(row.records));
  if (row.records > 0) {
    s.BindInt(7, Signed(row.first_ts_ns));
    s.BindInt(8, Signed(row.last_ts_ns));
  }
  if (row.last_received_ns > 0) s.BindInt(9, Signed(row.last_received_ns));
  s.BindInt(10, Signed(row.number));
  return StepDone(s, "segment totals");
}

std::string IndexWriter::ListSegments(std::vector<SegmentRow>& rows) {
  SqliteStatement s;
  if (std::string error = s.Prepare(
          db_, "SELECT number, state, created_ns, sealed_ns, bytes, hash, batches, records, "
               "first_ts_ns, last_ts_ns, last_received_ns FROM segments ORDER BY number");
      !error.empty()) {
    return error;
  }
  rows.clear();
  int result;
  while ((result = s.Step()) == SQLITE_ROW) {
    SegmentRow row;
    row.number = static_cast<uint64_t>(s.Int(0));
    row.sealed = s.Int(1) == 1;
    row.created_ns = static_cast<uint64_t>(s.Int(2));
    row.sealed_ns = static_cast<uint64_t>(s.Int(3));
    row.bytes = static_cast<uint64_t>(s.Int(4));
    row.hash_hex = s.Text(5);
    row.batches = static_cast<uint64_t>(s.Int(6));
    row.records = static_cast<uint64_t>(s.Int(7));
    row.first_ts_ns = static_cast<uint64_t>(s.Int(8));
    row.last_ts_ns = static_cast<uint64_t>(s.Int(9));
    row.last_received_ns = static_cast<uint64_t>(s.Int(10));
    rows.push_back(std::move(row));
  }
  if (result != SQLITE_DONE) return "cannot list segments: " + db_.LastError();
  return {};
}

std::string IndexWriter::DeleteRecordRange(uint64_t first, uint64_t last) {
  static constexpr const char* kDeletes[] = {
      "DELETE FROM pii_fingerprints WHERE record_id BETWEEN ?1 AND ?2",
      "DELETE FROM record_pii WHERE record_id BETWEEN ?1 AND ?2",
      "DELETE FROM record_findings WHERE record_id BETWEEN ?1 AND ?2",
      "DELETE FROM record_rules WHERE record_id BETWEEN ?1 AND ?2",
      "DELETE FROM records WHERE id BETWEEN ?1 AND ?2",
  };
  for (const char* sql : kDeletes) {
    SqliteStatement s;
    if (std::string error = s.Prepare(db_, sql); !error.empty()) return error;
    s.BindInt(1, Signed(first));
    s.BindInt(2, Signed(last));
    if (s.Step() != SQLITE_DONE) return "cannot delete index rows: " + db_.LastError();
  }
  return {};
}

std::string IndexWriter::DeleteSegment(const SegmentRow& segment, uint64_t now_ns,
                                       std::string_view reason) {
  if (std::string error = Begin(); !error.empty()) return error;
  std::string error;
  SqliteStatement range;
  error = range.Prepare(db_, "SELECT min(first_record_id), max(first_record_id + records) - 1 "
                             "FROM batches WHERE segment = ?");
  if (error.empty()) {
    range.BindInt(1, Signed(segment.number));
    if (range.Step() == SQLITE_ROW && !range.IsNull(0)) {
      error = DeleteRecordRange(static_cast<uint64_t>(range.Int(0)),
                                static_cast<uint64_t>(range.Int(1)));
    }
  }
  const char* statements[] = {
      "DELETE FROM batches WHERE segment = ?1",
      "DELETE FROM segments WHERE number = ?1",
  };
  for (const char* sql : statements) {
    if (!error.empty()) break;
    SqliteStatement s;
    error = s.Prepare(db_, sql);
    if (!error.empty()) break;
    s.BindInt(1, Signed(segment.number));
    if (s.Step() != SQLITE_DONE) error = "cannot delete index rows: " + db_.LastError();
  }
  if (error.empty()) {
    SqliteStatement log;
    error = log.Prepare(db_, "INSERT INTO retention_log (deleted_ns, segment, hash, bytes, "
                             "records, first_ts_ns, last_ts_ns, reason) VALUES (?,?,?,?,?,?,?,?)");
    if (error.empty()) {
      log.BindInt(1, Signed(now_ns));
      log.BindInt(2, Signed(segment.number));
      log.BindText(3, segment.hash_hex);
      log.BindInt(4, Signed(segment.bytes));
      log.BindInt(5, Signed(segment.records));
      log.BindInt(6, Signed(segment.first_ts_ns));
      log.BindInt(7, Signed(segment.last_ts_ns));
      log.BindText(8, reason);
      error = StepDone(log, "a retention record");
    }
  }
  if (!error.empty()) {
    Rollback();
    return error;
  }
  return Commit();
}

std::string IndexWriter::DeleteBatchesFrom(uint64_t number, uint64_t offset,
                                           uint64_t& batches_deleted) {
  batches_deleted = 0;
  SqliteStatement range;
  if (std::string error = range.Prepare(
          db_, "SELECT min(first_record_id), max(first_record_id + records) - 1, count(*) "
               "FROM batches WHERE segment = ? AND offset >= ?");
      !error.empty()) {
    return error;
  }
  range.BindInt(1, Signed(number));
  range.BindInt(2, Signed(offset));
  if (range.Step() != SQLITE_ROW || range.IsNull(0)) return {};
  batches_deleted = static_cast<uint64_t>(range.Int(2));
  if (std::string error = Begin(); !error.empty()) return error;
  std::string error = DeleteRecordRange(static_cast<uint64_t>(range.Int(0)),
                                        static_cast<uint64_t>(range.Int(1)));
  if (error.empty()) {
    SqliteStatement s;
    error = s.Prepare(db_, "DELETE FROM batches WHERE segment = ? AND offset >= ?");
    if (error.empty()) {
      s.BindInt(1, Signed(number));
      s.BindInt(2, Signed(offset));
      if (s.Step() != SQLITE_DONE) error = "cannot delete index rows: " + db_.LastError();
    }
  }
  if (!error.empty()) {
    Rollback();
    return error;
  }
  return Commit();
}

uint64_t IndexWriter::NextRecordId() {
  SqliteStatement s;
  if (!s.Prepare(db_, "SELECT max(id) FROM records").empty()) return 1;
  if (s.Step() != SQLITE_ROW || s.IsNull(0)) return 1;
  return static_cast<uint64_t>(s.Int(0)) + 1;
}

}  // namespace sluice::control::store
