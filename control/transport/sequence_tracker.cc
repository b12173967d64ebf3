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
  } else if (sequence < check.expected ||
             (found != streams_.end() &&
              std::binary_search(found->second.ahead.begin(), found->second.ahead.end(),
                                 sequence))) {
    check.verdict = SequenceVerdict::kDuplicate;
  } else {
    check.verdict = SequenceVerdict::kAhead;
    check.missing = sequence - check.expected;
  }
  return check;
}

SequenceTracker::Stream& SequenceTracker::Touch(const StreamKey& key, bool& evicted) {
  auto found = streams_.find(key);
  if (found == streams_.end()) {
    if (streams_.size() >= max_streams_) {
      EvictLeastRecentlyUsed();
      evicted = true;
    }
    found = streams_.emplace(key, Stream{}).first;
  }
  found->second.last_use = ++use_clock_;
  return found->second;
}

void SequenceTracker::Compact(Stream& stream) {
  size_t taken = 0;
  while (taken < stream.ahead.size() && stream.ahead[taken] == stream.next_sequence) {
    ++taken;
    // Saturates at UINT64_MAX, which no real stream reaches, rather than wrapping to 0.
    if (stream.next_sequence != UINT64_MAX) ++stream.next_sequence;
  }
  stream.ahead.erase(stream.ahead.begin(), stream.ahead.begin() + static_cast<ptrdiff_t>(taken));
}

uint64_t SequenceTracker::Trim(Stream& stream) {
  uint64_t given_up = 0;
  while (stream.ahead.size() > kMaxAhead) {
    given_up += stream.ahead.front() - stream.next_sequence;
    stream.next_sequence = stream.ahead.front();
    Compact(stream);
  }
  return given_up;
}

AdvanceResult SequenceTracker::Advance(const StreamKey& key, uint64_t sequence) {
  AdvanceResult result;
  Stream& stream = Touch(key, result.evicted);
  if (sequence < stream.next_sequence) return result;
  if (sequence == stream.next_sequence) {
    if (stream.next_sequence != UINT64_MAX) ++stream.next_sequence;
    Compact(stream);
    return result;
  }
  const auto position = std::lower_bound(stream.ahead.begin(), stream.ahead.end(), sequence);
  if (position == stream.ahead.end() || *position != sequence) {
    stream.ahead.insert(position, sequence);
  }
  result.given_up = Trim(stream);
  return result;
}

uint64_t SequenceTracker::SkipLost(const StreamKey& key, uint64_t first, uint64_t last) {
  bool evicted = false;
  Stream& stream = Touch(key, evicted);
  if (last < first || last < stream.next_sequence) return 0;
  first = std::max(first, stream.next_sequence);
  // Numbers in first..last that were written after all are not lost.
  const auto begin = std::lower_bound(stream.ahead.begin(), stream.ahead.end(), first);
  const auto end = std::upper_bound(begin, stream.ahead.end(), last);
  const uint64_t seen = static_cast<uint64_t>(end - begin);
  const uint64_t lost = last - first + 1 - seen;
  if (first == stream.next_sequence) {
    stream.ahead.erase(begin, end);
    stream.next_sequence = last == UINT64_MAX ? UINT64_MAX : last + 1;
    Compact(stream);
    return lost;
  }
  // An earlier batch is still missing: remember the lost ones as if seen, within kMaxAhead.
  std::vector<uint64_t> merged(stream.ahead.begin(), begin);
  for (uint64_t sequence = first; sequence <= last && merged.size() <= 2 * kMaxAhead; ++sequence) {
    merged.push_back(sequence);
    if (sequence == UINT64_MAX) break;
  }
  merged.insert(merged.end(), end, stream.ahead.end());
  stream.ahead = std::move(merged);
  Trim(stream);
  return lost;
}

bool SequenceTracker::Restore(const StreamKey& key, uint64_t next_sequence,
                              std::vector<uint64_t> ahead) {
  bool evicted = false;
  Stream& stream = Touch(key, evicted);
  stream.next_sequence = next_sequence;
  stream.ahead = std::move(ahead);
  Compact(stream);
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
