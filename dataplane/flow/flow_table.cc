#include "dataplane/flow/flow_table.h"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include <cstdint>
#include <cstring>

namespace sluice::flow {

namespace {

// rte_hash has vector compares only for key sizes that are multiples of 16; for the 40-byte key it
// calls memcmp through a function pointer. This compare loads the key as five 8-byte words.
// rte_hash wants 0 for equal keys.
int CompareFlowKeys(const void* key1, const void* key2, size_t /*key_len*/) {
  static_assert(sizeof(FlowKey) == 40);
  const auto* a = static_cast<const uint8_t*>(key1);
  const auto* b = static_cast<const uint8_t*>(key2);
  uint64_t diff = 0;
  for (size_t offset = 0; offset < sizeof(FlowKey); offset += 8) {
    uint64_t x;
    uint64_t y;
    std::memcpy(&x, a + offset, 8);
    std::memcpy(&y, b + offset, 8);
    diff |= x ^ y;
  }
  return diff != 0;
}

}  // namespace

FlowTable::~FlowTable() {
  if (hash_ != nullptr) rte_hash_free(hash_);
}

bool FlowTable::Init(const std::string& name, uint32_t capacity, std::string* error) {
  rte_hash_parameters params{};
  params.name = name.c_str();
  // rte_hash needs at least 8 entries; EXT_TABLE guarantees every one of `capacity` keys fits.
  params.entries = capacity < 8 ? 8 : capacity;
  params.key_len = sizeof(FlowKey);
  // CRC32 runs on the SSE4.2 instruction (the build targets corei7); jhash cost 3 % of the worker.
  params.hash_func = rte_hash_crc;
  params.hash_func_init_val = 0x5eed1ce;
  params.socket_id = static_cast<int>(rte_socket_id());
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  hash_ = rte_hash_create(&params);
  if (hash_ == nullptr) {
    *error = "cannot create flow table '" + name + "' with " + std::to_string(capacity) +
             " entries: " + rte_strerror(rte_errno) + " (lower flows_per_worker or give DPDK more memory with -m)";
    return false;
  }
  rte_hash_set_cmp_func(hash_, CompareFlowKeys);
  capacity_ = capacity;
  flows_.resize(static_cast<size_t>(rte_hash_max_key_id(hash_)) + 1);
  return true;
}

uint32_t FlowTable::Hash(const FlowKey& key) const { return rte_hash_hash(hash_, &key); }

uint32_t FlowTable::Lookup(const FlowKey& key, uint32_t hash) const {
  const int32_t position = rte_hash_lookup_with_hash(hash_, &key, hash);
  return position < 0 ? kNoIndex : static_cast<uint32_t>(position);
}

uint32_t FlowTable::Insert(const FlowKey& key, uint32_t hash) {
  if (size_ >= capacity_) return kNoIndex;
  const int32_t position = rte_hash_add_key_with_hash(hash_, &key, hash);
  if (position < 0) return kNoIndex;
  const auto slot = static_cast<uint32_t>(position);
  Flow& flow = flows_[slot];
  flow = Flow{};  // value-initialised: parsers and streams get their defaults
  flow.key = key;
  ++size_;
  Append(slot);
  return slot;
}

void FlowTable::Remove(uint32_t slot) {
  Unlink(slot);
  rte_hash_del_key(hash_, &flows_[slot].key);
  --size_;
}

void FlowTable::Touch(uint32_t slot) {
  if (lru_tail_ == slot) return;
  Unlink(slot);
  Append(slot);
}

void FlowTable::Unlink(uint32_t slot) {
  Flow& flow = flows_[slot];
  if (flow.lru_prev != kNoIndex) flows_[flow.lru_prev].lru_next = flow.lru_next;
  else lru_head_ = flow.lru_next;
  if (flow.lru_next != kNoIndex) flows_[flow.lru_next].lru_prev = flow.lru_prev;
  else lru_tail_ = flow.lru_prev;
  flow.lru_prev = flow.lru_next = kNoIndex;
}

void FlowTable::Append(uint32_t slot) {
  Flow& flow = flows_[slot];
  flow.lru_prev = lru_tail_;
  flow.lru_next = kNoIndex;
  if (lru_tail_ != kNoIndex) flows_[lru_tail_].lru_next = slot;
  else lru_head_ = slot;
  lru_tail_ = slot;
}

}  // namespace sluice::flow
