// Hyperscan databases built from a RuleSet. Built off the worker cores (control core or a
// reload thread); once built it is immutable and shared read-only by every worker's Scanner.
#pragma once

#include <hs/hs.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "matchers/rules/loader.h"
#include "matchers/rules/rule.h"

namespace sluice::matchers {

// A rule as the scan side needs it. Its patterns have the consecutive ids
// [first_pattern, first_pattern + pattern_count).
struct CompiledRule {
  uint32_t id;
  Action action;
  Severity severity;
  Combine combine;
  uint32_t first_pattern;
  uint32_t pattern_count;
};

struct HeaderDatabase {
  std::string name;  // lower case
  hs_database_t* db;
};

class CompiledRuleSet {
 public:
  // Compiles one database per field: block mode for bounded fields, stream mode for bodies.
  // Returns nullptr with *errors filled (every bad pattern, with rule id) on failure.
  static std::shared_ptr<const CompiledRuleSet> Compile(const RuleSet& rule_set,
                                                        std::vector<RuleError>* errors);
  ~CompiledRuleSet();
  CompiledRuleSet(const CompiledRuleSet&) = delete;
  CompiledRuleSet& operator=(const CompiledRuleSet&) = delete;

  // nullptr when no rule looks at the field.
  const hs_database_t* fixed_field_db(FieldKind kind) const {
    return fixed_dbs_[static_cast<size_t>(kind)];
  }
  const hs_database_t* body_db(Direction direction) const {
    return body_dbs_[static_cast<size_t>(direction)];
  }
  // The pattern ids in body_db(direction). Once all of them matched, the rest of the body cannot
  // change the rules' outcome (every pattern reports once: HS_FLAG_SINGLEMATCH).
  const std::vector<uint32_t>& body_patterns(Direction direction) const {
    return body_patterns_[static_cast<size_t>(direction)];
  }
  // Case-insensitive lookup; nullptr when no rule looks at this header. Linear over the header
  // names that rules use, which are few; no allocation.
  const hs_database_t* header_db(Direction direction, std::string_view name) const;

  // Scratch sized for every database here; each worker clones it (hs_clone_scratch).
  const hs_scratch_t* prototype_scratch() const { return scratch_; }

  const std::vector<CompiledRule>& rules() const { return compiled_rules_; }
  const Rule& source_rule(uint32_t rule_index) const { return rule_set_.rules[rule_index]; }
  // The names of the rule's condition fields, comma-separated ("url.query,http.request.body"),
  // as records list them. Joined once here, so that no record allocates it.
  const std::string& field_list(uint32_t rule_index) const { return field_lists_[rule_index]; }
  uint32_t pattern_count() const { return static_cast<uint32_t>(pattern_rule_.size()); }
  uint32_t rule_of_pattern(uint32_t pattern_id) const { return pattern_rule_[pattern_id]; }

 private:
  CompiledRuleSet() = default;
  bool Build(const RuleSet& rule_set, std::vector<RuleError>* errors);

  RuleSet rule_set_;
  std::vector<CompiledRule> compiled_rules_;
  std::vector<std::string> field_lists_;  // by rule index
  std::vector<uint32_t> pattern_rule_;  // pattern id -> rule index
  std::array<hs_database_t*, kFixedFieldCount> fixed_dbs_{};
  std::array<hs_database_t*, 2> body_dbs_{};
  std::array<std::vector<uint32_t>, 2> body_patterns_;
  std::array<std::vector<HeaderDatabase>, 2> header_dbs_;
  hs_scratch_t* scratch_ = nullptr;
};

}  // namespace sluice::matchers
