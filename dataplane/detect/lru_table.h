// A fixed-capacity hash table of entries with a 16-byte key (two 64-bit hashes) and an LRU
// list. When it is full, the least recently used entry is reused and the eviction counted.
// Linear probing over a power-of-two index, with backward-shift deletion, so lookups never
// see tombstones. Allocated once; Find and FindOrInsert never allocate.
//
// Entries are large (a detector track is kilobytes), so the probing and the LRU list stay out of
// them: each index slot keeps the low 32 bits of the key's hash next to the position, and the list
// links live in their own array. A lookup touches the entry it returns and, when two keys share
// those 32 bits, one more.
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

  explicit LruTable(uint32_t capacity) : entries_(capacity), links_(capacity) {
    uint32_t slots = 1;
    while (slots < capacity * 2) slots <<= 1;
    index_.assign(slots, Slot{kNone, 0});
    mask_ = slots - 1;
  }

  // Returns the entry for (a, b), making one (value-initialised, keys set) when absent. `*created`
  // tells which. Never fails: a full table reuses its least recently used entry.
  Entry& FindOrInsert(uint64_t a, uint64_t b, bool* created) {
    const uint64_t hash = Hash(a, b);
    uint32_t slot = Home(hash);
    for (; index_[slot].position != kNone; slot = (slot + 1) & mask_) {
      if (index_[slot].hash != static_cast<uint32_t>(hash)) continue;
      const uint32_t position = index_[slot].position;
      Entry& entry = entries_[position];
      if (entry.key_a == a && entry.key_b == b) {
        Touch(position);
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
      slot = Home(hash);
      while (index_[slot].position != kNone) slot = (slot + 1) & mask_;
    }
    index_[slot] = Slot{position, static_cast<uint32_t>(hash)};
    Entry& entry = entries_[position];
    entry = Entry{};
    entry.key_a = a;
    entry.key_b = b;
    PushFront(position);
    return entry;
  }

  Entry* Find(uint64_t a, uint64_t b) {
    const uint64_t hash = Hash(a, b);
    for (uint32_t slot = Home(hash); index_[slot].position != kNone; slot = (slot + 1) & mask_) {
      if (index_[slot].hash != static_cast<uint32_t>(hash)) continue;
      Entry& entry = entries_[index_[slot].position];
      if (entry.key_a == a && entry.key_b == b) return &entry;
    }
    return nullptr;
  }

  uint32_t size() const { return used_; }
  uint32_t capacity() const { return static_cast<uint32_t>(entries_.size()); }
  uint64_t evictions() const { return evictions_; }
  // Entries in no particular order, for periodic export.
  Entry& at(uint32_t position) { return entries_[position]; }
  // Positions from the most to the least recently used, for tests.
  uint32_t most_recent() const { return head_; }
  uint32_t next_older(uint32_t position) const { return links_[position].next; }

 private:
  struct Slot {
    uint32_t position;  // kNone: empty
    uint32_t hash;      // the low 32 bits of the key's hash; its home slot is hash & mask_
  };
  struct Link {
    uint32_t prev = kNone;  // more recently used
    uint32_t next = kNone;  // less recently used
  };

  static uint64_t Hash(uint64_t a, uint64_t b) {
    uint64_t h = a ^ (b * 0x9e3779b97f4a7c15ull);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
  }
  uint32_t Home(uint64_t hash) const { return static_cast<uint32_t>(hash) & mask_; }

  void RemoveFromIndex(uint32_t position) {
    const Entry& entry = entries_[position];
    uint32_t slot = Home(Hash(entry.key_a, entry.key_b));
    while (index_[slot].position != position) slot = (slot + 1) & mask_;
    // Backward shift: move later members of the probe run into the hole.
    uint32_t hole = slot;
    for (uint32_t next = (hole + 1) & mask_; index_[next].position != kNone;
         next = (next + 1) & mask_) {
      const uint32_t home = Home(index_[next].hash);
      const bool between = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
      if (between) continue;
      index_[hole] = index_[next];
      hole = next;
    }
    index_[hole] = Slot{kNone, 0};
  }

  void Touch(uint32_t position) {
    if (head_ == position) return;
    Unlink(position);
    PushFront(position);
  }

  void Unlink(uint32_t position) {
    const Link link = links_[position];
    if (link.prev != kNone) {
      links_[link.prev].next = link.next;
    } else {
      head_ = link.next;
    }
    if (link.next != kNone) {
      links_[link.next].prev = link.prev;
    } else {
      tail_ = link.prev;
    }
  }

  void PushFront(uint32_t position) {
    links_[position] = Link{kNone, head_};
    if (head_ != kNone) links_[head_].prev = position;
    head_ = position;
    if (tail_ == kNone) tail_ = position;
  }

  std::vector<Entry> entries_;
  std::vector<Link> links_;
  std::vector<Slot> index_;
  uint32_t mask_ = 0;
  uint32_t used_ = 0;
  uint32_t head_ = kNone;  // most recently used
  uint32_t tail_ = kNone;  // least recently used: the next eviction
  uint64_t evictions_ = 0;
};

}  // namespace sluice::detect
