#include "dataplane/worker/worker_loop.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <sched.h>

#include <ctime>

namespace sluice::worker {

namespace {

constexpr uint16_t kBurst = 32;
constexpr uint32_t kExpiryBudget = 64;  // flows closed per timer tick, so one tick stays short
constexpr uint32_t kDetectBudget = 4 * kBurst;  // detector messages handled per loop turn
// Idle spins before a worker yields its core; matters only when lcores share cores.
constexpr uint32_t kIdleSpinsBeforeYield = 256;

// Converts TSC readings to wall-clock nanoseconds for live ports.
class WallClock {
 public:
  WallClock() {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    base_ns_ = static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
    base_tsc_ = rte_rdtsc();
    ns_per_cycle_ = 1e9 / static_cast<double>(rte_get_tsc_hz());
  }
  uint64_t Now() const {
    return base_ns_ + static_cast<uint64_t>(static_cast<double>(rte_rdtsc() - base_tsc_) * ns_per_cycle_);
  }

 private:
  uint64_t base_ns_;
  uint64_t base_tsc_;
  double ns_per_cycle_;
};

uint16_t ReceiveLive(WorkerRuntime& runtime, const WallClock& clock, rte_mbuf** mbufs) {
  uint16_t total = 0;
  for (const auto& [port, queue] : runtime.queues) {
    total += rte_eth_rx_burst(port, queue, mbufs + total, static_cast<uint16_t>(kBurst - total));
    if (total == kBurst) break;
  }
  if (total > 0) {
    const uint64_t now = clock.Now();
    for (uint16_t i = 0; i < total; ++i) MbufTimestamp(mbufs[i]) = now;
  }
  return total;
}

// Sends `count` mbufs and frees those the queue did not take. Returns how many were freed.
uint16_t Transmit(uint16_t port, uint16_t queue, rte_mbuf** mbufs, uint16_t count) {
  if (count == 0) return 0;
  const uint16_t sent = rte_eth_tx_burst(port, queue, mbufs, count);
  if (sent < count) rte_pktmbuf_free_bulk(mbufs + sent, count - sent);
  return static_cast<uint16_t>(count - sent);
}

// A worker is behind when its receive queue holds more than the threshold. PMDs that cannot
// tell (negative count) are judged by full bursts in a row instead.
bool Behind(uint16_t port, uint16_t queue, uint32_t threshold, uint16_t received, uint32_t* full_bursts) {
  const int waiting = rte_eth_rx_queue_count(port, queue);
  if (waiting >= 0) return static_cast<uint32_t>(waiting) > threshold;
  *full_bursts = received == kBurst ? *full_bursts + 1 : 0;
  return *full_bursts * kBurst > threshold;
}

// One inline poll of every queue: receive, inspect (or not, when behind and failing open),
// forward to the peer port and send any block frames back. Returns frames received.
uint16_t PollInline(WorkerRuntime& runtime, const WallClock& clock, uint32_t* full_bursts) {
  Worker& worker = *runtime.worker;
  uint16_t total = 0;
  rte_mbuf* mbufs[kBurst];
  for (size_t i = 0; i < runtime.queues.size(); ++i) {
    const auto [port, queue] = runtime.queues[i];
    const uint16_t count = rte_eth_rx_burst(port, queue, mbufs, kBurst);
    if (count == 0) continue;
    total += count;
    const uint64_t start = rte_rdtsc();
    const uint64_t now = clock.Now();
    for (uint16_t j = 0; j < count; ++j) MbufTimestamp(mbufs[j]) = now;
    const bool inspect =
        !runtime.fail_open || !Behind(port, queue, runtime.overload_queue_depth, count, full_bursts);
    InlineOutput out;
    worker.ProcessBurstInline(mbufs, count, inspect, &out);
    runtime.tx_dropped += Transmit(runtime.peers[i], queue, out.forward, out.forward_count);
    runtime.tx_dropped += Transmit(port, queue, out.back, out.back_count);
    const uint64_t cycles = rte_rdtsc() - start;
    runtime.latency.Add(cycles * 1000000000ull / rte_get_tsc_hz() / count, count);
  }
  return total;
}

}  // namespace

int RunWorker(void* arg) {
  auto& runtime = *static_cast<WorkerRuntime*>(arg);
  Worker& worker = *runtime.worker;
  const WallClock clock;
  const uint64_t tick_cycles = rte_get_tsc_hz() / 1000;         // 1 ms
  const uint64_t flush_cycles = rte_get_tsc_hz() / 10;          // 100 ms
  uint64_t next_tick = rte_rdtsc() + tick_cycles;
  uint64_t next_flush = rte_rdtsc() + flush_cycles;
  uint32_t idle_spins = 0;
  rte_mbuf* mbufs[kBurst];

  uint32_t full_bursts = 0;
  for (;;) {
    uint16_t count = 0;
    if (runtime.inline_mode) {
      count = PollInline(runtime, clock, &full_bursts);
    } else {
      count = runtime.input != nullptr
                  ? static_cast<uint16_t>(rte_ring_sc_dequeue_burst(
                        runtime.input, reinterpret_cast<void**>(mbufs), kBurst, nullptr))
                  : ReceiveLive(runtime, clock, mbufs);
      if (count > 0) {
        const uint64_t start = rte_rdtsc();
        worker.ProcessBurst(mbufs, count);
        if (runtime.input == nullptr) {
          runtime.latency.Add((rte_rdtsc() - start) * 1000000000ull / rte_get_tsc_hz() / count, count);
        }
      }
    }
    const uint32_t messages = worker.PollDetectors(kDetectBudget);
    if (count > 0 || messages > 0) {
      idle_spins = 0;
    } else {
      const bool input_over = runtime.input != nullptr
                                  ? runtime.input_done->load(std::memory_order_acquire) &&
                                        rte_ring_empty(runtime.input)
                                  : runtime.stop->load(std::memory_order_relaxed);
      if (input_over) break;
      if (++idle_spins >= kIdleSpinsBeforeYield) {
        sched_yield();
        idle_spins = 0;
      } else {
        rte_pause();
      }
    }
    const uint64_t now = rte_rdtsc();
    if (now >= next_tick) {
      // Live, the clock drives expiry, so idle flows end without traffic. Offline, the reader's
      // clock ticks do, in order with the frames (dataplane/app/packet_clock.h).
      if (runtime.input == nullptr) worker.ExpireIdle(clock.Now(), kExpiryBudget);
      worker.AdoptPendingRules();
      worker.PublishInspectionCounters();
      if (worker.detector() != nullptr) worker.detector()->AdoptPendingPolicy();
      next_tick = now + tick_cycles;
    }
    if (now >= next_flush) {
      worker.FlushRecords();
      next_flush = now + flush_cycles;
    }
  }
  // The main lcore keeps exporting until every worker finished, so shutdown can wait for batch
  // buffers: the records of every open flow reach sluice-control.
  worker.WaitForRecordBuffers();
  worker.CloseAll();
  if (runtime.workers_closed != nullptr) {
    runtime.workers_closed->fetch_add(1, std::memory_order_acq_rel);
    while (runtime.workers_closed->load(std::memory_order_acquire) < runtime.worker_count) {
      if (worker.PollDetectors(kDetectBudget) == 0) rte_pause();
    }
  }
  while (worker.PollDetectors(kDetectBudget) > 0) {
  }
  worker.FinishDetection();
  runtime.finished.store(true, std::memory_order_release);
  return 0;
}

}  // namespace sluice::worker
