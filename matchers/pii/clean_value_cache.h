// Header values in which the PII finder found no candidate, kept so that a repeat of one skips
// the finder. Most header values repeat (content types, "keep-alive", user agents, server
// names), and the finder is a pure function of the value, so skipping it changes nothing found.
//
// Exact: a value matches only when it is equal byte for byte, so a hash collision costs a scan,
// never a missed value. Direct-mapped and fixed in size: one per PiiScanner, per worker core, no
// allocation and no locks.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sluice::matchers {

class CleanValueCache {
 public:
  static constexpr size_t kSlots = 256;
  static constexpr size_t kMaxValueBytes = 120;  // longer values are not kept

  // Returns whether the table can keep a value of this length. Callers skip hashing the others.
  static bool Keeps(std::string_view value) {
    return !value.empty() && value.size() <= kMaxValueBytes;
  }

  // Returns whether `value` was added and its slot has not been taken by another value since.
  bool Contains(std::string_view value) const { return Keeps(value) && Contains(value, Hash(value)); }
  // The same, with `hash` = Hash(value) computed by the caller.
  bool Contains(std::string_view value, uint64_t hash) const {
    if (!Keeps(value)) return false;
    const Slot& slot = slots_[hash % kSlots];
    return slot.hash == hash && slot.length == value.size() &&
           std::memcmp(slot.bytes, value.data(), value.size()) == 0;
  }

  // Keeps `value`, replacing the value in its slot.
  void Add(std::string_view value) {
    if (Keeps(value)) Add(value, Hash(value));
  }
  // The same, with `hash` = Hash(value) computed by the caller.
  void Add(std::string_view value, uint64_t hash) {
    if (!Keeps(value)) return;
    Slot& slot = slots_[hash % kSlots];
    slot.hash = hash;
    slot.length = static_cast<uint32_t>(value.size());
    std::memcpy(slot.bytes, value.data(), value.size());
  }

  // Returns a hash of `value`, mixing 8 bytes at a time. It is not keyed, because a collision
  // only costs a scan.
  static uint64_t Hash(std::string_view value) {
    constexpr uint64_t kMultiplier = 0xff51afd7ed558ccdull;
    uint64_t hash = 0x9e3779b97f4a7c15ull ^ value.size();
    size_t i = 0;
    for (; i + 8 <= value.size(); i += 8) {
      uint64_t word;
      std::memcpy(&word, value.data() + i, sizeof(word));
      hash = (hash ^ word) * kMultiplier;
      hash ^= hash >> 29;
    }
    if (i < value.size()) {
      uint64_t word = 0;
      std::memcpy(&word, value.data() + i, value.size() - i);
      hash = (hash ^ word) * kMultiplier;
    }
    hash ^= hash >> 33;
    hash *= kMultiplier;
    return hash ^ (hash >> 33);
  }

 private:
  struct Slot {
    uint64_t hash;
    uint32_t length;  // 0: empty
    char bytes[kMaxValueBytes];
  };
  std::array<Slot, kSlots> slots_{};
};

}  // namespace sluice::matchers
