// Per-stream batch sequence state: finds duplicates, batches that arrive ahead of a missing one,
// and gaps.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

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

// kAhead: the batch came before an earlier one that is still missing. That is normal after a
// reconnect, when new batches can overtake the resent ones, so it is not a gap yet: the missing
// batch is written when it comes. kGap: missing batches were given up (see Advance and SkipLost).
enum class SequenceVerdict : uint8_t { kInOrder, kGap, kDuplicate, kAhead };

struct SequenceCheck {
  SequenceVerdict verdict = SequenceVerdict::kInOrder;
  uint64_t expected = 0;  // the lowest sequence number the stream has not seen
  uint64_t missing = 0;   // kAhead: batches between expected and this one; kGap: batches given up
};

struct AdvanceResult {
  bool evicted = false;   // an older stream was forgotten to make room
  uint64_t given_up = 0;  // missing batches given up as lost (gaps)
};

// Tracks, per stream, the lowest sequence number not seen yet plus the sequence numbers seen
// above it (at most kMaxAhead), so that every batch is written once whatever order it arrives in.
// A new stream expects 0. Sequence numbers are 64-bit and start at 0 for every run, so they do
// not wrap and plain comparison is correct. The number of streams is bounded because run ids come
// from the network: when the table is full, the least recently used stream is forgotten, so a
// later batch of it would be written again. Owned by the ingest thread.
class SequenceTracker {
 public:
  // Sequence numbers remembered above a missing one. Beyond it the oldest hole is given up and
  // counted as a gap. It must exceed the data plane's spool (batches per worker in flight), or a
  // resent batch could arrive after its hole was given up and be taken for a duplicate.
  static constexpr size_t kMaxAhead = 1024;

  explicit SequenceTracker(size_t max_streams) : max_streams_(max_streams) {}

  SequenceCheck Check(const StreamKey& key, uint64_t sequence) const;

  // Records that `sequence` was written.
  AdvanceResult Advance(const StreamKey& key, uint64_t sequence);

  // Records that the data plane gave up batches first..last (a Gap record): the stream stops
  // waiting for them. Returns how many of them were still missing.
  uint64_t SkipLost(const StreamKey& key, uint64_t first, uint64_t last);

  size_t size() const { return streams_.size(); }

  // Calls `visit(key, next_sequence, ahead)` for every stream, least recently used first, so that
  // a reader restoring them in this order rebuilds the same eviction order.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    std::vector<std::pair<uint64_t, const std::pair<const StreamKey, Stream>*>> order;
    order.reserve(streams_.size());
    for (const auto& entry : streams_) order.emplace_back(entry.second.last_use, &entry);
    std::sort(order.begin(), order.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [use, entry] : order) {
      visit(entry->first, entry->second.next_sequence, entry->second.ahead);
    }
  }

  // Sets a stream's state and marks it most recently used, evicting the least recently used
  // stream when full. Used to reload the persisted delivery state. `ahead` must be sorted and
  // above `next_sequence`. Returns true when a stream was evicted.
  bool Restore(const StreamKey& key, uint64_t next_sequence, std::vector<uint64_t> ahead = {});

  void Clear() { streams_.clear(); }

 private:
  struct Stream {
    uint64_t next_sequence = 0;         // lowest sequence number not seen
    uint64_t last_use = 0;
    std::vector<uint64_t> ahead;        // sorted sequence numbers seen above next_sequence
  };

  // Finds or creates the stream of `key`, marking it used; sets `evicted` when it made room.
  Stream& Touch(const StreamKey& key, bool& evicted);
  // Moves next_sequence over the seen numbers that now follow it.
  static void Compact(Stream& stream);
  // Gives up the oldest holes while more than kMaxAhead numbers wait above them.
  static uint64_t Trim(Stream& stream);
  void EvictLeastRecentlyUsed();

  size_t max_streams_;
  uint64_t use_clock_ = 0;
  std::unordered_map<StreamKey, Stream, StreamKeyHash> streams_;
};

}  // namespace sluice::control
