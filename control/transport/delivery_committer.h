// Group commit: acknowledgements wait until the lines of their batches and the delivery state
// are durable. Many batches share one fdatasync and one state file replacement, which bounds the
// cost of durability to one commit per drained socket burst instead of one per batch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/daemon/stats.h"
#include "control/sinks/jsonl_sink.h"
#include "control/transport/delivery_state.h"
#include "control/transport/sequence_tracker.h"

namespace sluice::control::store {
class Store;
}

namespace sluice::control {

// A BatchAck held back until its group commit.
struct PendingAck {
  std::string routing_id;  // the ZeroMQ peer that sent the batch
  uint64_t run_id = 0;
  uint16_t worker_id = 0;
  uint64_t sequence = 0;
  uint32_t records = 0;
};

// Owned by the ingest thread, next to the BatchProcessor whose tracker it persists.
class DeliveryCommitter {
 public:
  // Acknowledgements held before a commit is forced, whatever the socket still holds.
  static constexpr size_t kMaxPendingAcks = 4096;

  DeliveryCommitter(JsonlSink& sink, SequenceTracker& tracker, ControlStats& stats)
      : sink_(sink), tracker_(tracker), stats_(stats) {}

  // Loads the state file at `state_path`, cuts the unacknowledged tail off the JSON-lines file and
  // reloads the per-stream sequence state. Call once, after the sink is open and before any
  // batch. Returns an empty string on success, or a message naming the file and the fix.
  std::string Recover(const std::string& state_path, RecoveryReport& report);

  // Commits the forensic store as part of every group: its staged batches become durable before
  // the JSON-lines file is synced. Null: no store.
  void AttachStore(store::Store* store) { store_ = store; }

  void Defer(PendingAck ack);

  // Undoes the whole group: used when the store rolled back its staged batches after a failed
  // write, so that the file and the sequence state match it again.
  void Abort();
  bool has_pending() const { return !acks_.empty(); }
  bool full() const { return acks_.size() >= kMaxPendingAcks; }

  // Makes everything written since the last commit durable: the store's commit, fdatasync of the
  // JSON-lines file, then the state file. Returns true when the held acknowledgements may be sent (acks()). On
  // failure it cuts the file back to the last commit, rolls the sequence state back, drops the
  // held acknowledgements (the data planes resend those batches) and sets `error`.
  bool Commit(std::string* error);

  const std::vector<PendingAck>& acks() const { return acks_; }
  void ClearAcks() { acks_.clear(); }

 private:
  DeliveryState Snapshot() const;
  void RollBack();

  JsonlSink& sink_;
  SequenceTracker& tracker_;
  ControlStats& stats_;
  store::Store* store_ = nullptr;
  std::string state_path_;  // empty: no state file (tests of the sink alone)
  DeliveryState committed_;
  uint64_t committed_batches_written_ = 0;
  std::vector<PendingAck> acks_;
};

}  // namespace sluice::control
