// Delivery state file, restart recovery and group commit of sluice-control, and the ECS line of
// a Gap record.
#include "control/transport/delivery_state.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "control/transport/batch_processor.h"
#include "control/transport/delivery_committer.h"
#include "tests/unit/control/ecs_schema_check.h"
#include "tests/unit/control/wire_fixtures.h"

namespace sluice::control {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
}

uint64_t FileSize(const std::string& path) {
  struct stat status {};
  return stat(path.c_str(), &status) == 0 ? static_cast<uint64_t>(status.st_size) : 0;
}

DeliveryState SampleState() {
  DeliveryState state;
  state.jsonl_length = 12345;
  state.streams.push_back({StreamKey{"dp-a", 0x0123456789abcdefULL, 0}, 17, {19, 20, 25}});
  // A data plane id from the network may hold spaces, newlines and any byte.
  state.streams.push_back({StreamKey{std::string("odd id\n\x01\xff", 10), 7, 65535}, 0});
  return state;
}

TEST(DeliveryStateText, RoundTrip) {
  const DeliveryState state = SampleState();
  DeliveryState parsed;
  ASSERT_EQ(ParseDeliveryState(FormatDeliveryState(state), "x", parsed), "");
  EXPECT_EQ(parsed.jsonl_length, 12345u);
  ASSERT_EQ(parsed.streams.size(), 2u);
  EXPECT_EQ(parsed.streams[0].key, state.streams[0].key);
  EXPECT_EQ(parsed.streams[0].next_sequence, 17u);
  EXPECT_EQ(parsed.streams[0].ahead, (std::vector<uint64_t>{19, 20, 25}));
  EXPECT_EQ(parsed.streams[1].key, state.streams[1].key);
  EXPECT_EQ(parsed.streams[1].next_sequence, 0u);
}

TEST(DeliveryStateText, EveryTruncationRejected) {
  const std::string text = FormatDeliveryState(SampleState());
  for (size_t length = 0; length < text.size(); ++length) {
    DeliveryState parsed;
    const std::string error = ParseDeliveryState(text.substr(0, length), "state", parsed);
    EXPECT_NE(error, "") << "accepted a file cut at " << length << " of " << text.size();
    if (!error.empty()) {
      EXPECT_NE(error.find("move it aside"), std::string::npos) << error;
    }
  }
}

TEST(DeliveryStateText, MalformedRejected) {
  const char* const cases[] = {
      "other-magic 1\njsonl_length 0\nstreams 0\nend\n",
      "sluice-delivery-state 1\njsonl_length x\nstreams 0\nend\n",
      "sluice-delivery-state 1\njsonl_length 0\nstreams 1\nzz 0000000000000000 0 0 -\nend\n",
      "sluice-delivery-state 1\njsonl_length 0\nstreams 1\n6161 0000000000000000 70000 0 -\nend\n",
      "sluice-delivery-state 1\njsonl_length 0\nstreams 1\n616 0000000000000000 0 0 -\nend\n",
      "sluice-delivery-state 1\njsonl_length 0\nstreams 1\n6161 00000000000000 0 0 -\nend\n",
      "sluice-delivery-state 1\njsonl_length 0\nstreams 1\n6161 0000000000000000 0 5 5\nend\n",
      "sluice-delivery-state 1\njsonl_length 0\nstreams 1\n6161 0000000000000000 0 5 7,6\nend\n",
      "sluice-delivery-state 1\njsonl_length 0\nstreams 1\n6161 0000000000000000 0 5 7,\nend\n",
      "sluice-delivery-state 1\njsonl_length 0\nstreams 1\n6161 0000000000000000 0 5\nend\n",
      "sluice-delivery-state 1\njsonl_length 0\nstreams 0\nend-not\n",
  };
  for (const char* text : cases) {
    DeliveryState parsed;
    EXPECT_NE(ParseDeliveryState(text, "state", parsed), "") << text;
  }
}

class DeliveryFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = ::testing::TempDir() + "delivery_" + std::to_string(getpid()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name();
    mkdir(directory_.c_str(), 0755);
    jsonl_ = directory_ + "/records.jsonl";
    state_ = DeliveryStatePath(jsonl_);
  }
  void TearDown() override {
    unlink(jsonl_.c_str());
    unlink(state_.c_str());
    unlink((state_ + ".tmp").c_str());
    rmdir(directory_.c_str());
  }

  std::string directory_;
  std::string jsonl_;
  std::string state_;
};

TEST_F(DeliveryFiles, SaveThenLoad) {
  ASSERT_EQ(SaveDeliveryState(state_, SampleState()), "");
  DeliveryState loaded;
  bool found = false;
  ASSERT_EQ(LoadDeliveryState(state_, loaded, found), "");
  EXPECT_TRUE(found);
  EXPECT_EQ(loaded.jsonl_length, 12345u);
  EXPECT_EQ(loaded.streams.size(), 2u);
  EXPECT_NE(access((state_ + ".tmp").c_str(), F_OK), 0) << "temporary file left behind";
}

TEST_F(DeliveryFiles, MissingFileIsEmptyState) {
  DeliveryState loaded;
  bool found = true;
  EXPECT_EQ(LoadDeliveryState(state_, loaded, found), "");
  EXPECT_FALSE(found);
  EXPECT_TRUE(loaded.streams.empty());
}

TEST_F(DeliveryFiles, TruncatedFileIsError) {
  const std::string text = FormatDeliveryState(SampleState());
  WriteFile(state_, text.substr(0, text.size() - 3));
  DeliveryState loaded;
  bool found = false;
  const std::string error = LoadDeliveryState(state_, loaded, found);
  EXPECT_NE(error.find(state_), std::string::npos) << error;
}

TEST(PlanRecovery, Cases) {
  DeliveryState state;
  state.jsonl_length = 100;
  RecoveryReport report;

  EXPECT_EQ(PlanRecovery(state, false, 250, report), 250u) << "no state: keep the file";
  EXPECT_FALSE(report.state_found);
  EXPECT_EQ(report.bytes_cut, 0u);

  EXPECT_EQ(PlanRecovery(state, true, 250, report), 100u) << "unacknowledged tail";
  EXPECT_EQ(report.bytes_cut, 150u);
  EXPECT_FALSE(report.jsonl_shorter);

  EXPECT_EQ(PlanRecovery(state, true, 100, report), 100u) << "clean stop";
  EXPECT_EQ(report.bytes_cut, 0u);

  EXPECT_EQ(PlanRecovery(state, true, 40, report), 40u) << "state newer than the file";
  EXPECT_TRUE(report.jsonl_shorter);
  EXPECT_EQ(report.bytes_cut, 0u);
}

// One sluice-control lifetime: sink, processor and committer over the same files.
struct ControlInstance {
  explicit ControlInstance(const std::string& jsonl) {
    EXPECT_EQ(sink.Open(jsonl), "");
    processor = std::make_unique<BatchProcessor>(sink, stats);
    committer = std::make_unique<DeliveryCommitter>(sink, processor->tracker(), stats);
  }

  BatchOutcome Send(uint64_t sequence, size_t records, uint16_t worker = 1) {
    testing::BatchSpec spec;
    spec.sequence = sequence;
    spec.worker_id = worker;
    for (size_t i = 0; i < records; ++i) {
      testing::TransactionSpec transaction;
      transaction.index = static_cast<uint32_t>(i);
      spec.records.push_back(transaction);
    }
    const std::vector<uint8_t> frame = testing::BuildBatchFrame(spec);
    const BatchOutcome outcome = processor->Process(*wire::GetMessage(frame.data())->body_as_Batch());
    if (outcome.action == BatchAction::kAcknowledge) {
      committer->Defer(PendingAck{"peer", spec.run_id, worker, sequence, outcome.records});
    }
    return outcome;
  }

  bool Commit() {
    std::string error;
    const bool ok = committer->Commit(&error);
    EXPECT_EQ(error, "");
    committer->ClearAcks();
    return ok;
  }

  ControlStats stats;
  JsonlSink sink;
  std::unique_ptr<BatchProcessor> processor;
  std::unique_ptr<DeliveryCommitter> committer;
};

size_t CountLines(const std::string& path) {
  const std::string text = ReadFile(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST_F(DeliveryFiles, CrashCutsUncommittedTail) {
  uint64_t committed_size = 0;
  {
    ControlInstance first(jsonl_);
    RecoveryReport report;
    ASSERT_EQ(first.committer->Recover(state_, report), "");
    EXPECT_FALSE(report.state_found);
    first.Send(0, 3);
    first.Send(1, 3);
    ASSERT_TRUE(first.Commit());
    EXPECT_EQ(first.stats.delivery_commits, 1u);
    committed_size = FileSize(jsonl_);
    // Written but never committed: the "crash" comes before the group commit.
    first.Send(2, 3);
    EXPECT_GT(FileSize(jsonl_), committed_size);
  }

  ControlInstance second(jsonl_);
  RecoveryReport report;
  ASSERT_EQ(second.committer->Recover(state_, report), "");
  EXPECT_TRUE(report.state_found);
  EXPECT_EQ(FileSize(jsonl_), committed_size);
  EXPECT_EQ(report.bytes_cut, second.stats.delivery_bytes_cut_at_start);
  EXPECT_GT(report.bytes_cut, 0u);

  // The data plane resends 1 (acknowledged, but the ack was lost) and 2 (never acknowledged).
  EXPECT_EQ(second.Send(1, 3).sequence.verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(second.Send(2, 3).sequence.verdict, SequenceVerdict::kInOrder);
  EXPECT_EQ(second.Send(3, 3).sequence.verdict, SequenceVerdict::kInOrder);
  ASSERT_TRUE(second.Commit());
  EXPECT_EQ(second.stats.batches_sequence_gaps, 0u) << "a control restart is not a gap";
  EXPECT_EQ(CountLines(jsonl_), 12u) << "batches 0..3, three records each, each once";
}

// Batches that overtook a missing one are persisted too: after a restart the missing batch is
// written and the early ones are recognised.
TEST_F(DeliveryFiles, OutOfOrderSurvivesRestart) {
  {
    ControlInstance first(jsonl_);
    RecoveryReport report;
    ASSERT_EQ(first.committer->Recover(state_, report), "");
    first.Send(0, 1);
    first.Send(2, 1);
    first.Send(3, 1);
    ASSERT_TRUE(first.Commit());
  }
  ControlInstance second(jsonl_);
  RecoveryReport report;
  ASSERT_EQ(second.committer->Recover(state_, report), "");
  EXPECT_EQ(second.Send(3, 1).sequence.verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(second.Send(1, 1).sequence.verdict, SequenceVerdict::kInOrder);
  EXPECT_EQ(second.Send(2, 1).sequence.verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(second.Send(4, 1).sequence.verdict, SequenceVerdict::kInOrder);
  ASSERT_TRUE(second.Commit());
  EXPECT_EQ(CountLines(jsonl_), 5u);
  EXPECT_EQ(second.stats.batches_sequence_gaps, 0u);
}

TEST_F(DeliveryFiles, StateNewerThanJsonlKeepsDedup) {
  {
    ControlInstance first(jsonl_);
    RecoveryReport report;
    ASSERT_EQ(first.committer->Recover(state_, report), "");
    first.Send(0, 2);
    ASSERT_TRUE(first.Commit());
  }
  unlink(jsonl_.c_str());  // rotated away by an operator

  ControlInstance second(jsonl_);
  RecoveryReport report;
  ASSERT_EQ(second.committer->Recover(state_, report), "");
  EXPECT_TRUE(report.jsonl_shorter);
  EXPECT_EQ(report.bytes_cut, 0u);
  EXPECT_EQ(second.Send(0, 2).sequence.verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(second.Send(1, 2).sequence.verdict, SequenceVerdict::kInOrder);
  ASSERT_TRUE(second.Commit());
  EXPECT_EQ(CountLines(jsonl_), 2u);

  // The state now matches the new file, so a later restart cuts nothing.
  ControlInstance third(jsonl_);
  ASSERT_EQ(third.committer->Recover(state_, report), "");
  EXPECT_FALSE(report.jsonl_shorter);
  EXPECT_EQ(report.bytes_cut, 0u);
}

TEST_F(DeliveryFiles, DamagedStateStopsRecovery) {
  WriteFile(state_, "sluice-delivery-state 1\njsonl_length 5\n");
  WriteFile(jsonl_, "{}\n{}\n{}\n");
  ControlInstance instance(jsonl_);
  RecoveryReport report;
  EXPECT_NE(instance.committer->Recover(state_, report), "");
  EXPECT_EQ(FileSize(jsonl_), 9u) << "nothing is cut on a damaged state file";
}

TEST_F(DeliveryFiles, DuplicatesOnlyNeedNoSync) {
  ControlInstance instance(jsonl_);
  RecoveryReport report;
  ASSERT_EQ(instance.committer->Recover(state_, report), "");
  instance.Send(0, 1);
  ASSERT_TRUE(instance.Commit());
  instance.Send(0, 1);
  ASSERT_TRUE(instance.Commit());
  EXPECT_EQ(instance.stats.delivery_commits, 1u);
  EXPECT_EQ(instance.stats.batches_duplicates, 1u);
  EXPECT_EQ(instance.stats.delivery_acks_deferred, 2u);
}

TEST(EcsGap, LineMatchesSchema) {
  flatbuffers::FlatBufferBuilder builder;
  const auto gap = wire::CreateGapDirect(builder, 3, "spool_overflow", 0xabcULL, 10, 14, 5, 1234,
                                         1700000000000000000ULL, 1700000001000000000ULL);
  std::vector<flatbuffers::Offset<wire::Record>> records{
      wire::CreateRecord(builder, wire::RecordBody::Gap, gap.Union())};
  const auto batch = wire::CreateBatchDirect(builder, "dp-gap", 0xabcULL, 65535, 0, &records);
  builder.Finish(batch);
  const wire::Batch& parsed = *flatbuffers::GetRoot<wire::Batch>(builder.GetBufferPointer());

  EcsFormatter formatter;
  ASSERT_EQ(formatter.Format(*parsed.records()->Get(0),
                             BatchContext{"dp-gap", 0xabcULL, 65535, 0}),
            FormatResult::kOk);
  std::string line(formatter.line());
  ASSERT_FALSE(line.empty());
  line.pop_back();
  EXPECT_EQ(testing::EcsSchemaCheck().Check(line), "");
  for (const char* expected :
       {"\"kind\":\"event\"", "\"record_type\":\"gap\"", "\"reason\":\"spool_overflow\"",
        "\"worker\":3", "\"first_sequence\":10", "\"last_sequence\":14", "\"batches_lost\":5",
        "\"records_lost\":1234", "\"run_id\":\"0000000000000abc\"", "\"dataset\":\"sluice.gap\""}) {
    EXPECT_NE(line.find(expected), std::string::npos) << expected << " not in " << line;
  }
}

}  // namespace
}  // namespace sluice::control
