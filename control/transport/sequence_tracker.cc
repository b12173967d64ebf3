#include "control/transport/sequence_tracker.h"

#include <functional>

namespace sluice::control {

size_t StreamKeyHash::operator()(const StreamKey& key) const {
  size_t hash = std::hash<std::string_view>()(key.dataplane_id);
  hash ^= std::hash<uint64_t>()(key.run_id) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  hash ^= std::hash<uint16_t>()(key.worker_id) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  return hash;
}

SequenceCheck SequenceTracker::Check(const StreamKey& key, uint64_t sequence) const {
  SequenceCheck check;
  const auto found = streams_.find(key);
  check.expected = found == streams_.end() ? 0 : found->second.next_sequence;
  if (sequence == check.expected) {
    check.verdict = SequenceVerdict::kInOrder;
  } else if (sequence > check.expected) {
    check.verdict = SequenceVerdict::kGap;
    check.missing = sequence - check.expected;
  } else {
    check.verdict = SequenceVerdict::kDuplicate;
  }
  return check;
}

bool SequenceTracker::Advance(const StreamKey& key, uint64_t sequence) {
  bool evicted = false;
  auto found = streams_.find(key);
  if (found == streams_.end()) {
    if (streams_.size() >= max_streams_) {
      EvictLeastRecentlyUsed();
      evicted = true;
    }
    found = streams_.emplace(key, Stream{}).first;
  }
  Stream& stream = found->second;
  stream.last_use = ++use_clock_;
  // Saturates at UINT64_MAX, which no real stream reaches, rather than wrapping to 0.
  if (sequence >= stream.next_sequence) {
    stream.next_sequence = sequence == UINT64_MAX ? UINT64_MAX : sequence + 1;
  }
  return evicted;
}

bool SequenceTracker::Restore(const StreamKey& key, uint64_t next_sequence) {
  bool evicted = false;
  auto found = streams_.find(key);
  if (found == streams_.end()) {
    if (streams_.size() >= max_streams_) {
      EvictLeastRecentlyUsed();
      evicted = true;
    }
    found = streams_.emplace(key, Stream{}).first;
  }
  found->second.next_sequence = next_sequence;
  found->second.last_use = ++use_clock_;
  return evicted;
}

// Linear in the number of streams; it runs only when the table is full.
void SequenceTracker::EvictLeastRecentlyUsed() {
  auto oldest = streams_.begin();
  for (auto it = streams_.begin(); it != streams_.end(); ++it) {
    if (it->second.last_use < oldest->second.last_use) oldest = it;
  }
  if (oldest != streams_.end()) streams_.erase(oldest);
}

}  // namespace sluice::control
