#include "dataplane/app/config.h"

#include <arpa/inet.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>

namespace sluice::app {

namespace {

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "sluice";
  return name;
}

// Reads an unsigned integer key; fails on a wrong type or a value out of [minimum, maximum].
bool ReadNumber(const YAML::Node& node, const std::string& key, uint32_t minimum, uint32_t maximum,
                uint32_t* out, std::string* error) {
  try {
    const long long value = node.as<long long>();
    if (value < minimum || value > maximum) {
      *error = "'" + key + "' is " + std::to_string(value) + "; expected " + std::to_string(minimum) +
               " to " + std::to_string(maximum);
      return false;
    }
    *out = static_cast<uint32_t>(value);
    return true;
  } catch (const YAML::Exception&) {
    *error = "'" + key + "' must be a whole number";
    return false;
  }
}

bool ReadExport(const YAML::Node& node, ExportSettings* settings, std::string* error) {
  if (!node.IsMap()) {
    *error = "'dataplane.export' must be a mapping (spool_batches_per_worker, spool_bytes, "
             "spool_overflow)";
    return false;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (key == "spool_batches_per_worker") {
      // sluice-control remembers at most 1024 batches written past a missing one per worker;
      // a larger spool could resend a batch after sluice-control gave up waiting for it.
      if (!ReadNumber(entry.second, "dataplane.export.spool_batches_per_worker", 0, 1024,
                      &settings->spool_batches_per_worker, error)) {
        return false;
      }
    } else if (key == "spool_bytes") {
      if (!ReadNumber(entry.second, "dataplane.export.spool_bytes", 1u << 20, UINT32_MAX,
                      &settings->spool_bytes, error)) {
        return false;
      }
    } else if (key == "spool_overflow") {
      const std::string policy = entry.second.as<std::string>();
      if (policy != "auto" && policy != "wait" && policy != "drop_oldest") {
        *error = "invalid 'dataplane.export.spool_overflow' value '" + policy +
                 "': expected auto, wait or drop_oldest";
        return false;
      }
      settings->spool_overflow = policy;
    } else {
      *error = "unknown key 'dataplane.export." + key + "'";
      return false;
    }
  }
  return true;
}

bool ReadLimits(const YAML::Node& node, Limits* limits, std::string* error) {
  struct Field {
    const char* key;
    uint32_t* target;
    uint32_t minimum;
    uint32_t maximum;
  };
  const Field fields[] = {
      {"flows_per_worker", &limits->flows_per_worker, 16, 1u << 26},
      {"flow_idle_timeout_s", &limits->flow_idle_timeout_s, 1, 86400},
      {"transactions_per_worker", &limits->transactions_per_worker, 16, 1u << 24},
      {"reassembly_chunks_per_worker", &limits->reassembly_chunks_per_worker, 16, 1u << 24},
      {"max_held_bytes_per_stream", &limits->max_held_bytes_per_stream, 2048, 1u << 30},
      {"line_buffers_per_worker", &limits->line_buffers_per_worker, 1, 1u << 20},
      {"max_line_bytes", &limits->max_line_bytes, 256, 1u << 20},
      {"max_headers", &limits->max_headers, 1, 10000},
      {"max_header_bytes", &limits->max_header_bytes, 256, 1u << 26},
      {"body_streams_per_worker", &limits->body_streams_per_worker, 1, 1u << 20},
      {"inflaters_per_worker", &limits->inflaters_per_worker, 1, 4096},
  };
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const Field* match = nullptr;
    for (const Field& field : fields) {
      if (key == field.key) match = &field;
    }
    if (match == nullptr) {
      *error = "unknown key 'dataplane.limits." + key + "'";
      return false;
    }
    if (!ReadNumber(entry.second, "dataplane.limits." + key, match->minimum, match->maximum,
                    match->target, error)) {
      return false;
    }
  }
  return true;
}

bool ReadStringList(const YAML::Node& node, const std::string& key, std::vector<std::string>* out,
                    std::string* error) {
  if (!node.IsSequence()) {
    *error = "'" + key + "' must be a list of strings";
    return false;
  }
  out->clear();
  for (const auto& item : node) out->push_back(item.as<std::string>());
  return true;
}

bool ReadPii(const YAML::Node& node, PiiSettings* pii, std::string* error) {
  static const std::set<std::string> kFields = {"request_body", "response_body", "request_headers",
                                                "response_headers", "query"};
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (key == "enabled") {
      pii->enabled = entry.second.as<bool>();
    } else if (key == "key_file") {
      pii->key_file = entry.second.as<std::string>();
    } else if (key == "redact") {
      pii->redact = entry.second.as<bool>();
    } else if (key == "fields") {
      if (!ReadStringList(entry.second, "dataplane.pii.fields", &pii->fields, error)) return false;
      for (const std::string& field : pii->fields) {
        if (kFields.count(field) == 0) {
          *error = "'dataplane.pii.fields' has '" + field +
                   "'; expected request_body, response_body, request_headers, response_headers or query";
          return false;
        }
      }
    } else {
      *error = "unknown key 'dataplane.pii." + key + "'";
      return false;
    }
  }
  return true;
}

bool ReadBlockResponse(const YAML::Node& node, DataplaneConfig* config, std::string* error) {
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (key == "type") {
      const std::string type = entry.second.as<std::string>();
      if (type != "reset" && type != "http") {
        *error = "'dataplane.block_response.type' is '" + type + "'; expected reset or http";
        return false;
      }
      config->block_with_http_error = type == "http";
    } else if (key == "status") {
      if (!ReadNumber(entry.second, "dataplane.block_response.status", 400, 599, &config->block_status, error)) {
        return false;
      }
    } else if (key == "body") {
      config->block_body = entry.second.as<std::string>();
    } else {
      *error = "unknown key 'dataplane.block_response." + key + "'";
      return false;
    }
  }
  return true;
}

// More entries would make the per-flow lookup, a linear scan, cost more than the flow setup.
constexpr size_t kMaxOverlapNetworks = 256;

// Reads a policy name. The OS names are aliases of the two behaviours implemented, named after
// stacks that follow them; nothing else of those stacks is modelled.
bool ReadOverlapPolicyName(const YAML::Node& node, const std::string& key,
                           reassembly::OverlapPolicy* policy, std::string* error) {
  const std::string name = node.as<std::string>();
  if (name == "first" || name == "linux" || name == "bsd" || name == "windows") {
    *policy = reassembly::OverlapPolicy::kFirst;
  } else if (name == "last" || name == "solaris" || name == "hpux") {
    *policy = reassembly::OverlapPolicy::kLast;
  } else {
    *error = "'" + key + "' is '" + name +
             "'; expected first or last (aliases: linux, bsd, windows for first; solaris, hpux for "
             "last)";
    return false;
  }
  return true;
}

// Parses "ADDRESS/PREFIX" (IPv4 or IPv6) or a bare address, which means a single host.
bool ParseNetwork(const std::string& text, const std::string& key, reassembly::OverlapNetwork* network,
                  std::string* error) {
  const size_t slash = text.find('/');
  const std::string address = text.substr(0, slash);
  *network = {};
  uint32_t max_prefix = 32;
  network->ip_version = 4;
  if (inet_pton(AF_INET, address.c_str(), network->address) != 1) {
    max_prefix = 128;
    network->ip_version = 6;
    if (inet_pton(AF_INET6, address.c_str(), network->address) != 1) {
      *error = "'" + key + "' is '" + text + "'; expected a network such as 198.51.100.0/24 or 2001:db8::/32";
      return false;
    }
  }
  uint32_t prefix = max_prefix;
  if (slash != std::string::npos) {
    const std::string digits = text.substr(slash + 1);
    bool valid = !digits.empty() && digits.size() <= 3;
    for (const char c : digits) valid = valid && c >= '0' && c <= '9';
    if (valid) prefix = static_cast<uint32_t>(std::stoul(digits));
    if (!valid || prefix > max_prefix) {
      *error = "'" + key + "' is '" + text + "'; the prefix length must be 0 to " +
               std::to_string(max_prefix);
      return false;
    }
  }
  network->prefix_length = static_cast<uint8_t>(prefix);
  for (uint32_t bit = prefix; bit < max_prefix; ++bit) {
    if (network->address[bit / 8] & (0x80 >> (bit % 8))) {
      *error = "'" + key + "' is '" + text + "'; it has host bits set after the /" +
               std::to_string(prefix) + " prefix: give the network address";
      return false;
    }
  }
  return true;
}

bool ReadOverlapNetworks(const YAML::Node& node, std::vector<reassembly::OverlapNetwork>* networks,
                         std::string* error) {
  const std::string list_key = "dataplane.overlap_policy.networks";
  if (!node.IsSequence()) {
    *error = "'" + list_key + "' must be a list of {network: CIDR, policy: first|last}";
    return false;
  }
  if (node.size() > kMaxOverlapNetworks) {
    *error = "'" + list_key + "' has " + std::to_string(node.size()) + " entries; at most " +
             std::to_string(kMaxOverlapNetworks) + " are supported";
    return false;
  }
  networks->clear();
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string entry_key = list_key + "[" + std::to_string(i) + "]";
    const YAML::Node entry = node[i];
    if (!entry.IsMap() || !entry["network"] || !entry["policy"] || entry.size() != 2) {
      *error = "'" + entry_key + "' must have exactly the keys network and policy";
      return false;
    }
    reassembly::OverlapNetwork network;
    if (!ParseNetwork(entry["network"].as<std::string>(), entry_key + ".network", &network, error) ||
        !ReadOverlapPolicyName(entry["policy"], entry_key + ".policy", &network.policy, error)) {
      return false;
    }
    for (size_t j = 0; j < networks->size(); ++j) {
      const reassembly::OverlapNetwork& other = (*networks)[j];
      if (other.ip_version == network.ip_version && other.prefix_length == network.prefix_length &&
          std::memcmp(other.address, network.address, sizeof(network.address)) == 0) {
        *error = "'" + entry_key + ".network' repeats the network of '" + list_key + "[" +
                 std::to_string(j) + "]'";
        return false;
      }
    }
    networks->push_back(network);
  }
  return true;
}

bool ReadOverlapPolicy(const YAML::Node& node, reassembly::OverlapPolicyTable* table,
                       std::string* error) {
  if (!node.IsMap()) {
    *error = "'dataplane.overlap_policy' must be a mapping with the keys default and networks";
    return false;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (key == "default") {
      if (!ReadOverlapPolicyName(entry.second, "dataplane.overlap_policy.default",
                                 &table->default_policy, error)) {
        return false;
      }
    } else if (key == "networks") {
      if (!ReadOverlapNetworks(entry.second, &table->networks, error)) return false;
    } else {
      *error = "unknown key 'dataplane.overlap_policy." + key + "'";
      return false;
    }
  }
  return true;
}

bool ReadDataplaneKey(const std::string& key, const YAML::Node& value, DataplaneConfig* config,
                      std::string* error) {
  if (key == "id") {
    config->id = value.as<std::string>();
  } else if (key == "mode") {
    const std::string mode = value.as<std::string>();
    if (mode == "offline") config->mode = Mode::kOffline;
    else if (mode == "passive") config->mode = Mode::kPassive;
    else if (mode == "inline") config->mode = Mode::kInline;
    else {
      *error = "'dataplane.mode' is '" + mode + "'; expected offline, passive or inline";
      return false;
    }
  } else if (key == "rules") {
    config->rules = value.as<std::string>();
  } else if (key == "checksums") {
    config->checksums = value.as<std::string>();
    if (config->checksums != "auto" && config->checksums != "on" && config->checksums != "off") {
      *error = "'dataplane.checksums' is '" + config->checksums + "'; expected auto, on or off";
      return false;
    }
  } else if (key == "http_ports") {
    if (!value.IsSequence()) {
      *error = "'dataplane.http_ports' must be a list of TCP ports";
      return false;
    }
    config->http_ports.clear();
    for (const auto& item : value) {
      uint32_t port = 0;
      if (!ReadNumber(item, "dataplane.http_ports", 1, 65535, &port, error)) return false;
      config->http_ports.push_back(static_cast<uint16_t>(port));
    }
  } else if (key == "pii") {
    return ReadPii(value, &config->pii, error);
  } else if (key == "detectors") {
    return detect::ParsePolicyNode(value, "dataplane.detectors", &config->detectors, error);
  } else if (key == "overlap_policy") {
    return ReadOverlapPolicy(value, &config->overlap_policies, error);
  } else if (key == "fail") {
    const std::string fail = value.as<std::string>();
    if (fail != "open" && fail != "closed") {
      *error = "'dataplane.fail' is '" + fail + "'; expected open or closed";
      return false;
    }
    config->fail_open = fail == "open";
  } else if (key == "overload_queue_depth") {
    return ReadNumber(value, "dataplane.overload_queue_depth", 1, 1u << 16, &config->overload_queue_depth, error);
  } else if (key == "block_response") {
    return ReadBlockResponse(value, config, error);
  } else if (key == "pcap") {
    config->pcap = value.as<std::string>();
  } else if (key == "ports") {
    return ReadStringList(value, "dataplane.ports", &config->ports, error);
  } else if (key == "workers") {
    return ReadNumber(value, "dataplane.workers", 1, 64, &config->workers, error);
  } else if (key == "control") {
    config->control = value.as<std::string>();
  } else if (key == "command") {
    config->command = value.as<std::string>();
  } else if (key == "control_server_key") {
    config->control_server_key_file = value.as<std::string>();
  } else if (key == "eal") {
    return ReadStringList(value, "dataplane.eal", &config->eal_args, error);
  } else if (key == "limits") {
    return ReadLimits(value, &config->limits, error);
  } else if (key == "records_per_batch") {
    return ReadNumber(value, "dataplane.records_per_batch", 1, 65536, &config->records_per_batch, error);
  } else if (key == "batch_buffers_per_worker") {
    return ReadNumber(value, "dataplane.batch_buffers_per_worker", 2, 1u << 16,
                      &config->batch_buffers_per_worker, error);
  } else if (key == "export") {
    return ReadExport(value, &config->export_settings, error);
  } else if (key == "ack_timeout_s") {
    return ReadNumber(value, "dataplane.ack_timeout_s", 1, 86400, &config->ack_timeout_s, error);
  } else {
    *error = "unknown key 'dataplane." + key + "'";
    return false;
  }
  return true;
}

}  // namespace

bool LoadConfigFile(const std::string& path, DataplaneConfig* config, std::string* error) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    *error = "cannot read config file '" + path + "': " + std::strerror(errno);
    return false;
  } catch (const YAML::Exception& e) {
    *error = "invalid YAML in config file '" + path + "' at line " + std::to_string(e.mark.line + 1) +
             ": " + e.msg;
    return false;
  }
  config->config_path = path;
  if (root.IsNull()) return true;
  if (!root.IsMap()) {
    *error = "config file '" + path + "' must be a mapping with 'dataplane:' and 'control:' sections";
    return false;
  }
  static const std::set<std::string> kSections = {"dataplane", "control", "rules", "detectors"};
  for (const auto& section : root) {
    const std::string name = section.first.as<std::string>();
    if (kSections.count(name) == 0) {
      *error = "config file '" + path + "': unknown section '" + name + "'";
      return false;
    }
  }
  const YAML::Node dataplane = root["dataplane"];
  if (!dataplane) return true;
  if (!dataplane.IsMap()) {
    *error = "config file '" + path + "': 'dataplane' must be a mapping";
    return false;
  }
  for (const auto& entry : dataplane) {
    std::string key_error;
    try {
      if (!ReadDataplaneKey(entry.first.as<std::string>(), entry.second, config, &key_error)) {
        *error = "config file '" + path + "': " + key_error;
        return false;
      }
    } catch (const YAML::Exception& e) {
      // The mark is that of the value that failed to convert, inside the section.
      *error = "config file '" + path + "': 'dataplane." + entry.first.as<std::string>() +
               "' has a value of the wrong type";
      if (!e.mark.is_null()) {
        *error += " at line " + std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1);
      }
      *error += " (switches take true or false, sizes and counts whole numbers); see "
                "appliance/sluice.example.yaml";
      return false;
    }
  }
  return true;
}

// Reads the one 40-character Z85 key of a file written by `sluicectl keys init`.
static bool ReadServerKeyFile(const std::string& path, std::string* key, std::string* error) {
  std::ifstream in(path);
  std::string line;
  while (in && std::getline(in, line)) {
    const size_t begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos || line[begin] == '#') continue;
    const size_t end = line.find_last_not_of(" \t\r");
    *key = line.substr(begin, end - begin + 1);
    if (key->size() == 40) return true;
    break;
  }
  *error = "cannot read a 40-character Z85 CURVE key from '" + path +
           "' (--control-server-key / dataplane.control_server_key); copy sluice-control's "
           "server.public there";
  return false;
}

bool ParseCommandLine(int argc, char** argv, DataplaneConfig* config, std::string* message,
                      int* exit_code) {
  // Everything after `--` goes to DPDK's EAL unchanged.
  std::vector<std::string> eal_after_dashes;
  int own_argc = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      own_argc = i;
      for (int j = i + 1; j < argc; ++j) eal_after_dashes.emplace_back(argv[j]);
      break;
    }
  }

  CLI::App cli{
      "sluice-dataplane: parses HTTP/1.x API calls from a capture file or DPDK ports and streams "
      "forensic records to sluice-control.\n\n"
      "Modes (dataplane.mode in the config file):\n"
      "  offline  read a pcap/pcapng file (--pcap), process all of it, wait until sluice-control has\n"
      "           every record, print a summary and exit\n"
      "  passive  receive from DPDK ports (dataplane.ports: PCI addresses or vdev strings) until\n"
      "           SIGINT or SIGTERM; nothing is transmitted\n"
      "  inline   ports in pairs: every frame received on one port of a pair leaves on the other,\n"
      "           except those of connections a block rule stopped (dataplane.fail: open or closed)\n\n"
      "EAL options: from dataplane.eal in the config file, then any given after `--`. Without\n"
      "hugepages the data plane adds --no-huge -m 512; each process gets its own --file-prefix.\n\n"
      "Exit codes: 0 done, 2 invalid input, config or setup (the message names the cause),\n"
      "3 sluice-control did not confirm every record in time.",
      "sluice-dataplane"};
  cli.set_version_flag("--version", "sluice-dataplane 0.1.0");
  std::string config_path;
  std::string pcap;
  std::string control;
  std::string id;
  std::string progress;
  uint32_t workers = 0;
  cli.add_option("-c,--config", config_path, "YAML config file (sections dataplane: and control:)");
  cli.add_option("--pcap", pcap, "Capture file to analyse offline (pcap or pcapng)");
  cli.add_option("--control", control, "ZeroMQ endpoint of sluice-control")
      ->default_str(config->control);
  std::string command;
  cli.add_option("--command", command,
                 "ZeroMQ endpoint of sluice-control's data plane command socket, or off")
      ->default_str(config->command);
  std::string server_key_file;
  cli.add_option("--control-server-key", server_key_file,
                 "File with sluice-control's CURVE public key: encrypts both channels to it "
                 "(needs control.dataplane_curve there)");
  cli.add_option("-w,--workers", workers, "Worker lcores")->default_str("1")->check(CLI::Range(1, 64));
  cli.add_option("--id", id, "Data plane id in records")->default_str("host name");
  cli.add_option("--replay", config->replay_seconds,
                 "Benchmark: replay the capture from memory for this many seconds, new flows each loop")
      ->check(CLI::Range(0.0, 86400.0));
  cli.add_option("--stats-json", config->stats_json, "Also write the end-of-run summary as JSON to this file");
  std::string pii_key_file;
  cli.add_option("--pii-key-file", pii_key_file,
                 "File with the HMAC key for PII fingerprints (default: a random key per run)");
  std::string rules;
  cli.add_option("--rules", rules, "YAML rule file (rules: id, msg, field/pattern or all:/any:, action)");
  cli.add_option("--check-rules", config->check_rules,
                 "Compile a rule file, report every bad rule and exit (0: valid, 2: errors)");
  cli.add_option("--progress", progress, "Progress line on stderr: auto (when a terminal), on, off")
      ->default_str("auto")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  try {
    cli.parse(own_argc, argv);
  } catch (const CLI::ParseError& e) {
    *exit_code = e.get_exit_code() == 0 ? 0 : 2;
    *message = e.get_exit_code() == 0 ? (e.get_name() == "CallForHelp" ? cli.help() : e.what())
                                      : std::string(e.what()) + "\nRun with --help for more information.";
    if (e.get_name() == "CallForVersion") *message = "sluice-dataplane 0.1.0";
    return false;
  }
  if (!config_path.empty() && !LoadConfigFile(config_path, config, message)) {
    *exit_code = 2;
    return false;
  }
  if (!config->check_rules.empty()) return true;
  if (!rules.empty()) config->rules = rules;
  if (!pii_key_file.empty()) config->pii.key_file = pii_key_file;
  if (!pcap.empty()) {
    if (config->mode != Mode::kOffline) {
      std::fprintf(stderr, "sluice-dataplane: --pcap runs offline; the config file's dataplane.mode "
                           "and ports are not used\n");
    }
    config->pcap = pcap;
    config->mode = Mode::kOffline;
  }
  if (!control.empty()) config->control = control;
  if (!command.empty()) config->command = command;
  if (!server_key_file.empty()) config->control_server_key_file = server_key_file;
  if (!config->control_server_key_file.empty() &&
      !ReadServerKeyFile(config->control_server_key_file, &config->control_server_key, message)) {
    *exit_code = 2;
    return false;
  }
  if (!id.empty()) config->id = id;
  if (!progress.empty()) config->progress = progress;
  if (workers != 0) config->workers = workers;
  if (config->id.empty()) config->id = HostName();
  config->eal_args.insert(config->eal_args.end(), eal_after_dashes.begin(), eal_after_dashes.end());

  if (config->mode == Mode::kOffline && config->pcap.empty()) {
    *message = "nothing to read: give a capture with --pcap FILE, or set dataplane.mode: passive "
               "and dataplane.ports in a config file";
    *exit_code = 2;
    return false;
  }
  if (config->mode != Mode::kOffline && config->ports.empty()) {
    *message = "passive and inline modes need dataplane.ports (PCI addresses or vdev strings) in the config file";
    *exit_code = 2;
    return false;
  }
  if (config->mode == Mode::kInline && config->ports.size() % 2 != 0) {
    *message = "inline mode takes ports in pairs (A, B, C, D: A<->B, C<->D); dataplane.ports has " +
               std::to_string(config->ports.size());
    *exit_code = 2;
    return false;
  }
  return true;
}

}  // namespace sluice::app
