// The delivery state file: what sluice-control has durably written, so that a restart after a
// crash (kill -9, power loss) neither writes a resent batch twice nor reports a false gap.
//
// It contains the length of the JSON-lines file at the last group commit and, per (data plane, run,
// worker) stream, the next sequence number expected. Lines beyond that length were never
// acknowledged, so the data planes still hold their batches and resend them; recovery cuts them.
// The file is replaced whole on every commit (write to a temporary file, fsync, rename, fsync the
// directory), so a crash leaves either the old or the new version, never a mix.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/transport/sequence_tracker.h"

namespace sluice::control {

struct PersistedStream {
  StreamKey key;
  uint64_t next_sequence = 0;
  std::vector<uint64_t> ahead;  // sequence numbers written above a missing one, sorted
};

struct DeliveryState {
  uint64_t jsonl_length = 0;
  std::vector<PersistedStream> streams;  // least recently used first
};

// The state file that belongs to a JSON-lines file: the same path plus ".delivery".
std::string DeliveryStatePath(const std::string& jsonl_path);

// Reads `path` into `state`. A missing file sets `found` to false and is not an error. Returns an
// empty string on success, or a message naming the file, the damaged line and the fix for a
// truncated or malformed file.
std::string LoadDeliveryState(const std::string& path, DeliveryState& state, bool& found);

// Replaces `path` atomically with `state`. Returns an empty string once the new file and its
// directory entry are durable, or a message naming the file and the failed call.
std::string SaveDeliveryState(const std::string& path, const DeliveryState& state);

// Findings of the recovery at start.
struct RecoveryReport {
  bool state_found = false;
  uint64_t jsonl_length_before = 0;  // the file's size before recovery
  uint64_t bytes_cut = 0;            // unacknowledged tail removed
  // The JSON-lines file was shorter than the state records, because someone else rotated,
  // truncated or replaced it. Nothing is cut, and the new file is taken as it is.
  bool jsonl_shorter = false;
  size_t streams = 0;
};

// Decides how much of a JSON-lines file of `jsonl_size` bytes to keep given `state`. Returns the
// length to cut the file back to and fills `report`.
uint64_t PlanRecovery(const DeliveryState& state, bool state_found, uint64_t jsonl_size,
                      RecoveryReport& report);

// Formats `state` as the file's text; exposed for tests.
std::string FormatDeliveryState(const DeliveryState& state);
// Parses the file's text; exposed for tests. `path` only names the file in messages.
std::string ParseDeliveryState(const std::string& text, const std::string& path,
                               DeliveryState& state);

}  // namespace sluice::control
