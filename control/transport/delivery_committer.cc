#include "control/transport/delivery_committer.h"

#include <cstring>

#include "control/store/store.h"

namespace sluice::control {

std::string DeliveryCommitter::Recover(const std::string& state_path, RecoveryReport& report) {
  state_path_ = state_path;
  DeliveryState state;
  bool found = false;
  if (std::string error = LoadDeliveryState(state_path, state, found); !error.empty()) {
    return error;
  }
  const uint64_t keep = PlanRecovery(state, found, sink_.size(), report);
  if (keep != sink_.size() && !sink_.TruncateTo(keep)) {
    return "cannot cut JSON-lines file " + sink_.path() + " back to " + std::to_string(keep) +
           " bytes: " + std::strerror(sink_.last_error());
  }
  stats_.delivery_bytes_cut_at_start += report.bytes_cut;

  tracker_.Clear();
  for (const PersistedStream& stream : state.streams) {
    if (tracker_.Restore(stream.key, stream.next_sequence, stream.ahead)) ++stats_.streams_evicted;
  }
  // The cut must be durable before any new line lands after it. The state file saved next then
  // matches the file as it is now, also when the file was rotated and is shorter.
  if (!sink_.Sync()) {
    return "fdatasync failed on JSON-lines file " + sink_.path() + ": " +
           std::strerror(sink_.last_error());
  }
  committed_ = Snapshot();
  committed_batches_written_ = stats_.batches_written;
  return SaveDeliveryState(state_path_, committed_);
}

void DeliveryCommitter::Defer(PendingAck ack) {
  ++stats_.delivery_acks_deferred;
  acks_.push_back(std::move(ack));
}

bool DeliveryCommitter::Commit(std::string* error) {
  // Only duplicates since the last commit: their originals are durable already.
  if (sink_.size() == committed_.jsonl_length &&
      stats_.batches_written == committed_batches_written_) {
    return true;
  }

  // The store first: after a crash between the two, the resent batches are duplicates to the
  // store, which skips them, and new to the cut JSON-lines file.
  if (store_ != nullptr) {
    if (std::string failure = store_->Commit(); !failure.empty()) {
      *error = "forensic store commit failed: " + failure;
      RollBack();
      return false;
    }
  }

  if (!sink_.Sync()) {
    *error = "fdatasync failed on JSON-lines file " + sink_.path() + ": " +
             std::strerror(sink_.last_error());
    RollBack();
    return false;
  }

  DeliveryState next = Snapshot();
  if (!state_path_.empty()) {
    if (std::string failure = SaveDeliveryState(state_path_, next); !failure.empty()) {
      *error = failure;
      RollBack();
      return false;
    }
  }

  committed_ = std::move(next);
  committed_batches_written_ = stats_.batches_written;
  ++stats_.delivery_commits;
  return true;
}

void DeliveryCommitter::Abort() { RollBack(); }

DeliveryState DeliveryCommitter::Snapshot() const {
  DeliveryState state;
  state.jsonl_length = sink_.size();
  state.streams.reserve(tracker_.size());
  tracker_.ForEach([&state](const StreamKey& key, uint64_t next_sequence,
                            const std::vector<uint64_t>& ahead) {
    state.streams.push_back(PersistedStream{key, next_sequence, ahead});
  });
  return state;
}

// Forgets everything since the last commit, so that the resent batches are written again.
// NOTE: the records_written and batches_written counters keep the rolled-back batches.
void DeliveryCommitter::RollBack() {
  ++stats_.delivery_commit_failures;
  stats_.batches_not_acknowledged += acks_.size();
  acks_.clear();
  sink_.TruncateTo(committed_.jsonl_length);
  tracker_.Clear();
  for (const PersistedStream& stream : committed_.streams) {
    tracker_.Restore(stream.key, stream.next_sequence, stream.ahead);
  }
  committed_batches_written_ = stats_.batches_written;
}

}  // namespace sluice::control
