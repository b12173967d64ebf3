// Store: append, reopen, crash recovery, deduplication, group commit and retention.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "control/store/query.h"
#include "control/store/verify.h"
#include "tests/unit/store/store_fixture.h"

namespace sluice::control::store {
namespace {

uint64_t CountRecords(const std::string& directory) {
  StoreReader reader;
  EXPECT_EQ(reader.Open(directory), "");
  RecordQuery query;
  query.limit = kMaxQueryLimit;
  QueryPage page;
  EXPECT_EQ(reader.Query(query, page), "");
  return page.rows.size();
}

uint64_t FileSize(const std::string& path) { return std::filesystem::file_size(path); }

VerifyReport Verify(const std::string& directory, const std::string& key_path) {
  Pkey key;
  EXPECT_EQ(LoadVerifyKey(key_path + ".pub", key), "");
  VerifyReport report;
  EXPECT_EQ(VerifyStore(directory, key.get(), report), "");
  return report;
}

TEST_F(StoreTest, AppendThenReopen) {
  OpenStore();
  EXPECT_EQ(Append(Batch(0, 3)), StageStatus::kStaged);
  EXPECT_EQ(Append(Batch(1, 2)), StageStatus::kStaged);
  EXPECT_EQ(store_->counters().records_stored, 5u);
  EXPECT_EQ(CountRecords(directory_), 5u);
  ASSERT_EQ(store_->Close(), "");

  OpenStore();
  EXPECT_EQ(store_->open_segment(), 2u);  // Close sealed segment 1
  EXPECT_EQ(Append(Batch(2, 4)), StageStatus::kStaged);
  EXPECT_EQ(CountRecords(directory_), 9u);
  ASSERT_EQ(store_->Close(), "");
  EXPECT_TRUE(Verify(directory_, key_path_).ok());
}

TEST_F(StoreTest, CreatesSigningKeyWhenMissing) {
  OpenStore();
  EXPECT_TRUE(std::filesystem::exists(key_path_));
  EXPECT_TRUE(std::filesystem::exists(key_path_ + ".pub"));
  EXPECT_TRUE(LogContains("created store signing key"));
  const auto permissions = std::filesystem::status(key_path_).permissions();
  EXPECT_EQ(permissions & std::filesystem::perms::others_read, std::filesystem::perms::none);
}

TEST_F(StoreTest, InvalidMessageRejected) {
  OpenStore();
  const std::vector<uint8_t> garbage(100, 0x41);
  const StageResult result = store_->Append(garbage.data(), garbage.size());
  EXPECT_EQ(result.status, StageStatus::kInvalid);
  EXPECT_NE(result.error, "");
  EXPECT_EQ(store_->counters().batches_invalid, 1u);
  EXPECT_EQ(CountRecords(directory_), 0u);
}

TEST_F(StoreTest, TruncatedTailCutBackOnOpen) {
  OpenStore();
  ASSERT_EQ(Append(Batch(0, 3)), StageStatus::kStaged);
  ASSERT_EQ(Append(Batch(1, 3)), StageStatus::kStaged);
  const uint64_t committed = FileSize(SegmentPath(1));
  // Simulates a crash: the process dies without Close, leaving half a frame at the tail.
  const std::vector<uint8_t> next = Batch(2, 3);
  store_.release();  // NOTE: leaks the object on purpose, as a crash would; no Close runs
  {
    std::ofstream file(SegmentPath(1), std::ios::binary | std::ios::app);
    const char torn[] = {'S', 'L', 'B', 'F', 0x40, 0, 0, 0, 0x10};
    file.write(torn, sizeof(torn));
  }
  ASSERT_GT(FileSize(SegmentPath(1)), committed);

  OpenStore();
  EXPECT_TRUE(LogContains("truncated"));
  EXPECT_EQ(FileSize(SegmentPath(1)), committed);
  EXPECT_EQ(CountRecords(directory_), 6u);
  EXPECT_EQ(Append(next), StageStatus::kStaged);
  EXPECT_EQ(CountRecords(directory_), 9u);
  ASSERT_EQ(store_->Close(), "");
  EXPECT_TRUE(Verify(directory_, key_path_).ok());
}

TEST_F(StoreTest, UncommittedFramesCutBackOnOpen) {
  OpenStore();
  ASSERT_EQ(Append(Batch(0, 2)), StageStatus::kStaged);
  const uint64_t committed = FileSize(SegmentPath(1));
  const std::vector<uint8_t> staged = Batch(1, 2);
  ASSERT_EQ(store_->Stage(staged.data(), staged.size()).status, StageStatus::kStaged);
  ASSERT_GT(FileSize(SegmentPath(1)), committed);

  // A copy taken now is what a crash before the index commit leaves on disk.
  const std::string copy = root_ + "/copy";
  std::filesystem::copy(directory_, copy);
  store_->Commit();
  store_.reset();
  directory_ = copy;
  OpenStore();
  EXPECT_EQ(FileSize(SegmentPath(1)), committed);
  EXPECT_EQ(CountRecords(directory_), 2u);
  // The unacknowledged batch comes again from its data plane and is stored once.
  EXPECT_EQ(Append(staged), StageStatus::kStaged);
  EXPECT_EQ(CountRecords(directory_), 4u);
}

TEST_F(StoreTest, DuplicateStoredOnce) {
  OpenStore();
  const std::vector<uint8_t> batch = Batch(5, 3);
  EXPECT_EQ(Append(batch), StageStatus::kStaged);
  EXPECT_EQ(Append(batch), StageStatus::kDuplicate);
  // The same sequence from another worker is a different batch.
  EXPECT_EQ(Append(Batch(5, 3, 0, 1'000'000'000, 1)), StageStatus::kStaged);
  EXPECT_EQ(store_->counters().batches_duplicate, 1u);
  EXPECT_EQ(CountRecords(directory_), 6u);

  // Still a duplicate after a restart, and inside one group commit.
  ASSERT_EQ(store_->Close(), "");
  OpenStore();
  EXPECT_EQ(Append(batch), StageStatus::kDuplicate);
  const std::vector<uint8_t> fresh = Batch(6, 1);
  EXPECT_EQ(store_->Stage(fresh.data(), fresh.size()).status, StageStatus::kStaged);
  EXPECT_EQ(store_->Stage(fresh.data(), fresh.size()).status, StageStatus::kDuplicate);
  ASSERT_EQ(store_->Commit(), "");
  EXPECT_EQ(CountRecords(directory_), 7u);
}

TEST_F(StoreTest, GroupCommitMakesBurstDurableTogether) {
  OpenStore();
  for (uint64_t sequence = 0; sequence < 5; ++sequence) {
    const std::vector<uint8_t> batch = Batch(sequence, 10);
    ASSERT_EQ(store_->Stage(batch.data(), batch.size()).status, StageStatus::kStaged);
  }
  // Staged is not committed: a reader sees nothing yet.
  EXPECT_EQ(CountRecords(directory_), 0u);
  EXPECT_EQ(store_->counters().commits, 0u);
  ASSERT_EQ(store_->Commit(), "");
  EXPECT_EQ(store_->counters().commits, 1u);
  EXPECT_EQ(store_->counters().batches_stored, 5u);
  EXPECT_EQ(CountRecords(directory_), 50u);
}

TEST_F(StoreTest, SegmentsRollBySizeAndAge) {
  StoreOptions options = Options();
  options.segment_max_bytes = 1;  // every commit fills a segment
  OpenStore(options);
  ASSERT_EQ(Append(Batch(0, 2)), StageStatus::kStaged);
  ASSERT_EQ(Append(Batch(1, 2)), StageStatus::kStaged);
  EXPECT_EQ(store_->open_segment(), 3u);
  EXPECT_EQ(store_->counters().segments_sealed, 2u);

  options.segment_max_bytes = 1ull << 30;
  options.segment_max_age_ns = 60'000'000'000;
  OpenStore(options);
  const uint64_t segment = store_->open_segment();
  ASSERT_EQ(Append(Batch(2, 2)), StageStatus::kStaged);
  EXPECT_EQ(store_->open_segment(), segment);
  now_ns_ += 61'000'000'000;
  ASSERT_EQ(store_->Maintain(), "");
  EXPECT_EQ(store_->open_segment(), segment + 1);
  EXPECT_TRUE(Verify(directory_, key_path_).ok());
}

TEST_F(StoreTest, RetentionBySizeDeletesOldestAndLogsIt) {
  StoreOptions options = Options();
  options.segment_max_bytes = 1;
  OpenStore(options);
  for (uint64_t sequence = 0; sequence < 4; ++sequence) {
    ASSERT_EQ(Append(Batch(sequence, 5, 0, 1'000'000'000 * (sequence + 1))), StageStatus::kStaged);
  }
  const uint64_t segment_bytes = FileSize(SegmentPath(1));
  ASSERT_EQ(store_->Close(), "");

  options.retention_max_bytes = 2 * segment_bytes + 200;
  OpenStore(options);
  EXPECT_FALSE(std::filesystem::exists(SegmentPath(1)));
  EXPECT_FALSE(std::filesystem::exists(SegmentPath(2)));
  EXPECT_TRUE(std::filesystem::exists(SegmentPath(3)));
  EXPECT_EQ(store_->counters().segments_deleted, 2u);
  EXPECT_TRUE(LogContains("retention: deleted segment 1"));
  EXPECT_EQ(CountRecords(directory_), 10u);

  StoreReader reader;
  ASSERT_EQ(reader.Open(directory_), "");
  std::vector<RetentionEntry> entries;
  ASSERT_EQ(reader.Retention(entries), "");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].segment, 1u);
  EXPECT_EQ(entries[0].records, 5u);
  EXPECT_EQ(entries[0].hash_hex.size(), 64u);
  EXPECT_NE(entries[0].reason.find("size"), std::string::npos);

  // The chain still verifies from the first kept segment.
  const VerifyReport report = Verify(directory_, key_path_);
  EXPECT_TRUE(report.ok()) << (report.problems.empty() ? "" : report.problems[0].reason);
  EXPECT_EQ(report.first_segment, 3u);
}

TEST_F(StoreTest, RetentionByAge) {
  StoreOptions options = Options();
  options.segment_max_bytes = 1;
  OpenStore(options);
  ASSERT_EQ(Append(Batch(0, 3)), StageStatus::kStaged);
  now_ns_ += 3600ull * 1'000'000'000;
  ASSERT_EQ(Append(Batch(1, 3)), StageStatus::kStaged);
  ASSERT_EQ(store_->Close(), "");

  options.retention_max_age_ns = 1800ull * 1'000'000'000;
  OpenStore(options);
  EXPECT_FALSE(std::filesystem::exists(SegmentPath(1)));
  EXPECT_TRUE(std::filesystem::exists(SegmentPath(2)));
  EXPECT_EQ(CountRecords(directory_), 3u);
  EXPECT_TRUE(LogContains("because of its age"));
  EXPECT_TRUE(Verify(directory_, key_path_).ok());
}

TEST_F(StoreTest, InterruptedRetentionFinishedOnOpen) {
  StoreOptions options = Options();
  options.segment_max_bytes = 1;
  OpenStore(options);
  ASSERT_EQ(Append(Batch(0, 3)), StageStatus::kStaged);
  ASSERT_EQ(Append(Batch(1, 3)), StageStatus::kStaged);
  ASSERT_EQ(store_->Close(), "");
  // Retention of segment 1 stopped after the anchor was written: the file and rows remain.
  const std::string saved = root_ + "/segment1";
  std::filesystem::copy_file(SegmentPath(1), saved);
  options.retention_max_bytes = FileSize(SegmentPath(2)) + 100;
  OpenStore(options);
  ASSERT_FALSE(std::filesystem::exists(SegmentPath(1)));
  store_.reset();
  std::filesystem::copy_file(saved, SegmentPath(1));

  options.retention_max_bytes = 0;
  OpenStore(options);
  EXPECT_FALSE(std::filesystem::exists(SegmentPath(1)));
  EXPECT_TRUE(LogContains("interrupted"));
}

TEST_F(StoreTest, LaggingChainHeadRepairedOnOpen) {
  StoreOptions options = Options();
  options.segment_max_bytes = 1;
  OpenStore(options);
  ASSERT_EQ(Append(Batch(0, 3)), StageStatus::kStaged);
  const std::string head = directory_ + "/chain-head";
  const std::string saved = root_ + "/head-after-1";
  std::filesystem::copy_file(head, saved);
  ASSERT_EQ(Append(Batch(1, 3)), StageStatus::kStaged);  // seals segment 2, opens 3
  store_.reset();
  // A stop between sealing segment 2 and writing chain-head leaves the head at segment 1.
  std::filesystem::copy_file(saved, head, std::filesystem::copy_options::overwrite_existing);

  OpenStore(options);
  EXPECT_TRUE(LogContains("chain-head did not name sealed segment 2"));
  store_.reset();
  EXPECT_TRUE(Verify(directory_, key_path_).ok());
}

TEST_F(StoreTest, UnfinishedSegmentCreationRemovedOnOpen) {
  OpenStore();
  ASSERT_EQ(Append(Batch(0, 3)), StageStatus::kStaged);
  ASSERT_EQ(store_->Close(), "");  // seals segment 1
  store_.reset();
  // A stop while creating segment 2 left a file shorter than its header.
  std::ofstream(SegmentPath(2), std::ios::binary) << "SLUICE";

  OpenStore();
  EXPECT_TRUE(LogContains("removed segment 2 (6 bytes)"));
  EXPECT_EQ(store_->open_segment(), 2u);
  EXPECT_EQ(Append(Batch(1, 3)), StageStatus::kStaged);
  ASSERT_EQ(store_->Close(), "");
  EXPECT_EQ(CountRecords(directory_), 6u);
  EXPECT_TRUE(Verify(directory_, key_path_).ok());
}

// A sealed segment cut short is damage, not a torn write: the store does not open.
TEST_F(StoreTest, TruncatedSealedSegmentRefused) {
  OpenStore();
  ASSERT_EQ(Append(Batch(0, 3)), StageStatus::kStaged);
  ASSERT_EQ(Append(Batch(1, 3)), StageStatus::kStaged);
  ASSERT_EQ(store_->Close(), "");  // seals segment 1
  store_.reset();
  std::filesystem::remove(SegmentPath(2));
  std::filesystem::resize_file(SegmentPath(1), FileSize(SegmentPath(1)) - 10);

  std::unique_ptr<Store> reopened;
  const std::string error = Store::Open(Options(), reopened);
  EXPECT_NE(error.find("the index records it as sealed, but its trailer is missing"),
            std::string::npos)
      << error;
  EXPECT_EQ(reopened, nullptr);
  EXPECT_FALSE(Verify(directory_, key_path_).ok());
}

// An emptied index beside segments with data would hide every record: the store does not open.
TEST_F(StoreTest, EmptiedIndexRefused) {
  OpenStore();
  ASSERT_EQ(Append(Batch(0, 3)), StageStatus::kStaged);
  ASSERT_EQ(store_->Close(), "");
  store_.reset();
  std::filesystem::resize_file(directory_ + "/index.sqlite", 0);

  std::unique_ptr<Store> reopened;
  const std::string error = Store::Open(Options(), reopened);
  EXPECT_NE(error.find("lists no segment, but segment 1 holds data"), std::string::npos) << error;
  EXPECT_EQ(reopened, nullptr);
}

}  // namespace
}  // namespace sluice::control::store
