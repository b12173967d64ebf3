// The exporter's spool of unacknowledged batches and the Gap records it produces on overflow.
#include "dataplane/export/spool.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "dataplane/export/gap_batch.h"
#include "records_generated.h"

namespace sluice::exporter {
namespace {

class SpoolTest : public ::testing::Test {
 protected:
  // A batch of `worker` with `records` records and a builder of about `bytes` bytes.
  ExportBatch* Make(uint16_t worker, uint64_t sequence, uint32_t records, size_t bytes = 100,
                    uint64_t first_ts = 0, uint64_t last_ts = 0) {
    batches_.push_back(std::make_unique<ExportBatch>());
    ExportBatch* batch = batches_.back().get();
    batch->worker_id = worker;
    batch->sequence = sequence;
    batch->records = records;
    batch->first_ts_ns = first_ts;
    batch->last_ts_ns = last_ts;
    std::vector<uint8_t> filler(bytes, 0);
    batch->builder.Finish(batch->builder.CreateVector(filler));
    return batch;
  }

  std::vector<std::unique_ptr<ExportBatch>> batches_;
};

TEST_F(SpoolTest, WaitPolicyNeverGivesUp) {
  Spool spool;
  spool.Init(1, SpoolLimits{2, 1 << 20, SpoolOverflow::kWait});
  for (uint64_t sequence = 0; sequence < 5; ++sequence) spool.Push(Make(0, sequence, 10));
  EXPECT_EQ(spool.GiveUpOverLimit(0), nullptr);
  EXPECT_EQ(spool.batches(), 5u);
  EXPECT_FALSE(spool.has_open_loss());
}

TEST_F(SpoolTest, DropOldestGivesUpInOrder) {
  Spool spool;
  spool.Init(2, SpoolLimits{2, 1 << 20, SpoolOverflow::kDropOldest});
  std::vector<uint64_t> given_up;
  for (uint64_t sequence = 0; sequence < 5; ++sequence) {
    spool.Push(Make(0, sequence, 10 + static_cast<uint32_t>(sequence), 100, 1000 + sequence,
                    2000 + sequence));
    while (ExportBatch* batch = spool.GiveUpOverLimit(0)) given_up.push_back(batch->sequence);
  }
  EXPECT_EQ(given_up, (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_EQ(spool.queue(0).size(), 2u);
  EXPECT_EQ(spool.queue(0).front()->sequence, 3u);
  EXPECT_EQ(spool.counters().batches_given_up, 3u);
  EXPECT_EQ(spool.counters().records_given_up, 10u + 11u + 12u);
  EXPECT_EQ(spool.GiveUpOverLimit(1), nullptr) << "the other worker is within bounds";

  std::vector<std::pair<uint16_t, LostRange>> closed;
  spool.CloseLostRanges(closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].first, 0u);
  EXPECT_EQ(closed[0].second.first_sequence, 0u);
  EXPECT_EQ(closed[0].second.last_sequence, 2u);
  EXPECT_EQ(closed[0].second.batches, 3u);
  EXPECT_EQ(closed[0].second.records, 33u);
  EXPECT_EQ(closed[0].second.first_ts_ns, 1000u);
  EXPECT_EQ(closed[0].second.last_ts_ns, 2002u);
  EXPECT_FALSE(spool.has_open_loss());

  // A later loss starts a new range.
  spool.Push(Make(0, 5, 1));
  ASSERT_NE(spool.GiveUpOverLimit(0), nullptr);
  closed.clear();
  spool.CloseLostRanges(closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].second.first_sequence, 3u);
  EXPECT_EQ(closed[0].second.batches, 1u);
}

TEST_F(SpoolTest, ByteBoundGivesUp) {
  Spool spool;
  spool.Init(1, SpoolLimits{100, 3000, SpoolOverflow::kDropOldest});
  spool.Push(Make(0, 0, 1, 1000));
  spool.Push(Make(0, 1, 1, 1000));
  EXPECT_EQ(spool.GiveUpOverLimit(0), nullptr);
  spool.Push(Make(0, 2, 1, 2000));
  ExportBatch* oldest = spool.GiveUpOverLimit(0);
  ASSERT_NE(oldest, nullptr);
  EXPECT_EQ(oldest->sequence, 0u);
  EXPECT_LE(spool.bytes(), 3000u + 256u);  // builders add a little framing
}

TEST_F(SpoolTest, AcknowledgeRemovesOnce) {
  Spool spool;
  spool.Init(1, SpoolLimits{8, 1 << 20, SpoolOverflow::kDropOldest});
  for (uint64_t sequence = 0; sequence < 3; ++sequence) spool.Push(Make(0, sequence, 1));
  ASSERT_NE(spool.Acknowledge(0, 1), nullptr);
  EXPECT_EQ(spool.Acknowledge(0, 1), nullptr) << "a duplicate acknowledgement";
  EXPECT_EQ(spool.Acknowledge(0, 9), nullptr) << "an unknown sequence";
  EXPECT_EQ(spool.batches(), 2u);
  EXPECT_EQ(spool.counters().max_batches, 3u);
}

TEST_F(SpoolTest, GapBatchVerifies) {
  LostRange loss;
  loss.first_sequence = 7;
  loss.last_sequence = 9;
  loss.batches = 3;
  loss.records = 300;
  loss.first_ts_ns = 5;
  loss.last_ts_ns = 6;
  ExportBatch batch;
  BuildGapBatch("dp-1", 0x1234, 4, {{2, loss}}, &batch);
  EXPECT_EQ(batch.worker_id, kGapStreamWorker);
  EXPECT_EQ(batch.sequence, 4u);
  EXPECT_EQ(batch.records, 1u);

  flatbuffers::Verifier verifier(batch.builder.GetBufferPointer(), batch.builder.GetSize());
  ASSERT_TRUE(wire::VerifyMessageBuffer(verifier));
  const wire::Batch* wire_batch = wire::GetMessage(batch.builder.GetBufferPointer())->body_as_Batch();
  ASSERT_NE(wire_batch, nullptr);
  EXPECT_EQ(wire_batch->worker_id(), kGapStreamWorker);
  EXPECT_EQ(wire_batch->run_id(), 0x1234u);
  ASSERT_EQ(wire_batch->records()->size(), 1u);
  const wire::Gap* gap = wire_batch->records()->Get(0)->body_as_Gap();
  ASSERT_NE(gap, nullptr);
  EXPECT_EQ(gap->worker_id(), 2u);
  EXPECT_EQ(gap->run_id(), 0x1234u);
  EXPECT_EQ(gap->first_sequence(), 7u);
  EXPECT_EQ(gap->last_sequence(), 9u);
  EXPECT_EQ(gap->batches_lost(), 3u);
  EXPECT_EQ(gap->records_lost(), 300u);
  EXPECT_EQ(gap->first_ts_ns(), 5u);
  EXPECT_EQ(gap->last_ts_ns(), 6u);
  EXPECT_EQ(gap->reason()->str(), "spool_overflow");
}

}  // namespace
}  // namespace sluice::exporter
