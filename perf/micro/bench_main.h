// Shared main() of the perf/micro benchmark binaries: optional DPDK EAL start, then Google
// Benchmark. Benchmarks are single-threaded and run on the calling thread.
#pragma once

#include <functional>

namespace sluice::perf {

struct BenchMainOptions {
  // Starts DPDK's EAL (--no-huge --no-pci, one lcore) for code that needs rte_hash or rte_ring.
  bool start_eal = false;
  // EAL memory (-m) in MiB; DPDK puts hash tables and rings in it.
  int eal_memory_mb = 512;
  // Runs before the benchmarks; a false result ends the process with status 1, so a broken
  // harness fails the meson test instead of printing numbers.
  std::function<bool()> self_check;
};

// Parses benchmark flags, starts EAL when asked, runs the self-check and every registered
// benchmark. Returns the process exit status.
int RunBenchmarkMain(int argc, char** argv, const BenchMainOptions& options);

}  // namespace sluice::perf
