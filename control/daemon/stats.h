// Counters of sluice-control. Names are stable: operators graph and alert on them.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>

#include "control/sinks/ecs_json.h"
#include "control/transport/frame_check.h"

namespace sluice::control {

// Reason a verified Batch was rejected: it gets a BatchReject reply and is not written.
enum class BatchError : uint8_t {
  kMissingDataplaneId,  // dataplane_id absent or empty
  kMissingRecords,      // records vector absent
  kCount,
};
inline constexpr size_t kBatchErrorCount = static_cast<size_t>(BatchError::kCount);
std::string_view BatchErrorName(BatchError error);

// Number of FormatResult values; records_skipped is indexed by FormatResult.
inline constexpr size_t kFormatResultCount = 5;

// Plain counters, written only by the ingest thread and read by it at shutdown, so no atomics.
struct ControlStats {
  uint64_t frames_received = 0;
  std::array<uint64_t, kFrameErrorCount> frames_invalid{};
  uint64_t hellos_received = 0;
  uint64_t messages_unexpected = 0;
  uint64_t replies_failed = 0;

  uint64_t batches_received = 0;
  uint64_t batches_verified = 0;
  uint64_t batches_rejected = 0;
  std::array<uint64_t, kBatchErrorCount> batches_invalid{};
  uint64_t batches_duplicates = 0;
  uint64_t batches_sequence_gaps = 0;
  uint64_t batches_written = 0;
  uint64_t batches_not_acknowledged = 0;
  uint64_t streams_evicted = 0;

  uint64_t records_received = 0;
  uint64_t records_written = 0;
  uint64_t records_duplicate = 0;
  std::array<uint64_t, kFormatResultCount> records_skipped{};  // index 0 (kOk) unused
  uint64_t sink_errors = 0;

  // Durable delivery (group commit and restart recovery).
  uint64_t delivery_commits = 0;
  uint64_t delivery_commit_failures = 0;
  uint64_t delivery_acks_deferred = 0;
  uint64_t delivery_bytes_cut_at_start = 0;
  uint64_t gap_records = 0;
  uint64_t store_errors = 0;
};

// Calls `visit` once per counter, in a fixed order, with its dotted name, value and a sentence
// saying what it counts and what a high value means.
void ForEachCounter(
    const ControlStats& stats,
    const std::function<void(std::string_view name, uint64_t value, std::string_view meaning)>&
        visit);

}  // namespace sluice::control
