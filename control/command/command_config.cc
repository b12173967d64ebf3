#include "control/command/command_config.h"

#include <yaml-cpp/yaml.h>

#include <set>

namespace sluice::control {

namespace {

std::string ReadText(const std::string& path, const std::string& key, const YAML::Node& value,
                     const char* example, std::string& out) {
  if (!value.IsScalar() || value.Scalar().empty()) {
    return "config " + path + ": control." + key + " must be a non-empty string such as " +
           example + "; fix the value in the file";
  }
  out = value.Scalar();
  return {};
}

}  // namespace

bool IsCommandConfigKey(const std::string& key) {
  static const std::set<std::string> kKeys = {
      "command_listen", "dataplane_command_listen", "command_keys", "command_allowed_keys",
      "metrics_listen", "dataplane_curve",          "update_timeout_s"};
  return kKeys.count(key) > 0;
}

std::string ReadCommandConfigKey(const std::string& path, const std::string& key,
                                 const YAML::Node& value, CommandConfig& config) {
  if (key == "command_listen") {
    return ReadText(path, key, value, kDefaultCommandListen, config.command_listen);
  }
  if (key == "dataplane_command_listen") {
    return ReadText(path, key, value, kDefaultDataplaneCommandListen,
                    config.dataplane_command_listen);
  }
  if (key == "command_keys") return ReadText(path, key, value, kDefaultKeyDirectory, config.command_keys);
  if (key == "command_allowed_keys") {
    return ReadText(path, key, value, "/etc/sluice/keys/allowed", config.command_allowed_keys);
  }
  if (key == "metrics_listen") {
    return ReadText(path, key, value, "127.0.0.1:9750 or off", config.metrics_listen);
  }
  try {
    if (key == "dataplane_curve") {
      config.dataplane_curve = value.as<bool>();
      return {};
    }
    if (key == "update_timeout_s") {
      const int64_t seconds = value.as<int64_t>();
      if (seconds < 1 || seconds > 3600) throw YAML::Exception(YAML::Mark(), "out of range");
      config.update_timeout_s = static_cast<uint32_t>(seconds);
      return {};
    }
  } catch (const YAML::Exception&) {
    return "config " + path + ": control." + key +
           (key == "dataplane_curve" ? " must be true or false"
                                     : " must be a whole number of seconds from 1 to 3600") +
           "; fix the value in the file";
  }
  return "config " + path + ": unknown key control." + key;
}

}  // namespace sluice::control
