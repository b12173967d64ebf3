#include "control/forensics/scope_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "control/sinks/ecs_json.h"

namespace sluice::control::forensics {
namespace {

constexpr char kKnownKeys[] =
    "deep_min_pii_types, deep_min_bytes_per_object, deep_min_responses, narrow_max_templates, "
    "narrow_max_objects, narrow_max_subjects, subject_types, evidence_limit";

std::string Prefix(const std::string& source, const std::string& key) {
  return "config " + source + ": control.report." + key;
}

// Reads a non-negative integer no larger than `max`.
std::string ReadCount(const std::string& source, const std::string& key, const YAML::Node& node,
                      uint64_t max, uint64_t& value) {
  const std::string text = node.IsScalar() ? node.Scalar() : std::string();
  uint64_t parsed = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, parsed);
  if (text.empty() || error != std::errc() || ptr != end || parsed > max) {
    return Prefix(source, key) + " must be a whole number from 0 to " + std::to_string(max) +
           ", got '" + text + "'; fix the value in the file";
  }
  value = parsed;
  return {};
}

std::string ReadTypes(const std::string& source, const YAML::Node& node,
                      std::vector<std::string>& types) {
  if (!node.IsSequence()) {
    return Prefix(source, "subject_types") +
           " must be a list of PII type names such as [email, phone]; fix the value in the file";
  }
  std::vector<std::string> loaded;
  for (const YAML::Node& item : node) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      return Prefix(source, "subject_types") +
             " must contain only non-empty type names; fix the list in the file";
    }
    const auto known = std::find_if(std::begin(kPiiTypes), std::end(kPiiTypes),
                                    [&item](const char* type) { return item.Scalar() == type; });
    if (known == std::end(kPiiTypes)) {
      std::string names;
      for (const char* type : kPiiTypes) names += (names.empty() ? "" : ", ") + std::string(type);
      return Prefix(source, "subject_types") + " has an unknown PII type '" + item.Scalar() +
             "'; use the names " + names;
    }
    loaded.push_back(item.Scalar());
  }
  types = std::move(loaded);
  return {};
}

std::string ApplyKey(const std::string& source, const std::string& key, const YAML::Node& value,
                     ScopeThresholds& t) {
  uint64_t number = 0;
  std::string error;
  if (key == "deep_min_pii_types") {
    error = ReadCount(source, key, value, 64, number);
    if (error.empty()) t.deep_min_pii_types = static_cast<uint32_t>(number);
  } else if (key == "deep_min_bytes_per_object") {
    error = ReadCount(source, key, value, UINT64_MAX, t.deep_min_bytes_per_object);
  } else if (key == "deep_min_responses") {
    error = ReadCount(source, key, value, UINT64_MAX, t.deep_min_responses);
  } else if (key == "narrow_max_templates") {
    error = ReadCount(source, key, value, UINT64_MAX, t.narrow_max_templates);
  } else if (key == "narrow_max_objects") {
    error = ReadCount(source, key, value, UINT64_MAX, t.narrow_max_objects);
  } else if (key == "narrow_max_subjects") {
    error = ReadCount(source, key, value, UINT64_MAX, t.narrow_max_subjects);
  } else if (key == "evidence_limit") {
    error = ReadCount(source, key, value, 1'000'000, t.evidence_limit);
  } else if (key == "subject_types") {
    error = ReadTypes(source, value, t.subject_types);
  } else {
    error = "config " + source + ": unknown key control.report." + key +
            "; the known keys are " + kKnownKeys;
  }
  return error;
}

std::string LoadFromNode(const YAML::Node& root, const std::string& source,
                         ScopeThresholds& thresholds) {
  if (root.IsNull()) return {};
  if (!root.IsMap()) return "config " + source + ": the top level must be a mapping";
  const YAML::Node control = root["control"];
  if (!control.IsDefined() || control.IsNull()) return {};
  if (!control.IsMap()) return "config " + source + ": control must be a mapping of settings";
  const YAML::Node section = control["report"];
  if (!section.IsDefined() || section.IsNull()) return {};
  if (!section.IsMap()) {
    return "config " + source + ": control.report must be a mapping of settings (" +
           kKnownKeys + ")";
  }

  // Applied to a copy, so an error leaves `thresholds` as it was.
  ScopeThresholds loaded = thresholds;
  for (const auto& entry : section) {
    const std::string error = ApplyKey(source, entry.first.as<std::string>(""), entry.second, loaded);
    if (!error.empty()) return error;
  }
  const std::string invalid = ValidateThresholds(loaded);
  if (!invalid.empty()) {
    return "config " + source + ": " + invalid + "; fix the value in the file";
  }
  thresholds = std::move(loaded);
  return {};
}

}  // namespace

std::string ValidateThresholds(const ScopeThresholds& thresholds) {
  if (thresholds.deep_min_pii_types == 0) {
    return "control.report.deep_min_pii_types must be at least 1, because 0 would call responses "
           "without personal data deep";
  }
  if (thresholds.deep_min_responses == 0) {
    return "control.report.deep_min_responses must be at least 1, because 0 would call every scope deep";
  }
  return {};
}

std::string LoadReportConfigText(const std::string& text, const std::string& source,
                                 ScopeThresholds& thresholds) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    // yaml-cpp reports syntax errors only by exception; mark.line is 0-based.
    return "config " + source + ": invalid YAML at line " + std::to_string(error.mark.line + 1) +
           ", column " + std::to_string(error.mark.column + 1) + ": " + error.msg +
           "; fix the syntax";
  }
  return LoadFromNode(root, source, thresholds);
}

std::string LoadReportConfigFile(const std::string& path, ScopeThresholds& thresholds) {
  std::ifstream stream(path);
  if (!stream) {
    return "config " + path + ": cannot open: " + std::strerror(errno) +
           "; check the path given with --config";
  }
  std::ostringstream text;
  text << stream.rdbuf();
  return LoadReportConfigText(text.str(), path, thresholds);
}

}  // namespace sluice::control::forensics
