// VerifyStore: an intact chain passes, and every kind of tampering is named with its segment.
#include <filesystem>
#include <fstream>

#include "control/store/chain_files.h"
#include "control/store/verify.h"
#include "tests/unit/store/store_fixture.h"

namespace sluice::control::store {
namespace {

class VerifyTest : public StoreTest {
 protected:
  // Writes four sealed segments (1-4) and an open, empty segment 5.
  void SetUp() override {
    StoreTest::SetUp();
    StoreOptions options = Options();
    options.segment_max_bytes = 1;
    OpenStore(options);
    for (uint64_t sequence = 0; sequence < 4; ++sequence) {
      ASSERT_EQ(Append(Batch(sequence, 20)), StageStatus::kStaged);
    }
    ASSERT_EQ(store_->Close(), "");
    store_.reset();
  }

  VerifyReport Run(const std::string& key_path = "") {
    Pkey key;
    EXPECT_EQ(LoadVerifyKey(key_path.empty() ? key_path_ + ".pub" : key_path, key), "");
    VerifyReport report;
    EXPECT_EQ(VerifyStore(directory_, key.get(), report), "");
    return report;
  }

  static bool Names(const VerifyReport& report, uint64_t segment, const std::string& kind) {
    for (const VerifyProblem& problem : report.problems) {
      if (problem.segment == segment && problem.kind == kind) return true;
    }
    return false;
  }

  static std::string Describe(const VerifyReport& report) {
    std::string text;
    for (const VerifyProblem& problem : report.problems) {
      text += problem.file + " " + problem.kind + ": " + problem.reason + "\n";
    }
    return text;
  }

  void FlipByte(const std::string& path, uint64_t offset) {
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    file.seekg(static_cast<std::streamoff>(offset));
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x01);
    file.seekp(static_cast<std::streamoff>(offset));
    file.write(&byte, 1);
  }
};

TEST_F(VerifyTest, IntactStorePasses) {
  const VerifyReport report = Run();
  EXPECT_TRUE(report.ok()) << Describe(report);
  EXPECT_EQ(report.segments_sealed, 4u);
  EXPECT_EQ(report.segments_open, 1u);
  EXPECT_EQ(report.frames, 4u);
}

TEST_F(VerifyTest, FlippedByteInFrameNamed) {
  FlipByte(SegmentPath(2), kHeaderSize + kFrameHeaderSize + 10);
  const VerifyReport report = Run();
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(Names(report, 2, "corrupt") || Names(report, 2, "truncated")) << Describe(report);
  EXPECT_FALSE(Names(report, 1, "corrupt"));
  EXPECT_FALSE(Names(report, 3, "corrupt"));
}

TEST_F(VerifyTest, FlippedByteInHeaderNamed) {
  // The created_ns field: no checksum covers it, only the segment hash.
  FlipByte(SegmentPath(3), 24);
  const VerifyReport report = Run();
  EXPECT_TRUE(Names(report, 3, "hash_mismatch")) << Describe(report);
  EXPECT_EQ(report.problems.size(), 1u) << Describe(report);
}

TEST_F(VerifyTest, FlippedByteInSignatureNamed) {
  const uint64_t size = std::filesystem::file_size(SegmentPath(2));
  FlipByte(SegmentPath(2), size - 8 - 10);
  const VerifyReport report = Run();
  EXPECT_TRUE(Names(report, 2, "bad_signature")) << Describe(report);
  EXPECT_FALSE(Names(report, 2, "hash_mismatch"));
}

TEST_F(VerifyTest, DeletedSegmentNamed) {
  std::filesystem::remove(SegmentPath(2));
  const VerifyReport report = Run();
  EXPECT_TRUE(Names(report, 2, "missing")) << Describe(report);
}

TEST_F(VerifyTest, DeletedFirstSegmentNamed) {
  std::filesystem::remove(SegmentPath(1));
  EXPECT_TRUE(Names(Run(), 1, "missing"));
}

TEST_F(VerifyTest, DeletedNewestSegmentsNamed) {
  // Segment 4 is the newest sealed one, named by chain-head; 5 is the open one, in the index.
  std::filesystem::remove(SegmentPath(5));
  std::filesystem::remove(SegmentPath(4));
  const VerifyReport report = Run();
  EXPECT_TRUE(Names(report, 4, "missing")) << Describe(report);
  EXPECT_TRUE(Names(report, 5, "missing")) << Describe(report);
}

TEST_F(VerifyTest, ReorderedSegmentsNamed) {
  const std::string parked = root_ + "/parked";
  std::filesystem::rename(SegmentPath(2), parked);
  std::filesystem::rename(SegmentPath(3), SegmentPath(2));
  std::filesystem::rename(parked, SegmentPath(3));
  const VerifyReport report = Run();
  EXPECT_TRUE(Names(report, 2, "reordered")) << Describe(report);
  EXPECT_TRUE(Names(report, 3, "reordered")) << Describe(report);
}

TEST_F(VerifyTest, TruncatedSegmentNamed) {
  std::filesystem::resize_file(SegmentPath(3), std::filesystem::file_size(SegmentPath(3)) - 50);
  EXPECT_TRUE(Names(Run(), 3, "truncated"));
}

TEST_F(VerifyTest, SegmentCutBeforeTrailerNamed) {
  // Removing the whole trailer leaves a clean end: only the newest segment may look like that.
  std::filesystem::resize_file(SegmentPath(2),
                               std::filesystem::file_size(SegmentPath(2)) - kTrailerSize);
  EXPECT_TRUE(Names(Run(), 2, "truncated"));
}

TEST_F(VerifyTest, WrongKeyFailsEverySignature) {
  const std::string other = root_ + "/other.pem";
  ASSERT_EQ(GenerateSigningKey(other), "");
  const VerifyReport report = Run(other + ".pub");
  for (uint64_t segment = 1; segment <= 4; ++segment) {
    EXPECT_TRUE(Names(report, segment, "bad_signature")) << segment;
  }
  EXPECT_TRUE(Names(report, 0, "head"));
}

TEST_F(VerifyTest, ForgedSegmentWithOtherKeyNamed) {
  // An attacker rewrites segment 4 and re-signs its trailer with a key of their own.
  Pkey forged;
  const std::string other = root_ + "/attacker.pem";
  ASSERT_EQ(GenerateSigningKey(other), "");
  ASSERT_EQ(LoadSigningKey(other, forged), "");
  SegmentScan scan;
  ASSERT_EQ(ScanSegment(SegmentPath(4), scan), "");
  SegmentTrailer trailer = scan.trailer;
  ASSERT_TRUE(SignMessage(forged.get(), SegmentSignedMessage(4, trailer.hash), trailer.signature));
  const std::string bytes = EncodeTrailer(trailer);
  std::fstream file(SegmentPath(4), std::ios::binary | std::ios::in | std::ios::out);
  file.seekp(static_cast<std::streamoff>(trailer.offset));
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  EXPECT_TRUE(Names(Run(), 4, "bad_signature"));
}

TEST_F(VerifyTest, DeletedChainHeadNamed) {
  std::filesystem::remove(directory_ + "/" + kHeadFileName);
  EXPECT_TRUE(Names(Run(), 0, "head"));
}

}  // namespace
}  // namespace sluice::control::store
