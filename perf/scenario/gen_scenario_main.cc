// sluice-gen-scenario: writes a labelled capture of API traffic with attacks and hard benign
// cases, for tuning and scoring the stateful detectors. Nothing is sent on a network; see --help.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "perf/scenario/name_sets.h"
#include "perf/scenario/roles.h"
#include "perf/scenario/scenario.h"

namespace {

using sluice::scenario::ScenarioOptions;

constexpr int kExitUsage = 2;

void PrintHelp() {
  std::string names;
  for (const std::string& name : sluice::scenario::NameSetNames()) names += " " + name;
  std::printf(
      "Usage: sluice-gen-scenario --out FILE --labels FILE [options]\n"
      "\n"
      "Writes a pcap (Ethernet, IPv4, TCP with handshakes, HTTP/1.1) of many normal API clients\n"
      "plus labelled attacks and hard benign cases, and a JSON file that labels every client:\n"
      "address, identity, role, the detector that must report it and the endpoint template.\n"
      "The same options and seed always produce the same bytes.\n"
      "\n"
      "Options:\n"
      "  --out FILE             pcap file to write (required)\n"
      "  --labels FILE          labels JSON file to write (required)\n"
      "  --seed S               random seed, an unsigned 64-bit integer (default 1)\n"
      "  --shape LIST           comma-separated shapes or role names (default full)\n"
      "  --endpoint-names NAME  path and host naming set:%s (default accounts)\n"
      "  --identity KIND        ip, api_key, bearer or jwt_sub: what tells clients apart (default\n"
      "                         ip; the others put most clients behind a few shared addresses)\n"
      "  --minutes M            simulated capture length in minutes (default 20)\n"
      "  --normal-clients N     ordinary clients besides the shape's roles (default 40)\n"
      "  --nat-users N          users behind each nat_address (default 12)\n"
      "  --shared-addresses N   egress addresses shared by clients when --identity is not ip\n"
      "                         (default 4)\n"
      "  --attack-rate F        multiplies how fast attacks send calls (default 1)\n"
      "  --attack-scale F       multiplies how many calls each attack sends (default 1)\n"
      "  --normal-rate F        multiplies how often benign clients open sessions (default 1)\n"
      "  --help                 show this text\n"
      "\n"
      "Shapes (every shape also contains the benign roles listed under 'benign'):\n%s"
      "\n"
      "Addresses: clients in 198.18.0.0/16, servers 198.19.60.10 (API) and 198.19.60.20 (login),\n"
      "port 80. The first packet is at 2024-03-12T09:00:00Z.\n"
      "Exit status: 0 on success, 2 on an invalid option or a file that cannot be written.\n",
      names.c_str(), sluice::scenario::DescribeShapes().c_str());
}

bool ParseUnsigned(const char* text, uint64_t low, uint64_t high, uint64_t* value) {
  if (text[0] < '0' || text[0] > '9') return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long parsed = std::strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || parsed < low || parsed > high) return false;
  *value = parsed;
  return true;
}

bool ParseNumber(const char* text, double low, double high, double* value) {
  errno = 0;
  char* end = nullptr;
  const double parsed = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(parsed >= low && parsed <= high)) return false;
  *value = parsed;
  return true;
}

bool ParseCount(const char* text, uint64_t low, uint64_t high, int* value) {
  uint64_t number = 0;
  if (!ParseUnsigned(text, low, high, &number)) return false;
  *value = static_cast<int>(number);
  return true;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "sluice-gen-scenario: %s\nRun 'sluice-gen-scenario --help' for the options.\n",
               message.c_str());
  return kExitUsage;
}

// Parses argv into `options`. Returns -1 to continue, or an exit status.
int ParseOptions(int argc, char** argv, ScenarioOptions* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (name == "--help" || name == "-h") {
      PrintHelp();
      return 0;
    }
    if (i + 1 >= argc) return UsageError("missing value for option '" + std::string(name) + "'");
    const char* value = argv[++i];
    bool valid = true;
    if (name == "--out") {
      options->out_path = value;
    } else if (name == "--labels") {
      options->labels_path = value;
    } else if (name == "--seed") {
      valid = ParseUnsigned(value, 0, UINT64_MAX, &options->seed);
    } else if (name == "--shape") {
      options->shape = value;
    } else if (name == "--endpoint-names") {
      options->endpoint_names = value;
      valid = sluice::scenario::FindNameSet(value) != nullptr;
    } else if (name == "--identity") {
      valid = sluice::scenario::ParseIdentityKind(value, &options->identity);
    } else if (name == "--minutes") {
      valid = ParseNumber(value, 0.5, 1440, &options->minutes);
    } else if (name == "--normal-clients") {
      valid = ParseCount(value, 0, 10000, &options->normal_clients);
    } else if (name == "--nat-users") {
      valid = ParseCount(value, 1, 1000, &options->nat_users);
    } else if (name == "--shared-addresses") {
      valid = ParseCount(value, 1, 1000, &options->shared_addresses);
    } else if (name == "--attack-rate") {
      valid = ParseNumber(value, 0.01, 100, &options->attack_rate);
    } else if (name == "--attack-scale") {
      valid = ParseNumber(value, 0.01, 100, &options->attack_scale);
    } else if (name == "--normal-rate") {
      valid = ParseNumber(value, 0.01, 100, &options->normal_rate);
    } else {
      return UsageError("unknown option '" + std::string(name) + "'");
    }
    if (!valid) {
      return UsageError("invalid value '" + std::string(value) + "' for " + std::string(name) +
                        "; see --help for the allowed values");
    }
  }
  if (options->out_path.empty()) return UsageError("missing required option --out FILE");
  if (options->labels_path.empty()) return UsageError("missing required option --labels FILE");
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  ScenarioOptions options;
  const int parse_status = ParseOptions(argc, argv, &options);
  if (parse_status >= 0) return parse_status;

  sluice::gen::GenStats stats;
  std::string error;
  if (!sluice::scenario::GenerateScenario(options, &stats, &error)) {
    std::fprintf(stderr, "sluice-gen-scenario: %s\n", error.c_str());
    return kExitUsage;
  }
  std::fprintf(stderr,
               "sluice-gen-scenario: wrote %llu calls, %llu connections, %llu packets to %s and "
               "labels to %s\n",
               static_cast<unsigned long long>(stats.calls),
               static_cast<unsigned long long>(stats.connections),
               static_cast<unsigned long long>(stats.packets), options.out_path.c_str(),
               options.labels_path.c_str());
  return 0;
}
