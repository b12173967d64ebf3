// Handling of one verified Batch: sequence check, JSON-lines write, acknowledgement decision.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "control/daemon/stats.h"
#include "control/sinks/ecs_json.h"
#include "control/sinks/jsonl_sink.h"
#include "control/transport/sequence_tracker.h"
#include "records_generated.h"

namespace sluice::control::store {
class Store;
}

namespace sluice::control {

enum class BatchAction : uint8_t {
  kAcknowledge,  // written now or before: reply BatchAck
  kReject,       // header check failed: reply BatchReject(reason)
  kNoReply,      // the sink failed: stay silent so the data plane resends
};

struct BatchOutcome {
  BatchAction action = BatchAction::kNoReply;
  BatchError error = BatchError::kCount;  // set for kReject
  SequenceCheck sequence;
  uint32_t records = 0;  // records in the batch, echoed in BatchAck
  bool sink_failed = false;
  bool store_failed = false;
  std::string store_error;  // set with store_failed, for the log line
};

// Writes verified batches to the sink in the order rules of the wire contract. Owned by the
// ingest thread.
class BatchProcessor {
 public:
  // Bounds the sequence state; each stream costs about 100 bytes in memory and about 50 bytes in
  // the delivery state file, which every group commit rewrites whole.
  static constexpr size_t kMaxStreams = 4096;
  // The formatted lines of a batch go to the sink in one write once the batch is done, or
  // earlier whenever this many bytes are buffered, which bounds the memory a large batch takes.
  static constexpr size_t kMaxBufferedBytes = 1 << 20;

  BatchProcessor(JsonlSink& sink, ControlStats& stats)
      : sink_(sink), stats_(stats), tracker_(kMaxStreams) {}

  // Counts, classifies and, unless it is a duplicate or invalid, writes `batch` then flushes.
  // `message` is the verified frame that contains `batch`. With a store attached, it is stored
  // first, and the batch is acknowledged only once both the store and the sink have it.
  BatchOutcome Process(const wire::Batch& batch, std::span<const uint8_t> message = {});

  // Sends every new batch to `store` (not owned) as well as to the sink; nullptr detaches it.
  void AttachStore(store::Store* store) { store_ = store; }

  // The per-stream sequence state, persisted and restored by DeliveryCommitter.
  SequenceTracker& tracker() { return tracker_; }

 private:
  // Returns false when the sink failed; Process then cuts the lines of the batch that reached
  // the file, so the resent batch is written once.
  bool WriteRecords(const wire::Batch& batch, const BatchContext& context);
  // Returns the batches newly given up because of the batch's Gap records.
  uint64_t SkipReportedLosses(const wire::Batch& batch);

  JsonlSink& sink_;
  ControlStats& stats_;
  SequenceTracker tracker_;
  EcsFormatter formatter_;
  store::Store* store_ = nullptr;
};

}  // namespace sluice::control
