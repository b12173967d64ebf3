// Settings of sluice-control: defaults, then the `control:` section of the YAML file, then flags.
#pragma once

#include <cstdint>
#include <string>

#include <yaml-cpp/yaml.h>
#include "control/command/command_config.h"
#include "control/forensics/scope_config.h"

namespace sluice::control {

inline constexpr char kDefaultListen[] = "tcp://127.0.0.1:7750";
inline constexpr char kDefaultJsonl[] = "/var/lib/sluice/records.jsonl";
inline constexpr char kDefaultStorePath[] = "/var/lib/sluice/store";

// The `control.store:` section: the forensic store.
struct StoreConfig {
  bool enabled = true;
  std::string path = kDefaultStorePath;
  std::string signing_key;  // empty: path + "-signing.pem", beside the store directory
  uint64_t segment_max_mb = 64;
  uint64_t segment_max_age_s = 300;
  uint64_t retention_max_gb = 100;    // 0: no size limit
  uint64_t retention_max_days = 90;   // 0: no age limit

  // The signing key path in force: signing_key, or the default derived from path.
  std::string SigningKeyPath() const {
    return signing_key.empty() ? path + "-signing.pem" : signing_key;
  }
};

struct ControlConfig {
  std::string listen = kDefaultListen;
  std::string jsonl = kDefaultJsonl;
  StoreConfig store;
  CommandConfig command;  // command channel and metrics endpoint
  forensics::ScopeThresholds report;  // `sluicectl report scope` thresholds (control.report)
};

// Flags of the settings given on the command line, which win over the file.
struct ConfigOverrides {
  bool listen = false;
  bool jsonl = false;
  bool store_enabled = false;
  bool store_path = false;
  bool store_key = false;
};

// Reads the `control.store:` mapping into `store`. Returns an empty string on success, or one
// line naming the file, the key and the fix.
std::string ReadStoreSection(const std::string& path, const YAML::Node& node, StoreConfig& store);

// Reads the `control:` section of the YAML file at `path` into `config`, leaving settings that
// `overrides` marks as set on the command line. Other top-level sections belong to the data plane
// and are ignored. Returns an empty string on success, or one line naming the file, the key and the
// fix: missing or unreadable file, YAML syntax error, unknown key under `control:`, wrong type.
std::string LoadConfigFile(const std::string& path, const ConfigOverrides& overrides,
                           ControlConfig& config);

}  // namespace sluice::control
