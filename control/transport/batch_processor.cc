#include "control/transport/batch_processor.h"

#include "control/store/store.h"

namespace sluice::control {
namespace {

// Stages `message` in the store; DeliveryCommitter commits the store with the rest of the group.
// Returns false, with the outcome set to stay silent, when the store could not stage it (it then
// rolled back every batch staged since its last commit).
bool StoreBatch(store::Store& store, std::span<const uint8_t> message, BatchOutcome& outcome) {
  const store::StageResult stored = store.Stage(message.data(), message.size());
  if (stored.status == store::StageStatus::kStaged ||
      stored.status == store::StageStatus::kDuplicate) {
    return true;
  }
  outcome.store_failed = true;
  outcome.store_error = stored.error;
  outcome.action = BatchAction::kNoReply;
  return false;
}

BatchOutcome Reject(ControlStats& stats, BatchError error) {
  ++stats.batches_rejected;
  ++stats.batches_invalid[static_cast<size_t>(error)];
  BatchOutcome outcome;
  outcome.action = BatchAction::kReject;
  outcome.error = error;
  return outcome;
}

}  // namespace

BatchOutcome BatchProcessor::Process(const wire::Batch& batch,
                                     std::span<const uint8_t> message) {
  ++stats_.batches_received;
  if (batch.dataplane_id() == nullptr || batch.dataplane_id()->size() == 0) {
    return Reject(stats_, BatchError::kMissingDataplaneId);
  }
  if (batch.records() == nullptr) return Reject(stats_, BatchError::kMissingRecords);

  ++stats_.batches_verified;
  BatchOutcome outcome;
  outcome.records = batch.records()->size();
  stats_.records_received += outcome.records;

  // NOTE: the key copies the data plane id, one allocation per batch; fine at batch rate.
  const StreamKey key{batch.dataplane_id()->str(), batch.run_id(), batch.worker_id()};
  outcome.sequence = tracker_.Check(key, batch.sequence());
  if (outcome.sequence.verdict == SequenceVerdict::kDuplicate) {
    ++stats_.batches_duplicates;
    stats_.records_duplicate += outcome.records;
    outcome.action = BatchAction::kAcknowledge;
    return outcome;
  }

  // The forensic store first: it drops a batch it already contains by its own key, so a batch that
  // reached the store but not the sink is stored once when it comes again.
  if (store_ != nullptr && !StoreBatch(*store_, message, outcome)) {
    ++stats_.store_errors;
    ++stats_.batches_not_acknowledged;
    return outcome;
  }

  const BatchContext context{batch.dataplane_id()->string_view(), batch.run_id(),
                             batch.worker_id(), batch.sequence()};
  const uint64_t size_before = sink_.size();
  if (!WriteRecords(batch, context)) {
    sink_.TruncateTo(size_before);  // best effort: a failing disk may refuse this too
    ++stats_.sink_errors;
    ++stats_.batches_not_acknowledged;
    outcome.sink_failed = true;
    outcome.action = BatchAction::kNoReply;
    return outcome;
  }

  // Gaps are counted once the batch is written, so a failed write cannot count them twice.
  const AdvanceResult advanced = tracker_.Advance(key, batch.sequence());
  if (advanced.evicted) ++stats_.streams_evicted;
  const uint64_t given_up = advanced.given_up + SkipReportedLosses(batch);
  if (given_up > 0) {
    outcome.sequence.verdict = SequenceVerdict::kGap;
    outcome.sequence.missing = given_up;
    stats_.batches_sequence_gaps += given_up;
  }
  ++stats_.batches_written;
  outcome.action = BatchAction::kAcknowledge;
  return outcome;
}

// Gap records name batches their data plane gave up; the sequence state stops waiting for them.
uint64_t BatchProcessor::SkipReportedLosses(const wire::Batch& batch) {
  uint64_t lost = 0;
  for (const wire::Record* record : *batch.records()) {
    const wire::Gap* gap = record->body_as_Gap();
    if (gap == nullptr || gap->batches_lost() == 0) continue;
    const StreamKey key{batch.dataplane_id()->str(), gap->run_id(), gap->worker_id()};
    lost += tracker_.SkipLost(key, gap->first_sequence(), gap->last_sequence());
  }
  return lost;
}

bool BatchProcessor::WriteRecords(const wire::Batch& batch, const BatchContext& context) {
  uint64_t written = 0;
  formatter_.BeginBatch(context);
  for (const wire::Record* record : *batch.records()) {
    const FormatResult result = formatter_.Append(*record);
    if (result != FormatResult::kOk) {
      ++stats_.records_skipped[static_cast<size_t>(result)];
      continue;
    }
    ++written;
    if (record->body_type() == wire::RecordBody::Gap) ++stats_.gap_records;
    if (formatter_.lines().size() >= kMaxBufferedBytes) {
      if (!sink_.Write(formatter_.lines())) return false;
      formatter_.ClearLines();
    }
  }
  if (!sink_.Write(formatter_.lines())) return false;
  formatter_.ClearLines();
  if (!sink_.Flush()) return false;
  stats_.records_written += written;
  return true;
}

}  // namespace sluice::control
