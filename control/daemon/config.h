// Settings of sluice-control: defaults, then the `control:` section of the YAML file, then flags.
#pragma once

#include <string>

#include "control/command/command_config.h"

namespace sluice::control {

inline constexpr char kDefaultListen[] = "tcp://127.0.0.1:7750";
inline constexpr char kDefaultJsonl[] = "/var/lib/sluice/records.jsonl";

struct ControlConfig {
  std::string listen = kDefaultListen;
  std::string jsonl = kDefaultJsonl;
  CommandConfig command;  // command channel and metrics endpoint
};

// Flags of the settings given on the command line, which win over the file.
struct ConfigOverrides {
  bool listen = false;
  bool jsonl = false;
};

// Reads the `control:` section of the YAML file at `path` into `config`, leaving settings that
// `overrides` marks as set on the command line. Other top-level sections belong to the data plane
// and are ignored. Returns an empty string on success, or one line naming the file, the key and the
// fix: missing or unreadable file, YAML syntax error, unknown key under `control:`, wrong type.
std::string LoadConfigFile(const std::string& path, const ConfigOverrides& overrides,
                           ControlConfig& config);

}  // namespace sluice::control
