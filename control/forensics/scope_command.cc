#include "control/forensics/scope_render.h"

namespace sluice::control::forensics {
namespace {

// Writes an error as one line of text, or as a JSON object when the caller asked for JSON, so
// scripts can parse whatever comes back.
void WriteError(OutputFormat format, const std::string& message, std::ostream& out) {
  if (format != OutputFormat::kJson) {
    out << "error: " << message << "\n";
    return;
  }
  out << "{\"schema\":\"" << kScopeJsonSchema << "\",\"error\":\"";
  for (char c : message) {
    if (c == '"' || c == '\\') out << '\\';
    out << c;
  }
  out << "\"}\n";
}

}  // namespace

int RunScopeCommand(const ScopeRequest& request, const std::vector<TransactionRow>& transactions,
                    const std::vector<FindingRow>& findings, const IntegrityStatus& integrity,
                    OutputFormat format, std::ostream& out) {
  const std::string invalid = ValidateThresholds(request.thresholds);
  if (!invalid.empty()) {
    WriteError(format, invalid, out);
    return kScopeExitInvalid;
  }
  const ScopeSelector& selector = request.selector;
  if (selector.since_ns && selector.until_ns && *selector.since_ns >= *selector.until_ns) {
    WriteError(format, "--since must be before --until; widen the time range", out);
    return kScopeExitInvalid;
  }

  const ScopeReport report = AnalyzeScope(request, transactions, findings);
  if (report.finding_not_found) {
    WriteError(format,
               "finding " + std::to_string(*selector.finding_id) +
                   " not found in the store; list findings with sluicectl show findings",
               out);
    return kScopeExitNotFound;
  }

  switch (format) {
    case OutputFormat::kText: RenderScopeText(report, integrity, out); break;
    case OutputFormat::kJson: RenderScopeJson(report, integrity, out); break;
    case OutputFormat::kHtml: RenderScopeHtml(report, integrity, out); break;
  }
  return report.calls == 0 ? kScopeExitNoCalls : kScopeExitOk;
}

}  // namespace sluice::control::forensics
