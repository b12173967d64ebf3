#include "control/command/forensic_requests.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "control/forensics/scope_render.h"
#include "control/forensics/scope_wire.h"
#include "control/sinks/ecs_json.h"
#include "control/sinks/rfc3339.h"
#include "control/sinks/run_id.h"
#include "control/store/export.h"
#include "control/store/query.h"
#include "control/store/verify.h"

namespace sluice::control {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;
namespace forensics = sluice::control::forensics;

std::string Text(const flatbuffers::String* text) { return text == nullptr ? "" : text->str(); }

uint64_t WallNanos() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Endpoints listed per data plane by show endpoints, the busiest first.
constexpr size_t kMaxListedEndpoints = 10'000;

// Distinct findings a scope report looks up by run and id beyond the selected one; the rest are
// listed by id only.
constexpr size_t kMaxCarriedFindings = 1024;

ForensicAnswer Failure(const std::string& error, int exit_code = 1) {
  ForensicAnswer answer;
  answer.ok = false;
  answer.error = error;
  answer.exit_code = exit_code;
  return answer;
}

void Key(JsonWriter& json, const char* key, const std::string& value) {
  json.Key(key);
  json.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void KeyNumber(JsonWriter& json, const char* key, uint64_t value) {
  json.Key(key);
  json.Uint64(value);
}

void KeyTime(JsonWriter& json, const char* key, uint64_t ts_ns) {
  char text[kRfc3339NanosSize];
  const std::string_view formatted = FormatRfc3339Nanos(ts_ns, text);
  Key(json, key, std::string(formatted));
}

store::RecordQuery QueryFromFilter(const command::RecordFilter* filter) {
  store::RecordQuery query;
  query.limit = kDefaultPageRows;
  if (filter == nullptr) return query;
  query.since_ns = filter->since_ns();
  if (filter->until_ns() != 0) query.until_ns = filter->until_ns();
  query.client = Text(filter->client());
  query.endpoint = Text(filter->endpoint());
  query.status = filter->status();
  if (filter->has_rule_id()) query.rule_id = filter->rule_id();
  if (filter->has_finding_id()) query.finding_id = filter->finding_id();
  if (filter->has_run_id()) query.run_id = filter->run_id();
  query.pii_type = Text(filter->pii_type());
  if (filter->limit() != 0) query.limit = std::min(filter->limit(), kMaxPageRows);
  query.continuation = Text(filter->continuation());
  return query;
}

std::string OpenReader(const ForensicStoreInfo& info, store::StoreReader& reader) {
  if (info.directory.empty()) {
    return "sluice-control runs without the forensic store (control.store.enabled: false or "
           "--no-store); enable it and restart to keep records for queries";
  }
  if (std::string error = reader.Open(info.directory); !error.empty()) {
    return "cannot open the forensic store " + info.directory + ": " + error;
  }
  return {};
}

void WriteRow(JsonWriter& json, const store::RecordRow& row) {
  json.StartObject();
  KeyNumber(json, "id", row.id);
  Key(json, "type", store::RecordTypeName(row.type));
  KeyTime(json, "timestamp", row.ts_ns);
  KeyNumber(json, "ts_ns", row.ts_ns);
  Key(json, "dataplane", row.dataplane_id);
  Key(json, "run_id", RunIdHex(row.run_id));
  KeyNumber(json, "worker", row.worker_id);
  KeyNumber(json, "sequence", row.sequence);
  Key(json, "client_ip", row.client_ip);
  KeyNumber(json, "client_port", row.client_port);
  Key(json, "server_ip", row.server_ip);
  KeyNumber(json, "server_port", row.server_port);
  Key(json, "client_kind", row.client_kind);
  Key(json, "client_id", row.client_id);
  Key(json, "host", row.host);
  Key(json, "method", row.method);
  Key(json, "url_path", row.url_path);
  Key(json, "endpoint", row.endpoint);
  KeyNumber(json, "status", row.status);
  KeyNumber(json, "request_bytes", row.request_bytes);
  KeyNumber(json, "response_bytes", row.response_bytes);
  static constexpr const char* kVerdicts[] = {"pass", "tag", "block", "would_block"};
  Key(json, "verdict", row.verdict >= 0 && row.verdict < 4 ? kVerdicts[row.verdict] : "");
  Key(json, "detector", row.detector);
  json.Key("rule_ids");
  json.StartArray();
  for (const uint32_t id : row.rule_ids) json.Uint(id);
  json.EndArray();
  json.Key("finding_ids");
  json.StartArray();
  for (const uint64_t id : row.finding_ids) json.Uint64(id);
  json.EndArray();
  json.Key("pii");
  json.StartArray();
  for (const store::PiiSummary& pii : row.pii) {
    json.StartObject();
    Key(json, "direction", pii.direction == store::PiiDirection::kRequest ? "request" : "response");
    Key(json, "type", pii.type);
    KeyNumber(json, "count", pii.count);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

ForensicAnswer RowsAnswer(const store::QueryPage& page) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartArray();
  for (const store::RecordRow& row : page.rows) WriteRow(json, row);
  json.EndArray();
  ForensicAnswer answer;
  answer.body.assign(buffer.GetString(), buffer.GetSize());
  answer.continuation = page.continuation;
  answer.rows = static_cast<uint32_t>(page.rows.size());
  return answer;
}

std::string LoadFindings(store::StoreReader& reader, store::RecordQuery query,
                         std::vector<forensics::FindingRow>& findings);
std::string AmbiguousFinding(uint64_t id, const std::vector<forensics::FindingRow>& findings);

// Returns an error when `query` selects a finding id without a run and findings of several runs
// have that id; the error lists their runs.
std::string FindingNeedsRun(store::StoreReader& reader, const store::RecordQuery& query) {
  if (!query.finding_id || query.run_id || !query.continuation.empty()) return {};
  std::vector<forensics::FindingRow> findings;
  store::RecordQuery finding_query;
  finding_query.finding_id = query.finding_id;
  if (std::string error = LoadFindings(reader, finding_query, findings); !error.empty()) return error;
  return AmbiguousFinding(*query.finding_id, findings);
}

ForensicAnswer AnswerQuery(store::StoreReader& reader, const command::Request& request) {
  store::RecordQuery query = QueryFromFilter(request.filter());
  if (std::string error = FindingNeedsRun(reader, query); !error.empty()) return Failure(error, 2);
  store::QueryPage page;
  if (std::string error = reader.Query(query, page); !error.empty()) return Failure(error);
  return RowsAnswer(page);
}

ForensicAnswer AnswerTimeline(store::StoreReader& reader, const command::Request& request) {
  const store::RecordQuery query = QueryFromFilter(request.filter());
  if (query.client.empty()) return Failure("records timeline needs --client ADDRESS_OR_ID");
  store::QueryPage page;
  if (std::string error = reader.Timeline(query.client, query.since_ns, query.until_ns,
                                          query.limit, query.continuation, page);
      !error.empty()) {
    return Failure(error);
  }
  return RowsAnswer(page);
}

// Reads the stored batch behind `row`, reusing `batch` when the previous row came from it.
std::string ReadRowBatch(store::StoreReader& reader, const store::RecordRow& row,
                         store::StoredBatch& batch, store::RecordLocation& cached,
                         bool& have_batch) {
  if (have_batch && cached.segment == row.location.segment &&
      cached.offset == row.location.offset) {
    return {};
  }
  if (std::string error = reader.ReadBatch(row.location, batch); !error.empty()) return error;
  cached = row.location;
  have_batch = true;
  return {};
}

ForensicAnswer AnswerExport(store::StoreReader& reader, const command::Request& request) {
  const std::string format = request.filter() ? Text(request.filter()->format()) : "";
  if (format != "jsonl" && format != "csv") {
    return Failure("unknown export format '" + format + "'; use jsonl or csv");
  }
  store::RecordQuery query = QueryFromFilter(request.filter());
  if (std::string error = FindingNeedsRun(reader, query); !error.empty()) return Failure(error, 2);
  store::QueryPage page;
  if (std::string error = reader.Query(query, page); !error.empty()) return Failure(error);

  ForensicAnswer answer;
  answer.continuation = page.continuation;
  if (format == "csv") {
    if (request.filter()->header()) answer.body = std::string(store::kCsvHeader) + "\r\n";
    for (const store::RecordRow& row : page.rows) answer.body += store::FormatCsvRow(row) + "\r\n";
    answer.rows = static_cast<uint32_t>(page.rows.size());
    return answer;
  }

  EcsFormatter formatter;
  store::StoredBatch batch;
  store::RecordLocation cached{};
  bool have_batch = false;
  for (const store::RecordRow& row : page.rows) {
    if (std::string error = ReadRowBatch(reader, row, batch, cached, have_batch); !error.empty()) {
      return Failure(error);
    }
    const wire::Record* record = batch.record(row.location.record_index);
    if (record == nullptr) return Failure("a record is missing from its stored batch");
    const wire::Batch& header = *batch.batch();
    const BatchContext context{header.dataplane_id()->string_view(), header.run_id(),
                               header.worker_id(), header.sequence()};
    // Findings, inventory and gap records have no ECS form yet; the CSV export has them.
    if (formatter.Format(*record, context) != FormatResult::kOk) continue;
    answer.body.append(formatter.line());
    ++answer.rows;
  }
  return answer;
}

forensics::RecordRef RefOf(const store::RecordRow& row) {
  forensics::RecordRef ref;
  ref.dataplane_id = row.dataplane_id;
  ref.run_id = row.run_id;
  ref.worker_id = row.worker_id;
  ref.sequence = row.sequence;
  ref.record_index = row.location.record_index;
  return ref;
}

// Calls `visit(row, record)` for every record `query` selects, page after page. Returns an error
// when a read fails, when the selection has more than `max_rows` records or when reading it takes
// longer than kMaxReadSeconds.
template <typename Visit>
std::string ForEachRecord(store::StoreReader& reader, store::RecordQuery query, size_t max_rows,
                          Visit visit) {
  query.limit = kMaxPageRows;
  store::StoredBatch batch;
  store::RecordLocation cached{};
  bool have_batch = false;
  size_t seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kMaxReadSeconds);
  while (true) {
    if (std::chrono::steady_clock::now() > deadline) {
      return "reading the selection took longer than " + std::to_string(kMaxReadSeconds) +
             " s; narrow it with --since, --until, --client or --endpoint";
    }
    store::QueryPage page;
    if (std::string error = reader.Query(query, page); !error.empty()) return error;
    for (const store::RecordRow& row : page.rows) {
      if (++seen > max_rows) {
        return "the selection has more than " + std::to_string(max_rows) +
               " records; narrow it with --since, --until, --client or --endpoint";
      }
      if (std::string error = ReadRowBatch(reader, row, batch, cached, have_batch);
          !error.empty()) {
        return error;
      }
      const wire::Record* record = batch.record(row.location.record_index);
      if (record != nullptr) visit(row, *record);
    }
    if (page.continuation.empty()) return {};
    query.continuation = page.continuation;
  }
}

std::string LoadFindings(store::StoreReader& reader, store::RecordQuery query,
                         std::vector<forensics::FindingRow>& findings) {
  query.type = store::RecordType::kFinding;
  return ForEachRecord(reader, query, kMaxReportTransactions,
                       [&](const store::RecordRow& row, const wire::Record& record) {
                         if (const wire::Finding* finding = record.body_as_Finding()) {
                           forensics::FindingRow finding_row = forensics::FindingRowFromWire(*finding);
                           finding_row.dataplane_id = row.dataplane_id;
                           finding_row.run_id = row.run_id;
                           findings.push_back(std::move(finding_row));
                         }
                       });
}

// Returns an error when the findings named by `id` come from more than one data plane run:
// finding ids restart with every run, so --run must select one.
std::string AmbiguousFinding(uint64_t id, const std::vector<forensics::FindingRow>& findings) {
  std::set<std::pair<std::string, uint64_t>> runs;
  for (const forensics::FindingRow& finding : findings) {
    if (finding.finding_id == id) runs.emplace(finding.dataplane_id, finding.run_id);
  }
  if (runs.size() < 2) return {};
  std::string error = "finding " + std::to_string(id) + " names findings of " + std::to_string(runs.size()) +
                      " data plane runs (finding ids restart with every run):";
  for (const auto& [dataplane, run] : runs) error += " data plane " + dataplane + " run " + RunIdHex(run) + ";";
  error.back() = '.';
  return error + " Add --run with one of these run ids.";
}

// Adds the findings that the transactions carry and `findings` lacks, looked up by run and id.
std::string LoadCarriedFindings(store::StoreReader& reader,
                                const std::vector<forensics::TransactionRow>& transactions,
                                std::vector<forensics::FindingRow>& findings) {
  std::set<std::pair<uint64_t, uint64_t>> missing;
  for (const forensics::TransactionRow& row : transactions) {
    for (uint64_t id : row.finding_ids) missing.emplace(row.ref.run_id, id);
  }
  for (const forensics::FindingRow& finding : findings) missing.erase({finding.run_id, finding.finding_id});
  size_t looked_up = 0;
  for (const auto& [run, id] : missing) {
    if (++looked_up > kMaxCarriedFindings) break;  // the rest are listed by id only
    store::RecordQuery query;
    query.run_id = run;
    query.finding_id = id;
    if (std::string error = LoadFindings(reader, query, findings); !error.empty()) return error;
  }
  return {};
}

std::string VerifyKeyPath(const ForensicStoreInfo& info) {
  const std::string public_path = info.signing_key_path + ".pub";
  return access(public_path.c_str(), R_OK) == 0 ? public_path : info.signing_key_path;
}

std::string RunVerify(const ForensicStoreInfo& info, store::VerifyReport& report) {
  store::Pkey key;
  if (std::string error = store::LoadVerifyKey(VerifyKeyPath(info), key); !error.empty()) {
    return error;
  }
  return store::VerifyStore(info.directory, key.get(), report);
}

forensics::IntegrityStatus IntegrityOf(const ForensicStoreInfo& info) {
  forensics::IntegrityStatus status;
  store::VerifyReport report;
  if (!RunVerify(info, report).empty()) return status;  // kNotChecked
  status.state = report.ok() ? forensics::IntegrityStatus::State::kVerified
                             : forensics::IntegrityStatus::State::kBroken;
  status.segments_checked = report.segments_checked;
  status.checked_at_ns = WallNanos();
  for (const store::VerifyProblem& problem : report.problems) {
    // Some reasons start with their kind already ("corrupt: frame fails its checksum").
    const bool has_kind = problem.reason.rfind(problem.kind + ":", 0) == 0;
    status.broken_segments.push_back(
        {problem.file, has_kind ? problem.reason : problem.kind + ": " + problem.reason});
  }
  return status;
}

ForensicAnswer AnswerScope(const ForensicStoreInfo& info, store::StoreReader& reader,
                           const command::Request& request) {
  const command::RecordFilter* filter = request.filter();
  const std::string format_name = filter ? Text(filter->format()) : "text";
  forensics::OutputFormat format = forensics::OutputFormat::kText;
  if (format_name == "json") {
    format = forensics::OutputFormat::kJson;
  } else if (format_name == "html") {
    format = forensics::OutputFormat::kHtml;
  } else if (format_name != "text" && !format_name.empty()) {
    return Failure("unknown report format '" + format_name + "'; use text, json or html");
  }

  forensics::ScopeRequest scope;
  scope.generated_at_ns = WallNanos();
  scope.thresholds = info.report_thresholds;
  store::RecordQuery query = QueryFromFilter(filter);
  forensics::ScopeSelector& selector = scope.selector;
  if (filter != nullptr) {
    if (filter->has_finding_id()) selector.finding_id = filter->finding_id();
    if (filter->has_run_id()) selector.run_id = filter->run_id();
    if (!query.client.empty()) selector.client = query.client;
    if (!query.endpoint.empty()) selector.endpoint = query.endpoint;
    if (filter->since_ns() != 0) selector.since_ns = filter->since_ns();
    if (filter->until_ns() != 0) selector.until_ns = filter->until_ns();
  }
  if (!selector.finding_id && !selector.run_id && !selector.client && !selector.endpoint &&
      !selector.since_ns && !selector.until_ns) {
    return Failure("report scope needs --finding, --run, --client, --endpoint, --since or --until");
  }
  query.continuation.clear();

  std::vector<forensics::FindingRow> findings;
  if (selector.finding_id) {
    store::RecordQuery finding_query;
    finding_query.finding_id = *selector.finding_id;
    finding_query.run_id = selector.run_id;
    if (std::string error = LoadFindings(reader, finding_query, findings); !error.empty()) {
      return Failure(error);
    }
    if (std::string error = AmbiguousFinding(*selector.finding_id, findings); !error.empty()) {
      return Failure(error, 2);
    }
    if (!findings.empty()) selector.run_id = findings.front().run_id;
  }

  // The analysis takes a finding's calls by its id and by its client's calls in its time span,
  // and calls made before the finding existed do not carry the id. So the store selects the
  // finding's client and run here rather than the id, and the id only when no finding record
  // names it.
  store::RecordQuery transaction_query = query;
  transaction_query.type = store::RecordType::kTransaction;
  transaction_query.run_id = selector.run_id;
  if (selector.finding_id) {
    for (const forensics::FindingRow& finding : findings) {
      if (finding.client_id.empty()) continue;
      if (!selector.client) transaction_query.client = finding.client_id;
      transaction_query.finding_id.reset();
    }
  }

  std::vector<forensics::TransactionRow> transactions;
  if (std::string error = ForEachRecord(
          reader, transaction_query, kMaxReportTransactions,
          [&](const store::RecordRow& row, const wire::Record& record) {
            if (const wire::Transaction* transaction = record.body_as_Transaction()) {
              transactions.push_back(forensics::TransactionRowFromWire(*transaction, RefOf(row)));
            }
          });
      !error.empty()) {
    return Failure(error);
  }
  if (std::string error = LoadCarriedFindings(reader, transactions, findings); !error.empty()) {
    return Failure(error);
  }

  std::ostringstream out;
  ForensicAnswer answer;
  const int status = forensics::RunScopeCommand(scope, transactions, findings, IntegrityOf(info),
                                                format, out);
  answer.body = out.str();
  answer.rows = static_cast<uint32_t>(transactions.size());
  // The report's own statuses are 1 no call matched, 2 invalid and 3 unknown finding. sluicectl
  // keeps 3 for "unreachable", so an unknown finding exits 1 (docs/sluicectl.md).
  answer.exit_code = status == forensics::kScopeExitOk ? 0 : (status == forensics::kScopeExitInvalid ? 2 : 1);
  answer.ok = status == forensics::kScopeExitOk || status == forensics::kScopeExitNoCalls;
  if (!answer.ok) answer.error = answer.body;
  if (answer.body.size() > kMaxBodyBytes) {
    return Failure("the report is larger than " + std::to_string(kMaxBodyBytes >> 20) +
                   " MiB; narrow the selection");
  }
  return answer;
}

ForensicAnswer AnswerVerify(const ForensicStoreInfo& info) {
  store::VerifyReport report;
  if (std::string error = RunVerify(info, report); !error.empty()) {
    return Failure("the store check could not run: " + error);
  }
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  Key(json, "store", info.directory);
  json.Key("intact");
  json.Bool(report.ok());
  KeyNumber(json, "segments_checked", report.segments_checked);
  KeyNumber(json, "segments_sealed", report.segments_sealed);
  KeyNumber(json, "segments_open", report.segments_open);
  KeyNumber(json, "batches", report.frames);
  KeyNumber(json, "first_segment", report.first_segment);
  KeyNumber(json, "last_segment", report.last_segment);
  KeyNumber(json, "retained_from", report.retained_from);
  json.Key("problems");
  json.StartArray();
  for (const store::VerifyProblem& problem : report.problems) {
    json.StartObject();
    KeyNumber(json, "segment", problem.segment);
    Key(json, "file", problem.file);
    Key(json, "kind", problem.kind);
    Key(json, "reason", problem.reason);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  ForensicAnswer answer;
  answer.body.assign(buffer.GetString(), buffer.GetSize());
  answer.exit_code = report.ok() ? 0 : 1;
  answer.rows = static_cast<uint32_t>(report.problems.size());
  return answer;
}

ForensicAnswer AnswerFindings(store::StoreReader& reader, const command::Request& request) {
  store::RecordQuery query = QueryFromFilter(request.filter());
  query.type = store::RecordType::kFinding;
  store::QueryPage page;
  if (std::string error = reader.Query(query, page); !error.empty()) return Failure(error);

  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartArray();
  store::StoredBatch batch;
  store::RecordLocation cached{};
  bool have_batch = false;
  for (const store::RecordRow& row : page.rows) {
    if (std::string error = ReadRowBatch(reader, row, batch, cached, have_batch); !error.empty()) {
      return Failure(error);
    }
    const wire::Record* record = batch.record(row.location.record_index);
    const wire::Finding* finding = record != nullptr ? record->body_as_Finding() : nullptr;
    if (finding == nullptr) continue;
    const forensics::FindingRow finding_row = forensics::FindingRowFromWire(*finding);
    json.StartObject();
    KeyNumber(json, "finding_id", finding_row.finding_id);
    Key(json, "detector", finding_row.detector);
    Key(json, "client_kind", finding_row.client_kind);
    Key(json, "client_id", finding_row.client_id);
    KeyTime(json, "last_call_at", row.ts_ns);
    Key(json, "dataplane", row.dataplane_id);
    Key(json, "run_id", RunIdHex(row.run_id));
    json.EndObject();
  }
  json.EndArray();
  ForensicAnswer answer;
  answer.body.assign(buffer.GetString(), buffer.GetSize());
  answer.continuation = page.continuation;
  answer.rows = static_cast<uint32_t>(page.rows.size());
  return answer;
}

// One endpoint of an inventory window, merged over the workers that reported it.
struct EndpointRow {
  uint64_t calls = 0;
  uint64_t status_classes[6] = {};  // no response, 1xx, 2xx, 3xx, 4xx, 5xx
  uint64_t response_bytes = 0;
  uint64_t p50 = 0;  // upper bounds of log2 buckets; merged rows keep the largest
  uint64_t p90 = 0;
  uint64_t p99 = 0;
  uint64_t distinct_clients = 0;  // estimates, summed over workers
  uint64_t first_ts_ns = 0;
  uint64_t last_ts_ns = 0;
  bool learned = false;
};

using EndpointKey = std::tuple<std::string, std::string, std::string>;  // host, method, template

void AddEndpoint(const wire::InventoryEntry& entry, std::map<EndpointKey, EndpointRow>& endpoints) {
  const auto [found, created] =
      endpoints.try_emplace(EndpointKey{Text(entry.host()), Text(entry.method()), Text(entry.endpoint())});
  EndpointRow& row = found->second;
  row.calls += entry.calls();
  if (entry.status_classes() != nullptr) {
    for (size_t i = 0; i < entry.status_classes()->size() && i < 6; ++i) {
      row.status_classes[i] += entry.status_classes()->Get(i);
    }
  }
  row.response_bytes += entry.response_bytes();
  row.p50 = std::max(row.p50, entry.response_bytes_p50());
  row.p90 = std::max(row.p90, entry.response_bytes_p90());
  row.p99 = std::max(row.p99, entry.response_bytes_p99());
  row.distinct_clients += entry.distinct_clients();
  row.first_ts_ns = created ? entry.first_ts_ns() : std::min(row.first_ts_ns, entry.first_ts_ns());
  row.last_ts_ns = std::max(row.last_ts_ns, entry.last_ts_ns());
  row.learned = row.learned || entry.baseline_learned();
}

// Writes the busiest kMaxListedEndpoints endpoints, by calls, and how many were left out.
void WriteEndpoints(JsonWriter& json, const std::map<EndpointKey, EndpointRow>& endpoints) {
  std::vector<std::pair<const EndpointKey*, const EndpointRow*>> order;
  order.reserve(endpoints.size());
  for (const auto& [key, row] : endpoints) order.emplace_back(&key, &row);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.second->calls > b.second->calls; });
  const size_t listed = std::min(order.size(), kMaxListedEndpoints);
  json.Key("endpoints");
  json.StartArray();
  for (size_t i = 0; i < listed; ++i) {
    const auto& [host, method, endpoint] = *order[i].first;
    const EndpointRow& row = *order[i].second;
    json.StartObject();
    Key(json, "host", host);
    Key(json, "method", method);
    Key(json, "endpoint", endpoint);
    KeyNumber(json, "calls", row.calls);
    json.Key("status_classes");
    json.StartObject();
    const char* names[6] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (size_t k = 0; k < 6; ++k) KeyNumber(json, names[k], row.status_classes[k]);
    json.EndObject();
    KeyNumber(json, "response_bytes", row.response_bytes);
    KeyNumber(json, "response_bytes_p50", row.p50);
    KeyNumber(json, "response_bytes_p90", row.p90);
    KeyNumber(json, "response_bytes_p99", row.p99);
    KeyNumber(json, "distinct_clients", row.distinct_clients);
    KeyTime(json, "first_call", row.first_ts_ns);
    KeyTime(json, "last_call", row.last_ts_ns);
    json.Key("baseline_learned");
    json.Bool(row.learned);
    json.EndObject();
  }
  json.EndArray();
  KeyNumber(json, "endpoints_omitted", order.size() - listed);
}

// The newest inventory window of each data plane, with its endpoints; at most
// kMaxReportTransactions inventory records are read (--since and --until narrow them).
ForensicAnswer AnswerEndpoints(store::StoreReader& reader, const command::Request& request) {
  // "Newest" is by arrival: the run of a data plane's last stored inventory record. Each worker
  // ends its windows at its own packet times and sends the endpoints it owns, so the window is
  // each worker's last one in that run, gathered in a second pass and merged.
  struct WorkerWindow {
    uint64_t record_id = 0;  // the worker's last inventory record so far
    uint64_t start_ns = 0;
    uint64_t end_ns = 0;
  };
  struct Window {
    uint64_t record_id = 0;  // the data plane's last inventory record so far
    uint64_t run_id = 0;
    std::map<std::pair<uint64_t, uint16_t>, WorkerWindow> workers;  // by run and worker
    std::map<EndpointKey, EndpointRow> endpoints;
  };
  std::map<std::string, Window> latest;
  store::RecordQuery query = QueryFromFilter(request.filter());
  query.continuation.clear();
  query.type = store::RecordType::kInventory;
  const auto find_last = [&](const store::RecordRow& row, const wire::Record& record) {
    const wire::Inventory* inventory = record.body_as_Inventory();
    if (inventory == nullptr) return;
    Window& window = latest[row.dataplane_id];
    if (row.id >= window.record_id) {
      window.record_id = row.id;
      window.run_id = row.run_id;
    }
    WorkerWindow& worker = window.workers[{row.run_id, row.worker_id}];
    if (row.id >= worker.record_id) worker = {row.id, inventory->window_start_ns(), inventory->window_end_ns()};
  };
  if (std::string error = ForEachRecord(reader, query, kMaxReportTransactions, find_last); !error.empty()) {
    return Failure(error);
  }
  const auto gather = [&](const store::RecordRow& row, const wire::Record& record) {
    const wire::Inventory* inventory = record.body_as_Inventory();
    const auto found = latest.find(row.dataplane_id);
    if (inventory == nullptr || inventory->entries() == nullptr || found == latest.end()) return;
    Window& window = found->second;
    const auto worker = window.workers.find({row.run_id, row.worker_id});
    if (row.run_id != window.run_id || worker == window.workers.end() ||
        inventory->window_end_ns() != worker->second.end_ns) {
      return;
    }
    for (const wire::InventoryEntry* entry : *inventory->entries()) AddEndpoint(*entry, window.endpoints);
  };
  if (std::string error = ForEachRecord(reader, query, kMaxReportTransactions, gather); !error.empty()) {
    return Failure(error);
  }

  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartArray();
  for (const auto& [dataplane, window] : latest) {
    // The window shown spans the workers' windows in the run.
    uint64_t start_ns = UINT64_MAX;
    uint64_t end_ns = 0;
    for (const auto& [key, worker] : window.workers) {
      if (key.first != window.run_id) continue;
      start_ns = std::min(start_ns, worker.start_ns);
      end_ns = std::max(end_ns, worker.end_ns);
    }
    json.StartObject();
    Key(json, "dataplane", dataplane);
    Key(json, "run_id", RunIdHex(window.run_id));
    KeyTime(json, "window_start", start_ns == UINT64_MAX ? 0 : start_ns);
    KeyTime(json, "window_end", end_ns);
    WriteEndpoints(json, window.endpoints);
    json.EndObject();
  }
  json.EndArray();
  if (buffer.GetSize() > kMaxBodyBytes) {
    return Failure("the endpoint inventories are larger than " + std::to_string(kMaxBodyBytes >> 20) +
                   " MiB; read the inventory records with records export instead");
  }
  ForensicAnswer answer;
  answer.body.assign(buffer.GetString(), buffer.GetSize());
  answer.rows = static_cast<uint32_t>(latest.size());
  return answer;
}

}  // namespace

bool IsForensicVerb(command::Verb verb) {
  return verb >= command::Verb::RecordsQuery && verb <= command::Verb::ShowFindings;
}

ForensicAnswer AnswerForensicRequest(const ForensicStoreInfo& info,
                                     const command::Request& request) {
  store::StoreReader reader;
  if (std::string error = OpenReader(info, reader); !error.empty()) return Failure(error);
  ForensicAnswer answer;
  switch (request.verb()) {
    case command::Verb::RecordsQuery: answer = AnswerQuery(reader, request); break;
    case command::Verb::RecordsTimeline: answer = AnswerTimeline(reader, request); break;
    case command::Verb::RecordsExport: answer = AnswerExport(reader, request); break;
    case command::Verb::ReportScope: answer = AnswerScope(info, reader, request); break;
    case command::Verb::Verify: answer = AnswerVerify(info); break;
    case command::Verb::ShowEndpoints: answer = AnswerEndpoints(reader, request); break;
    case command::Verb::ShowFindings: answer = AnswerFindings(reader, request); break;
    default: return Failure("not a forensic verb");
  }
  if (answer.body.size() > kMaxBodyBytes) {
    return Failure("the answer is larger than " + std::to_string(kMaxBodyBytes >> 20) +
                   " MiB; ask for fewer rows with --limit");
  }
  return answer;
}

}  // namespace sluice::control
