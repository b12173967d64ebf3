// Output of `sluicectl report scope`: a text report of tables, JSON for scripts and a
// self-contained HTML incident report. docs/report-scope.md documents each form.
#pragma once

#include <ostream>
#include <vector>

#include "control/forensics/scope.h"

namespace sluice::control::forensics {

enum class OutputFormat { kText, kJson, kHtml };

// Exit codes of RunScopeCommand, for sluicectl to return as they are.
inline constexpr int kScopeExitOk = 0;           // the report was written and covers >= 1 call
inline constexpr int kScopeExitNoCalls = 1;      // the report was written but no call matched
inline constexpr int kScopeExitInvalid = 2;      // invalid request; an error line was written
inline constexpr int kScopeExitNotFound = 3;     // --finding names an unknown finding

// Version of the JSON document's layout; grows when a field changes meaning or goes away.
inline constexpr char kScopeJsonSchema[] = "sluice.report.scope/1";

void RenderScopeText(const ScopeReport& report, const IntegrityStatus& integrity,
                     std::ostream& out);
void RenderScopeJson(const ScopeReport& report, const IntegrityStatus& integrity,
                     std::ostream& out);
void RenderScopeHtml(const ScopeReport& report, const IntegrityStatus& integrity,
                     std::ostream& out);

// Checks the request, analyses the rows and writes the report in `format` to `out`. On an invalid
// request (thresholds out of range, --since not before --until) it writes one error line to `out`
// instead and returns kScopeExitInvalid. A --finding id that matches no finding row and no
// transaction gets an error line and kScopeExitNotFound.
int RunScopeCommand(const ScopeRequest& request, const std::vector<TransactionRow>& transactions,
                    const std::vector<FindingRow>& findings, const IntegrityStatus& integrity,
                    OutputFormat format, std::ostream& out);

}  // namespace sluice::control::forensics
