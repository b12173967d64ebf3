// The `control.store:` section of the configuration file.
#include <string>

#include "control/daemon/config.h"

namespace sluice::control {
namespace {

std::string Problem(const std::string& path, const std::string& key, const std::string& what) {
  return "config " + path + ": control.store." + key + " " + what + "; fix the value in the file";
}

std::string ReadCount(const std::string& path, const std::string& key, const YAML::Node& node,
                      uint64_t& value) {
  const std::string text = node.IsScalar() ? node.Scalar() : std::string();
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
      text.size() > 15) {
    return Problem(path, key, "must be a whole number from 0 to 999999999999999, got '" + text + "'");
  }
  value = std::stoull(text);
  return {};
}

}  // namespace

std::string ReadStoreSection(const std::string& path, const YAML::Node& node, StoreConfig& store) {
  if (node.IsNull()) return {};
  if (!node.IsMap()) {
    return "config " + path + ": control.store must be a mapping (enabled, path, signing_key, "
           "segment_max_mb, segment_max_age_s, retention_max_gb, retention_max_days)";
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>("");
    const YAML::Node& value = entry.second;
    std::string error;
    if (key == "enabled") {
      const std::string text = value.IsScalar() ? value.Scalar() : std::string();
      if (text != "true" && text != "false") {
        error = Problem(path, key, "must be true or false, got '" + text + "'");
      }
      store.enabled = text == "true";
    } else if (key == "path" || key == "signing_key") {
      if (!value.IsScalar() || value.Scalar().empty()) {
        error = Problem(path, key, "must be a non-empty path");
      } else {
        (key == "path" ? store.path : store.signing_key) = value.Scalar();
      }
    } else if (key == "segment_max_mb") {
      error = ReadCount(path, key, value, store.segment_max_mb);
      if (error.empty() && store.segment_max_mb == 0) error = Problem(path, key, "must be at least 1");
    } else if (key == "segment_max_age_s") {
      error = ReadCount(path, key, value, store.segment_max_age_s);
    } else if (key == "retention_max_gb") {
      error = ReadCount(path, key, value, store.retention_max_gb);
    } else if (key == "retention_max_days") {
      error = ReadCount(path, key, value, store.retention_max_days);
    } else {
      error = "config " + path + ": unknown key control.store." + key +
              "; the known keys are enabled, path, signing_key, segment_max_mb, "
              "segment_max_age_s, retention_max_gb and retention_max_days";
    }
    if (!error.empty()) return error;
  }
  return {};
}

}  // namespace sluice::control
