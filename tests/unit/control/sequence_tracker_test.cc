#include "control/transport/sequence_tracker.h"

#include <gtest/gtest.h>

namespace sluice::control {
namespace {

const StreamKey kStream{"dp-a", 7, 0};

TEST(SequenceTracker, NewStreamExpectsZero) {
  SequenceTracker tracker(16);
  EXPECT_EQ(tracker.Check(kStream, 0).verdict, SequenceVerdict::kInOrder);
  const SequenceCheck gap = tracker.Check(kStream, 3);
  EXPECT_EQ(gap.verdict, SequenceVerdict::kGap);
  EXPECT_EQ(gap.missing, 3u);
}

TEST(SequenceTracker, InOrderGapDuplicate) {
  SequenceTracker tracker(16);
  tracker.Advance(kStream, 0);
  tracker.Advance(kStream, 1);
  EXPECT_EQ(tracker.Check(kStream, 2).verdict, SequenceVerdict::kInOrder);

  const SequenceCheck gap = tracker.Check(kStream, 5);
  EXPECT_EQ(gap.verdict, SequenceVerdict::kGap);
  EXPECT_EQ(gap.expected, 2u);
  EXPECT_EQ(gap.missing, 3u);
  tracker.Advance(kStream, 5);

  EXPECT_EQ(tracker.Check(kStream, 1).verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(tracker.Check(kStream, 5).verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(tracker.Check(kStream, 6).verdict, SequenceVerdict::kInOrder);
}

TEST(SequenceTracker, AdvanceNeverMovesBack) {
  SequenceTracker tracker(16);
  tracker.Advance(kStream, 9);
  tracker.Advance(kStream, 3);
  EXPECT_EQ(tracker.Check(kStream, 10).verdict, SequenceVerdict::kInOrder);
}

TEST(SequenceTracker, StreamsAreIndependent) {
  SequenceTracker tracker(16);
  tracker.Advance(kStream, 0);
  const StreamKey other_worker{"dp-a", 7, 1};
  const StreamKey other_run{"dp-a", 8, 0};
  const StreamKey other_dataplane{"dp-b", 7, 0};
  for (const StreamKey& key : {other_worker, other_run, other_dataplane}) {
    EXPECT_EQ(tracker.Check(key, 0).verdict, SequenceVerdict::kInOrder);
  }
  EXPECT_EQ(tracker.Check(kStream, 0).verdict, SequenceVerdict::kDuplicate);
}

TEST(SequenceTracker, EvictsLeastRecentlyUsed) {
  SequenceTracker tracker(2);
  const StreamKey first{"dp", 1, 0};
  const StreamKey second{"dp", 2, 0};
  const StreamKey third{"dp", 3, 0};
  EXPECT_FALSE(tracker.Advance(first, 0));
  EXPECT_FALSE(tracker.Advance(second, 0));
  EXPECT_FALSE(tracker.Advance(first, 1));  // first is now the most recent
  EXPECT_TRUE(tracker.Advance(third, 0));
  EXPECT_EQ(tracker.size(), 2u);
  EXPECT_EQ(tracker.Check(second, 0).verdict, SequenceVerdict::kInOrder);  // forgotten
  EXPECT_EQ(tracker.Check(first, 2).verdict, SequenceVerdict::kInOrder);   // kept
}

TEST(SequenceTracker, MaximumSequence) {
  SequenceTracker tracker(4);
  const SequenceCheck check = tracker.Check(kStream, UINT64_MAX);
  EXPECT_EQ(check.verdict, SequenceVerdict::kGap);
  EXPECT_EQ(check.missing, UINT64_MAX);
  tracker.Advance(kStream, UINT64_MAX);  // must not wrap the expected value to 0
  EXPECT_NE(tracker.Check(kStream, 0).verdict, SequenceVerdict::kInOrder);
}

}  // namespace
}  // namespace sluice::control
