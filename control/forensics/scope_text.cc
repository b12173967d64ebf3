// The text form of the scope report: a header, the classification and one table per subject.
#include <algorithm>
#include <string>
#include <vector>

#include "control/forensics/scope_format.h"
#include "control/forensics/scope_render.h"
#include "control/sinks/run_id.h"

namespace sluice::control::forensics {
namespace {

// Cells longer than this are cut with "..." so one hostile path cannot stretch every row.
constexpr size_t kMaxCellWidth = 72;

// Counts code points, which is the column width for the scripts API paths and hosts use.
size_t DisplayWidth(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  }));
}

std::string Cell(std::string_view text) {
  std::string safe = TerminalSafe(text);
  if (DisplayWidth(safe) <= kMaxCellWidth) return safe;
  size_t cut = 0;
  for (size_t seen = 0; cut < safe.size(); ++cut) {
    if ((static_cast<uint8_t>(safe[cut]) & 0xC0) != 0x80 && seen++ == kMaxCellWidth - 3) break;
  }
  return safe.substr(0, cut) + "...";
}

// Left-aligned columns separated by two spaces; every cell is already terminal-safe.
void WriteTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<size_t> widths(header.size());
  for (size_t i = 0; i < header.size(); ++i) widths[i] = DisplayWidth(header[i]);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  const auto write_row = [&](const std::vector<std::string>& row) {
    std::string line = "  ";
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - DisplayWidth(row[i]) + 2, ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << "\n";
  };
  write_row(header);
  for (const auto& row : rows) write_row(row);
  if (rows.empty()) out << "  (none)\n";
}

std::string Count(uint64_t value, bool lower_bound) {
  return (lower_bound ? "at least " : "") + GroupDigits(value);
}

std::string StatusText(const StatusClasses& s) {
  return "1xx " + GroupDigits(s.informational) + ", 2xx " + GroupDigits(s.success) + ", 3xx " +
         GroupDigits(s.redirection) + ", 4xx " + GroupDigits(s.client_error) + ", 5xx " +
         GroupDigits(s.server_error) + ", no response " + GroupDigits(s.none);
}

std::string ReasonText(const ClassificationReason& reason) {
  return reason.measure + " " + GroupDigits(reason.value) + " " + reason.comparison + " " +
         GroupDigits(reason.threshold) + ": " + (reason.met ? "yes" : "no");
}

void WriteHeader(const ScopeReport& report, const IntegrityStatus& integrity, std::ostream& out) {
  out << "Scope report\n";
  out << "  Selector        " << Cell(SelectorText(report.request.selector)) << "\n";
  if (report.request.generated_at_ns != 0) {
    out << "  Generated       " << FormatTime(report.request.generated_at_ns) << "\n";
  }
  out << "  Store           ";
  switch (integrity.state) {
    case IntegrityStatus::State::kNotChecked:
      out << "integrity not checked; run sluicectl verify\n";
      break;
    case IntegrityStatus::State::kVerified:
      out << "verified, " << GroupDigits(integrity.segments_checked) << " segments, at "
          << FormatTime(integrity.checked_at_ns) << "\n";
      break;
    case IntegrityStatus::State::kBroken:
      out << "BROKEN: " << integrity.broken_segments.size() << " of "
          << GroupDigits(integrity.segments_checked) << " segments failed verification\n";
      for (const auto& broken : integrity.broken_segments) {
        out << "                  " << Cell(broken.segment) << ": " << Cell(broken.reason) << "\n";
      }
      break;
  }
}

void WriteSummary(const ScopeReport& report, std::ostream& out) {
  out << "\nSummary\n";
  out << "  Calls           " << GroupDigits(report.calls) << " of "
      << GroupDigits(report.transactions_examined) << " examined\n";
  out << "  Status          " << StatusText(report.status) << "\n";
  out << "  First call      " << FormatTime(report.first_ts_ns) << "\n";
  out << "  Last call       " << FormatTime(report.last_ts_ns) << "\n";
  out << "  Duration        " << FormatDuration(report.last_ts_ns - report.first_ts_ns) << "\n";
  out << "  Bytes           " << GroupDigits(report.request_bytes) << " sent, "
      << GroupDigits(report.response_bytes) << " received (bodies)\n";
  out << "  Templates       " << GroupDigits(report.templates) << "\n";
  out << "  Objects         " << GroupDigits(report.objects) << " returned (2xx), "
      << GroupDigits(report.objects_requested) << " requested\n";
  out << "  Subjects        " << Count(report.subjects, report.subjects_lower_bound) << "\n";
  out << "  Distinct items  " << Count(report.distinct_items, report.items_lower_bound) << "\n";
}

void WriteClassification(const ScopeReport& report, std::ostream& out) {
  const Classification& c = report.classification;
  const ScopeThresholds& t = report.request.thresholds;
  out << "\nClassification\n";
  out << "  Depth    " << c.depth << ": " << GroupDigits(c.deep_responses) << " of "
      << GroupDigits(c.successful_responses) << " 2xx responses carried >= "
      << t.deep_min_pii_types << " PII types and >= " << GroupDigits(t.deep_min_bytes_per_object)
      << " bytes per returned object\n";
  for (const auto& reason : c.depth_reasons) out << "           " << ReasonText(reason) << "\n";
  out << "           most PII types in one response " << c.max_pii_types
      << ", most bytes per object " << GroupDigits(c.max_bytes_per_object) << ", returned objects "
      << GroupDigits(c.returned_objects) << "\n";
  out << "  Breadth  " << c.breadth << "\n";
  for (const auto& reason : c.breadth_reasons) out << "           " << ReasonText(reason) << "\n";
}

void WriteFunctions(const ScopeReport& report, std::ostream& out) {
  out << "\nFunctions\n";
  std::vector<std::vector<std::string>> rows;
  for (const FunctionSummary& f : report.functions) {
    rows.push_back({Cell(f.method), Cell(f.host), Cell(f.endpoint), GroupDigits(f.calls),
                    GroupDigits(f.status.success), GroupDigits(f.status.client_error),
                    GroupDigits(f.status.server_error), GroupDigits(f.response_bytes),
                    GroupDigits(f.objects), GroupDigits(f.objects_requested),
                    Count(f.distinct_items, f.items_lower_bound),
                    FormatTime(f.first_ts_ns), FormatTime(f.last_ts_ns)});
  }
  WriteTable({"METHOD", "HOST", "ENDPOINT", "CALLS", "2XX", "4XX", "5XX", "BYTES", "OBJECTS",
              "REQUESTED", "ITEMS", "FIRST", "LAST"},
             rows, out);
}

void WritePiiTypes(const ScopeReport& report, std::ostream& out) {
  out << "\nPersonal data in responses\n";
  std::vector<std::vector<std::string>> rows;
  for (const PiiTypeSummary& p : report.pii_types) {
    rows.push_back({Cell(p.type), Count(p.distinct_items, p.lower_bound),
                    GroupDigits(p.occurrences), GroupDigits(p.calls), p.identifying ? "yes" : "no"});
  }
  WriteTable({"TYPE", "DISTINCT", "OCCURRENCES", "CALLS", "SUBJECT"}, rows, out);
}

void WriteClients(const ScopeReport& report, std::ostream& out) {
  out << "\nClients\n";
  std::vector<std::vector<std::string>> rows;
  for (const ClientSummary& c : report.clients) {
    std::string addresses;
    for (const std::string& address : c.addresses) {
      addresses += (addresses.empty() ? "" : " ") + address;
    }
    rows.push_back({Cell(c.kind), Cell(c.id), Cell(addresses), GroupDigits(c.calls),
                    FormatTime(c.first_ts_ns), FormatTime(c.last_ts_ns)});
  }
  WriteTable({"KIND", "ID", "ADDRESSES", "CALLS", "FIRST", "LAST"}, rows, out);
}

void WriteFindings(const ScopeReport& report, std::ostream& out) {
  out << "\nFindings\n";
  std::vector<std::vector<std::string>> rows;
  for (const FindingRow& f : report.findings) {
    const std::string detector = f.detector.empty() ? "(no finding record)" : Cell(f.detector);
    // Finding ids restart with every run, so the run is part of the name.
    rows.push_back({std::to_string(f.finding_id), RunIdHex(f.run_id), detector,
                    Cell(f.client_kind + " " + f.client_id), Cell(f.endpoint),
                    GroupDigits(f.calls), FormatTime(f.first_ts_ns), FormatTime(f.last_ts_ns),
                    Cell(f.verdict)});
  }
  WriteTable({"ID", "RUN", "DETECTOR", "CLIENT", "ENDPOINT", "CALLS", "FIRST", "LAST", "VERDICT"},
             rows, out);
}

void WriteThresholds(const ScopeThresholds& t, std::ostream& out) {
  std::string types;
  for (const std::string& type : t.subject_types) types += (types.empty() ? "" : ", ") + type;
  out << "\nThresholds (control.report in the configuration)\n";
  out << "  deep_min_pii_types         " << t.deep_min_pii_types << "\n";
  out << "  deep_min_bytes_per_object  " << t.deep_min_bytes_per_object << "\n";
  out << "  deep_min_responses         " << t.deep_min_responses << "\n";
  out << "  narrow_max_templates       " << t.narrow_max_templates << "\n";
  out << "  narrow_max_objects         " << t.narrow_max_objects << "\n";
  out << "  narrow_max_subjects        " << t.narrow_max_subjects << "\n";
  out << "  subject_types              " << Cell(types) << "\n";
  out << "  evidence_limit             " << t.evidence_limit << "\n";
}

std::string PiiText(const std::vector<PiiItems>& list) {
  std::string text;
  for (const PiiItems& items : list) {
    text += (text.empty() ? "" : " ") + items.type + "=" + std::to_string(items.count);
  }
  return text;
}

void WriteEvidence(const ScopeReport& report, std::ostream& out) {
  out << "\nEvidence (" << GroupDigits(report.evidence.size()) << " listed, "
      << GroupDigits(report.evidence_omitted) << " more not listed)\n";
  std::vector<std::vector<std::string>> rows;
  for (const TransactionRow& row : report.evidence) {
    rows.push_back({FormatTime(row.ts_ns), Cell(RecordRefText(row.ref)),
                    std::to_string(row.ref.flow_id) + "/" + std::to_string(row.ref.transaction_index),
                    Cell(row.client_id.empty() ? row.client_address : row.client_id),
                    Cell(row.method), Cell(row.host), Cell(row.url_path),
                    row.has_response ? std::to_string(row.status_code) : "-",
                    GroupDigits(row.response_bytes), Cell(PiiText(row.pii_response))});
  }
  WriteTable({"TIME", "RECORD", "FLOW/TX", "CLIENT", "METHOD", "HOST", "PATH", "STATUS", "BYTES",
              "PII"},
             rows, out);
}

}  // namespace

void RenderScopeText(const ScopeReport& report, const IntegrityStatus& integrity,
                     std::ostream& out) {
  WriteHeader(report, integrity, out);
  WriteSummary(report, out);
  WriteClassification(report, out);
  WriteFunctions(report, out);
  WritePiiTypes(report, out);
  WriteClients(report, out);
  WriteFindings(report, out);
  WriteThresholds(report.request.thresholds, out);
  WriteEvidence(report, out);
}

}  // namespace sluice::control::forensics
