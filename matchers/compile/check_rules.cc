#include "matchers/compile/check_rules.h"

#include <cstdio>

#include "matchers/compile/compiled_rules.h"

namespace sluice::matchers {

namespace {

// A line on the memory the rules' body streams take, or "" without body rules. Every worker opens
// dataplane.limits.body_streams_per_worker streams per direction when it starts and on reloads.
std::string BodyStreamCost(const std::string& path, const CompiledRuleSet& rules) {
  size_t bytes[2] = {0, 0};
  bool any = false;
  for (Direction direction : {Direction::kRequest, Direction::kResponse}) {
    const hs_database_t* db = rules.body_db(direction);
    size_t size = 0;
    if (db == nullptr || hs_stream_size(db, &size) != HS_SUCCESS) continue;
    bytes[static_cast<size_t>(direction)] = size;
    any = true;
  }
  if (!any) return "";
  constexpr size_t kDefaultStreams = 1024;
  const double mib = static_cast<double>((bytes[0] + bytes[1]) * kDefaultStreams) / (1 << 20);
  char text[320];
  std::snprintf(text, sizeof(text),
                "%s: a body stream holds %zu bytes of Hyperscan state for requests and %zu for "
                "responses; the default 1024 streams per direction take at least %.1f MiB per worker "
                "(dataplane.limits.body_streams_per_worker)\n",
                path.c_str(), bytes[0], bytes[1], mib);
  return text;
}

}  // namespace

CheckReport CheckRules(const std::string& path) {
  CheckReport report;
  RuleLoadResult loaded = LoadRulesFile(path);
  report.errors = std::move(loaded.errors);
  report.rule_count = loaded.rule_set.rules.size();
  for (const Rule& rule : loaded.rule_set.rules) report.pattern_count += rule.conditions.size();

  // Compile the valid rules too: a set can fail as a whole (size limits) with good patterns.
  std::shared_ptr<const CompiledRuleSet> compiled;
  if (report.errors.empty()) compiled = CompiledRuleSet::Compile(loaded.rule_set, &report.errors);
  report.ok = report.errors.empty();

  for (const RuleError& error : report.errors) {
    report.text += path + ": " + FormatRuleError(error) + "\n";
  }
  if (report.ok) {
    report.text += path + ": OK, " + std::to_string(report.rule_count) + " rules, " +
                   std::to_string(report.pattern_count) + " patterns\n";
    if (compiled != nullptr) report.text += BodyStreamCost(path, *compiled);
  } else {
    report.text += path + ": " + std::to_string(report.errors.size()) + " error(s)\n";
  }
  return report;
}

}  // namespace sluice::matchers
