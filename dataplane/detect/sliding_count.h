// A count over a sliding window of packet time, estimated from two fixed buckets: the current
// one and the previous one weighted by how much of it still overlaps the window. 24 bytes, O(1).
#pragma once

#include <cstdint>

namespace sluice::detect {

struct SlidingCount {
  uint64_t bucket_start_ns = 0;
  uint64_t current = 0;
  uint64_t previous = 0;

  void Add(uint64_t ts_ns, uint64_t window_ns, uint64_t amount) {
    Advance(ts_ns, window_ns);
    current += amount;
  }
  // The estimated total over (ts_ns - window_ns, ts_ns].
  uint64_t Value(uint64_t ts_ns, uint64_t window_ns) {
    Advance(ts_ns, window_ns);
    // A call older than the current bucket (it came late over another worker's ring) sees the
    // whole previous bucket. Without the clamp the unsigned difference wraps and the estimate
    // becomes huge: one late event used to flag a benign client with 2 workers but not with 1.
    const uint64_t elapsed = ts_ns > bucket_start_ns ? ts_ns - bucket_start_ns : 0;
    const double weight = elapsed >= window_ns ? 0.0 : 1.0 - static_cast<double>(elapsed) / static_cast<double>(window_ns);
    return current + static_cast<uint64_t>(static_cast<double>(previous) * weight);
  }

 private:
  // Events a little out of order (from another worker's ring) count in the current bucket.
  void Advance(uint64_t ts_ns, uint64_t window_ns) {
    if (bucket_start_ns == 0) {
      bucket_start_ns = ts_ns;
      return;
    }
    if (ts_ns < bucket_start_ns + window_ns) return;
    if (ts_ns < bucket_start_ns + 2 * window_ns) {
      previous = current;
      bucket_start_ns += window_ns;
    } else {
      previous = 0;
      bucket_start_ns = ts_ns;
    }
    current = 0;
  }
};

}  // namespace sluice::detect
