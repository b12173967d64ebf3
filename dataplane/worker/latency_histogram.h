// Per-packet processing time of one worker, in a fixed log-scale histogram: four buckets per
// power of two of nanoseconds, up to about 1 s. Written by its worker only; read at the end.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace sluice::worker {

class LatencyHistogram {
 public:
  static constexpr int kBuckets = 4 * 30;

  // Adds `count` packets that took `ns_each` nanoseconds each.
  void Add(uint64_t ns_each, uint64_t count) {
    buckets_[Bucket(ns_each)] += count;
    total_ += count;
    if (ns_each > max_) max_ = ns_each;
  }
  void Merge(const LatencyHistogram& other) {
    for (int i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
    total_ += other.total_;
    if (other.max_ > max_) max_ = other.max_;
  }
  // Upper bound of the bucket holding the `quantile` (0..1) sample; 0 when empty.
  uint64_t Quantile(double quantile) const {
    if (total_ == 0) return 0;
    const auto wanted = static_cast<uint64_t>(quantile * static_cast<double>(total_ - 1)) + 1;
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += buckets_[i];
      if (seen >= wanted) return UpperBound(i);
    }
    return max_;
  }
  uint64_t max() const { return max_; }
  uint64_t total() const { return total_; }

 private:
  static int Bucket(uint64_t ns) {
    if (ns < 4) return static_cast<int>(ns);
    const int octave = 63 - std::countl_zero(ns);         // ns in [2^octave, 2^(octave+1))
    const int quarter = static_cast<int>((ns >> (octave - 2)) & 3);
    const int bucket = octave * 4 + quarter - 4;
    return bucket < kBuckets ? bucket : kBuckets - 1;
  }
  static uint64_t UpperBound(int bucket) {
    if (bucket < 4) return static_cast<uint64_t>(bucket);
    const int octave = (bucket + 4) / 4;
    const int quarter = (bucket + 4) % 4;
    return (uint64_t{1} << octave) + (static_cast<uint64_t>(quarter + 1) << (octave - 2)) - 1;
  }

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

}  // namespace sluice::worker
