#pragma once

#include <cstdint>
#include <string>

#include "perf/gen/gen_stats.h"

namespace sluice::gen {

struct GeneratorOptions {
  uint64_t calls = 10000;
  uint64_t seed = 1;
  int clients = 200;
  double ipv6_share = 0.15;
  double connection_rate = 50;  // New connections per second, Poisson arrivals.
  std::string out_path;
  std::string summary_path;  // Empty: no summary.
};

// 2024-03-12T09:00:00Z, the capture's first SYN (a Tuesday morning).
constexpr int64_t kCaptureStartNs = 1710234000LL * 1000000000LL;

// Generates the capture described by `options`. Returns false and fills `error` when an output
// file cannot be written.
bool GenerateCapture(const GeneratorOptions& options, GenStats* stats, std::string* error);

}  // namespace sluice::gen
