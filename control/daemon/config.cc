#include "control/daemon/config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace sluice::control {
namespace {

const char* NodeTypeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "an empty value";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Undefined: break;
  }
  return "an undefined value";
}

// Reads one string setting. Returns an empty string on success or the error line.
std::string ReadString(const std::string& path, const YAML::Node& node, const char* key,
                       const char* example, std::string& value) {
  if (!node.IsScalar() || node.Scalar().empty()) {
    return "config " + path + ": control." + key + " must be a non-empty string such as " +
           example + ", got " + NodeTypeName(node) + "; fix the value in the file";
  }
  value = node.Scalar();
  return {};
}

}  // namespace

std::string LoadConfigFile(const std::string& path, const ConfigOverrides& overrides,
                           ControlConfig& config) {
  std::ifstream stream(path);
  if (!stream) {
    return "config " + path + ": cannot open: " + std::strerror(errno) +
           "; check the path given with --config";
  }

  YAML::Node root;
  try {
    root = YAML::Load(stream);
  } catch (const YAML::Exception& error) {
    // yaml-cpp reports syntax errors only by exception; mark.line is 0-based.
    return "config " + path + ": invalid YAML at line " + std::to_string(error.mark.line + 1) +
           ", column " + std::to_string(error.mark.column + 1) + ": " + error.msg +
           "; fix the syntax";
  }

  if (root.IsNull()) return {};  // an empty file sets nothing
  if (!root.IsMap()) {
    return "config " + path + ": the top level must be a mapping with a control: section, got " +
           NodeTypeName(root);
  }
  const YAML::Node section = root["control"];
  if (!section.IsDefined() || section.IsNull()) return {};
  if (!section.IsMap()) {
    return "config " + path + ": control must be a mapping of settings (listen, jsonl, store), got " +
           NodeTypeName(section);
  }

  ControlConfig loaded = config;
  for (const auto& entry : section) {
    const std::string key = entry.first.as<std::string>("");
    std::string error;
    if (key == "listen") {
      error = ReadString(path, entry.second, "listen", kDefaultListen, loaded.listen);
    } else if (key == "jsonl") {
      error = ReadString(path, entry.second, "jsonl", kDefaultJsonl, loaded.jsonl);
    } else if (key == "report") {
      // Thresholds of `sluicectl report scope`, read by control/forensics/scope_config.cc.
    } else if (key == "store") {
      error = ReadStoreSection(path, entry.second, loaded.store);
    } else if (IsCommandConfigKey(key)) {
      error = ReadCommandConfigKey(path, key, entry.second, loaded.command);
    } else {
      error = "config " + path + ": unknown key control." + key +
              "; the known keys are control.listen, control.jsonl, control.store, control.report, "
              "control.command_listen, control.dataplane_command_listen, control.command_keys, "
              "control.command_allowed_keys, control.metrics_listen, control.dataplane_curve "
              "and control.update_timeout_s";
    }
    if (!error.empty()) return error;
  }

  if (!overrides.listen) config.listen = loaded.listen;
  if (!overrides.jsonl) config.jsonl = loaded.jsonl;
  const StoreConfig flags = config.store;
  config.store = loaded.store;
  if (overrides.store_enabled) config.store.enabled = flags.enabled;
  if (overrides.store_path) config.store.path = flags.path;
  if (overrides.store_key) config.store.signing_key = flags.signing_key;
  config.command = loaded.command;
  return {};
}

}  // namespace sluice::control
