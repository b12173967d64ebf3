// Per-transaction match state: which pattern ids matched, and the body streams in use.
// Fixed size, preallocated by the caller (one per transaction slot), owned by one worker core.
#pragma once

#include <hs/hs.h>

#include <array>
#include <cstdint>

#include "matchers/rules/loader.h"

namespace sluice::matchers {

class TransactionMatchState {
 public:
  bool IsSet(uint32_t pattern_id) const {
    return (bits_[pattern_id / 64] >> (pattern_id % 64)) & 1;
  }

  // Marks a pattern as matched. Remembers which words it touched so that Clear() costs the
  // number of words touched, not the 1 KiB bitset.
  void Set(uint32_t pattern_id) {
    uint32_t word = pattern_id / 64;
    if (bits_[word] == 0) dirty_words_[dirty_count_++] = static_cast<uint16_t>(word);
    bits_[word] |= uint64_t{1} << (pattern_id % 64);
  }

  uint32_t dirty_count() const { return dirty_count_; }
  uint16_t dirty_word(uint32_t i) const { return dirty_words_[i]; }
  uint64_t word(uint32_t index) const { return bits_[index]; }
  // The body of `direction` went unmatched: no stream was free when it started.
  bool body_unscanned(Direction direction) const {
    return body_unscanned_[static_cast<size_t>(direction)];
  }

 private:
  friend class Scanner;

  static constexpr uint32_t kWords = kMaxPatterns / 64;

  void ClearBits() {
    for (uint32_t i = 0; i < dirty_count_; ++i) bits_[dirty_words_[i]] = 0;
    dirty_count_ = 0;
  }

  std::array<uint64_t, kWords> bits_{};
  std::array<uint16_t, kWords> dirty_words_{};
  uint32_t dirty_count_ = 0;
  std::array<hs_stream_t*, 2> streams_{};     // by Direction; nullptr until the first body byte
  std::array<bool, 2> body_unscanned_{};      // the pool was empty when the body started
  std::array<bool, 2> body_ended_{};
};

}  // namespace sluice::matchers
