#include "control/transport/batch_processor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "tests/unit/control/ecs_schema_check.h"
#include "tests/unit/control/wire_fixtures.h"

namespace sluice::control {
namespace {

using testing::BatchSpec;
using testing::FlowSpec;
using testing::TransactionSpec;

class BatchProcessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "batch_processor_" + std::to_string(getpid()) + ".jsonl";
    unlink(path_.c_str());
    ASSERT_EQ(sink_.Open(path_), "");
  }
  void TearDown() override { unlink(path_.c_str()); }

  BatchOutcome Send(const BatchSpec& spec) {
    const std::vector<uint8_t> frame = testing::BuildBatchFrame(spec);
    return processor_.Process(*wire::GetMessage(frame.data())->body_as_Batch());
  }

  std::vector<std::string> Lines() const {
    std::ifstream file(path_);
    std::vector<std::string> lines;
    for (std::string line; std::getline(file, line);) lines.push_back(line);
    return lines;
  }

  static BatchSpec Batch(uint64_t sequence, size_t records) {
    BatchSpec spec;
    spec.sequence = sequence;
    for (size_t i = 0; i < records; ++i) {
      TransactionSpec transaction;
      transaction.index = static_cast<uint32_t>(i);
      spec.records.push_back(transaction);
    }
    return spec;
  }

  std::string path_;
  ControlStats stats_;
  JsonlSink sink_;
  BatchProcessor processor_{sink_, stats_};
};

TEST_F(BatchProcessorTest, InOrderBatchesWritten) {
  EXPECT_EQ(Send(Batch(0, 2)).action, BatchAction::kAcknowledge);
  const BatchOutcome second = Send(Batch(1, 3));
  EXPECT_EQ(second.action, BatchAction::kAcknowledge);
  EXPECT_EQ(second.records, 3u);
  EXPECT_EQ(Lines().size(), 5u);
  EXPECT_EQ(stats_.batches_received, 2u);
  EXPECT_EQ(stats_.batches_verified, 2u);
  EXPECT_EQ(stats_.batches_written, 2u);
  EXPECT_EQ(stats_.records_written, 5u);
  EXPECT_EQ(stats_.batches_sequence_gaps, 0u);
}

TEST_F(BatchProcessorTest, AheadWrittenLateFillsHole) {
  Send(Batch(0, 1));
  const BatchOutcome outcome = Send(Batch(4, 1));
  EXPECT_EQ(outcome.action, BatchAction::kAcknowledge);
  EXPECT_EQ(outcome.sequence.verdict, SequenceVerdict::kAhead);
  EXPECT_EQ(outcome.sequence.missing, 3u);
  EXPECT_EQ(stats_.batches_sequence_gaps, 0u) << "batches 1..3 may still be resent";
  EXPECT_EQ(Send(Batch(2, 1)).sequence.verdict, SequenceVerdict::kAhead);
  EXPECT_EQ(Send(Batch(1, 1)).sequence.verdict, SequenceVerdict::kInOrder);
  EXPECT_EQ(Send(Batch(4, 1)).sequence.verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(Lines().size(), 4u);
}

TEST_F(BatchProcessorTest, DuplicateAcknowledgedNotWritten) {
  Send(Batch(0, 2));
  const BatchOutcome outcome = Send(Batch(0, 2));
  EXPECT_EQ(outcome.action, BatchAction::kAcknowledge);
  EXPECT_EQ(outcome.sequence.verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(outcome.records, 2u);
  EXPECT_EQ(stats_.batches_duplicates, 1u);
  EXPECT_EQ(stats_.records_duplicate, 2u);
  EXPECT_EQ(Lines().size(), 2u);
}

TEST_F(BatchProcessorTest, MissingHeaderFieldsRejected) {
  BatchSpec no_id = Batch(0, 1);
  no_id.dataplane_id.clear();
  const BatchOutcome first = Send(no_id);
  EXPECT_EQ(first.action, BatchAction::kReject);
  EXPECT_EQ(first.error, BatchError::kMissingDataplaneId);

  BatchSpec no_records = Batch(0, 0);
  no_records.omit_records = true;
  const BatchOutcome second = Send(no_records);
  EXPECT_EQ(second.action, BatchAction::kReject);
  EXPECT_EQ(second.error, BatchError::kMissingRecords);

  EXPECT_EQ(stats_.batches_rejected, 2u);
  EXPECT_EQ(stats_.batches_verified, 0u);
  EXPECT_TRUE(Lines().empty());
}

TEST_F(BatchProcessorTest, EmptyRecordListAcknowledged) {
  const BatchOutcome outcome = Send(Batch(0, 0));
  EXPECT_EQ(outcome.action, BatchAction::kAcknowledge);
  EXPECT_EQ(outcome.records, 0u);
  EXPECT_EQ(Send(Batch(1, 0)).sequence.verdict, SequenceVerdict::kInOrder);
}

TEST_F(BatchProcessorTest, SkippedRecordsCounted) {
  BatchSpec spec = Batch(0, 1);
  TransactionSpec bad;
  bad.ip_version = static_cast<wire::IpVersion>(9);
  spec.records.push_back(bad);
  spec.records.push_back(testing::EmptyRecordSpec{});
  spec.records.push_back(FlowSpec{});
  EXPECT_EQ(Send(spec).action, BatchAction::kAcknowledge);
  EXPECT_EQ(stats_.records_received, 4u);
  EXPECT_EQ(stats_.records_written, 2u);
  EXPECT_EQ(stats_.records_skipped[static_cast<size_t>(FormatResult::kBadIpVersion)], 1u);
  EXPECT_EQ(stats_.records_skipped[static_cast<size_t>(FormatResult::kNoBody)], 1u);

  const testing::EcsSchemaCheck schema;
  for (const std::string& line : Lines()) EXPECT_EQ(schema.Check(line), "");
}

TEST_F(BatchProcessorTest, BatchLargerThanBufferWrittenInOrder) {
  // 40 lines of over 64 KiB each pass kMaxBufferedBytes twice, so the batch takes several writes.
  BatchSpec spec = Batch(0, 40);
  for (testing::RecordSpec& record : spec.records) {
    std::get<TransactionSpec>(record).url_original = "/" + std::string(64 * 1024, 'a');
  }
  EXPECT_EQ(Send(spec).action, BatchAction::kAcknowledge);
  EXPECT_EQ(stats_.records_written, 40u);

  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 40u);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_GT(lines[i].size(), 64u * 1024) << "line " << i;
    EXPECT_NE(lines[i].find("\"transaction\":" + std::to_string(i) + ","), std::string::npos)
        << "line " << i;
  }
}

TEST(JsonlSink, FlushReportsEarlierWriteFailure) {
  JsonlSink sink;
  ASSERT_EQ(sink.Open("/dev/full"), "");
  EXPECT_FALSE(sink.Write("{}\n"));
  EXPECT_EQ(sink.last_error(), ENOSPC);
  EXPECT_FALSE(sink.Flush());
  // The failure is reported once; a batch with no failed write may be acknowledged again.
  EXPECT_TRUE(sink.Flush());
}

TEST(JsonlSink, OpenFailureNamesPath) {
  JsonlSink sink;
  const std::string error = sink.Open("/nonexistent-directory/out.jsonl");
  EXPECT_NE(error.find("/nonexistent-directory/out.jsonl"), std::string::npos) << error;
}

TEST(BatchProcessorSinkFailure, NotAcknowledgedAndRetried) {
  JsonlSink sink;
  ASSERT_EQ(sink.Open("/dev/full"), "");  // every write fails with ENOSPC
  ControlStats stats;
  BatchProcessor processor(sink, stats);
  BatchSpec spec;
  spec.records = {TransactionSpec{}};
  const std::vector<uint8_t> frame = testing::BuildBatchFrame(spec);
  const wire::Batch& batch = *wire::GetMessage(frame.data())->body_as_Batch();

  const BatchOutcome outcome = processor.Process(batch);
  EXPECT_EQ(outcome.action, BatchAction::kNoReply);
  EXPECT_TRUE(outcome.sink_failed);
  EXPECT_EQ(stats.sink_errors, 1u);
  EXPECT_EQ(stats.batches_not_acknowledged, 1u);
  // The sequence did not advance, so a resend is tried again, not taken for a duplicate.
  EXPECT_EQ(processor.Process(batch).sequence.verdict, SequenceVerdict::kInOrder);
}

}  // namespace
}  // namespace sluice::control
