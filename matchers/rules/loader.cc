#include "matchers/rules/loader.h"

#include <hs/hs.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>
#include <unordered_set>

#include "matchers/rules/pattern.h"

namespace sluice::matchers {
namespace {

// Collects the errors of one rule; the rule is kept only if it added none.
class RuleParser {
 public:
  RuleParser(const YAML::Node& node, std::vector<RuleError>* errors)
      : node_(node), errors_(errors), errors_before_(errors->size()) {
    rule_.line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  }

  bool Parse(std::unordered_set<uint32_t>* seen_ids, size_t* pattern_count) {
    if (!node_.IsMap()) {
      AddError("", "a rule must be a mapping with id, msg, field/all/any, pattern and action");
      return false;
    }
    ParseId(seen_ids);
    ParseMsg();
    ParseAction();
    ParseSeverity();
    ParseTags();
    ParseConditions();
    *pattern_count += rule_.conditions.size();
    if (*pattern_count > kMaxPatterns && *pattern_count - rule_.conditions.size() <= kMaxPatterns) {
      AddError("", "the rule set has more than " + std::to_string(kMaxPatterns) +
                       " patterns; split it or remove rules");
    }
    return errors_->size() == errors_before_;
  }

  Rule TakeRule() { return std::move(rule_); }

 private:
  void AddError(std::string pattern, std::string message, int position = -1) {
    errors_->push_back(
        RuleError{rule_.id, rule_.line, std::move(pattern), position, std::move(message)});
  }

  bool ReadScalar(const YAML::Node& node, std::string_view key, std::string* out) {
    if (!node.IsScalar()) {
      AddError("", "'" + std::string(key) + "' must be a scalar");
      return false;
    }
    *out = node.Scalar();
    return true;
  }

  void ParseId(std::unordered_set<uint32_t>* seen_ids) {
    YAML::Node id = node_["id"];
    if (!id) {
      AddError("", "missing 'id'");
      return;
    }
    std::string text;
    if (!ReadScalar(id, "id", &text)) return;
    uint64_t value = 0;
    bool digits = !text.empty() && text.size() <= 10;
    for (char c : text) {
      if (c < '0' || c > '9') digits = false;
      if (digits) value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    if (!digits || value == 0 || value > UINT32_MAX) {
      AddError("", "invalid id '" + text + "': use an integer from 1 to 4294967295");
      return;
    }
    rule_.id = static_cast<uint32_t>(value);
    if (!seen_ids->insert(rule_.id).second) {
      AddError("", "duplicate id " + text + ": every rule needs its own id");
    }
  }

  void ParseMsg() {
    YAML::Node msg = node_["msg"];
    if (!msg) {
      AddError("", "missing 'msg'");
      return;
    }
    if (ReadScalar(msg, "msg", &rule_.msg) && rule_.msg.empty()) AddError("", "empty 'msg'");
  }

  void ParseAction() {
    YAML::Node action = node_["action"];
    if (!action) {
      AddError("", "missing 'action': use log, tag or block");
      return;
    }
    std::string text;
    if (ReadScalar(action, "action", &text) && !matchers::ParseAction(text, &rule_.action)) {
      AddError("", "invalid action '" + text + "': use log, tag or block");
    }
  }

  void ParseSeverity() {
    YAML::Node severity = node_["severity"];
    if (!severity) return;  // kMedium
    std::string text;
    if (ReadScalar(severity, "severity", &text) &&
        !matchers::ParseSeverity(text, &rule_.severity)) {
      AddError("", "invalid severity '" + text + "': use info, low, medium, high or critical");
    }
  }

  void ParseTags() {
    YAML::Node tags = node_["tags"];
    if (!tags) return;
    if (!tags.IsSequence()) {
      AddError("", "'tags' must be a list of strings");
      return;
    }
    for (const YAML::Node& tag : tags) {
      std::string text;
      if (ReadScalar(tag, "tags", &text)) rule_.tags.push_back(std::move(text));
    }
  }

  void ParseConditions() {
    YAML::Node all = node_["all"];
    YAML::Node any = node_["any"];
    bool has_field = static_cast<bool>(node_["field"]);
    int forms = (has_field ? 1 : 0) + (all ? 1 : 0) + (any ? 1 : 0);
    if (forms > 1) {
      AddError("", "use exactly one of 'field'+'pattern', 'all' or 'any'");
      return;
    }
    if (forms == 0) {
      AddError("", "missing 'field' and 'pattern' (or 'all'/'any')");
      return;
    }
    if (has_field) {
      rule_.combine = Combine::kSingle;
      ParseCondition(node_);
      return;
    }
    rule_.combine = all ? Combine::kAll : Combine::kAny;
    const YAML::Node& list = all ? all : any;
    const char* key = all ? "all" : "any";
    if (!list.IsSequence() || list.size() == 0) {
      AddError("", std::string("'") + key + "' must be a non-empty list of {field, pattern}");
      return;
    }
    for (const YAML::Node& item : list) {
      if (!item.IsMap()) {
        AddError("", std::string("each entry of '") + key + "' must be {field, pattern}");
        continue;
      }
      ParseCondition(item);
    }
  }

  void ParseCondition(const YAML::Node& node) {
    Condition condition;
    bool valid = true;
    std::string field_name;
    if (!node["field"]) {
      AddError("", "missing 'field'");
      valid = false;
    } else if (ReadScalar(node["field"], "field", &field_name) &&
               !ParseFieldName(field_name, &condition.field)) {
      AddError("", "unknown field '" + field_name +
                       "': see docs/rules.md for the supported fields");
      valid = false;
    }
    if (!node["pattern"]) {
      AddError("", "missing 'pattern'");
      return;
    }
    if (!ReadScalar(node["pattern"], "pattern", &condition.pattern)) return;
    if (!valid) return;

    HsPattern hs = TranslatePattern(condition.pattern, HS_FLAG_SINGLEMATCH);
    if (auto error = CheckPattern(hs, IsBodyField(condition.field.kind))) {
      int position = error->position;
      if (position >= 0) {
        position += static_cast<int>(condition.pattern.size() - hs.expression.size());
      }
      AddError(condition.pattern, "rejected by Hyperscan: " + error->message, position);
      return;
    }
    rule_.conditions.push_back(std::move(condition));
  }

  const YAML::Node& node_;
  std::vector<RuleError>* errors_;
  size_t errors_before_;
  Rule rule_;
};

}  // namespace

RuleLoadResult LoadRules(std::string_view yaml_text) {
  RuleLoadResult result;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    result.errors.push_back(
        RuleError{0, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", -1, "invalid YAML: " + e.msg});
    return result;
  }
  YAML::Node rules = root.IsMap() ? root["rules"] : YAML::Node();
  if (!rules || !rules.IsSequence()) {
    result.errors.push_back(RuleError{0, 0, "", -1, "the file needs a top-level 'rules:' list"});
    return result;
  }

  std::unordered_set<uint32_t> seen_ids;
  size_t pattern_count = 0;
  for (const YAML::Node& node : rules) {
    RuleParser parser(node, &result.errors);
    try {
      if (parser.Parse(&seen_ids, &pattern_count)) {
        result.rule_set.rules.push_back(parser.TakeRule());
      }
    } catch (const YAML::Exception& e) {
      result.errors.push_back(RuleError{0, e.mark.line + 1, "", -1, "invalid rule: " + e.msg});
    }
  }
  return result;
}

RuleLoadResult LoadRulesFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    RuleLoadResult result;
    result.errors.push_back(RuleError{0, 0, "", -1, "cannot open rule file '" + path + "'"});
    return result;
  }
  std::stringstream text;
  text << in.rdbuf();
  return LoadRules(text.str());
}

std::string FormatRuleError(const RuleError& error) {
  std::string out;
  if (error.line > 0) out += "line " + std::to_string(error.line) + ": ";
  if (error.rule_id != 0) out += "rule " + std::to_string(error.rule_id) + ": ";
  if (!error.pattern.empty()) {
    out += "pattern '" + error.pattern + "'";
    if (error.position >= 0) out += " at " + std::to_string(error.position);
    out += ": ";
  }
  out += error.message;
  return out;
}

}  // namespace sluice::matchers
