// The spool: batches handed over by workers and not yet acknowledged by sluice-control, per worker
// in sequence order, with a bound in batches and in bytes. Owned by the exporter on the main lcore.
//
// When a bound is hit the overflow policy acts:
// - kWait: nothing is given up; the worker runs out of free buffers and waits for them (offline
//   input, where waiting costs no packets).
// - kDropOldest: the oldest batch is given up, its buffer goes back to the worker, and the loss is
//   added to a LostRange that becomes a Gap record. Live workers never wait on the exporter, so
//   this is the policy of passive and inline modes. The oldest batch goes first, as in a flight
//   recorder: once sluice-control is back it receives an unbroken run of the newest records up to
//   now, and every loss is one contiguous range of sequence numbers per worker that a single Gap
//   record describes exactly.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "dataplane/export/batch_channel.h"

namespace sluice::exporter {

enum class SpoolOverflow : uint8_t { kWait, kDropOldest };

struct SpoolLimits {
  uint32_t max_batches_per_worker = 48;
  uint64_t max_bytes_per_worker = 64ull << 20;
  SpoolOverflow overflow = SpoolOverflow::kWait;
};

// Batches of one worker given up in a row: one Gap record.
struct LostRange {
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  uint64_t batches = 0;
  uint64_t records = 0;
  uint64_t first_ts_ns = 0;  // 0: unknown
  uint64_t last_ts_ns = 0;
};

struct SpoolCounters {
  uint64_t batches_given_up = 0;
  uint64_t records_given_up = 0;
  uint64_t max_batches = 0;  // high-water mark of the whole spool
};

class Spool {
 public:
  void Init(uint16_t workers, const SpoolLimits& limits);

  // Appends a batch taken from its worker's ready ring. Batches of one worker arrive in sequence
  // order, so each queue stays sorted.
  void Push(ExportBatch* batch);

  // Removes and returns the oldest batch of `worker` while that worker is over a bound, under
  // kDropOldest, and adds it to the worker's open LostRange. The caller returns its buffer.
  // Returns nullptr when nothing has to go, which is always the case under kWait.
  ExportBatch* GiveUpOverLimit(uint16_t worker);

  // Removes the batch (worker, sequence). Returns it, or nullptr for a duplicate or unknown
  // acknowledgement.
  ExportBatch* Acknowledge(uint16_t worker, uint64_t sequence);

  // Moves every open LostRange into `closed` (worker id, range) and starts new ones. Called once
  // sluice-control is known to be reachable again, or at shutdown.
  void CloseLostRanges(std::vector<std::pair<uint16_t, LostRange>>& closed);
  bool has_open_loss() const;

  std::deque<ExportBatch*>& queue(uint16_t worker) { return queues_[worker]; }
  uint16_t workers() const { return static_cast<uint16_t>(queues_.size()); }
  uint64_t batches() const { return batches_; }
  uint64_t bytes() const;
  const SpoolCounters& counters() const { return counters_; }

 private:
  bool OverLimit(uint16_t worker) const;

  SpoolLimits limits_;
  std::vector<std::deque<ExportBatch*>> queues_;
  std::vector<uint64_t> bytes_;             // per worker: builder bytes of the queued batches
  std::vector<LostRange> open_loss_;        // per worker; batches == 0: none open
  uint64_t batches_ = 0;
  SpoolCounters counters_;
};

}  // namespace sluice::exporter
