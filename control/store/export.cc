#include "control/store/export.h"

#include "control/sinks/ecs_json.h"
#include "control/sinks/rfc3339.h"
#include "control/sinks/run_id.h"

namespace sluice::control::store {
namespace {

constexpr const char* kVerdictNames[] = {"pass", "tag", "block", "would_block"};

void AppendCell(std::string& line, std::string_view text) {
  if (!line.empty()) line.push_back(',');
  const bool formula = !text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' ||
                                         text[0] == '@' || text[0] == '\t' || text[0] == '\r');
  const bool quote = formula || text.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    line.append(text);
    return;
  }
  line.push_back('"');
  if (formula) line.push_back('\'');
  for (const char c : text) {
    if (c == '"') line.push_back('"');
    line.push_back(c);
  }
  line.push_back('"');
}

void AppendNumber(std::string& line, uint64_t value, bool present = true) {
  AppendCell(line, present ? std::to_string(value) : std::string());
}

template <typename T>
std::string JoinNumbers(const std::vector<T>& values) {
  std::string text;
  for (const T value : values) {
    if (!text.empty()) text.push_back(';');
    text += std::to_string(value);
  }
  return text;
}

std::string JoinPii(const std::vector<PiiSummary>& list, PiiDirection direction) {
  std::string text;
  for (const PiiSummary& pii : list) {
    if (pii.direction != direction) continue;
    if (!text.empty()) text.push_back(';');
    text += pii.type + ":" + std::to_string(pii.count);
  }
  return text;
}

bool WriteText(std::FILE* out, std::string_view text) {
  return std::fwrite(text.data(), 1, text.size(), out) == text.size();
}

}  // namespace

std::string FormatCsvRow(const RecordRow& row) {
  std::string line;
  char timestamp[kRfc3339NanosSize];
  line.append(FormatRfc3339Nanos(row.ts_ns, timestamp));
  AppendCell(line, RecordTypeName(row.type));
  AppendCell(line, row.dataplane_id);
  AppendCell(line, RunIdHex(row.run_id));
  AppendNumber(line, row.worker_id);
  AppendNumber(line, row.sequence);
  AppendCell(line, row.client_ip);
  AppendNumber(line, row.client_port, !row.client_ip.empty());
  AppendCell(line, row.server_ip);
  AppendNumber(line, row.server_port, !row.server_ip.empty());
  AppendCell(line, row.client_kind);
  AppendCell(line, row.client_id);
  AppendCell(line, row.host);
  AppendCell(line, row.method);
  AppendCell(line, row.url_path);
  AppendCell(line, row.endpoint);
  AppendNumber(line, row.status, row.status != 0);
  const bool has_bytes = row.type == RecordType::kTransaction || row.type == RecordType::kFlowSummary;
  AppendNumber(line, row.request_bytes, has_bytes);
  AppendNumber(line, row.response_bytes, has_bytes);
  AppendCell(line, row.verdict >= 0 && row.verdict < 4 ? kVerdictNames[row.verdict] : "");
  AppendCell(line, JoinNumbers(row.rule_ids));
  AppendCell(line, JoinNumbers(row.finding_ids));
  AppendCell(line, JoinPii(row.pii, PiiDirection::kRequest));
  AppendCell(line, JoinPii(row.pii, PiiDirection::kResponse));
  AppendCell(line, row.detector);
  return line;
}

std::string ExportCsv(StoreReader& reader, const RecordQuery& query, std::FILE* out,
                      uint64_t& written) {
  written = 0;
  if (!WriteText(out, std::string(kCsvHeader) + "\r\n")) return "cannot write the CSV output";
  RecordQuery page_query = query;
  while (true) {
    QueryPage page;
    if (std::string error = reader.Query(page_query, page); !error.empty()) return error;
    for (const RecordRow& row : page.rows) {
      if (!WriteText(out, FormatCsvRow(row) + "\r\n")) return "cannot write the CSV output";
      ++written;
    }
    if (page.continuation.empty()) return {};
    page_query.continuation = page.continuation;
  }
}

std::string ExportJsonl(StoreReader& reader, const RecordQuery& query, std::FILE* out,
                        uint64_t& written) {
  written = 0;
  EcsFormatter formatter;
  StoredBatch batch;
  RecordLocation cached{};
  bool have_batch = false;
  RecordQuery page_query = query;
  while (true) {
    QueryPage page;
    if (std::string error = reader.Query(page_query, page); !error.empty()) return error;
    for (const RecordRow& row : page.rows) {
      // Rows of one batch are usually adjacent, so one decompressed frame serves them all.
      if (!have_batch || cached.segment != row.location.segment ||
          cached.offset != row.location.offset) {
        if (std::string error = reader.ReadBatch(row.location, batch); !error.empty()) {
          return error;
        }
        cached = row.location;
        have_batch = true;
      }
      const wire::Record* record = batch.record(row.location.record_index);
      if (record == nullptr) {
        return "record " + std::to_string(row.location.record_index) + " is missing from its "
               "stored batch";
      }
      const wire::Batch& header = *batch.batch();
      const BatchContext context{header.dataplane_id()->string_view(), header.run_id(),
                                 header.worker_id(), header.sequence()};
      // Record types the formatter does not write (findings, inventory, gaps today) are skipped.
      if (formatter.Format(*record, context) != FormatResult::kOk) continue;
      if (!WriteText(out, formatter.line())) return "cannot write the JSON-lines output";
      ++written;
    }
    if (page.continuation.empty()) return {};
    page_query.continuation = page.continuation;
  }
}

}  // namespace sluice::control::store
