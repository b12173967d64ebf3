// A bounded free list of Hyperscan streams opened up front, because hs_open_stream allocates.
// Owned by one worker core; not thread-safe.
#pragma once

#include <hs/hs.h>

#include <cstdint>
#include <vector>

namespace sluice::matchers {

class StreamPool {
 public:
  StreamPool() = default;
  ~StreamPool();
  StreamPool(const StreamPool&) = delete;
  StreamPool& operator=(const StreamPool&) = delete;

  // Opens `capacity` streams on `db` (setup time). Returns false if Hyperscan fails.
  bool Init(const hs_database_t* db, uint32_t capacity);

  // Returns a stream in its initial state, or nullptr when the pool is empty (counted).
  hs_stream_t* Acquire() {
    if (free_.empty()) {
      ++exhausted_;
      return nullptr;
    }
    hs_stream_t* stream = free_.back();
    free_.pop_back();
    return stream;
  }

  // Takes back a stream. With a scratch and callback, end-of-data matches (such as `$`) are
  // reported first; without, they are discarded (an abandoned transaction).
  void Release(hs_stream_t* stream, hs_scratch_t* scratch, match_event_handler on_match,
               void* context);

  uint32_t capacity() const { return capacity_; }
  uint32_t available() const { return static_cast<uint32_t>(free_.size()); }
  uint64_t exhausted() const { return exhausted_; }

 private:
  std::vector<hs_stream_t*> all_;
  std::vector<hs_stream_t*> free_;  // reserved to capacity, so push_back never allocates
  uint32_t capacity_ = 0;
  uint64_t exhausted_ = 0;
};

}  // namespace sluice::matchers
