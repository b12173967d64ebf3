// Per-stream batch sequence state: finds gaps and duplicates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>
#include <algorithm>

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

  // Calls `visit(key, next_sequence)` for every stream, least recently used first, so that a
  // reader restoring them in this order rebuilds the same eviction order.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    std::vector<std::pair<uint64_t, const std::pair<const StreamKey, Stream>*>> order;
    order.reserve(streams_.size());
    for (const auto& entry : streams_) order.emplace_back(entry.second.last_use, &entry);
    std::sort(order.begin(), order.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [use, entry] : order) visit(entry->first, entry->second.next_sequence);
  }

  // Sets a stream to expect `next_sequence` and marks it most recently used, evicting the least
  // recently used stream when full. Used to reload the persisted delivery state. Returns true
  // when a stream was evicted.
  bool Restore(const StreamKey& key, uint64_t next_sequence);

  void Clear() { streams_.clear(); }

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
