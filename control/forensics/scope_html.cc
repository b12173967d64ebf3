// The HTML form of the scope report: one self-contained page with inline CSS and inline SVG,
// no script, no external resource. Its Content-Security-Policy forbids scripts and every fetch,
// so even a string that escaped escaping could neither run nor call out.
#include <string>
#include <vector>

#include "control/forensics/scope_charts.h"
#include "control/forensics/scope_format.h"
#include "control/forensics/scope_render.h"
#include "control/sinks/run_id.h"

namespace sluice::control::forensics {
namespace {

constexpr char kStyle[] = R"(
body{font-family:sans-serif;margin:24px;color:#1b1b1b;background:#fff;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ccc}
h3{font-size:14px;margin:14px 0 4px}
table{border-collapse:collapse;font-size:13px;margin:4px 0}
th,td{border:1px solid #d0d0d0;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.path{word-break:break-all;max-width:420px}
.integrity{padding:8px 12px;border-radius:4px;margin:12px 0;font-weight:bold}
.integrity.verified{background:#e8f5e9;border:1px solid #2e7d32}
.integrity.broken{background:#ffebee;border:1px solid #c62828}
.integrity.not_checked{background:#f5f5f5;border:1px solid #757575}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:bold}
.badge.deep,.badge.broad{background:#c62828}.badge.shallow,.badge.narrow{background:#2e7d32}
.badge.none{background:#757575}
.figures{display:flex;flex-wrap:wrap;gap:12px}
.figure{border:1px solid #d0d0d0;border-radius:4px;padding:8px 12px;min-width:120px}
.figure .n{font-size:22px;font-weight:bold}.figure .l{font-size:12px;color:#555}
svg.chart{display:block;margin:6px 0;font-size:11px}
svg .axis{stroke:#555;stroke-width:1}svg .tick,svg .legend text{fill:#333}
svg g.row rect.bar{fill:#1565c0}
svg .s2xx{fill:#2e7d32}svg .s3xx{fill:#1565c0}svg .s4xx{fill:#ef6c00}svg .s5xx{fill:#c62828}
svg .s1xx{fill:#8e24aa}svg .snone{fill:#757575}
.note{color:#555;font-size:13px}
)";

using Row = std::vector<std::string>;  // cells already escaped

// Appends a table. `numeric` marks right-aligned columns; `path` marks columns that may wrap
// anywhere (long hostile paths).
void Table(const Row& header, const std::vector<Row>& rows, std::string& html,
           const std::string& numeric = "", const std::string& path = "") {
  html += "<table><thead><tr>";
  for (const std::string& cell : header) html += "<th>" + cell + "</th>";
  html += "</tr></thead><tbody>";
  for (const Row& row : rows) {
    html += "<tr>";
    for (size_t i = 0; i < row.size(); ++i) {
      const bool is_numeric = i < numeric.size() && numeric[i] == 'n';
      const bool is_path = i < path.size() && path[i] == 'p';
      if (is_numeric) {
        html += "<td class=\"num\">";
      } else if (is_path) {
        html += "<td class=\"path\">";
      } else {
        html += "<td>";
      }
      html += row[i] + "</td>";
    }
    html += "</tr>";
  }
  if (rows.empty()) {
    html += "<tr><td colspan=\"" + std::to_string(header.size()) + "\">none</td></tr>";
  }
  html += "</tbody></table>";
}

std::string Count(uint64_t value, bool lower_bound) {
  return (lower_bound ? "at least " : "") + GroupDigits(value);
}

void Figure(const char* id, const std::string& value, const char* label, std::string& html) {
  html += "<div class=\"figure\"><div class=\"n\" id=\"" + std::string(id) + "\">" + value +
          "</div><div class=\"l\">" + label + "</div></div>";
}

void Integrity(const IntegrityStatus& integrity, std::string& html) {
  const std::string state = IntegrityStateName(integrity.state);
  html += "<section id=\"integrity\" class=\"integrity " + state + "\" data-state=\"" + state +
          "\">";
  switch (integrity.state) {
    case IntegrityStatus::State::kNotChecked:
      html += "Store integrity: not checked. Run sluicectl verify before relying on this report.";
      break;
    case IntegrityStatus::State::kVerified:
      html += "Store integrity: verified, " + GroupDigits(integrity.segments_checked) +
              " segments, checked at " + FormatTime(integrity.checked_at_ns) + ".";
      break;
    case IntegrityStatus::State::kBroken:
      html += "Store integrity: BROKEN. " + std::to_string(integrity.broken_segments.size()) +
              " of " + GroupDigits(integrity.segments_checked) +
              " segments failed verification; records in them may have been altered or removed.";
      html += "<ul id=\"broken-segments\">";
      for (const auto& broken : integrity.broken_segments) {
        html += "<li>" + HtmlEscape(broken.segment) + ": " + HtmlEscape(broken.reason) + "</li>";
      }
      html += "</ul>";
      break;
  }
  html += "</section>";
}

void Summary(const ScopeReport& r, std::string& html) {
  const Classification& c = r.classification;
  html += "<section id=\"summary\"><h2>Summary</h2><p>Depth <span id=\"depth\" class=\"badge " +
          c.depth + "\">" + c.depth + "</span> Breadth <span id=\"breadth\" class=\"badge " +
          c.breadth + "\">" + c.breadth + "</span></p><div class=\"figures\">";
  Figure("total-calls", GroupDigits(r.calls), "calls in scope", html);
  Figure("total-templates", GroupDigits(r.templates), "endpoint templates", html);
  Figure("total-objects", GroupDigits(r.objects), "objects returned", html);
  Figure("total-objects-requested", GroupDigits(r.objects_requested), "objects requested", html);
  Figure("total-subjects", Count(r.subjects, r.subjects_lower_bound), "subjects", html);
  Figure("total-items", Count(r.distinct_items, r.items_lower_bound), "distinct PII items", html);
  Figure("total-clients", GroupDigits(r.clients.size()), "clients", html);
  Figure("response-bytes", GroupDigits(r.response_bytes), "response body bytes", html);
  html += "</div><p>First call <span id=\"first-call\">" + FormatTime(r.first_ts_ns) +
          "</span>, last call <span id=\"last-call\">" + FormatTime(r.last_ts_ns) +
          "</span> (" + FormatDuration(r.last_ts_ns - r.first_ts_ns) + ").</p>";

  const ScopeThresholds& t = r.request.thresholds;
  html += "<p>" + GroupDigits(c.deep_responses) + " of " + GroupDigits(c.successful_responses) +
          " successful responses carried at least " + std::to_string(t.deep_min_pii_types) +
          " PII types and at least " + GroupDigits(t.deep_min_bytes_per_object) +
          " bytes per returned object.</p>";
  std::vector<Row> rows;
  for (const auto* list : {&c.depth_reasons, &c.breadth_reasons}) {
    for (const ClassificationReason& reason : *list) {
      rows.push_back({reason.measure, GroupDigits(reason.value), HtmlEscape(reason.comparison),
                      GroupDigits(reason.threshold), reason.met ? "yes" : "no"});
    }
  }
  Table({"rule", "measured", "comparison", "threshold", "met"}, rows, html, " n n");
  html += "</section>";
}

void Charts(const ScopeReport& r, std::string& html) {
  html += "<section id=\"timeline\"><h2>Timeline of calls</h2>" + TimelineSvg(r) +
          "<p class=\"note\">One bar per " + FormatDuration(r.timeline_bucket_ns) +
          ", stacked by HTTP status class.</p></section>";

  std::vector<BarDatum> endpoints;
  for (const FunctionSummary& f : r.functions) {
    endpoints.push_back({f.method + " " + f.host + f.endpoint, f.distinct_items,
                         Count(f.distinct_items, f.items_lower_bound) + " items, " +
                             GroupDigits(f.calls) + " calls, " + GroupDigits(f.response_bytes) +
                             " bytes"});
  }
  std::vector<BarDatum> types;
  for (const PiiTypeSummary& p : r.pii_types) {
    types.push_back({p.type, p.distinct_items,
                     Count(p.distinct_items, p.lower_bound) + " distinct, " +
                         GroupDigits(p.occurrences) + " occurrences"});
  }
  html += "<section id=\"exposure\"><h2>Exposure</h2><h3>Distinct PII items by endpoint</h3>" +
          HorizontalBarsSvg("chart-endpoints", "Distinct PII items by endpoint", endpoints) +
          "<h3>Distinct PII items by type</h3>" +
          HorizontalBarsSvg("chart-pii-types", "Distinct PII items by type", types) +
          "</section>";
}

void Tables(const ScopeReport& r, std::string& html) {
  std::vector<Row> rows;
  for (const FunctionSummary& f : r.functions) {
    rows.push_back({HtmlEscape(f.method), HtmlEscape(f.host), HtmlEscape(f.endpoint),
                    GroupDigits(f.calls), GroupDigits(f.status.success),
                    GroupDigits(f.status.client_error), GroupDigits(f.status.server_error),
                    GroupDigits(f.response_bytes), GroupDigits(f.objects),
                    GroupDigits(f.objects_requested), Count(f.distinct_items, f.items_lower_bound),
                    FormatTime(f.first_ts_ns),
                    FormatTime(f.last_ts_ns)});
  }
  html += "<section id=\"functions\"><h2>Endpoints and functions</h2>";
  Table({"method", "host", "endpoint", "calls", "2xx", "4xx", "5xx", "bytes", "objects",
         "requested", "items", "first", "last"},
        rows, html, "   nnnnnnnn", "  p");
  html += "</section>";

  rows.clear();
  for (const PiiTypeSummary& p : r.pii_types) {
    rows.push_back({HtmlEscape(p.type), Count(p.distinct_items, p.lower_bound),
                    GroupDigits(p.occurrences), GroupDigits(p.calls), p.identifying ? "yes" : "no"});
  }
  html += "<section id=\"pii\"><h2>Personal data in responses</h2>";
  Table({"type", "distinct", "occurrences", "calls", "subject"}, rows, html, " nnn");
  html += "</section>";

  rows.clear();
  for (const ClientSummary& c : r.clients) {
    std::string addresses;
    for (const std::string& a : c.addresses) addresses += (addresses.empty() ? "" : " ") + a;
    rows.push_back({HtmlEscape(c.kind), HtmlEscape(c.id), HtmlEscape(addresses),
                    GroupDigits(c.calls), FormatTime(c.first_ts_ns), FormatTime(c.last_ts_ns)});
  }
  html += "<section id=\"clients\"><h2>Clients</h2>";
  Table({"kind", "id", "addresses", "calls", "first", "last"}, rows, html, "   n", " p");
  html += "</section>";

  rows.clear();
  for (const FindingRow& f : r.findings) {
    rows.push_back({std::to_string(f.finding_id), RunIdHex(f.run_id),
                    f.detector.empty() ? "(no finding record)" : HtmlEscape(f.detector),
                    HtmlEscape(f.client_kind + " " + f.client_id), HtmlEscape(f.endpoint),
                    GroupDigits(f.calls), FormatTime(f.first_ts_ns), FormatTime(f.last_ts_ns),
                    HtmlEscape(f.verdict)});
  }
  html += "<section id=\"findings\"><h2>Findings</h2>";
  Table({"id", "run", "detector", "client", "endpoint", "calls", "first", "last", "verdict"}, rows,
        html, "n    n");
  html += "</section>";
}

void Thresholds(const ScopeThresholds& t, std::string& html) {
  std::string types;
  for (const std::string& type : t.subject_types) types += (types.empty() ? "" : ", ") + type;
  const std::vector<Row> rows = {
      {"deep_min_pii_types", std::to_string(t.deep_min_pii_types)},
      {"deep_min_bytes_per_object", std::to_string(t.deep_min_bytes_per_object)},
      {"deep_min_responses", std::to_string(t.deep_min_responses)},
      {"narrow_max_templates", std::to_string(t.narrow_max_templates)},
      {"narrow_max_objects", std::to_string(t.narrow_max_objects)},
      {"narrow_max_subjects", std::to_string(t.narrow_max_subjects)},
      {"subject_types", HtmlEscape(types)},
      {"evidence_limit", std::to_string(t.evidence_limit)},
  };
  html += "<section id=\"thresholds\"><h2>Thresholds</h2><p class=\"note\">Set in control.report in "
          "the configuration.</p>";
  Table({"setting", "value"}, rows, html, " n");
  html += "</section>";
}

std::string PiiCell(const std::vector<PiiItems>& list) {
  std::string text;
  for (const PiiItems& items : list) {
    text += (text.empty() ? "" : " ") + HtmlEscape(items.type) + "=" + std::to_string(items.count);
  }
  return text;
}

void Evidence(const ScopeReport& r, std::string& html) {
  std::vector<Row> rows;
  for (const TransactionRow& row : r.evidence) {
    rows.push_back({FormatTime(row.ts_ns), HtmlEscape(RecordRefText(row.ref)),
                    std::to_string(row.ref.flow_id) + "/" + std::to_string(row.ref.transaction_index),
                    HtmlEscape(row.client_id.empty() ? row.client_address : row.client_id),
                    HtmlEscape(row.method), HtmlEscape(row.host), HtmlEscape(row.url_path),
                    row.has_response ? std::to_string(row.status_code) : "-",
                    GroupDigits(row.response_bytes), PiiCell(row.pii_response)});
  }
  html += "<section id=\"evidence\" data-listed=\"" + std::to_string(r.evidence.size()) +
          "\" data-omitted=\"" + std::to_string(r.evidence_omitted) +
          "\"><h2>Evidence</h2><p>" + GroupDigits(r.evidence.size()) +
          " records listed in time order, " + GroupDigits(r.evidence_omitted) +
          " more not listed.</p>";
  Table({"time", "record", "flow/tx", "client", "method", "host", "path", "status", "bytes",
         "PII in response"},
        rows, html, "       nn", "      p");
  html += "</section>";
}

}  // namespace

void RenderScopeHtml(const ScopeReport& report, const IntegrityStatus& integrity,
                     std::ostream& out) {
  const std::string selector = HtmlEscape(SelectorText(report.request.selector));
  std::string html =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:\">"
      "<title>Sluice scope report: " + selector + "</title><style>" + kStyle +
      "</style></head><body><header><h1>API incident scope report</h1><p>Selector: <span "
      "id=\"selector\">" + selector + "</span>";
  if (report.request.generated_at_ns != 0) {
    html += " &middot; generated " + FormatTime(report.request.generated_at_ns);
  }
  html += "</p></header>";
  Integrity(integrity, html);
  Summary(report, html);
  Charts(report, html);
  Tables(report, html);
  Thresholds(report.request.thresholds, html);
  Evidence(report, html);
  html += "<footer class=\"note\"><p>Written by sluicectl report scope (" +
          std::string(kScopeJsonSchema) + ").</p></footer></body></html>\n";
  out << html;
}

}  // namespace sluice::control::forensics
