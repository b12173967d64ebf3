// The polling loop each worker lcore runs: it pulls bursts from its input, processes them, and
// runs the timers (idle flow expiry, record flush) between bursts.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

#include "dataplane/worker/worker.h"

struct rte_ring;

namespace sluice::worker {

struct WorkerRuntime {
  Worker* worker = nullptr;
  // Offline: frames read and spread by the main lcore.
  rte_ring* input = nullptr;
  const std::atomic<bool>* input_done = nullptr;
  // Live: (port, queue) pairs this worker polls; timestamps come from the TSC.
  std::vector<std::pair<uint16_t, uint16_t>> queues;
  const std::atomic<bool>* stop = nullptr;
  // Set by the worker when it has closed every flow and handed over its last batch.
  std::atomic<bool> finished{false};
};

// lcore entry point; `arg` is a WorkerRuntime*.
int RunWorker(void* arg);

}  // namespace sluice::worker
