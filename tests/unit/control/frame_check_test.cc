#include "control/transport/frame_check.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/unit/control/wire_fixtures.h"

namespace sluice::control {
namespace {

using testing::BatchSpec;
using testing::TransactionSpec;

FrameError ErrorOf(const std::vector<uint8_t>& frame) {
  // Copy into a fresh vector: operator new memory has the alignment CheckFrame needs.
  const std::vector<uint8_t> aligned(frame);
  const CheckedFrame checked = CheckFrame(aligned.data(), aligned.size());
  return checked.message == nullptr ? checked.error : FrameError::kCount;
}

std::vector<uint8_t> ValidBatch() {
  BatchSpec spec;
  spec.records = {TransactionSpec{}, testing::FlowSpec{}};
  return testing::BuildBatchFrame(spec);
}

TEST(CheckFrame, ValidMessages) {
  EXPECT_EQ(ErrorOf(ValidBatch()), FrameError::kCount);
  EXPECT_EQ(ErrorOf(testing::BuildHelloFrame("dp", 1, 2)), FrameError::kCount);
  EXPECT_EQ(ErrorOf(testing::BuildBatchAckFrame()), FrameError::kCount);
}

TEST(CheckFrame, ShortFrames) {
  EXPECT_EQ(CheckFrame(nullptr, 0).error, FrameError::kEmpty);
  for (size_t size = 1; size < 8; ++size) {
    EXPECT_EQ(ErrorOf(std::vector<uint8_t>(size, 0)), FrameError::kTooShort) << size;
  }
}

TEST(CheckFrame, WrongIdentifier) {
  std::vector<uint8_t> frame = ValidBatch();
  frame[4] = 'X';
  EXPECT_EQ(ErrorOf(frame), FrameError::kBadIdentifier);
}

TEST(CheckFrame, EveryTruncationRejected) {
  const std::vector<uint8_t> frame = ValidBatch();
  for (size_t size = 8; size < frame.size(); ++size) {
    const std::vector<uint8_t> truncated(frame.begin(), frame.begin() + size);
    EXPECT_NE(ErrorOf(truncated), FrameError::kCount) << size;
  }
}

TEST(CheckFrame, RandomGarbageNeverCrashes) {
  std::mt19937 random(1234);
  for (int round = 0; round < 5000; ++round) {
    std::vector<uint8_t> frame(8 + random() % 256);
    for (uint8_t& byte : frame) byte = static_cast<uint8_t>(random());
    // Half the rounds carry the right identifier so the Verifier itself is exercised.
    if (round % 2 == 0) std::copy_n("SLCE", 4, frame.begin() + 4);
    const FrameError error = ErrorOf(frame);
    if (round % 2 != 0) {
      EXPECT_NE(error, FrameError::kCount);
    }
  }
}

TEST(CheckFrame, RandomByteFlipsNeverCrash) {
  const std::vector<uint8_t> frame = ValidBatch();
  std::mt19937 random(99);
  for (int round = 0; round < 5000; ++round) {
    std::vector<uint8_t> mutated = frame;
    mutated[random() % mutated.size()] = static_cast<uint8_t>(random());
    const std::vector<uint8_t> aligned(mutated);
    const CheckedFrame checked = CheckFrame(aligned.data(), aligned.size());
    if (checked.message != nullptr && checked.message->body_as_Batch() != nullptr) {
      // Whatever passed must be safe to walk.
      const auto* records = checked.message->body_as_Batch()->records();
      if (records != nullptr) {
        EXPECT_LE(records->size(), 2u);
      }
    }
  }
}

TEST(CheckFrame, MessageWithoutBody) {
  flatbuffers::FlatBufferBuilder builder;
  builder.Finish(wire::CreateMessage(builder), wire::MessageIdentifier());
  const std::vector<uint8_t> frame(builder.GetBufferPointer(),
                                   builder.GetBufferPointer() + builder.GetSize());
  EXPECT_EQ(ErrorOf(frame), FrameError::kNoBody);
}

TEST(CheckFrame, UnknownBodyType) {
  flatbuffers::FlatBufferBuilder builder;
  const auto hello = wire::CreateHelloDirect(builder, "dp", 1, 1, "x");
  const auto start = builder.StartTable();
  builder.AddElement<uint8_t>(wire::Message::VT_BODY_TYPE, 42, 0);
  builder.AddOffset(wire::Message::VT_BODY, hello.Union());
  const flatbuffers::Offset<wire::Message> message(builder.EndTable(start));
  builder.Finish(message, wire::MessageIdentifier());
  const std::vector<uint8_t> frame(builder.GetBufferPointer(),
                                   builder.GetBufferPointer() + builder.GetSize());
  EXPECT_EQ(ErrorOf(frame), FrameError::kUnknownBody);
}

TEST(FrameErrorName, AllDistinct) {
  for (size_t i = 0; i < kFrameErrorCount; ++i) {
    for (size_t j = i + 1; j < kFrameErrorCount; ++j) {
      EXPECT_NE(FrameErrorName(static_cast<FrameError>(i)),
                FrameErrorName(static_cast<FrameError>(j)));
    }
  }
}

}  // namespace
}  // namespace sluice::control
