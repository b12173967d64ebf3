#include "control/daemon/stats.h"

#include <string>

namespace sluice::control {
namespace {

std::string_view SkippedRecordName(FormatResult result) {
  switch (result) {
    case FormatResult::kNoBody: return "no_body";
    case FormatResult::kUnknownBody: return "unknown_body";
    case FormatResult::kBadIpVersion: return "bad_ip_version";
    case FormatResult::kMissingEndpoint: return "missing_endpoint";
    case FormatResult::kOk: break;
  }
  return "unknown";
}

}  // namespace

std::string_view BatchErrorName(BatchError error) {
  switch (error) {
    case BatchError::kMissingDataplaneId: return "missing_dataplane_id";
    case BatchError::kMissingRecords: return "missing_records";
    case BatchError::kCount: break;
  }
  return "unknown";
}

void ForEachCounter(
    const ControlStats& stats,
    const std::function<void(std::string_view name, uint64_t value, std::string_view meaning)>&
        visit) {
  visit("control.frames.received", stats.frames_received,
        "ZeroMQ messages read from the ingest socket, valid or not.");
  for (size_t i = 0; i < kFrameErrorCount; ++i) {
    const std::string name =
        "control.frames.invalid." + std::string(FrameErrorName(static_cast<FrameError>(i)));
    visit(name, stats.frames_invalid[i],
          "Frames dropped for this reason and answered with BatchReject; a rising value means a "
          "peer that is not a compatible sluice-dataplane, or corruption.");
  }
  visit("control.hellos.received", stats.hellos_received,
        "Hello messages answered with HelloAck: data plane starts and reconnects.");
  visit("control.messages.unexpected", stats.messages_unexpected,
        "Valid messages of a type only sluice-control sends (HelloAck, BatchAck, BatchReject); a "
        "misconfigured peer.");
  visit("control.replies.failed", stats.replies_failed,
        "Replies ZeroMQ could not queue, usually because the peer disconnected.");
  visit("control.batches.received", stats.batches_received,
        "Verified Batch messages plus invalid frames, which are presumed to be batches.");
  visit("control.batches.verified", stats.batches_verified,
        "Batches that passed verification and the header checks.");
  visit("control.batches.rejected", stats.batches_rejected,
        "Batches answered with BatchReject; their records are lost unless the data plane resends.");
  for (size_t i = 0; i < kBatchErrorCount; ++i) {
    const std::string name =
        "control.batches.invalid." + std::string(BatchErrorName(static_cast<BatchError>(i)));
    visit(name, stats.batches_invalid[i],
          "Verified batches rejected for this header problem; a data plane bug.");
  }
  visit("control.batches.duplicates", stats.batches_duplicates,
        "Batches whose sequence number was already written; acknowledged again, not rewritten. "
        "Expected after a data plane reconnect.");
  visit("control.batches.sequence_gaps", stats.batches_sequence_gaps,
        "Batches never received, from jumps in the sequence numbers; records were lost upstream.");
  visit("control.batches.written", stats.batches_written,
        "Batches written to the JSON-lines file and acknowledged.");
  visit("control.batches.not_acknowledged", stats.batches_not_acknowledged,
        "Batches left unacknowledged because the sink failed; the data plane resends them.");
  visit("control.streams.evicted", stats.streams_evicted,
        "Sequence states forgotten because too many (data plane, run, worker) streams were seen; "
        "later batches of those streams may be miscounted as gaps.");
  visit("control.records.received", stats.records_received,
        "Records in verified batches, duplicates included.");
  visit("control.records.written", stats.records_written,
        "Records written to the JSON-lines file.");
  visit("control.records.duplicate", stats.records_duplicate,
        "Records in duplicate batches, not written again.");
  for (size_t i = 1; i < kFormatResultCount; ++i) {
    const std::string name =
        "control.records.skipped." + std::string(SkippedRecordName(static_cast<FormatResult>(i)));
    visit(name, stats.records_skipped[i],
          "Records of accepted batches that could not be written for this reason; a data plane "
          "bug or a newer data plane.");
  }
  visit("control.sink.errors", stats.sink_errors,
        "Failed writes or flushes of the JSON-lines file (disk full, I/O error).");
  visit("control.delivery.commits", stats.delivery_commits,
        "Group commits: one fdatasync of the JSON-lines file and one delivery state file "
        "replacement, after which every batch of the group is acknowledged.");
  visit("control.delivery.commit_failures", stats.delivery_commit_failures,
        "Group commits that failed (fsync or state file error); their batches were cut from the "
        "file and left unacknowledged, so the data plane resends them. Check the disk.");
  visit("control.delivery.acks_deferred", stats.delivery_acks_deferred,
        "Acknowledgements held back until their group commit; divided by commits it gives the "
        "batches per fsync.");
  visit("control.delivery.bytes_cut_at_start", stats.delivery_bytes_cut_at_start,
        "Bytes cut from the end of the JSON-lines file at start: lines written but never "
        "acknowledged before sluice-control stopped; the data planes resend them.");
  visit("control.records.gap", stats.gap_records,
        "Gap records written: data planes reporting batches they gave up because their spool "
        "overflowed while sluice-control was unreachable. Every one is lost data.");
  visit("control.store.errors", stats.store_errors,
        "Batches the forensic store could not make durable (disk full, I/O error); they were "
        "left unacknowledged, so their data planes resend them.");
}

}  // namespace sluice::control
