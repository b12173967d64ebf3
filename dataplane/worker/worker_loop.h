// The polling loop each worker lcore runs: it pulls bursts from its input, processes them, and
// runs the timers (idle flow expiry, record flush) between bursts.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

#include "dataplane/worker/latency_histogram.h"
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
  // Inline: the port each entry of `queues` forwards to (same queue number on the peer).
  std::vector<uint16_t> peers;
  bool inline_mode = false;
  bool fail_open = true;
  uint32_t overload_queue_depth = 768;
  const std::atomic<bool>* stop = nullptr;
  // Inline and passive: processing time per packet, and frames the TX queues would not take.
  LatencyHistogram latency;
  uint64_t tx_dropped = 0;
  // Workers that have closed their flows, shared by all. At the end each worker keeps running
  // the detectors on its ring until all have closed, so no call event is left unprocessed.
  std::atomic<uint32_t>* workers_closed = nullptr;
  uint32_t worker_count = 1;
  // Set by the worker when it has closed every flow and handed over its last batch.
  std::atomic<bool> finished{false};
};

// lcore entry point; `arg` is a WorkerRuntime*.
int RunWorker(void* arg);

}  // namespace sluice::worker
