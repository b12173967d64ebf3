// Loading and validation of a rule file. Runs on the control core (or the CLI), never on a worker:
// it parses YAML and compiles every pattern alone, which allocates and takes milliseconds a rule.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "matchers/rules/rule.h"

namespace sluice::matchers {

// Patterns per rule set are bounded so that the per-transaction match bitset has a fixed size.
inline constexpr size_t kMaxPatterns = 8192;

struct RuleError {
  uint32_t rule_id = 0;  // 0 when the rule has no valid id
  int line = 0;          // 1-based line in the file, 0 if unknown
  std::string pattern;   // the offending pattern, empty if the error is not about one
  int position = -1;     // byte index into `pattern` named by Hyperscan, -1 if none
  std::string message;
};

struct RuleLoadResult {
  RuleSet rule_set;                // only the valid rules
  std::vector<RuleError> errors;   // every error found, in file order
  bool ok() const { return errors.empty(); }
};

// Parses and validates rule YAML. Collects every error instead of stopping at the first:
// duplicate ids, missing msg/field/pattern, unknown fields, bad action or severity, `field`
// together with `all`/`any`, empty `all`/`any`, and every pattern Hyperscan rejects.
RuleLoadResult LoadRules(std::string_view yaml_text);
RuleLoadResult LoadRulesFile(const std::string& path);

// One line per error, e.g. "line 7: rule 1001: pattern 'a++' at 2: Possessive quantifiers ...".
std::string FormatRuleError(const RuleError& error);

}  // namespace sluice::matchers
