// A fixed-capacity hash table of entries with a 16-byte key (two 64-bit hashes) and an LRU
// list. When it is full, the least recently used entry is reused and the eviction counted.
// Linear probing over a power-of-two index, with backward-shift deletion, so lookups never
// see tombstones. Allocated once; Find and FindOrInsert never allocate.
//
// Ownership: one table per worker lcore; not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace sluice::detect {

template <typename Entry>
class LruTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit LruTable(uint32_t capacity) : entries_(capacity) {
    uint32_t slots = 1;
    while (slots < capacity * 2) slots <<= 1;
    index_.assign(slots, kNone);
    mask_ = slots - 1;
  }

  // Returns the entry for (a, b), making one (value-initialised, keys set) when absent. `*created`
  // tells which. Never fails: a full table reuses its least recently used entry.
  Entry& FindOrInsert(uint64_t a, uint64_t b, bool* created) {
    uint32_t slot = Slot(a, b);
    for (; index_[slot] != kNone; slot = (slot + 1) & mask_) {
      Entry& entry = entries_[index_[slot]];
      if (entry.key_a == a && entry.key_b == b) {
        Touch(index_[slot]);
        *created = false;
        return entry;
      }
    }
    *created = true;
    uint32_t position;
    if (used_ < entries_.size()) {
      position = used_++;
    } else {
      position = tail_;
      RemoveFromIndex(position);
      Unlink(position);
      ++evictions_;
      slot = Slot(a, b);
      while (index_[slot] != kNone) slot = (slot + 1) & mask_;
    }
    index_[slot] = position;
    Entry& entry = entries_[position];
    entry = Entry{};
    entry.key_a = a;
    entry.key_b = b;
    PushFront(position);
    return entry;
  }

  Entry* Find(uint64_t a, uint64_t b) {
    for (uint32_t slot = Slot(a, b); index_[slot] != kNone; slot = (slot + 1) & mask_) {
      Entry& entry = entries_[index_[slot]];
      if (entry.key_a == a && entry.key_b == b) return &entry;
    }
    return nullptr;
  }

  uint32_t size() const { return used_; }
  uint32_t capacity() const { return static_cast<uint32_t>(entries_.size()); }
  uint64_t evictions() const { return evictions_; }
  // Entries in no particular order, for periodic export.
  Entry& at(uint32_t position) { return entries_[position]; }

 private:
  uint32_t Slot(uint64_t a, uint64_t b) const {
    uint64_t h = a ^ (b * 0x9e3779b97f4a7c15ull);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return static_cast<uint32_t>(h) & mask_;
  }

  void RemoveFromIndex(uint32_t position) {
    const Entry& entry = entries_[position];
    uint32_t slot = Slot(entry.key_a, entry.key_b);
    while (index_[slot] != position) slot = (slot + 1) & mask_;
    // Backward shift: move later members of the probe run into the hole.
    uint32_t hole = slot;
    for (uint32_t next = (hole + 1) & mask_; index_[next] != kNone; next = (next + 1) & mask_) {
      const Entry& moved = entries_[index_[next]];
      const uint32_t home = Slot(moved.key_a, moved.key_b);
      const bool between = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
      if (between) continue;
      index_[hole] = index_[next];
      hole = next;
    }
    index_[hole] = kNone;
  }

  void Touch(uint32_t position) {
    if (head_ == position) return;
    Unlink(position);
    PushFront(position);
  }
  void Unlink(uint32_t position) {
    Entry& entry = entries_[position];
    if (entry.lru_prev != kNone) entries_[entry.lru_prev].lru_next = entry.lru_next; else head_ = entry.lru_next;
    if (entry.lru_next != kNone) entries_[entry.lru_next].lru_prev = entry.lru_prev; else tail_ = entry.lru_prev;
  }
  void PushFront(uint32_t position) {
    Entry& entry = entries_[position];
    entry.lru_prev = kNone;
    entry.lru_next = head_;
    if (head_ != kNone) entries_[head_].lru_prev = position;
    head_ = position;
    if (tail_ == kNone) tail_ = position;
  }

  std::vector<Entry> entries_;
  std::vector<uint32_t> index_;
  uint32_t mask_ = 0;
  uint32_t used_ = 0;
  uint32_t head_ = kNone;  // most recently used
  uint32_t tail_ = kNone;  // least recently used: the next eviction
  uint64_t evictions_ = 0;
};

}  // namespace sluice::detect
