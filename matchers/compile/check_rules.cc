#include "matchers/compile/check_rules.h"

#include "matchers/compile/compiled_rules.h"

namespace sluice::matchers {

CheckReport CheckRules(const std::string& path) {
  CheckReport report;
  RuleLoadResult loaded = LoadRulesFile(path);
  report.errors = std::move(loaded.errors);
  report.rule_count = loaded.rule_set.rules.size();
  for (const Rule& rule : loaded.rule_set.rules) report.pattern_count += rule.conditions.size();

  // Compile the valid rules too: a set can fail as a whole (size limits) with good patterns.
  if (report.errors.empty()) {
    auto compiled = CompiledRuleSet::Compile(loaded.rule_set, &report.errors);
    (void)compiled;
  }
  report.ok = report.errors.empty();

  for (const RuleError& error : report.errors) {
    report.text += path + ": " + FormatRuleError(error) + "\n";
  }
  if (report.ok) {
    report.text += path + ": OK, " + std::to_string(report.rule_count) + " rules, " +
                   std::to_string(report.pattern_count) + " patterns\n";
  } else {
    report.text += path + ": " + std::to_string(report.errors.size()) + " error(s)\n";
  }
  return report;
}

}  // namespace sluice::matchers
