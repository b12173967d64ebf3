#include "perf/micro/bench_main.h"

#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "dataplane/app/eal_cleanup.h"

namespace sluice::perf {

namespace {

bool StartEal(const char* program, int memory_mb) {
  // A per-process file prefix lets several DPDK benchmarks and tests run side by side.
  std::vector<std::string> arguments = {
      program, "--no-huge", "--no-pci", "-m", std::to_string(memory_mb),
      "--file-prefix=sluice-bench-" + std::to_string(getpid()), "--log-level=lib.eal:error",
      "-l", "0"};
  std::vector<char*> argv_eal;
  for (std::string& argument : arguments) argv_eal.push_back(argument.data());
  if (rte_eal_init(static_cast<int>(argv_eal.size()), argv_eal.data()) < 0) {
    std::fprintf(stderr, "%s: error: rte_eal_init failed (--no-huge -m %d); check free memory\n",
                 program, memory_mb);
    return false;
  }
  return true;
}

// The console reporter, remembering whether any run called SkipWithError: Google Benchmark 1.7
// still exits with 0 then, and a smoke test must fail on a broken benchmark.
class ErrorTrackingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) failed_ = failed_ || run.error_occurred;
    ConsoleReporter::ReportRuns(runs);
  }
  bool failed() const { return failed_; }

 private:
  bool failed_ = false;
};

}  // namespace

int RunBenchmarkMain(int argc, char** argv, const BenchMainOptions& options) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  if (options.start_eal && !StartEal(argv[0], options.eal_memory_mb)) return 1;

  int status = 0;
  if (options.self_check && !options.self_check()) {
    std::fprintf(stderr, "%s: error: self-check failed; the figures would be meaningless\n",
                 argv[0]);
    status = 1;
  } else {
    ErrorTrackingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    if (reporter.failed()) {
      std::fprintf(stderr, "%s: error: a benchmark reported an error (see above)\n", argv[0]);
      status = 1;
    }
  }
  if (options.start_eal) sluice::app::StopEalAndRemoveRuntimeDir();
  return status;
}

}  // namespace sluice::perf
