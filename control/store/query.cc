#include "control/store/query.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "control/store/index_schema.h"
#include "control/store/segment_format.h"

namespace sluice::control::store {
namespace {

constexpr char kSelectRows[] =
    "SELECT r.id, r.type, r.ts_ns, r.client_ip, r.client_port, r.server_ip, r.server_port, "
    "r.client_kind, r.client_id, r.host, r.method, r.url_path, r.endpoint, r.status, "
    "r.request_bytes, r.response_bytes, r.verdict, r.detector, r.record_index, "
    "b.dataplane_id, b.run_id, b.worker_id, b.sequence, b.segment, b.offset, "
    "(SELECT group_concat(rule_id) FROM record_rules WHERE record_id = r.id), "
    "(SELECT group_concat(finding_id) FROM record_findings WHERE record_id = r.id), "
    "(SELECT group_concat(direction || ':' || count || ':' || type, char(10)) FROM record_pii "
    "WHERE record_id = r.id) "
    "FROM records r JOIN batches b ON b.id = r.batch_id";

// Bound values of a WHERE clause, in order.
struct Bindings {
  std::vector<int64_t> ints;
  std::vector<std::string> texts;
  std::vector<bool> is_text;

  void Int(int64_t value) {
    ints.push_back(value);
    texts.emplace_back();
    is_text.push_back(false);
  }
  void Text(const std::string& value) {
    ints.push_back(0);
    texts.push_back(value);
    is_text.push_back(true);
  }
  void Apply(SqliteStatement& statement) const {
    for (size_t i = 0; i < ints.size(); ++i) {
      if (is_text[i]) {
        statement.BindText(static_cast<int>(i + 1), texts[i]);
      } else {
        statement.BindInt(static_cast<int>(i + 1), ints[i]);
      }
    }
  }
};

// Reads one non-negative decimal that fits in int64, digits only (no sign, no spaces).
bool ParseTokenNumber(std::string_view text, int64_t& value) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t parsed = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    parsed = parsed * 10 + static_cast<uint64_t>(c - '0');
  }
  if (parsed > static_cast<uint64_t>(INT64_MAX)) return false;
  value = static_cast<int64_t>(parsed);
  return true;
}

// A continuation token is "TS:ID", both as the previous page printed them.
bool ParseContinuation(const std::string& text, int64_t& ts, int64_t& id) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return false;
  const std::string_view view(text);
  return ParseTokenNumber(view.substr(0, colon), ts) && ParseTokenNumber(view.substr(colon + 1), id);
}

// Builds " WHERE ..." for the filters of `query`, continuation included.
std::string BuildWhere(const RecordQuery& query, Bindings& bindings, std::string& error) {
  std::string where = " WHERE r.ts_ns >= ? AND r.ts_ns < ?";
  bindings.Int(static_cast<int64_t>(query.since_ns));
  bindings.Int(static_cast<int64_t>(std::min<uint64_t>(query.until_ns, INT64_MAX)));
  if (!query.continuation.empty()) {
    int64_t ts = 0;
    int64_t id = 0;
    if (!ParseContinuation(query.continuation, ts, id)) {
      error = "invalid continuation token '" + query.continuation +
              "'; pass the token of the previous page unchanged";
      return {};
    }
    where += " AND r.ts_ns >= ? AND (r.ts_ns > ? OR r.id > ?)";
    bindings.Int(ts);
    bindings.Int(ts);
    bindings.Int(id);
  }
  if (!query.client.empty()) {
    where += " AND (r.client_ip = ? OR r.client_id = ?)";
    bindings.Text(query.client);
    bindings.Text(query.client);
  }
  if (!query.endpoint.empty()) {
    where += " AND r.endpoint = ?";
    bindings.Text(query.endpoint);
  }
  if (query.status != 0) {
    where += " AND r.status = ?";
    bindings.Int(query.status);
  }
  if (query.type.has_value()) {
    where += " AND r.type = ?";
    bindings.Int(static_cast<int>(*query.type));
  }
  if (query.rule_id.has_value()) {
    where += " AND r.id IN (SELECT record_id FROM record_rules WHERE rule_id = ?)";
    bindings.Int(*query.rule_id);
  }
  if (query.finding_id.has_value()) {
    where += " AND r.id IN (SELECT record_id FROM record_findings WHERE finding_id = ?)";
    bindings.Int(static_cast<int64_t>(*query.finding_id));
  }
  if (query.run_id.has_value()) {
    where += " AND r.batch_id IN (SELECT id FROM batches WHERE run_id = ?)";
    bindings.Int(static_cast<int64_t>(*query.run_id));
  }
  if (!query.pii_type.empty()) {
    where += " AND r.id IN (SELECT record_id FROM record_pii WHERE type = ?)";
    bindings.Text(query.pii_type);
  }
  return where;
}

template <typename T>
std::vector<T> SplitNumbers(const std::string& text) {
  std::vector<T> values;
  const char* at = text.c_str();
  while (*at != '\0') {
    char* end = nullptr;
    values.push_back(static_cast<T>(std::strtoull(at, &end, 10)));
    if (end == at) break;
    at = *end == ',' ? end + 1 : end;
  }
  return values;
}

std::vector<PiiSummary> SplitPii(const std::string& text) {
  std::vector<PiiSummary> list;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    const size_t first = item.find(':');
    const size_t second = item.find(':', first + 1);
    if (first != std::string::npos && second != std::string::npos) {
      PiiSummary pii;
      pii.direction = item[0] == '1' ? PiiDirection::kResponse : PiiDirection::kRequest;
      pii.count = std::strtoull(item.c_str() + first + 1, nullptr, 10);
      pii.type = item.substr(second + 1);
      list.push_back(std::move(pii));
    }
    start = end + 1;
  }
  return list;
}

RecordRow ReadRow(const SqliteStatement& s) {
  RecordRow row;
  row.id = static_cast<uint64_t>(s.Int(0));
  row.type = static_cast<RecordType>(s.Int(1));
  row.ts_ns = static_cast<uint64_t>(s.Int(2));
  row.client_ip = s.Text(3);
  row.client_port = static_cast<uint16_t>(s.Int(4));
  row.server_ip = s.Text(5);
  row.server_port = static_cast<uint16_t>(s.Int(6));
  row.client_kind = s.Text(7);
  row.client_id = s.Text(8);
  row.host = s.Text(9);
  row.method = s.Text(10);
  row.url_path = s.Text(11);
  row.endpoint = s.Text(12);
  row.status = static_cast<uint16_t>(s.Int(13));
  row.request_bytes = static_cast<uint64_t>(s.Int(14));
  row.response_bytes = static_cast<uint64_t>(s.Int(15));
  row.verdict = s.IsNull(16) ? -1 : static_cast<int>(s.Int(16));
  row.detector = s.Text(17);
  row.location.record_index = static_cast<uint32_t>(s.Int(18));
  row.dataplane_id = s.Text(19);
  row.run_id = static_cast<uint64_t>(s.Int(20));
  row.worker_id = static_cast<uint16_t>(s.Int(21));
  row.sequence = static_cast<uint64_t>(s.Int(22));
  row.location.segment = static_cast<uint64_t>(s.Int(23));
  row.location.offset = static_cast<uint64_t>(s.Int(24));
  row.rule_ids = SplitNumbers<uint32_t>(s.Text(25));
  row.finding_ids = SplitNumbers<uint64_t>(s.Text(26));
  row.pii = SplitPii(s.Text(27));
  // An address-identified client is stored by address only; rows show it as its id as well.
  if (row.client_id.empty()) row.client_id = row.client_ip;
  return row;
}

}  // namespace

const wire::Batch* StoredBatch::batch() const {
  if (bytes.empty()) return nullptr;
  return wire::GetMessage(bytes.data())->body_as_Batch();
}

const wire::Record* StoredBatch::record(uint32_t index) const {
  const wire::Batch* stored = batch();
  if (stored == nullptr || stored->records() == nullptr || index >= stored->records()->size()) {
    return nullptr;
  }
  return stored->records()->Get(index);
}

std::string StoreReader::Open(const std::string& directory) {
  directory_ = directory;
  return db_.Open(directory + "/" + kIndexFileName, true);
}

std::string StoreReader::Query(const RecordQuery& query, QueryPage& page) {
  page = QueryPage{};
  if (query.limit == 0 || query.limit > kMaxQueryLimit) {
    return "invalid limit " + std::to_string(query.limit) + "; use 1 to " +
           std::to_string(kMaxQueryLimit) + " and the continuation token for more";
  }
  Bindings bindings;
  std::string error;
  const std::string where = BuildWhere(query, bindings, error);
  if (!error.empty()) return error;
  const std::string sql = std::string(kSelectRows) + where + " ORDER BY r.ts_ns, r.id LIMIT " +
                          std::to_string(query.limit + 1);
  SqliteStatement statement;
  if (error = statement.Prepare(db_, sql); !error.empty()) return error;
  bindings.Apply(statement);

  int result;
  while ((result = statement.Step()) == SQLITE_ROW) {
    if (page.rows.size() == query.limit) {
      const RecordRow& last = page.rows.back();
      page.continuation = std::to_string(last.ts_ns) + ":" + std::to_string(last.id);
      break;
    }
    page.rows.push_back(ReadRow(statement));
  }
  if (result != SQLITE_ROW && result != SQLITE_DONE) return "query failed: " + db_.LastError();
  return {};
}

std::string StoreReader::Timeline(const std::string& client, uint64_t since_ns,
                                  uint64_t until_ns, size_t limit,
                                  const std::string& continuation, QueryPage& page) {
  if (client.empty()) return "a timeline needs a client address or id";
  RecordQuery query;
  query.client = client;
  query.since_ns = since_ns;
  query.until_ns = until_ns;
  query.limit = limit;
  query.continuation = continuation;
  return Query(query, page);
}

std::string StoreReader::ReadBatch(const RecordLocation& location, StoredBatch& batch) {
  const std::string path = directory_ + "/" + SegmentFileName(location.segment);
  if (std::string error = ReadFrame(path, location.offset, batch.bytes); !error.empty()) {
    batch.bytes.clear();
    return error + " (a segment deleted by retention since the query cannot be read)";
  }
  flatbuffers::Verifier verifier(batch.bytes.data(), batch.bytes.size());
  if (!wire::VerifyMessageBuffer(verifier) || batch.batch() == nullptr) {
    batch.bytes.clear();
    return "the frame at offset " + std::to_string(location.offset) + " of " + path +
           " is not a valid batch";
  }
  return {};
}

std::string StoreReader::Retention(std::vector<RetentionEntry>& entries) {
  entries.clear();
  SqliteStatement s;
  if (std::string error = s.Prepare(
          db_, "SELECT deleted_ns, segment, hash, bytes, records, first_ts_ns, last_ts_ns, "
               "reason FROM retention_log ORDER BY id");
      !error.empty()) {
    return error;
  }
  int result;
  while ((result = s.Step()) == SQLITE_ROW) {
    entries.push_back(RetentionEntry{static_cast<uint64_t>(s.Int(0)), static_cast<uint64_t>(s.Int(1)),
                                     s.Text(2), static_cast<uint64_t>(s.Int(3)),
                                     static_cast<uint64_t>(s.Int(4)), static_cast<uint64_t>(s.Int(5)),
                                     static_cast<uint64_t>(s.Int(6)), s.Text(7)});
  }
  if (result != SQLITE_DONE) return "cannot read the retention log: " + db_.LastError();
  return {};
}

std::string StoreReader::Exposure(const RecordQuery& query, std::vector<PiiExposure>& exposure) {
  exposure.clear();
  RecordQuery unpaged = query;
  unpaged.continuation.clear();
  Bindings bindings;
  std::string error;
  const std::string where = BuildWhere(unpaged, bindings, error);
  if (!error.empty()) return error;
  const std::string selected = "SELECT r.id FROM records r" + where;
  const std::string sql =
      "SELECT p.type, count(DISTINCT p.record_id), sum(p.count), "
      "(SELECT count(DISTINCT f.fingerprint) FROM pii_fingerprints f WHERE f.type = p.type AND "
      "f.record_id IN (" + selected + ")) "
      "FROM record_pii p WHERE p.record_id IN (" + selected + ") GROUP BY p.type ORDER BY p.type";
  SqliteStatement statement;
  if (error = statement.Prepare(db_, sql); !error.empty()) return error;
  // The WHERE clause appears twice; each copy takes its own bindings.
  Bindings twice = bindings;
  for (size_t i = 0; i < bindings.ints.size(); ++i) {
    if (bindings.is_text[i]) twice.Text(bindings.texts[i]); else twice.Int(bindings.ints[i]);
  }
  twice.Apply(statement);
  int result;
  while ((result = statement.Step()) == SQLITE_ROW) {
    exposure.push_back(PiiExposure{statement.Text(0), static_cast<uint64_t>(statement.Int(1)),
                                   static_cast<uint64_t>(statement.Int(2)),
                                   static_cast<uint64_t>(statement.Int(3))});
  }
  if (result != SQLITE_DONE) return "exposure query failed: " + db_.LastError();
  return {};
}

}  // namespace sluice::control::store
