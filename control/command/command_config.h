// Settings of the command channel and the metrics endpoint: the command_*, dataplane_*,
// metrics_listen and update_timeout_s keys of the `control:` section.
#pragma once

#include <cstdint>
#include <string>

namespace YAML { class Node; }

namespace sluice::control {

inline constexpr char kDefaultCommandListen[] = "tcp://127.0.0.1:7751";
inline constexpr char kDefaultDataplaneCommandListen[] = "tcp://127.0.0.1:7752";
inline constexpr char kDefaultKeyDirectory[] = "/etc/sluice/keys";
inline constexpr char kDefaultMetricsListen[] = "127.0.0.1:9750";

struct CommandConfig {
  std::string command_listen = kDefaultCommandListen;
  std::string dataplane_command_listen = kDefaultDataplaneCommandListen;
  std::string command_keys = kDefaultKeyDirectory;  // holds server.secret
  std::string command_allowed_keys;                 // empty: command_keys + "/allowed"
  std::string metrics_listen = kDefaultMetricsListen;  // "off" disables the endpoint
  // CURVE on both channels to data planes (records and commands), with the server key of
  // command_keys. Data planes then need the server's public key (dataplane.control_server_key).
  bool dataplane_curve = false;
  uint32_t update_timeout_s = 60;

  std::string AllowedKeysDirectory() const {
    return command_allowed_keys.empty() ? command_keys + "/allowed" : command_allowed_keys;
  }
  std::string ServerSecretPath() const { return command_keys + "/server.secret"; }
};

// True when `key` is one of the settings above.
bool IsCommandConfigKey(const std::string& key);

// Reads one setting of the file `path` into `config`. Returns an empty string on success or one
// line naming the file, the key and the fix.
std::string ReadCommandConfigKey(const std::string& path, const std::string& key,
                                 const YAML::Node& value, CommandConfig& config);

}  // namespace sluice::control
