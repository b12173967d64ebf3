#include "dataplane/export/gap_batch.h"

#include "records_generated.h"

namespace sluice::exporter {

void BuildGapBatch(const std::string& dataplane_id, uint64_t run_id, uint64_t sequence,
                   const std::vector<std::pair<uint16_t, LostRange>>& ranges, ExportBatch* batch) {
  flatbuffers::FlatBufferBuilder& fbb = batch->builder;
  fbb.Clear();
  std::vector<flatbuffers::Offset<wire::Record>> records;
  records.reserve(ranges.size());
  const auto reason = fbb.CreateSharedString("spool_overflow");
  for (const auto& [worker, loss] : ranges) {
    const auto gap = wire::CreateGap(fbb, worker, reason, run_id, loss.first_sequence,
                                     loss.last_sequence, loss.batches, loss.records,
                                     loss.first_ts_ns, loss.last_ts_ns);
    records.push_back(wire::CreateRecord(fbb, wire::RecordBody::Gap, gap.Union()));
  }
  const auto batch_offset = wire::CreateBatch(fbb, fbb.CreateString(dataplane_id), run_id,
                                              kGapStreamWorker, sequence, fbb.CreateVector(records));
  fbb.Finish(wire::CreateMessage(fbb, wire::MessageBody::Batch, batch_offset.Union()),
             wire::MessageIdentifier());
  batch->worker_id = kGapStreamWorker;
  batch->sequence = sequence;
  batch->records = static_cast<uint32_t>(records.size());
  batch->sent = false;
  batch->sent_ms = 0;
}

}  // namespace sluice::exporter
