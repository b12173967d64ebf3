// Per-stream batch sequence state: finds gaps and duplicates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sluice::control {

// Names one stream of batches: one worker of one run of one data plane.
struct StreamKey {
  std::string dataplane_id;
  uint64_t run_id = 0;
  uint16_t worker_id = 0;

  bool operator==(const StreamKey&) const = default;
};

struct StreamKeyHash {
  size_t operator()(const StreamKey& key) const;
};

enum class SequenceVerdict : uint8_t { kInOrder, kGap, kDuplicate };

struct SequenceCheck {
  SequenceVerdict verdict = SequenceVerdict::kInOrder;
  uint64_t expected = 0;  // the sequence number the stream expected
  uint64_t missing = 0;   // batches skipped, for kGap
};

// Tracks the next expected sequence number per stream; a new stream expects 0. Sequence numbers
// are 64-bit and start at 0 for every run, so they do not wrap and plain comparison is correct.
// The number of streams is bounded because run ids come from the network. When the table is full,
// the least recently used stream is forgotten, so a later batch of it looks like a gap, or like a
// fresh stream for sequence 0. Owned by the ingest thread.
class SequenceTracker {
 public:
  explicit SequenceTracker(size_t max_streams) : max_streams_(max_streams) {}

  SequenceCheck Check(const StreamKey& key, uint64_t sequence) const;

  // Records that `sequence` was written: the stream now expects sequence + 1 unless it already
  // expects more. Returns true when an older stream was forgotten to make room.
  bool Advance(const StreamKey& key, uint64_t sequence);

  size_t size() const { return streams_.size(); }

 private:
  struct Stream {
    uint64_t next_sequence = 0;
    uint64_t last_use = 0;
  };

  void EvictLeastRecentlyUsed();

  size_t max_streams_;
  uint64_t use_clock_ = 0;
  std::unordered_map<StreamKey, Stream, StreamKeyHash> streams_;
};

}  // namespace sluice::control
