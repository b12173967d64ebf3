#include "matchers/compile/compiled_rules.h"

#include <map>
#include <utility>

#include "matchers/ascii_case.h"
#include "matchers/rules/pattern.h"

namespace sluice::matchers {
namespace {

// The patterns that go into one database.
struct DatabaseInput {
  std::vector<HsPattern> patterns;
  std::vector<unsigned> ids;
  std::vector<uint32_t> rule_indexes;
};

// Key of a database: field kind plus header name for header fields.
using DatabaseKey = std::pair<FieldKind, std::string>;

// Compiles `input`; on failure compiles each pattern alone so every bad one is reported.
hs_database_t* CompileDatabase(const DatabaseInput& input, bool stream, const RuleSet& rule_set,
                               std::vector<RuleError>* errors) {
  std::vector<const char*> expressions;
  for (const HsPattern& p : input.patterns) expressions.push_back(p.expression.c_str());
  std::vector<unsigned> flags;
  for (const HsPattern& p : input.patterns) flags.push_back(p.flags);

  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  unsigned mode = stream ? HS_MODE_STREAM : HS_MODE_BLOCK;
  if (hs_compile_multi(expressions.data(), flags.data(), input.ids.data(),
                       static_cast<unsigned>(expressions.size()), mode, nullptr, &db,
                       &error) == HS_SUCCESS) {
    return db;
  }
  std::string multi_message = error != nullptr ? error->message : "hs_compile_multi failed";
  hs_free_compile_error(error);

  size_t errors_before = errors->size();
  for (size_t i = 0; i < input.patterns.size(); ++i) {
    if (auto bad = CheckPattern(input.patterns[i], stream)) {
      const Rule& rule = rule_set.rules[input.rule_indexes[i]];
      errors->push_back(RuleError{rule.id, rule.line, input.patterns[i].expression,
                                  bad->position, "rejected by Hyperscan: " + bad->message});
    }
  }
  if (errors->size() == errors_before) {
    // Every pattern compiles alone but not together (e.g. the database is too large).
    errors->push_back(RuleError{0, 0, "", -1, "database compilation failed: " + multi_message});
  }
  return nullptr;
}

}  // namespace

std::shared_ptr<const CompiledRuleSet> CompiledRuleSet::Compile(const RuleSet& rule_set,
                                                                std::vector<RuleError>* errors) {
  std::shared_ptr<CompiledRuleSet> compiled(new CompiledRuleSet());
  if (!compiled->Build(rule_set, errors)) return nullptr;
  return compiled;
}

bool CompiledRuleSet::Build(const RuleSet& rule_set, std::vector<RuleError>* errors) {
  rule_set_ = rule_set;
  std::map<DatabaseKey, DatabaseInput> inputs;
  for (uint32_t r = 0; r < rule_set_.rules.size(); ++r) {
    const Rule& rule = rule_set_.rules[r];
    compiled_rules_.push_back(CompiledRule{rule.id, rule.action, rule.severity, rule.combine,
                                           static_cast<uint32_t>(pattern_rule_.size()),
                                           static_cast<uint32_t>(rule.conditions.size())});
    std::string& fields = field_lists_.emplace_back();
    for (const Condition& condition : rule.conditions) {
      if (!fields.empty()) fields += ',';
      fields += FieldName(condition.field);
    }
    for (const Condition& condition : rule.conditions) {
      DatabaseInput& input = inputs[{condition.field.kind, condition.field.header_name}];
      input.patterns.push_back(TranslatePattern(condition.pattern, HS_FLAG_SINGLEMATCH));
      input.ids.push_back(static_cast<unsigned>(pattern_rule_.size()));
      input.rule_indexes.push_back(r);
      pattern_rule_.push_back(r);
    }
  }
  if (pattern_rule_.size() > kMaxPatterns) {
    errors->push_back(RuleError{0, 0, "", -1,
                                "the rule set has " + std::to_string(pattern_rule_.size()) +
                                    " patterns; the maximum is " + std::to_string(kMaxPatterns)});
    return false;
  }

  bool ok = true;
  for (const auto& [key, input] : inputs) {
    FieldKind kind = key.first;
    hs_database_t* db = CompileDatabase(input, IsBodyField(kind), rule_set_, errors);
    if (db == nullptr) {
      ok = false;
      continue;
    }
    if (hs_alloc_scratch(db, &scratch_) != HS_SUCCESS) {
      errors->push_back(RuleError{0, 0, "", -1, "hs_alloc_scratch failed"});
      hs_free_database(db);
      ok = false;
      continue;
    }
    switch (kind) {
      case FieldKind::kRequestBody:
        body_dbs_[static_cast<size_t>(Direction::kRequest)] = db;
        body_patterns_[static_cast<size_t>(Direction::kRequest)] = input.ids;
        break;
      case FieldKind::kResponseBody:
        body_dbs_[static_cast<size_t>(Direction::kResponse)] = db;
        body_patterns_[static_cast<size_t>(Direction::kResponse)] = input.ids;
        break;
      case FieldKind::kRequestHeader:
        header_dbs_[static_cast<size_t>(Direction::kRequest)].push_back({key.second, db});
        break;
      case FieldKind::kResponseHeader:
        header_dbs_[static_cast<size_t>(Direction::kResponse)].push_back({key.second, db});
        break;
      default:
        fixed_dbs_[static_cast<size_t>(kind)] = db;
        break;
    }
  }
  return ok;
}

CompiledRuleSet::~CompiledRuleSet() {
  for (hs_database_t* db : fixed_dbs_) hs_free_database(db);
  for (hs_database_t* db : body_dbs_) hs_free_database(db);
  for (const auto& list : header_dbs_) {
    for (const HeaderDatabase& header : list) hs_free_database(header.db);
  }
  hs_free_scratch(scratch_);
}

const hs_database_t* CompiledRuleSet::header_db(Direction direction,
                                                std::string_view name) const {
  for (const HeaderDatabase& header : header_dbs_[static_cast<size_t>(direction)]) {
    if (EqualsIgnoreCase(name, header.name)) return header.db;
  }
  return nullptr;
}

}  // namespace sluice::matchers
