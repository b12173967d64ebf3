// `sluice-dataplane --check-rules FILE`: loads and compiles a rule file and reports every error.
#pragma once

#include <string>
#include <vector>

#include "matchers/rules/loader.h"

namespace sluice::matchers {

struct CheckReport {
  bool ok = false;
  size_t rule_count = 0;     // rules that loaded
  size_t pattern_count = 0;  // their patterns
  std::vector<RuleError> errors;
  std::string text;  // human-readable: one line per error, then a summary line
};

// Loads, validates and compiles the file as the data plane would. The caller prints `text` and
// exits with status 2 when !ok.
CheckReport CheckRules(const std::string& path);

}  // namespace sluice::matchers
