#include "control/transport/sequence_tracker.h"

#include <gtest/gtest.h>

namespace sluice::control {
namespace {

const StreamKey kStream{"dp-a", 7, 0};

TEST(SequenceTracker, NewStreamExpectsZero) {
  SequenceTracker tracker(16);
  EXPECT_EQ(tracker.Check(kStream, 0).verdict, SequenceVerdict::kInOrder);
  const SequenceCheck ahead = tracker.Check(kStream, 3);
  EXPECT_EQ(ahead.verdict, SequenceVerdict::kAhead);
  EXPECT_EQ(ahead.missing, 3u);
}

TEST(SequenceTracker, InOrderAheadDuplicate) {
  SequenceTracker tracker(16);
  tracker.Advance(kStream, 0);
  tracker.Advance(kStream, 1);
  EXPECT_EQ(tracker.Check(kStream, 2).verdict, SequenceVerdict::kInOrder);

  const SequenceCheck ahead = tracker.Check(kStream, 5);
  EXPECT_EQ(ahead.verdict, SequenceVerdict::kAhead);
  EXPECT_EQ(ahead.expected, 2u);
  EXPECT_EQ(ahead.missing, 3u);
  EXPECT_EQ(tracker.Advance(kStream, 5).given_up, 0u);

  EXPECT_EQ(tracker.Check(kStream, 1).verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(tracker.Check(kStream, 5).verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(tracker.Check(kStream, 6).verdict, SequenceVerdict::kAhead);
  EXPECT_EQ(tracker.Check(kStream, 2).verdict, SequenceVerdict::kInOrder);
}

// After a reconnect, new batches can overtake resent ones; every one is written once.
TEST(SequenceTracker, LateBatchesFillHoles) {
  SequenceTracker tracker(16);
  for (const uint64_t sequence : {0, 3, 4, 2, 1, 6}) {
    ASSERT_NE(tracker.Check(kStream, sequence).verdict, SequenceVerdict::kDuplicate) << sequence;
    EXPECT_EQ(tracker.Advance(kStream, sequence).given_up, 0u);
  }
  for (const uint64_t sequence : {0, 1, 2, 3, 4, 6}) {
    EXPECT_EQ(tracker.Check(kStream, sequence).verdict, SequenceVerdict::kDuplicate) << sequence;
  }
  EXPECT_EQ(tracker.Check(kStream, 5).verdict, SequenceVerdict::kInOrder);
}

TEST(SequenceTracker, HoleGivenUpBeyondMaxAhead) {
  SequenceTracker tracker(16);
  tracker.Advance(kStream, 0);
  uint64_t given_up = 0;
  // Batch 1 never comes; kMaxAhead + 1 later batches make the tracker give it up.
  for (uint64_t sequence = 2; sequence <= SequenceTracker::kMaxAhead + 2; ++sequence) {
    given_up += tracker.Advance(kStream, sequence).given_up;
  }
  EXPECT_EQ(given_up, 1u);
  EXPECT_EQ(tracker.Check(kStream, SequenceTracker::kMaxAhead + 3).verdict,
            SequenceVerdict::kInOrder);
}

TEST(SequenceTracker, SkipLostRange) {
  SequenceTracker tracker(16);
  tracker.Advance(kStream, 0);
  tracker.Advance(kStream, 5);  // 1..4 missing
  tracker.Advance(kStream, 3);  // arrived after all
  EXPECT_EQ(tracker.SkipLost(kStream, 1, 4), 3u) << "3 was written, so 1, 2 and 4 are lost";
  EXPECT_EQ(tracker.Check(kStream, 6).verdict, SequenceVerdict::kInOrder);
  EXPECT_EQ(tracker.SkipLost(kStream, 1, 4), 0u) << "a resent Gap record counts nothing";
}

TEST(SequenceTracker, SkipLostAboveMissingBatch) {
  SequenceTracker tracker(16);
  tracker.Advance(kStream, 0);
  EXPECT_EQ(tracker.SkipLost(kStream, 3, 4), 2u);  // 1 and 2 still in flight
  EXPECT_EQ(tracker.Check(kStream, 1).verdict, SequenceVerdict::kInOrder);
  tracker.Advance(kStream, 1);
  tracker.Advance(kStream, 2);
  EXPECT_EQ(tracker.Check(kStream, 5).verdict, SequenceVerdict::kInOrder);
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
  EXPECT_FALSE(tracker.Advance(first, 0).evicted);
  EXPECT_FALSE(tracker.Advance(second, 0).evicted);
  EXPECT_FALSE(tracker.Advance(first, 1).evicted);  // first is now the most recent
  EXPECT_TRUE(tracker.Advance(third, 0).evicted);
  EXPECT_EQ(tracker.size(), 2u);
  EXPECT_EQ(tracker.Check(second, 0).verdict, SequenceVerdict::kInOrder);  // forgotten
  EXPECT_EQ(tracker.Check(first, 2).verdict, SequenceVerdict::kInOrder);   // kept
}

TEST(SequenceTracker, MaximumSequence) {
  SequenceTracker tracker(4);
  const SequenceCheck check = tracker.Check(kStream, UINT64_MAX);
  EXPECT_EQ(check.verdict, SequenceVerdict::kAhead);
  EXPECT_EQ(check.missing, UINT64_MAX);
  tracker.Advance(kStream, UINT64_MAX);
  EXPECT_EQ(tracker.Check(kStream, UINT64_MAX).verdict, SequenceVerdict::kDuplicate);
  // Skipping up to the maximum must not wrap the expected value to 0.
  tracker.SkipLost(kStream, 0, UINT64_MAX - 1);
  EXPECT_EQ(tracker.Check(kStream, 0).verdict, SequenceVerdict::kDuplicate);
}

}  // namespace
}  // namespace sluice::control
