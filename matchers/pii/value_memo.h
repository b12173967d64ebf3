// A small table from short text values to what was computed from them, so that a value seen again
// skips the work. The PII scanner keeps the outcome of scanning a header value or query in one
// (most repeat: content types, user agents, bearer tokens). That outcome is a pure function of the
// value, so reusing it changes nothing found.
//
// Exact: an entry matches only when its value is equal byte for byte, so a hash collision costs
// the work, never a wrong result. Direct-mapped and fixed in size: one per PiiScanner, per worker
// core, no allocation and no locks.
//
// NOTE: entries hold the values themselves, personal data among them, in the worker's memory until
// another value takes the slot. They are never logged or exported.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sluice::matchers {

template <typename Payload, size_t kSlotCount, size_t kMaxBytes>
class ValueMemo {
 public:
  static constexpr size_t kSlots = kSlotCount;
  static constexpr size_t kMaxValueBytes = kMaxBytes;  // longer values are not kept

  // Returns whether the table can keep a value of this length. Callers skip hashing the others.
  static bool Keeps(std::string_view value) {
    return !value.empty() && value.size() <= kMaxValueBytes;
  }

  // Returns what was kept for `value`, or null when it was not added or its slot has been taken
  // by another value since. `hash` is Hash(value), computed by the caller.
  const Payload* Find(std::string_view value, uint64_t hash) const {
    if (!Keeps(value)) return nullptr;
    const Slot& slot = slots_[hash % kSlots];
    if (slot.hash != hash || slot.length != value.size() ||
        std::memcmp(slot.bytes, value.data(), value.size()) != 0) {
      return nullptr;
    }
    return &slot.payload;
  }
  const Payload* Find(std::string_view value) const {
    return Keeps(value) ? Find(value, Hash(value)) : nullptr;
  }

  // Keeps `payload` for `value`, replacing the value in its slot.
  void Add(std::string_view value, uint64_t hash, const Payload& payload) {
    if (!Keeps(value)) return;
    Slot& slot = slots_[hash % kSlots];
    slot.hash = hash;
    slot.length = static_cast<uint32_t>(value.size());
    slot.payload = payload;
    std::memcpy(slot.bytes, value.data(), value.size());
  }

  // Returns a hash of `value`, 8 bytes at a time. It is not keyed, because a collision only costs
  // the work. The last bytes are loaded together with some before them, because copying them into
  // a zeroed word stalled the load that followed.
  static uint64_t Hash(std::string_view value) {
    constexpr uint64_t kMultiplier = 0xff51afd7ed558ccdull;
    const char* data = value.data();
    const size_t size = value.size();
    uint64_t hash = 0x9e3779b97f4a7c15ull ^ size;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
      hash = (hash ^ Load64(data + i)) * kMultiplier;
      hash ^= hash >> 29;
    }
    if (i < size) hash = (hash ^ LastWord(data, size)) * kMultiplier;
    hash ^= hash >> 33;
    hash *= kMultiplier;
    return hash ^ (hash >> 33);
  }

 private:
  static uint64_t Load64(const char* data) {
    uint64_t word;
    std::memcpy(&word, data, sizeof(word));
    return word;
  }
  static uint32_t Load32(const char* data) {
    uint32_t word;
    std::memcpy(&word, data, sizeof(word));
    return word;
  }
  // Returns the bytes after the last whole word: the value's last 8 bytes, or for a shorter value
  // its first and last 4, or its first, middle and last byte. Every byte is read at least once.
  static uint64_t LastWord(const char* data, size_t size) {
    if (size >= 8) return Load64(data + size - 8);
    if (size >= 4) return Load32(data) | uint64_t{Load32(data + size - 4)} << 32;
    return static_cast<uint8_t>(data[0]) | uint64_t{static_cast<uint8_t>(data[size / 2])} << 8 |
           uint64_t{static_cast<uint8_t>(data[size - 1])} << 16;
  }

  struct Slot {
    uint64_t hash;
    uint32_t length;  // 0: empty
    Payload payload;
    char bytes[kMaxValueBytes];
  };
  std::array<Slot, kSlots> slots_{};
};

}  // namespace sluice::matchers
