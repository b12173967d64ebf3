// The hand-off of record batches between one worker lcore and the exporter on the main lcore.
//
// A channel owns a fixed set of batch buffers. The worker takes a free one, fills it and puts it on
// the ready ring; the exporter sends it and returns it to the free ring once sluice-control has
// acknowledged it. Both rings are single-producer single-consumer, so no locks are involved. The
// number of buffers bounds the memory and the number of unacknowledged batches (the spool).
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct rte_ring;

namespace sluice::exporter {

struct ExportBatch {
  flatbuffers::FlatBufferBuilder builder{64 * 1024};
  uint16_t worker_id = 0;
  uint64_t sequence = 0;
  uint32_t records = 0;
  uint64_t sent_ms = 0;    // exporter bookkeeping: when it was last sent (steady clock)
  bool sent = false;
  // Earliest and latest record timestamps (capture time), 0 when unknown; a Gap record reports
  // them when the batch is given up.
  uint64_t first_ts_ns = 0;
  uint64_t last_ts_ns = 0;
};

class BatchChannel {
 public:
  BatchChannel() = default;
  ~BatchChannel();
  BatchChannel(const BatchChannel&) = delete;
  BatchChannel& operator=(const BatchChannel&) = delete;

  // Creates `buffers` batches and both rings. Called on the main lcore before workers start.
  bool Init(uint16_t worker_id, uint32_t buffers, std::string* error);

  // Worker side.
  ExportBatch* TakeFree();                // nullptr when every buffer is in flight
  void PutReady(ExportBatch* batch);      // never fails: the ring holds every buffer

  // Exporter side.
  ExportBatch* TakeReady();               // nullptr when nothing is ready
  void PutFree(ExportBatch* batch);

  uint32_t buffers() const { return static_cast<uint32_t>(batches_.size()); }

 private:
  std::vector<std::unique_ptr<ExportBatch>> batches_;
  rte_ring* free_ring_ = nullptr;
  rte_ring* ready_ring_ = nullptr;
};

}  // namespace sluice::exporter
