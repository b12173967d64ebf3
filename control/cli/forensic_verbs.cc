#include <charconv>
#include <optional>
#include "control/cli/forensic_verbs.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <tuple>
#include <utility>

#include "control/cli/exit_codes.h"
#include "control/cli/render.h"
#include "control/cli/table.h"
#include "control/cli/time_arg.h"

namespace sluice::cli {
namespace {

using command::Verb;

// Maximum rows sluice-control returns in one page (kMaxPageRows in forensic_requests.h).
constexpr uint32_t kPageRows = 1000;

uint64_t WallNanos() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

std::string Text(const flatbuffers::String* text) { return text == nullptr ? "" : text->str(); }

int PrintError(const ChannelSettings& channel, const std::string& error, int exit_code) {
  if (channel.json) std::fputs(ErrorJson(error, exit_code).c_str(), stdout);
  std::fprintf(stderr, "sluicectl: error: %s\n", error.c_str());
  return exit_code;
}

// The filter of one request, with the time arguments parsed.
struct Filter {
  uint64_t since_ns = 0;
  uint64_t until_ns = 0;
  std::optional<uint64_t> run_id;
  const ForensicOptions* options = nullptr;
  uint32_t limit = 0;
  std::string continuation;
  bool header = false;
};

bool MakeFilter(const ForensicOptions& options, Filter* filter, std::string* error) {
  const uint64_t now = WallNanos();
  filter->options = &options;
  if (!options.since.empty() && !ParseTimeArgument(options.since, now, &filter->since_ns, error)) {
    return false;
  }
  if (!options.until.empty() && !ParseTimeArgument(options.until, now, &filter->until_ns, error)) {
    return false;
  }
  if (filter->until_ns != 0 && filter->since_ns >= filter->until_ns) {
    *error = "--since must be before --until";
    return false;
  }
  if (!options.run.empty()) {
    uint64_t run_id = 0;
    const char* end = options.run.data() + options.run.size();
    const auto [at, failure] = std::from_chars(options.run.data(), end, run_id, 16);
    if (failure != std::errc() || at != end || options.run.size() != 16) {
      *error = "--run " + options.run + " is not a run id; give the 16 hex digits of sluice.run_id";
      return false;
    }
    filter->run_id = run_id;
  }
  filter->continuation = options.continuation;
  return true;
}

std::vector<uint8_t> BuildForensicRequest(Verb verb, const Filter& filter) {
  const ForensicOptions& options = *filter.options;
  flatbuffers::FlatBufferBuilder fbb(1024);
  auto optional_string = [&fbb](const std::string& text) {
    return text.empty() ? 0 : fbb.CreateString(text);
  };
  const auto client = optional_string(options.client);
  const auto endpoint = optional_string(options.endpoint);
  const auto pii_type = optional_string(options.pii_type);
  const auto continuation = optional_string(filter.continuation);
  const auto format = optional_string(options.format);
  command::RecordFilterBuilder builder(fbb);
  builder.add_since_ns(filter.since_ns);
  builder.add_until_ns(filter.until_ns);
  builder.add_client(client);
  builder.add_endpoint(endpoint);
  builder.add_status(static_cast<uint16_t>(options.status));
  const bool has_rule = options.rule_option != nullptr && options.rule_option->count() > 0;
  const bool has_finding = options.finding_option != nullptr && options.finding_option->count() > 0;
  builder.add_has_rule_id(has_rule);
  builder.add_rule_id(options.rule_id);
  builder.add_has_finding_id(has_finding);
  builder.add_finding_id(options.finding_id);
  builder.add_pii_type(pii_type);
  builder.add_limit(filter.limit);
  builder.add_continuation(continuation);
  builder.add_format(format);
  builder.add_header(filter.header);
  builder.add_has_run_id(filter.run_id.has_value());
  builder.add_run_id(filter.run_id.value_or(0));
  const auto filter_offset = builder.Finish();
  const uint64_t request_id =
      (static_cast<uint64_t>(getpid()) << 32) | static_cast<uint32_t>(time(nullptr));
  command::RequestBuilder request(fbb);
  request.add_request_id(request_id);
  request.add_verb(verb);
  request.add_filter(filter_offset);
  fbb.Finish(request.Finish());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// One request and its verified response. Returns kExitOk, or the exit status after printing why.
int Ask(const ChannelSettings& channel, Verb verb, const Filter& filter, ClientResult* result) {
  *result = SendRequest(channel.client, BuildForensicRequest(verb, filter));
  if (result->exit_code != kExitOk) return PrintError(channel, result->error, result->exit_code);
  const command::Response& response = *result->Get();
  if (!response.ok()) {
    std::string error = Text(response.error());
    if (error.empty()) error = "sluice-control reported a failure";
    while (!error.empty() && error.back() == '\n') error.pop_back();
    if (error.rfind("error: ", 0) == 0) error.erase(0, 7);
    const int code = response.exit_code() == 0 ? kExitFailed : response.exit_code();
    return PrintError(channel, error, code);
  }
  return kExitOk;
}

// Pages of rows: requests pages until `want` rows came or the store has no more. Appends each
// page's JSON array elements to `rows`.
int FetchRows(const ChannelSettings& channel, Verb verb, Filter filter, uint32_t want,
              rapidjson::Document* rows, std::string* next) {
  rows->SetArray();
  while (rows->Size() < want) {
    filter.limit = std::min(kPageRows, want - rows->Size());
    ClientResult result;
    if (const int code = Ask(channel, verb, filter, &result); code != kExitOk) return code;
    const command::Response& response = *result.Get();
    rapidjson::Document page;
    page.Parse(Text(response.body()).c_str());
    if (!page.IsArray()) return PrintError(channel, "sluice-control sent an invalid page", kExitFailed);
    for (auto& row : page.GetArray()) rows->PushBack(rapidjson::Value(row, rows->GetAllocator()),
                                                     rows->GetAllocator());
    *next = Text(response.continuation());
    if (next->empty()) break;
    filter.continuation = *next;
  }
  return kExitOk;
}

std::string String(const rapidjson::Value& row, const char* key) {
  if (!row.HasMember(key) || !row[key].IsString()) return "";
  return row[key].GetString();
}

uint64_t Number(const rapidjson::Value& row, const char* key) {
  if (!row.HasMember(key) || !row[key].IsUint64()) return 0;
  return row[key].GetUint64();
}

std::string JoinNumbers(const rapidjson::Value& row, const char* key) {
  std::string text;
  if (!row.HasMember(key) || !row[key].IsArray()) return "-";
  for (const auto& value : row[key].GetArray()) {
    if (!text.empty()) text += ",";
    text += std::to_string(value.GetUint64());
  }
  return text.empty() ? "-" : text;
}

// "response email:3,phone:1; request jwt:1".
std::string PiiText(const rapidjson::Value& row) {
  std::string text;
  if (!row.HasMember("pii") || !row["pii"].IsArray()) return "-";
  for (const auto& pii : row["pii"].GetArray()) {
    if (!text.empty()) text += ",";
    text += (String(pii, "direction") == "request" ? "req:" : "") + String(pii, "type") + ":" +
            std::to_string(Number(pii, "count"));
  }
  return text.empty() ? "-" : text;
}

std::string Dash(const std::string& text) { return text.empty() ? "-" : text; }

std::string ClientText(const rapidjson::Value& row) {
  const std::string id = String(row, "client_id");
  const std::string address = String(row, "client_ip");
  if (!id.empty() && id != address) return id + " (" + Dash(address) + ")";
  return Dash(address);
}

std::string PathText(const rapidjson::Value& row) {
  const std::string endpoint = String(row, "endpoint");
  return endpoint.empty() ? Dash(String(row, "url_path")) : endpoint;
}

std::string RowsJson(const rapidjson::Document& rows, const std::string& next, const char* key,
                     const std::string& extra_key = "", const std::string& extra_value = "") {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> json(buffer);
  json.StartObject();
  json.Key("ok");
  json.Bool(true);
  if (!extra_key.empty()) {
    json.Key(extra_key.c_str());
    json.String(extra_value.c_str());
  }
  json.Key(key);
  rows.Accept(json);
  json.Key("continuation");
  json.String(next.c_str());
  json.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

void PrintContinuation(const std::string& next) {
  if (!next.empty()) std::printf("more records: repeat with --continue %s\n", next.c_str());
}

int RunRecordsQuery(const ChannelSettings& channel, const ForensicOptions& options) {
  Filter filter;
  std::string error;
  if (!MakeFilter(options, &filter, &error)) return PrintError(channel, error, kExitUsage);
  rapidjson::Document rows;
  std::string next;
  if (const int code = FetchRows(channel, Verb::RecordsQuery, filter, options.limit, &rows, &next);
      code != kExitOk) {
    return code;
  }
  if (channel.json) {
    std::fputs(RowsJson(rows, next, "records").c_str(), stdout);
  } else if (rows.Empty()) {
    std::printf("no records match\n");
  } else {
    Table table({"TIME", "TYPE", "CLIENT", "METHOD", "HOST", "ENDPOINT/PATH", "STATUS", "REQ_BYTES",
                 "RESP_BYTES", "PII", "RULES", "FINDINGS"});
    for (size_t column : {6, 7, 8}) table.AlignRight(column);
    for (const auto& row : rows.GetArray()) {
      const uint64_t status = Number(row, "status");
      table.AddRow({String(row, "timestamp"), String(row, "type"), ClientText(row),
                    Dash(String(row, "method")), Dash(String(row, "host")), PathText(row),
                    status == 0 ? "-" : std::to_string(status),
                    std::to_string(Number(row, "request_bytes")),
                    std::to_string(Number(row, "response_bytes")), PiiText(row),
                    JoinNumbers(row, "rule_ids"), JoinNumbers(row, "finding_ids")});
    }
    std::fputs(table.Render().c_str(), stdout);
    std::printf("%u record(s)\n", rows.Size());
    PrintContinuation(next);
  }
  return rows.Empty() ? kExitFailed : kExitOk;
}

int RunRecordsTimeline(const ChannelSettings& channel, const ForensicOptions& options) {
  Filter filter;
  std::string error;
  if (!MakeFilter(options, &filter, &error)) return PrintError(channel, error, kExitUsage);
  rapidjson::Document rows;
  std::string next;
  if (const int code =
          FetchRows(channel, Verb::RecordsTimeline, filter, options.limit, &rows, &next);
      code != kExitOk) {
    return code;
  }
  if (channel.json) {
    std::fputs(RowsJson(rows, next, "records", "client", options.client).c_str(), stdout);
  } else if (rows.Empty()) {
    std::printf("no records of client %s\n", options.client.c_str());
  } else {
    std::printf("client %s: %u record(s) from %s to %s\n\n", options.client.c_str(), rows.Size(),
                String(rows[0], "timestamp").c_str(),
                String(rows[rows.Size() - 1], "timestamp").c_str());
    Table table({"TIME", "TYPE", "METHOD", "HOST", "ENDPOINT/PATH", "STATUS", "REQ_BYTES",
                 "RESP_BYTES", "PII", "RULES", "FINDINGS"});
    for (size_t column : {5, 6, 7}) table.AlignRight(column);
    for (const auto& row : rows.GetArray()) {
      const uint64_t status = Number(row, "status");
      table.AddRow({String(row, "timestamp"), String(row, "type"), Dash(String(row, "method")),
                    Dash(String(row, "host")), PathText(row),
                    status == 0 ? "-" : std::to_string(status),
                    std::to_string(Number(row, "request_bytes")),
                    std::to_string(Number(row, "response_bytes")), PiiText(row),
                    JoinNumbers(row, "rule_ids"), JoinNumbers(row, "finding_ids")});
    }
    std::fputs(table.Render().c_str(), stdout);
    PrintContinuation(next);
  }
  return rows.Empty() ? kExitFailed : kExitOk;
}

// Writes each page to --output (or stdout) as it arrives, so no message carries the whole export.
int RunRecordsExport(const ChannelSettings& channel, const ForensicOptions& options) {
  if (options.format != "jsonl" && options.format != "csv") {
    return PrintError(channel, "--format must be jsonl or csv", kExitUsage);
  }
  Filter filter;
  std::string error;
  if (!MakeFilter(options, &filter, &error)) return PrintError(channel, error, kExitUsage);
  std::FILE* out = stdout;
  if (!options.output.empty()) {
    out = std::fopen(options.output.c_str(), "wb");
    if (out == nullptr) {
      return PrintError(channel,
                        "cannot write '" + options.output + "': " + std::strerror(errno),
                        kExitUsage);
    }
  }
  uint64_t written = 0;
  int code = kExitOk;
  filter.limit = kPageRows;
  filter.header = options.format == "csv";
  while (true) {
    ClientResult result;
    code = Ask(channel, Verb::RecordsExport, filter, &result);
    if (code != kExitOk) break;
    const command::Response& response = *result.Get();
    const flatbuffers::String* body = response.body();
    if (body != nullptr && std::fwrite(body->data(), 1, body->size(), out) != body->size()) {
      code = PrintError(channel, "cannot write the export: " + std::string(std::strerror(errno)),
                        kExitFailed);
      break;
    }
    written += response.rows();
    filter.header = false;
    filter.continuation = Text(response.continuation());
    if (filter.continuation.empty()) break;
  }
  if (out != stdout && std::fclose(out) != 0 && code == kExitOk) {
    code = PrintError(channel, "cannot write '" + options.output + "'", kExitFailed);
  }
  if (code != kExitOk || options.output.empty()) return code;
  if (channel.json) {
    std::printf("{\"ok\":true,\"format\":\"%s\",\"records\":%llu,\"output\":\"%s\"}\n",
                options.format.c_str(), static_cast<unsigned long long>(written),
                options.output.c_str());
  } else {
    std::printf("wrote %llu record(s) as %s to %s\n", static_cast<unsigned long long>(written),
                options.format.c_str(), options.output.c_str());
  }
  return kExitOk;
}

int RunReportScope(const ChannelSettings& channel, ForensicOptions options) {
  if (channel.json) options.format = "json";
  if (options.format != "text" && options.format != "json" && options.format != "html") {
    return PrintError(channel, "--format must be text, json or html", kExitUsage);
  }
  const bool has_finding = options.finding_option != nullptr && options.finding_option->count() > 0;
  if (!has_finding && options.run.empty() && options.client.empty() && options.endpoint.empty() &&
      options.since.empty() && options.until.empty()) {
    return PrintError(channel, "give --finding, --run, --client, --endpoint, --since or --until",
                      kExitUsage);
  }
  Filter filter;
  std::string error;
  if (!MakeFilter(options, &filter, &error)) return PrintError(channel, error, kExitUsage);
  ClientResult result;
  if (const int code = Ask(channel, Verb::ReportScope, filter, &result); code != kExitOk) {
    return code;
  }
  const command::Response& response = *result.Get();
  const std::string body = Text(response.body());
  if (options.output.empty()) {
    std::fputs(body.c_str(), stdout);
    return response.exit_code();
  }
  std::FILE* out = std::fopen(options.output.c_str(), "wb");
  if (out == nullptr || std::fwrite(body.data(), 1, body.size(), out) != body.size() ||
      std::fclose(out) != 0) {
    return PrintError(channel, "cannot write '" + options.output + "': " + std::strerror(errno),
                      kExitFailed);
  }
  if (!channel.json) {
    std::printf("wrote the %s report (%zu bytes, %u transactions examined) to %s\n",
                options.format.c_str(), body.size(), response.rows(), options.output.c_str());
  }
  return response.exit_code();
}

int RunVerify(const ChannelSettings& channel) {
  ForensicOptions none;
  Filter filter;
  filter.options = &none;
  ClientResult result;
  if (const int code = Ask(channel, Verb::Verify, filter, &result); code != kExitOk) return code;
  const command::Response& response = *result.Get();
  const std::string body = Text(response.body());
  rapidjson::Document report;
  report.Parse(body.c_str());
  if (!report.IsObject()) return PrintError(channel, "sluice-control sent an invalid report", kExitFailed);
  if (channel.json) {
    std::printf("{\"ok\":true,\"verify\":%s}\n", body.c_str());
    return response.exit_code();
  }
  for (const auto& problem : report["problems"].GetArray()) {
    // Some reasons start with their kind already ("corrupt: frame fails its checksum").
    const std::string kind = String(problem, "kind");
    const std::string reason = String(problem, "reason");
    const bool has_kind = reason.rfind(kind + ":", 0) == 0;
    std::printf("BROKEN %s %s\n", String(problem, "file").c_str(),
                (has_kind ? reason : kind + ": " + reason).c_str());
  }
  const bool intact = report["intact"].GetBool();
  std::printf("%s: store %s, %llu segment(s) checked (%llu sealed, %llu open), %llu batches, "
              "segments %llu to %llu, %u problem(s)\n",
              intact ? "intact" : "BROKEN", String(report, "store").c_str(),
              static_cast<unsigned long long>(Number(report, "segments_checked")),
              static_cast<unsigned long long>(Number(report, "segments_sealed")),
              static_cast<unsigned long long>(Number(report, "segments_open")),
              static_cast<unsigned long long>(Number(report, "batches")),
              static_cast<unsigned long long>(Number(report, "first_segment")),
              static_cast<unsigned long long>(Number(report, "last_segment")),
              report["problems"].Size());
  if (Number(report, "retained_from") > 0) {
    std::printf("segments before %llu were deleted by retention\n",
                static_cast<unsigned long long>(Number(report, "retained_from")));
  }
  return response.exit_code();
}

int RunShowFindings(const ChannelSettings& channel, const ForensicOptions& options) {
  Filter filter;
  std::string error;
  if (!MakeFilter(options, &filter, &error)) return PrintError(channel, error, kExitUsage);
  rapidjson::Document rows;
  std::string next;
  if (const int code = FetchRows(channel, Verb::ShowFindings, filter, options.limit, &rows, &next);
      code != kExitOk) {
    return code;
  }
  if (channel.json) {
    std::fputs(RowsJson(rows, next, "findings").c_str(), stdout);
    return kExitOk;
  }
  if (rows.Empty()) {
    std::printf("no findings in the store%s\n", options.since.empty() ? "" : " in that time range");
    return kExitOk;
  }
  Table table({"FINDING", "DETECTOR", "CLIENT_KIND", "CLIENT", "LAST_CALL_AT", "DATAPLANE", "RUN"});
  table.AlignRight(0);
  for (const auto& row : rows.GetArray()) {
    table.AddRow({std::to_string(Number(row, "finding_id")), Dash(String(row, "detector")),
                  Dash(String(row, "client_kind")), Dash(String(row, "client_id")),
                  String(row, "last_call_at"), String(row, "dataplane"), String(row, "run_id")});
  }
  std::fputs(table.Render().c_str(), stdout);
  std::printf("%u finding(s)\n", rows.Size());
  PrintContinuation(next);
  return kExitOk;
}

int RunShowEndpoints(const ChannelSettings& channel, const ForensicOptions& options) {
  Filter filter;
  std::string error;
  if (!MakeFilter(options, &filter, &error)) return PrintError(channel, error, kExitUsage);
  ClientResult result;
  if (const int code = Ask(channel, Verb::ShowEndpoints, filter, &result); code != kExitOk) {
    return code;
  }
  rapidjson::Document rows;
  rows.Parse(Text(result.Get()->body()).c_str());
  if (!rows.IsArray()) return PrintError(channel, "sluice-control sent an invalid response", kExitFailed);
  if (channel.json) {
    std::fputs(RowsJson(rows, "", "inventories").c_str(), stdout);
    return kExitOk;
  }
  if (rows.Empty()) {
    std::printf("no endpoint inventory received yet: the data planes send one per inventory "
                "window once their endpoint learning runs\n");
    return kExitOk;
  }
  for (const auto& row : rows.GetArray()) {
    std::printf("data plane %s, run %s, window %s to %s\n", String(row, "dataplane").c_str(),
                String(row, "run_id").c_str(), String(row, "window_start").c_str(),
                String(row, "window_end").c_str());
    if (!row.HasMember("endpoints") || !row["endpoints"].IsArray() || row["endpoints"].Empty()) {
      std::printf("  no endpoints in this window\n");
      continue;
    }
    Table table({"HOST", "METHOD", "ENDPOINT", "CALLS", "2XX", "4XX", "5XX", "P90_BYTES", "CLIENTS", "BASELINE"});
    for (size_t column = 3; column <= 8; ++column) table.AlignRight(column);
    for (const auto& endpoint : row["endpoints"].GetArray()) {
      const auto status = [&endpoint](const char* name) {
        const auto classes = endpoint.FindMember("status_classes");
        const bool known = classes != endpoint.MemberEnd() && classes->value.IsObject();
        return std::to_string(known ? Number(classes->value, name) : 0);
      };
      table.AddRow({String(endpoint, "host"), String(endpoint, "method"), String(endpoint, "endpoint"),
                    std::to_string(Number(endpoint, "calls")), status("2xx"), status("4xx"), status("5xx"),
                    std::to_string(Number(endpoint, "response_bytes_p90")),
                    std::to_string(Number(endpoint, "distinct_clients")),
                    endpoint.HasMember("baseline_learned") && endpoint["baseline_learned"].IsBool() &&
                            endpoint["baseline_learned"].GetBool()
                        ? "learned"
                        : "learning"});
    }
    std::fputs(table.Render().c_str(), stdout);
    const uint64_t omitted = Number(row, "endpoints_omitted");
    if (omitted > 0) std::printf("  %llu less busy endpoints not listed\n", static_cast<unsigned long long>(omitted));
  }
  return kExitOk;
}

// Accepts decimal digits only, so that "abc" is reported as no number rather than out of range.
const CLI::Validator kWholeNumber(
    [](std::string& value) {
      const bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
      return digits ? std::string() : "'" + value + "' is not a whole number";
    },
    "NUMBER");

void AddFilterOptions(CLI::App& verb, ForensicOptions& options, bool paging) {
  verb.add_option("--since", options.since,
                  "Only records at or after this time: RFC 3339, a date or a duration before now "
                  "(1h, 2d)");
  verb.add_option("--until", options.until, "Only records before this time (same forms)");
  if (!paging) return;
  verb.add_option("--limit", options.limit, "Maximum number of records to print (fetched in pages of 1000)")
      ->default_val(100)
      ->check(kWholeNumber)
      ->check(CLI::Range(1u, 10'000'000u));
  verb.add_option("--continue", options.continuation,
                  "Continuation token printed by the previous call, for the next records");
}

// Returns the --rule and --finding options of `verb`, which the verb's callback installs in
// `options` (the verbs share one ForensicOptions).
std::pair<CLI::Option*, CLI::Option*> AddRecordFilters(CLI::App& verb, ForensicOptions& options) {
  verb.add_option("--client", options.client, "Client address or client id (pseudonym)");
  verb.add_option("--endpoint", options.endpoint, "Endpoint template, e.g. /users/{id}");
  verb.add_option("--status", options.status, "HTTP status code")->check(kWholeNumber)->check(CLI::Range(100u, 599u));
  CLI::Option* rule = verb.add_option("--rule", options.rule_id, "Rule id that matched");
  CLI::Option* finding = verb.add_option("--finding", options.finding_id, "Finding id");
  verb.add_option("--run", options.run,
                  "Only records of this data plane run: its run id, 16 hex digits (finding ids "
                  "restart with every run)");
  verb.add_option("--pii-type", options.pii_type,
                  "Personal-data type found in the request or response (email, iban, ...)");
  return {rule, finding};
}

}  // namespace

void AddForensicVerbs(CLI::App& app, CLI::App& show, ForensicOptions& options,
                      std::function<ChannelSettings()> channel, int& status) {
  auto* records = app.add_subcommand("records", "Query the stored records, show one client's timeline, or export them");
  records->require_subcommand(1);

  auto* query = records->add_subcommand(
      "query", "Records matching every filter given, oldest first (exit 1 when none match)");
  AddFilterOptions(*query, options, true);
  const auto query_filters = AddRecordFilters(*query, options);
  query->callback([&options, channel, &status, query_filters] {
    std::tie(options.rule_option, options.finding_option) = query_filters;
    status = RunRecordsQuery(channel(), options);
  });

  auto* timeline = records->add_subcommand(
      "timeline", "Everything one client did, in order, with what each call received");
  timeline->add_option("--client", options.client, "Client address or client id")->required();
  AddFilterOptions(*timeline, options, true);
  timeline->callback(
      [&options, channel, &status] { status = RunRecordsTimeline(channel(), options); });

  auto* exporter = records->add_subcommand(
      "export", "Write every matching record as ECS JSON lines or as CSV without packet data");
  exporter->add_option("--format", options.format, "jsonl or csv")->required();
  exporter->add_option("--output", options.output, "File to write; default: standard output");
  AddFilterOptions(*exporter, options, false);
  const auto export_filters = AddRecordFilters(*exporter, options);
  exporter->callback([&options, channel, &status, export_filters] {
    std::tie(options.rule_option, options.finding_option) = export_filters;
    status = RunRecordsExport(channel(), options);
  });

  auto* report = app.add_subcommand("report", "Reports built from the forensic store");
  report->require_subcommand(1);
  auto* scope = report->add_subcommand(
      "scope", "What a finding, client, endpoint or time range exposed: endpoints, calls, PII "
               "types and items, clients, deep/shallow and narrow/broad, with the evidence");
  auto* finding = scope->add_option("--finding", options.finding_id, "Finding id");
  scope->add_option("--run", options.run,
                    "Only calls of this data plane run: its run id, 16 hex digits (finding ids "
                    "restart with every run, so this names the run of --finding)");
  scope->add_option("--client", options.client, "Client address or client id");
  scope->add_option("--endpoint", options.endpoint, "Endpoint template");
  AddFilterOptions(*scope, options, false);
  scope->add_option("--format", options.format, "text, json or html")->default_val("text");
  scope->add_option("--output", options.output, "File to write the report to (use with html)");
  scope->callback([&options, channel, &status, finding] {
    options.finding_option = finding;
    options.rule_option = nullptr;
    status = RunReportScope(channel(), options);
  });

  app.add_subcommand("verify",
                     "Check the forensic store's hash chain and signatures and name every "
                     "broken segment (exit 0 intact, 1 broken)")
      ->callback([channel, &status] { status = RunVerify(channel()); });

  auto* endpoints = show.add_subcommand(
      "endpoints", "The endpoints of each data plane's newest inventory window, busiest first");
  AddFilterOptions(*endpoints, options, false);
  endpoints->callback([&options, channel, &status] { status = RunShowEndpoints(channel(), options); });
  auto* findings = show.add_subcommand("findings", "Detector findings in the store, oldest first");
  AddFilterOptions(*findings, options, true);
  findings->callback([&options, channel, &status] { status = RunShowFindings(channel(), options); });
}

}  // namespace sluice::cli
