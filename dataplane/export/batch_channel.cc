#include "dataplane/export/batch_channel.h"

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_ring.h>

namespace sluice::exporter {

namespace {

rte_ring* CreateRing(const std::string& name, uint32_t entries, std::string* error) {
  // rte_ring sizes are powers of two and hold size - 1 entries.
  const uint32_t size = rte_align32pow2(entries + 1);
  rte_ring* ring = rte_ring_create(name.c_str(), size, static_cast<int>(rte_socket_id()),
                                   RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (ring == nullptr) {
    *error = "cannot create ring '" + name + "': " + rte_strerror(rte_errno);
  }
  return ring;
}

}  // namespace

BatchChannel::~BatchChannel() {
  rte_ring_free(free_ring_);
  rte_ring_free(ready_ring_);
}

bool BatchChannel::Init(uint16_t worker_id, uint32_t buffers, std::string* error) {
  const std::string suffix = std::to_string(worker_id);
  free_ring_ = CreateRing("sl_batch_free_" + suffix, buffers, error);
  if (free_ring_ == nullptr) return false;
  ready_ring_ = CreateRing("sl_batch_ready_" + suffix, buffers, error);
  if (ready_ring_ == nullptr) return false;
  batches_.reserve(buffers);
  for (uint32_t i = 0; i < buffers; ++i) {
    batches_.push_back(std::make_unique<ExportBatch>());
    batches_.back()->worker_id = worker_id;
    PutFree(batches_.back().get());
  }
  return true;
}

ExportBatch* BatchChannel::TakeFree() {
  void* batch = nullptr;
  return rte_ring_sc_dequeue(free_ring_, &batch) == 0 ? static_cast<ExportBatch*>(batch) : nullptr;
}

void BatchChannel::PutReady(ExportBatch* batch) { rte_ring_sp_enqueue(ready_ring_, batch); }

ExportBatch* BatchChannel::TakeReady() {
  void* batch = nullptr;
  return rte_ring_sc_dequeue(ready_ring_, &batch) == 0 ? static_cast<ExportBatch*>(batch) : nullptr;
}

void BatchChannel::PutFree(ExportBatch* batch) {
  batch->builder.Clear();
  batch->records = 0;
  batch->sent = false;
  batch->sent_ms = 0;
  batch->first_ts_ns = 0;
  batch->last_ts_ns = 0;
  rte_ring_sp_enqueue(free_ring_, batch);
}

}  // namespace sluice::exporter
