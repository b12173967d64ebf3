// sluice-gen-api: writes a deterministic pcap of REST API traffic over TCP for tests and
// benchmarks. Nothing is sent on a network; see --help.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "perf/gen/gen_stats.h"
#include "perf/gen/traffic_generator.h"

namespace {

using sluice::gen::GeneratorOptions;

constexpr int kExitUsage = 2;

void PrintHelp() {
  std::printf(
      "Usage: sluice-gen-api --out FILE [options]\n"
      "\n"
      "Writes a pcap (nanosecond timestamps, Ethernet) of HTTP/1.x REST API traffic over TCP:\n"
      "handshakes, MSS-sized segments, ACKs, FIN and RST teardowns, keep-alive connections.\n"
      "The same options and seed always produce the same bytes.\n"
      "\n"
      "Options:\n"
      "  --out FILE          pcap file to write (required)\n"
      "  --calls N           HTTP transactions to generate (default 10000, 1..100000000)\n"
      "  --seed S            random seed, an unsigned 64-bit integer (default 1)\n"
      "  --clients N         distinct client hosts (default 200, 1..60000)\n"
      "  --ipv6-share F      fraction of clients that use IPv6, 0..1 (default 0.15)\n"
      "  --rate R            new connections per second, Poisson arrivals (default 50)\n"
      "  --summary FILE      also write a JSON summary: calls, connections, packets, bytes,\n"
      "                      counts per method, status, host and connection ending\n"
      "  --help              show this text\n"
      "\n"
      "Addresses: IPv4 clients in 198.18.0.0/16, IPv6 clients in 2001:db8::/32, servers in\n"
      "198.19.0.0/16 and 2001:db8:5e::/48. The first packet is at 2024-03-12T09:00:00Z.\n"
      "Exit status: 0 on success, 2 on an invalid option or a file that cannot be written.\n");
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

bool ParseFraction(const char* text, double low, double high, double* value) {
  errno = 0;
  char* end = nullptr;
  const double parsed = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(parsed >= low && parsed <= high)) return false;
  *value = parsed;
  return true;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "sluice-gen-api: %s\nRun 'sluice-gen-api --help' for the options.\n",
               message.c_str());
  return kExitUsage;
}

// Parses argv into `options`. Returns -1 to continue, or an exit status.
int ParseOptions(int argc, char** argv, GeneratorOptions* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (name == "--help" || name == "-h") {
      PrintHelp();
      return 0;
    }
    if (i + 1 >= argc) return UsageError("missing value for option '" + std::string(name) + "'");
    const char* value = argv[++i];
    uint64_t number = 0;
    bool valid = true;
    if (name == "--out") {
      options->out_path = value;
    } else if (name == "--summary") {
      options->summary_path = value;
    } else if (name == "--calls") {
      valid = ParseUnsigned(value, 1, 100000000, &options->calls);
    } else if (name == "--seed") {
      valid = ParseUnsigned(value, 0, UINT64_MAX, &options->seed);
    } else if (name == "--clients") {
      valid = ParseUnsigned(value, 1, 60000, &number);
      options->clients = static_cast<int>(number);
    } else if (name == "--ipv6-share") {
      valid = ParseFraction(value, 0, 1, &options->ipv6_share);
    } else if (name == "--rate") {
      valid = ParseFraction(value, 0.001, 1e6, &options->connection_rate);
    } else {
      return UsageError("unknown option '" + std::string(name) + "'");
    }
    if (!valid) {
      return UsageError("invalid value '" + std::string(value) + "' for " + std::string(name) +
                        "; see --help for the allowed range");
    }
  }
  if (options->out_path.empty()) return UsageError("missing required option --out FILE");
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  GeneratorOptions options;
  const int parse_status = ParseOptions(argc, argv, &options);
  if (parse_status >= 0) return parse_status;

  sluice::gen::GenStats stats;
  std::string error;
  if (!sluice::gen::GenerateCapture(options, &stats, &error)) {
    std::fprintf(stderr, "sluice-gen-api: %s\n", error.c_str());
    return kExitUsage;
  }
  if (!options.summary_path.empty()) {
    sluice::gen::SummaryInfo info{options.seed, options.clients, options.ipv6_share,
                                  options.out_path};
    if (!sluice::gen::WriteSummaryJson(options.summary_path, stats, info, &error)) {
      std::fprintf(stderr, "sluice-gen-api: %s\n", error.c_str());
      return kExitUsage;
    }
  }
  std::fprintf(stderr, "sluice-gen-api: wrote %llu calls, %llu connections, %llu packets to %s\n",
               static_cast<unsigned long long>(stats.calls),
               static_cast<unsigned long long>(stats.connections),
               static_cast<unsigned long long>(stats.packets), options.out_path.c_str());
  return 0;
}
