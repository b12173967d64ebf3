// Per-worker table of TCP connections: an rte_hash from FlowKey to a slot of a preallocated Flow
// array, plus a least-recently-used list ordered by packet time for idle expiry and eviction.
//
// Ownership: one FlowTable per worker lcore, used only by that lcore (the hash is created without
// concurrency flags). Memory is fixed at construction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/flow/flow.h"

struct rte_hash;

namespace sluice::flow {

class FlowTable {
 public:
  FlowTable() = default;
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Creates the hash with room for `capacity` flows. `name` must be unique in the process.
  // Returns false and fills `error` when DPDK cannot create it.
  bool Init(const std::string& name, uint32_t capacity, std::string* error);

  // Returns the slot of `key` or kNoIndex. `hash` comes from Hash().
  uint32_t Lookup(const FlowKey& key, uint32_t hash) const;
  // Adds `key` and returns its zeroed slot, or kNoIndex when the table is full.
  uint32_t Insert(const FlowKey& key, uint32_t hash);
  // Removes the flow in `slot` from the hash and the LRU list.
  void Remove(uint32_t slot);
  uint32_t Hash(const FlowKey& key) const;

  Flow& at(uint32_t slot) { return flows_[slot]; }
  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }

  // Moves `slot` to the most-recently-used end. Called on every packet of the flow.
  void Touch(uint32_t slot);
  // The least recently used flow, or kNoIndex when empty.
  uint32_t Oldest() const { return lru_head_; }

 private:
  void Unlink(uint32_t slot);
  void Append(uint32_t slot);

  rte_hash* hash_ = nullptr;
  std::vector<Flow> flows_;
  uint32_t capacity_ = 0;
  uint32_t size_ = 0;
  uint32_t lru_head_ = kNoIndex;  // oldest
  uint32_t lru_tail_ = kNoIndex;  // newest
};

}  // namespace sluice::flow
