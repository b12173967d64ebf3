#include "dataplane/reassembly/tcp_reassembler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace sluice::reassembly {
namespace {

// Initial sequence numbers every case runs at: plain, just past zero, the signed midpoint, and two
// where the stream wraps through 2^32 (immediately, and 100 bytes in).
constexpr uint32_t kIsns[] = {0u, 1u, 1u << 31, UINT32_MAX, UINT32_MAX - 99};

// Byte at `offset` of the reference stream. A hash rather than a short pattern, so that bytes
// delivered at the wrong offset do not match by accident.
uint8_t ReferenceByte(uint32_t offset) {
  uint32_t x = offset * 0x9E3779B1u;
  x ^= x >> 15;
  x *= 0x85EBCA77u;
  x ^= x >> 13;
  return static_cast<uint8_t>(x);
}

// Reference bytes [offset, offset + length), each XORed with `mask` (a nonzero mask makes a copy
// that conflicts with the reference).
std::vector<uint8_t> ReferenceBytes(uint32_t offset, uint32_t length, uint8_t mask = 0) {
  std::vector<uint8_t> bytes(length);
  for (uint32_t i = 0; i < length; ++i) bytes[i] = ReferenceByte(offset + i) ^ mask;
  return bytes;
}

struct Gap {
  uint64_t offset;  // stream offset where the hole starts
  uint32_t length;
  bool operator==(const Gap&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Gap& gap) {
  return out << "gap{" << gap.offset << ", " << gap.length << "}";
}

// Records the delivered stream and where each gap sits in it.
class RecordingSink : public StreamSink {
 public:
  void OnData(const uint8_t* data, uint32_t length) override {
    EXPECT_NE(length, 0u) << "sink called with empty data";
    bytes.insert(bytes.end(), data, data + length);
    position += length;
  }
  void OnGap(uint32_t length) override {
    EXPECT_NE(length, 0u) << "sink called with an empty gap";
    gaps.push_back({position, length});
    position += length;
  }

  std::vector<uint8_t> bytes;
  std::vector<Gap> gaps;
  uint64_t position = 0;
};

void ExpectCountersEqual(const ReassemblyCounters& actual, const ReassemblyCounters& expected) {
  EXPECT_EQ(actual.in_order_segments, expected.in_order_segments) << "in_order_segments";
  EXPECT_EQ(actual.out_of_order_segments, expected.out_of_order_segments)
      << "out_of_order_segments";
  EXPECT_EQ(actual.retransmitted_segments, expected.retransmitted_segments)
      << "retransmitted_segments";
  EXPECT_EQ(actual.overlap_conflicts, expected.overlap_conflicts) << "overlap_conflicts";
  EXPECT_EQ(actual.gaps, expected.gaps) << "gaps";
  EXPECT_EQ(actual.gap_bytes, expected.gap_bytes) << "gap_bytes";
  EXPECT_EQ(actual.held_limit_hits, expected.held_limit_hits) << "held_limit_hits";
  EXPECT_EQ(actual.pool_exhausted, expected.pool_exhausted) << "pool_exhausted";
  EXPECT_EQ(actual.out_of_window_segments, expected.out_of_window_segments)
      << "out_of_window_segments";
}

constexpr uint8_t D = kDelivered;
constexpr uint8_t H = kHeld;
constexpr uint8_t R = kRetransmission;
constexpr uint8_t C = kConflict;
constexpr uint8_t G = kGapSkipped;
constexpr uint8_t X = kDropped;

// One segment fed to the stream, at stream offset `offset` (added to the ISN), and the outcome
// flags AddSegment must return.
struct Segment {
  uint32_t offset;
  uint32_t length;
  uint8_t outcome;
  uint8_t mask = 0;
};

// What the sink must see after Flush, in stream order: data (reference bytes XOR mask) or a gap.
struct Piece {
  bool gap;
  uint32_t offset;
  uint32_t length;
  uint8_t mask = 0;
};
Piece Data(uint32_t offset, uint32_t length, uint8_t mask = 0) {
  return {false, offset, length, mask};
}
Piece Hole(uint32_t offset, uint32_t length) { return {true, offset, length, 0}; }

// Every case runs under both overlap policies. `expected` is the stream under kFirst, and under
// kLast too unless `expected_last` is given (only cases where a later copy differs need it).
// Outcomes and counters are the same under both.
struct Case {
  std::string name;
  std::vector<Segment> segments;
  std::vector<Piece> expected;
  ReassemblyCounters counters;
  uint32_t pool_chunks = 256;
  uint32_t max_held_bytes = 256 * 1024;
  std::vector<Piece> expected_last;
};

std::vector<Case> Cases() {
  constexpr uint32_t kGiB = 1u << 30;
  return {
      {"InOrder",
       {{0, 100, D}, {100, 200, D}, {300, 50, D}},
       {Data(0, 350)},
       {.in_order_segments = 3}},
      {"Reverse",
       {{300, 50, H}, {100, 200, H}, {0, 100, D}},
       {Data(0, 350)},
       {.in_order_segments = 1, .out_of_order_segments = 2}},
      {"Interleaved",
       {{100, 100, H}, {300, 100, H}, {0, 100, D}, {200, 100, D}},
       {Data(0, 400)},
       {.in_order_segments = 2, .out_of_order_segments = 2}},
      {"DuplicateInOrder",
       {{0, 100, D}, {0, 100, R}, {100, 100, D}},
       {Data(0, 200)},
       {.in_order_segments = 2, .retransmitted_segments = 1}},
      {"DuplicateHeld",
       {{100, 100, H}, {100, 100, R}, {0, 100, D}},
       {Data(0, 200)},
       {.in_order_segments = 1, .out_of_order_segments = 1, .retransmitted_segments = 1}},
      {.name = "DuplicateHeldConflict",
       .segments = {{100, 100, H}, {120, 50, R | C, 0x01}, {0, 100, D}},
       .expected = {Data(0, 200)},
       .counters = {.in_order_segments = 1,
                    .out_of_order_segments = 1,
                    .retransmitted_segments = 1,
                    .overlap_conflicts = 1},
       .expected_last = {Data(0, 120), Data(120, 50, 0x01), Data(170, 30)}},
      {"PartialOverlapRetransmission",
       {{0, 100, D}, {50, 100, D | R}},
       {Data(0, 150)},
       {.in_order_segments = 2}},
      // The resent copy of delivered bytes differs, but those bytes are gone: no conflict.
      {"RetransmissionOfDeliveredDiffers",
       {{0, 100, D}, {0, 150, D | R, 0xff}},
       {Data(0, 100), Data(100, 50, 0xff)},
       {.in_order_segments = 2}},
      {"RetransmissionBeforeHole",
       {{0, 100, D}, {200, 100, H}, {50, 100, D | R}},
       {Data(0, 150), Hole(150, 50), Data(200, 100)},
       {.in_order_segments = 2, .out_of_order_segments = 1, .gaps = 1, .gap_bytes = 50}},
      {"HeldOverlapSameBytes",
       {{100, 100, H}, {150, 100, H}, {0, 100, D}},
       {Data(0, 250)},
       {.in_order_segments = 1, .out_of_order_segments = 2}},
      {.name = "HeldOverlapConflict",
       .segments = {{100, 100, H}, {150, 100, H | C, 0xff}, {0, 100, D}},
       .expected = {Data(0, 200), Data(200, 50, 0xff)},
       .counters = {.in_order_segments = 1, .out_of_order_segments = 2, .overlap_conflicts = 1},
       .expected_last = {Data(0, 150), Data(150, 100, 0xff)}},
      {.name = "HeldCoveredByConflict",
       .segments = {{100, 50, H}, {50, 150, H | C, 0xff}, {0, 50, D}},
       .expected = {Data(0, 50), Data(50, 50, 0xff), Data(100, 50), Data(150, 50, 0xff)},
       .counters = {.in_order_segments = 1, .out_of_order_segments = 2, .overlap_conflicts = 1},
       .expected_last = {Data(0, 50), Data(50, 150, 0xff)}},
      {.name = "InOrderOverHeldConflict",
       .segments = {{100, 100, H}, {0, 200, D | C, 0x5a}},
       .expected = {Data(0, 100, 0x5a), Data(100, 100)},
       .counters = {.in_order_segments = 1, .out_of_order_segments = 1, .overlap_conflicts = 1},
       .expected_last = {Data(0, 200, 0x5a)}},
      // Delivered bytes [0, 50) keep the first copy under both policies.
      {.name = "RetransmissionOverHeldConflict",
       .segments = {{0, 50, D}, {100, 100, H}, {0, 200, D | R | C, 0x5a}},
       .expected = {Data(0, 50), Data(50, 50, 0x5a), Data(100, 100)},
       .counters = {.in_order_segments = 2, .out_of_order_segments = 1, .overlap_conflicts = 1},
       .expected_last = {Data(0, 50), Data(50, 150, 0x5a)}},
      // The in-order segment ends inside the held chunk: under kLast only its overlap changes.
      {.name = "InOrderEndsInsideHeldConflict",
       .segments = {{100, 200, H}, {0, 150, D | C, 0x33}},
       .expected = {Data(0, 100, 0x33), Data(100, 200)},
       .counters = {.in_order_segments = 1, .out_of_order_segments = 1, .overlap_conflicts = 1},
       .expected_last = {Data(0, 150, 0x33), Data(150, 150)}},
      // A later copy that covers two held chunks and the hole between them, then more.
      {.name = "ConflictSpansSeveralHeld",
       .segments = {{100, 50, H}, {200, 50, H}, {120, 200, H | C, 0x77}, {0, 100, D}},
       .expected = {Data(0, 150), Data(150, 50, 0x77), Data(200, 50), Data(250, 70, 0x77)},
       .counters = {.in_order_segments = 1, .out_of_order_segments = 3, .overlap_conflicts = 1},
       .expected_last = {Data(0, 120), Data(120, 200, 0x77)}},
      // Three copies of the same held range: kFirst keeps the first, kLast the third.
      {.name = "ThreeCopiesOfHeldRange",
       .segments = {{100, 100, H}, {100, 100, R | C, 0x01}, {100, 100, R | C, 0x02}, {0, 100, D}},
       .expected = {Data(0, 200)},
       .counters = {.in_order_segments = 1,
                    .out_of_order_segments = 1,
                    .retransmitted_segments = 2,
                    .overlap_conflicts = 2},
       .expected_last = {Data(0, 100), Data(100, 100, 0x02)}},
      // Limit 4096 bytes = 2 chunks. The conflicting segment overlaps the held chunk's last 500
      // bytes and needs 2 more chunks, so the oldest hole is skipped and the held chunk delivered:
      // under kLast it already carries the newer copy.
      {.name = "HeldLimitSkipAfterConflict",
       .segments = {{0, 10, D}, {1000, 2000, H}, {2500, 3000, C | G | D, 0x44}},
       .expected = {Data(0, 10), Hole(10, 990), Data(1000, 2000), Data(3000, 2500, 0x44)},
       .counters = {.in_order_segments = 2,
                    .out_of_order_segments = 1,
                    .overlap_conflicts = 1,
                    .gaps = 1,
                    .gap_bytes = 990,
                    .held_limit_hits = 1},
       .pool_chunks = 256,
       .max_held_bytes = 4096,
       .expected_last = {Data(0, 10), Hole(10, 990), Data(1000, 1500), Data(2500, 3000, 0x44)}},
      {"HoleNeverFilled",
       {{0, 100, D}, {200, 100, H}},
       {Data(0, 100), Hole(100, 100), Data(200, 100)},
       {.in_order_segments = 1, .out_of_order_segments = 1, .gaps = 1, .gap_bytes = 100}},
      {"SeveralHolesAtFlush",
       {{300, 10, H}, {100, 10, H}, {0, 50, D}},
       {Data(0, 50), Hole(50, 50), Data(100, 10), Hole(110, 190), Data(300, 10)},
       {.in_order_segments = 1, .out_of_order_segments = 2, .gaps = 2, .gap_bytes = 240}},
      {"NothingDeliveredBeforeFlush",
       {{100, 10, H}},
       {Hole(0, 100), Data(100, 10)},
       {.out_of_order_segments = 1, .gaps = 1, .gap_bytes = 100}},
      {"FillHolePartially",
       {{200, 100, H}, {0, 150, D}, {150, 50, D}},
       {Data(0, 300)},
       {.in_order_segments = 2, .out_of_order_segments = 1}},
      {"SegmentSpansSeveralHeld",
       {{100, 10, H}, {200, 10, H}, {300, 10, H}, {0, 400, D}},
       {Data(0, 400)},
       {.in_order_segments = 1, .out_of_order_segments = 3}},
      {"HoleFilledBetweenHeld",
       {{100, 100, H}, {300, 100, H}, {150, 200, H}, {0, 100, D}},
       {Data(0, 400)},
       {.in_order_segments = 1, .out_of_order_segments = 3}},
      // Limit 4096 bytes = 2 chunks. The third held segment would make 4500 bytes.
      {"HeldLimitSkipsOldestHole",
       {{0, 10, D}, {1000, 2000, H}, {3000, 2000, H}, {6000, 500, G | D | H}},
       {Data(0, 10), Hole(10, 990), Data(1000, 4000), Hole(5000, 1000), Data(6000, 500)},
       {.in_order_segments = 1,
        .out_of_order_segments = 3,
        .gaps = 2,
        .gap_bytes = 1990,
        .held_limit_hits = 1},
       256,
       4096},
      // The new segment comes before every held chunk, so the skipped hole ends at the segment.
      {"HeldLimitSegmentBeforeHeld",
       {{0, 10, D}, {3000, 4000, H}, {1000, 500, G | D}},
       {Data(0, 10), Hole(10, 990), Data(1000, 500), Hole(1500, 1500), Data(3000, 4000)},
       {.in_order_segments = 2,
        .out_of_order_segments = 1,
        .gaps = 2,
        .gap_bytes = 2490,
        .held_limit_hits = 1},
       256,
       4096},
      {"SegmentLargerThanLimit",
       {{0, 10, D}, {100, 9000, G | D}},
       {Data(0, 10), Hole(10, 90), Data(100, 9000)},
       {.in_order_segments = 2, .gaps = 1, .gap_bytes = 90, .held_limit_hits = 1},
       256,
       4096},
      // Three 1-byte segments need three chunks, over the 2 chunks of a 4096-byte limit.
      {"ChunkLimitScatteredBytes",
       {{0, 10, D}, {100, 1, H}, {200, 1, H}, {300, 1, G | D | H}},
       {Data(0, 10), Hole(10, 90), Data(100, 1), Hole(101, 99), Data(200, 1), Hole(201, 99),
        Data(300, 1)},
       {.in_order_segments = 1,
        .out_of_order_segments = 3,
        .gaps = 3,
        .gap_bytes = 288,
        .held_limit_hits = 1},
       256,
       4096},
      {"ZeroHeldLimit",
       {{0, 10, D}, {20, 10, G | D}, {40, 10, G | D}},
       {Data(0, 10), Hole(10, 10), Data(20, 10), Hole(30, 10), Data(40, 10)},
       {.in_order_segments = 3, .gaps = 2, .gap_bytes = 20, .held_limit_hits = 2},
       256,
       0},
      {"PoolExhausted",
       {{0, 10, D}, {3000, 2048, H}, {6000, 2048, H}, {9000, 100, X}},
       {Data(0, 10), Hole(10, 2990), Data(3000, 2048), Hole(5048, 952), Data(6000, 2048)},
       {.in_order_segments = 1,
        .out_of_order_segments = 2,
        .gaps = 2,
        .gap_bytes = 3942,
        .pool_exhausted = 1},
       2},
      {"PoolExhaustedThenRecovered",
       {{0, 10, D},
        {3000, 2048, H},
        {6000, 2048, H},
        {9000, 100, X},
        {10, 2990, D},
        {9000, 100, H},
        {5048, 952, D},
        {8048, 952, D}},
       {Data(0, 9100)},
       {.in_order_segments = 4, .out_of_order_segments = 3, .pool_exhausted = 1},
       2},
      {"PoolExhaustedMidSegment",
       {{0, 10, D}, {100, 5000, H | X}},
       {Data(0, 10), Hole(10, 90), Data(100, 4096)},
       {.in_order_segments = 1,
        .out_of_order_segments = 1,
        .gaps = 1,
        .gap_bytes = 90,
        .pool_exhausted = 1},
       2},
      {"EmptyPool",
       {{0, 10, D}, {20, 10, X}, {10, 10, D}},
       {Data(0, 20)},
       {.in_order_segments = 2, .pool_exhausted = 1},
       0},
      {"JumboSegments",
       {{9000, 9000, H}, {0, 9000, D}},
       {Data(0, 18000)},
       {.in_order_segments = 1, .out_of_order_segments = 1}},
      {"Segments64KiB",
       {{65536, 65536, H}, {0, 65536, D}, {131072, 65536, D}},
       {Data(0, 196608)},
       {.in_order_segments = 2, .out_of_order_segments = 1}},
      {"ZeroLength",
       {{0, 0, 0}, {0, 100, D}, {50, 0, 0}, {100, 0, 0}, {5000, 0, 0}, {100, 100, D}},
       {Data(0, 200)},
       {.in_order_segments = 2}},
      {"ZeroLengthWhileHeld",
       {{200, 10, H}, {0, 0, 0}, {200, 0, 0}, {0, 200, D}},
       {Data(0, 210)},
       {.in_order_segments = 1, .out_of_order_segments = 1}},
      {"FarAheadDropped",
       {{0, 10, D}, {10 + kGiB + 1, 10, X}, {10, 10, D}},
       {Data(0, 20)},
       {.in_order_segments = 2, .out_of_window_segments = 1}},
      {"FarAheadInsideWindow",
       {{0, 10, D}, {kGiB, 10, H}},
       {Data(0, 10), Hole(10, kGiB - 10), Data(kGiB, 10)},
       {.in_order_segments = 1, .out_of_order_segments = 1, .gaps = 1, .gap_bytes = kGiB - 10}},
      {"FarBehindIsRetransmission",
       {{0, 10, D}, {0u - kGiB, 10, R}, {0u - 5, 20, D | R}},
       {Data(0, 15)},
       {.in_order_segments = 2, .retransmitted_segments = 1}},
  };
}

const char* PolicyName(OverlapPolicy policy) {
  return policy == OverlapPolicy::kFirst ? "first" : "last";
}

// Feeds `test_case` at `isn` under `policy`, then checks outcomes, the delivered stream, gaps and
// counters.
void RunCase(const Case& test_case, OverlapPolicy policy, uint32_t isn) {
  SegmentPool pool(test_case.pool_chunks);
  const StreamLimits limits{test_case.max_held_bytes, policy};
  RecordingSink sink;
  ReassemblyCounters counters;
  TcpStream stream{};
  stream.StartAt(isn);

  const uint32_t max_chunks =
      (test_case.max_held_bytes + SegmentPool::kChunkBytes - 1) / SegmentPool::kChunkBytes;
  for (size_t i = 0; i < test_case.segments.size(); ++i) {
    const Segment& segment = test_case.segments[i];
    const std::vector<uint8_t> bytes = ReferenceBytes(segment.offset, segment.length, segment.mask);
    const uint8_t outcome = stream.AddSegment(isn + segment.offset, bytes.data(), segment.length,
                                              pool, limits, sink, counters);
    EXPECT_EQ(outcome, segment.outcome) << "segment " << i;
    EXPECT_LE(stream.held_bytes(), test_case.max_held_bytes) << "segment " << i;
    EXPECT_LE(pool.total_chunks() - pool.free_chunks(), max_chunks) << "segment " << i;
  }
  stream.Flush(pool, sink, counters);

  const bool last_differs = policy == OverlapPolicy::kLast && !test_case.expected_last.empty();
  std::vector<uint8_t> expected_bytes;
  std::vector<Gap> expected_gaps;
  uint32_t expected_end = 0;
  for (const Piece& piece : last_differs ? test_case.expected_last : test_case.expected) {
    ASSERT_EQ(piece.offset, expected_end) << "case table: pieces must be contiguous";
    if (piece.gap) {
      expected_gaps.push_back({piece.offset, piece.length});
    } else {
      const std::vector<uint8_t> bytes = ReferenceBytes(piece.offset, piece.length, piece.mask);
      expected_bytes.insert(expected_bytes.end(), bytes.begin(), bytes.end());
    }
    expected_end += piece.length;
  }

  EXPECT_EQ(sink.bytes.size(), expected_bytes.size());
  EXPECT_TRUE(sink.bytes == expected_bytes) << "delivered bytes differ";
  EXPECT_EQ(sink.gaps, expected_gaps);
  EXPECT_EQ(stream.next_seq(), isn + expected_end);
  EXPECT_EQ(stream.held_bytes(), 0u);
  EXPECT_EQ(pool.free_chunks(), pool.total_chunks()) << "chunks still held after Flush";
  ExpectCountersEqual(counters, test_case.counters);

  stream.Release(pool);
  EXPECT_FALSE(stream.started());
  EXPECT_EQ(pool.free_chunks(), pool.total_chunks());
}

// Feeds `test_case` at `isn` and releases without flushing: every chunk must come back.
void RunCaseThenRelease(const Case& test_case, OverlapPolicy policy, uint32_t isn) {
  SegmentPool pool(test_case.pool_chunks);
  const StreamLimits limits{test_case.max_held_bytes, policy};
  RecordingSink sink;
  ReassemblyCounters counters;
  TcpStream stream{};
  stream.StartAt(isn);
  for (const Segment& segment : test_case.segments) {
    const std::vector<uint8_t> bytes = ReferenceBytes(segment.offset, segment.length, segment.mask);
    stream.AddSegment(isn + segment.offset, bytes.data(), segment.length, pool, limits, sink,
                      counters);
  }
  stream.Release(pool);
  EXPECT_EQ(pool.free_chunks(), pool.total_chunks());
  EXPECT_EQ(stream.held_bytes(), 0u);
  EXPECT_FALSE(stream.started());
}

constexpr OverlapPolicy kPolicies[] = {OverlapPolicy::kFirst, OverlapPolicy::kLast};

using CaseParam = std::tuple<Case, OverlapPolicy, uint32_t>;

class ReassemblyCaseTest : public testing::TestWithParam<CaseParam> {};

TEST_P(ReassemblyCaseTest, DeliversExpectedStream) {
  const auto& [test_case, policy, isn] = GetParam();
  RunCase(test_case, policy, isn);
}

TEST_P(ReassemblyCaseTest, ReleaseReturnsChunks) {
  const auto& [test_case, policy, isn] = GetParam();
  RunCaseThenRelease(test_case, policy, isn);
}

// A case with a conflict must say what kLast delivers, or the kLast run would only repeat kFirst.
TEST(ReassemblyCaseTable, ConflictCasesListLastStream) {
  for (const Case& test_case : Cases()) {
    if (test_case.counters.overlap_conflicts == 0) continue;
    EXPECT_FALSE(test_case.expected_last.empty()) << test_case.name;
  }
}

std::string CaseName(const testing::TestParamInfo<CaseParam>& info) {
  return std::get<0>(info.param).name + "_" + PolicyName(std::get<1>(info.param)) + "_isn" +
         std::to_string(std::get<2>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Table, ReassemblyCaseTest,
                         testing::Combine(testing::ValuesIn(Cases()), testing::ValuesIn(kPolicies),
                                          testing::ValuesIn(kIsns)),
                         CaseName);

// ---------------------------------------------------------------------------------------------
// Randomised segmentation, run at every ISN with fixed seeds.

struct RandomSegment {
  uint32_t offset;
  uint32_t length;
};

// Splits [0, stream_length) into segments of 1..max_length bytes.
std::vector<RandomSegment> RandomSplit(uint32_t stream_length, uint32_t max_length,
                                       std::mt19937& rng) {
  std::vector<RandomSegment> segments;
  std::uniform_int_distribution<uint32_t> length_dist(1, max_length);
  for (uint32_t offset = 0; offset < stream_length;) {
    const uint32_t length = std::min(length_dist(rng), stream_length - offset);
    segments.push_back({offset, length});
    offset += length;
  }
  return segments;
}

// Adds `count` retransmissions with boundaries unrelated to the original split.
void AddRetransmissions(std::vector<RandomSegment>& segments, uint32_t stream_length,
                        uint32_t count, std::mt19937& rng) {
  std::uniform_int_distribution<uint32_t> offset_dist(0, stream_length - 1);
  std::uniform_int_distribution<uint32_t> length_dist(1, 4000);
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t offset = offset_dist(rng);
    segments.push_back({offset, std::min(length_dist(rng), stream_length - offset)});
  }
}

struct RandomRun {
  RecordingSink sink;
  ReassemblyCounters counters;
  uint8_t outcomes = 0;  // OR of every outcome
};

void Feed(const std::vector<RandomSegment>& segments, const std::vector<uint8_t>& reference,
          uint32_t isn, SegmentPool& pool, const StreamLimits& limits, TcpStream& stream,
          RandomRun& run) {
  for (const RandomSegment& segment : segments) {
    run.outcomes |= stream.AddSegment(isn + segment.offset, reference.data() + segment.offset,
                                      segment.length, pool, limits, run.sink, run.counters);
    ASSERT_LE(stream.held_bytes(), limits.max_held_bytes);
  }
}

// Run under both overlap policies: without conflicting copies they must deliver the same stream.
class ReassemblyRandomTest
    : public testing::TestWithParam<std::tuple<OverlapPolicy, uint32_t>> {};

TEST_P(ReassemblyRandomTest, PermutedSplitsDeliverExactStream) {
  const auto [policy, isn] = GetParam();
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    const uint32_t stream_length = std::uniform_int_distribution<uint32_t>(1, 200000)(rng);
    const std::vector<uint8_t> reference = ReferenceBytes(0, stream_length);
    std::vector<RandomSegment> segments = RandomSplit(stream_length, seed % 2 ? 3000 : 300, rng);
    std::shuffle(segments.begin(), segments.end(), rng);

    SegmentPool pool(4096);
    const StreamLimits limits{64u << 20, policy};
    TcpStream stream{};
    stream.StartAt(isn);
    RandomRun run;
    Feed(segments, reference, isn, pool, limits, stream, run);

    EXPECT_TRUE(run.sink.bytes == reference) << "seed " << seed;
    EXPECT_TRUE(run.sink.gaps.empty()) << "seed " << seed;
    EXPECT_EQ(run.outcomes & (kConflict | kDropped | kGapSkipped | kRetransmission), 0)
        << "seed " << seed;
    EXPECT_EQ(stream.next_seq(), isn + stream_length) << "seed " << seed;
    EXPECT_EQ(pool.free_chunks(), pool.total_chunks()) << "seed " << seed;
    EXPECT_EQ(run.counters.in_order_segments + run.counters.out_of_order_segments, segments.size())
        << "seed " << seed;
  }
}

TEST_P(ReassemblyRandomTest, RetransmissionsDeliverExactStream) {
  const auto [policy, isn] = GetParam();
  for (uint32_t seed = 100; seed < 120; ++seed) {
    std::mt19937 rng(seed);
    const uint32_t stream_length = std::uniform_int_distribution<uint32_t>(1, 100000)(rng);
    const std::vector<uint8_t> reference = ReferenceBytes(0, stream_length);
    std::vector<RandomSegment> segments = RandomSplit(stream_length, 2000, rng);
    AddRetransmissions(segments, stream_length, static_cast<uint32_t>(segments.size()), rng);
    std::shuffle(segments.begin(), segments.end(), rng);

    SegmentPool pool(4096);
    const StreamLimits limits{64u << 20, policy};
    TcpStream stream{};
    stream.StartAt(isn);
    RandomRun run;
    Feed(segments, reference, isn, pool, limits, stream, run);

    EXPECT_TRUE(run.sink.bytes == reference) << "seed " << seed;
    EXPECT_TRUE(run.sink.gaps.empty()) << "seed " << seed;
    EXPECT_EQ(run.counters.overlap_conflicts, 0u) << "seed " << seed;
    EXPECT_EQ(run.outcomes & (kConflict | kDropped | kGapSkipped), 0) << "seed " << seed;
    EXPECT_EQ(pool.free_chunks(), pool.total_chunks()) << "seed " << seed;
  }
}

// Under a small pool and limit, with segments lost, every delivered byte must still be the
// reference byte at its stream offset, and the gaps must account for the rest.
TEST_P(ReassemblyRandomTest, PressureKeepsStreamConsistent) {
  const auto [policy, isn] = GetParam();
  for (uint32_t seed = 200; seed < 240; ++seed) {
    std::mt19937 rng(seed);
    const uint32_t stream_length = std::uniform_int_distribution<uint32_t>(1, 60000)(rng);
    const std::vector<uint8_t> reference = ReferenceBytes(0, stream_length);
    std::vector<RandomSegment> segments = RandomSplit(stream_length, 1500, rng);
    AddRetransmissions(segments, stream_length, static_cast<uint32_t>(segments.size() / 4), rng);
    std::shuffle(segments.begin(), segments.end(), rng);
    segments.resize(segments.size() * 9 / 10);  // lose a tenth

    SegmentPool pool(seed % 4 + 1);
    const StreamLimits limits{1000u + seed * 37, policy};
    const uint32_t max_chunks =
        (limits.max_held_bytes + SegmentPool::kChunkBytes - 1) / SegmentPool::kChunkBytes;
    TcpStream stream{};
    stream.StartAt(isn);
    RandomRun run;
    for (const RandomSegment& segment : segments) {
      run.outcomes |= stream.AddSegment(isn + segment.offset, reference.data() + segment.offset,
                                        segment.length, pool, limits, run.sink, run.counters);
      ASSERT_LE(stream.held_bytes(), limits.max_held_bytes) << "seed " << seed;
      ASSERT_LE(pool.total_chunks() - pool.free_chunks(), max_chunks) << "seed " << seed;
    }
    stream.Flush(pool, run.sink, run.counters);

    // Rebuild stream offsets from the recorded data and gaps, then compare byte by byte.
    uint64_t gap_total = 0;
    for (const Gap& gap : run.sink.gaps) gap_total += gap.length;
    EXPECT_EQ(gap_total, run.counters.gap_bytes) << "seed " << seed;
    EXPECT_EQ(run.sink.gaps.size(), run.counters.gaps) << "seed " << seed;
    EXPECT_EQ(run.sink.bytes.size() + gap_total, run.sink.position) << "seed " << seed;
    EXPECT_LE(run.sink.position, stream_length) << "seed " << seed;
    EXPECT_EQ(stream.next_seq(), isn + static_cast<uint32_t>(run.sink.position)) << "seed " << seed;

    size_t data_index = 0;
    uint64_t offset = 0;
    size_t gap_index = 0;
    size_t mismatches = 0;
    while (offset < run.sink.position) {
      if (gap_index < run.sink.gaps.size() && run.sink.gaps[gap_index].offset == offset) {
        offset += run.sink.gaps[gap_index++].length;
        continue;
      }
      if (run.sink.bytes[data_index++] != reference[offset]) ++mismatches;
      ++offset;
    }
    EXPECT_EQ(mismatches, 0u) << "seed " << seed;
    EXPECT_EQ(run.outcomes & kConflict, 0) << "seed " << seed;
    EXPECT_EQ(pool.free_chunks(), pool.total_chunks()) << "seed " << seed;
  }
}

// Byte-level model of a receiver with unlimited memory: each byte at or after the next expected
// one is held once, and a later copy of a held byte replaces it only under kLast. Independent of
// chunks and held lists, so it checks the reassembler's overlap handling from outside.
class ReceiverModel {
 public:
  ReceiverModel(uint32_t stream_length, OverlapPolicy policy)
      : bytes_(stream_length), held_(stream_length, false), policy_(policy) {}

  // Adds a segment and returns whether any byte it repeats differed from the byte held.
  bool Add(uint32_t offset, const uint8_t* data, uint32_t length) {
    bool conflict = false;
    for (uint32_t i = 0; i < length; ++i) {
      const uint32_t at = offset + i;
      if (at < next_) continue;  // delivered: never compared or replaced
      if (!held_[at]) {
        held_[at] = true;
        bytes_[at] = data[i];
        continue;
      }
      if (bytes_[at] == data[i]) continue;
      conflict = true;
      if (policy_ == OverlapPolicy::kLast) bytes_[at] = data[i];
    }
    while (next_ < held_.size() && held_[next_]) ++next_;
    return conflict;
  }

  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
  std::vector<bool> held_;
  uint32_t next_ = 0;
  OverlapPolicy policy_;
};

// Random splits of the reference stream plus copies at random offsets, some of them altered, all
// shuffled. The delivered stream and every segment's conflict flag must match the model.
TEST_P(ReassemblyRandomTest, ConflictingCopiesMatchReceiverModel) {
  const auto [policy, isn] = GetParam();
  for (uint32_t seed = 300; seed < 330; ++seed) {
    std::mt19937 rng(seed);
    const uint32_t stream_length = std::uniform_int_distribution<uint32_t>(1, 30000)(rng);
    const std::vector<uint8_t> reference = ReferenceBytes(0, stream_length);
    std::vector<RandomSegment> segments = RandomSplit(stream_length, seed % 2 ? 1500 : 200, rng);
    const size_t originals = segments.size();
    AddRetransmissions(segments, stream_length, static_cast<uint32_t>(originals), rng);
    // Altered copies carry a nonzero mask; the original split never does, so the stream is whole.
    std::vector<uint8_t> masks(segments.size(), 0);
    for (size_t i = originals; i < segments.size(); ++i) {
      masks[i] = static_cast<uint8_t>(rng() % 2 ? 1 + rng() % 255 : 0);
    }
    std::vector<size_t> order(segments.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);

    SegmentPool pool(4096);
    const StreamLimits limits{64u << 20, policy};
    TcpStream stream{};
    stream.StartAt(isn);
    RecordingSink sink;
    ReassemblyCounters counters;
    ReceiverModel model(stream_length, policy);
    uint64_t model_conflicts = 0;
    for (size_t step = 0; step < order.size(); ++step) {
      const RandomSegment& segment = segments[order[step]];
      const std::vector<uint8_t> bytes =
          ReferenceBytes(segment.offset, segment.length, masks[order[step]]);
      const bool conflict = model.Add(segment.offset, bytes.data(), segment.length);
      model_conflicts += conflict;
      const uint8_t outcome = stream.AddSegment(isn + segment.offset, bytes.data(), segment.length,
                                                pool, limits, sink, counters);
      ASSERT_EQ((outcome & kConflict) != 0, conflict) << "seed " << seed << ", step " << step;
    }

    EXPECT_TRUE(sink.bytes == model.bytes()) << "seed " << seed;
    EXPECT_TRUE(sink.gaps.empty()) << "seed " << seed;
    EXPECT_EQ(counters.overlap_conflicts, model_conflicts) << "seed " << seed;
    EXPECT_EQ(stream.next_seq(), isn + stream_length) << "seed " << seed;
    EXPECT_EQ(pool.free_chunks(), pool.total_chunks()) << "seed " << seed;
  }
}

std::string RandomCaseName(
    const testing::TestParamInfo<std::tuple<OverlapPolicy, uint32_t>>& info) {
  return std::string(PolicyName(std::get<0>(info.param))) + "_isn" +
         std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Isns, ReassemblyRandomTest,
                         testing::Combine(testing::ValuesIn(kPolicies), testing::ValuesIn(kIsns)),
                         RandomCaseName);

// ---------------------------------------------------------------------------------------------
// Single behaviours.

// One byte per segment with the first byte last: the bytes must share chunks, not take one each.
TEST(TcpStreamTest, SmallSegmentsShareChunks) {
  constexpr uint32_t kLength = 5000;
  const std::vector<uint8_t> reference = ReferenceBytes(0, kLength);
  for (uint32_t isn : kIsns) {
    SegmentPool pool(64);
    RecordingSink sink;
    ReassemblyCounters counters;
    TcpStream stream{};
    stream.StartAt(isn);
    for (uint32_t offset = 1; offset < kLength; ++offset) {
      stream.AddSegment(isn + offset, &reference[offset], 1, pool, StreamLimits{}, sink, counters);
    }
    EXPECT_EQ(stream.held_bytes(), kLength - 1);
    EXPECT_EQ(pool.total_chunks() - pool.free_chunks(), 3u);  // ceil(4999 / 2048)
    stream.AddSegment(isn, &reference[0], 1, pool, StreamLimits{}, sink, counters);
    EXPECT_TRUE(sink.bytes == reference);
    EXPECT_EQ(pool.free_chunks(), pool.total_chunks());
  }
}

// NOTE: held bytes extend a chunk only forward, so bytes that arrive in reverse take one chunk
// each; the per-stream chunk limit bounds what that costs.
TEST(TcpStreamTest, ReverseSingleBytes) {
  constexpr uint32_t kLength = 100;
  const std::vector<uint8_t> reference = ReferenceBytes(0, kLength);
  for (uint32_t isn : kIsns) {
    SegmentPool pool(128);
    RecordingSink sink;
    ReassemblyCounters counters;
    TcpStream stream{};
    stream.StartAt(isn);
    for (uint32_t offset = kLength; offset-- > 0;) {
      stream.AddSegment(isn + offset, &reference[offset], 1, pool, StreamLimits{}, sink, counters);
    }
    EXPECT_TRUE(sink.bytes == reference);
    EXPECT_EQ(counters.out_of_order_segments, kLength - 1);
    EXPECT_EQ(pool.free_chunks(), pool.total_chunks());
  }
}

TEST(TcpStreamTest, ZeroFilledStreamIsUnstarted) {
  static_assert(std::is_trivially_copyable_v<TcpStream>);
  TcpStream storage{};
  storage.StartAt(123);
  // Flow tables may hand out zero-filled memory (rte_zmalloc) instead of constructing streams.
  std::memset(static_cast<void*>(&storage), 0, sizeof(storage));
  TcpStream* stream = &storage;
  EXPECT_FALSE(stream->started());
  EXPECT_EQ(stream->next_seq(), 0u);
  EXPECT_EQ(stream->held_bytes(), 0u);

  SegmentPool pool(4);
  RecordingSink sink;
  ReassemblyCounters counters;
  const std::vector<uint8_t> bytes = ReferenceBytes(0, 10);
  EXPECT_EQ(stream->AddSegment(5000, bytes.data(), 0, pool, StreamLimits{}, sink, counters), 0);
  EXPECT_FALSE(stream->started()) << "an empty segment must not start the stream";
  EXPECT_EQ(stream->AddSegment(7000, bytes.data(), 10, pool, StreamLimits{}, sink, counters),
            kDelivered);
  EXPECT_TRUE(stream->started());
  EXPECT_EQ(stream->next_seq(), 7010u);
  EXPECT_TRUE(sink.bytes == bytes);
}

TEST(TcpStreamTest, StartFromSynSkipsSynByte) {
  TcpStream stream{};
  stream.StartFromSyn(UINT32_MAX);
  EXPECT_TRUE(stream.started());
  EXPECT_EQ(stream.next_seq(), 0u);
  stream.StartFromSyn(41);
  EXPECT_EQ(stream.next_seq(), 42u);
}

TEST(TcpStreamTest, OversizedLengthDropped) {
  SegmentPool pool(4);
  RecordingSink sink;
  ReassemblyCounters counters;
  TcpStream stream{};
  stream.StartAt(0);
  const uint8_t byte = 0;
  // Only the length is read: the payload pointer must not be touched.
  EXPECT_EQ(stream.AddSegment(0, &byte, UINT32_MAX, pool, StreamLimits{}, sink, counters),
            kDropped);
  EXPECT_EQ(stream.AddSegment(0, &byte, 1u << 30, pool, StreamLimits{}, sink, counters), kDropped);
  EXPECT_EQ(counters.out_of_window_segments, 2u);
  EXPECT_EQ(stream.next_seq(), 0u);
  EXPECT_TRUE(sink.bytes.empty());
}

// Two streams on one pool: one stream's held bytes can exhaust the pool for the other.
TEST(TcpStreamTest, StreamsShareOnePool) {
  SegmentPool pool(3);
  RecordingSink sink_a;
  RecordingSink sink_b;
  ReassemblyCounters counters;
  TcpStream a{};
  TcpStream b{};
  a.StartAt(0);
  b.StartAt(1u << 31);
  const std::vector<uint8_t> bytes = ReferenceBytes(0, 3 * SegmentPool::kChunkBytes);
  EXPECT_EQ(a.AddSegment(1, bytes.data(), 3 * SegmentPool::kChunkBytes, pool, StreamLimits{},
                         sink_a, counters),
            kHeld);
  EXPECT_EQ(pool.free_chunks(), 0u);
  EXPECT_EQ(b.AddSegment((1u << 31) + 1, bytes.data(), 1, pool, StreamLimits{}, sink_b, counters),
            kDropped);
  a.Release(pool);
  EXPECT_EQ(pool.free_chunks(), 3u);
  EXPECT_EQ(b.AddSegment((1u << 31) + 1, bytes.data(), 1, pool, StreamLimits{}, sink_b, counters),
            kHeld);
  b.Release(pool);
  EXPECT_EQ(pool.free_chunks(), pool.total_chunks());
  EXPECT_EQ(counters.pool_exhausted, 1u);
}

// ---------------------------------------------------------------------------------------------
// Overlap policy per destination network.

OverlapNetwork Ipv4Network(std::initializer_list<uint8_t> bytes, uint8_t prefix_length,
                           OverlapPolicy policy) {
  OverlapNetwork network{{}, 4, prefix_length, policy};
  std::copy(bytes.begin(), bytes.end(), network.address);
  return network;
}

OverlapNetwork Ipv6Network(std::initializer_list<uint8_t> bytes, uint8_t prefix_length,
                           OverlapPolicy policy) {
  OverlapNetwork network{{}, 6, prefix_length, policy};
  std::copy(bytes.begin(), bytes.end(), network.address);
  return network;
}

struct LookupCase {
  const char* name;
  uint8_t ip_version;
  std::vector<uint8_t> address;  // padded with zeros to 16 bytes
  OverlapPolicy expected;
};

TEST(OverlapPolicyTableTest, LongestPrefixWins) {
  constexpr OverlapPolicy kFirst = OverlapPolicy::kFirst;
  constexpr OverlapPolicy kLast = OverlapPolicy::kLast;
  OverlapPolicyTable table;
  table.default_policy = kFirst;
  // Listed shortest first on purpose: the order of entries must not matter.
  table.networks = {
      Ipv4Network({198, 51, 0, 0}, 16, kLast),
      Ipv4Network({198, 51, 100, 0}, 24, kFirst),
      Ipv4Network({198, 51, 100, 128}, 25, kLast),
      Ipv4Network({198, 51, 100, 7}, 32, kLast),
      Ipv4Network({10, 0, 0, 0}, 9, kLast),
      Ipv6Network({0x20, 0x01, 0x0d, 0xb8}, 32, kLast),
      Ipv6Network({0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01}, 48, kFirst),
  };
  const LookupCase cases[] = {
      {"Ipv4OnlyShortPrefix", 4, {198, 51, 7, 1}, kLast},
      {"Ipv4LongerPrefix", 4, {198, 51, 100, 1}, kFirst},
      {"Ipv4Slash25", 4, {198, 51, 100, 200}, kLast},
      {"Ipv4Slash25Boundary", 4, {198, 51, 100, 127}, kFirst},
      {"Ipv4HostRoute", 4, {198, 51, 100, 7}, kLast},
      {"Ipv4NoMatch", 4, {198, 52, 0, 1}, kFirst},
      {"Ipv4OddPrefixInside", 4, {10, 127, 255, 255}, kLast},
      {"Ipv4OddPrefixOutside", 4, {10, 128, 0, 0}, kFirst},
      {"Ipv6Slash32", 6, {0x20, 0x01, 0x0d, 0xb8, 0xff}, kLast},
      {"Ipv6Slash48", 6, {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0xaa}, kFirst},
      {"Ipv6NoMatch", 6, {0x20, 0x01, 0x0d, 0xb9}, kFirst},
      // The IPv4 bytes of 198.51.100.7 as the start of an IPv6 address: families never mix.
      {"Ipv6NotMatchedByIpv4", 6, {198, 51, 100, 7}, kFirst},
      {"Ipv4NotMatchedByIpv6", 4, {0x20, 0x01, 0x0d, 0xb8}, kFirst},
  };
  for (const LookupCase& test_case : cases) {
    uint8_t address[16] = {};
    std::copy(test_case.address.begin(), test_case.address.end(), address);
    EXPECT_EQ(table.Lookup(test_case.ip_version, address), test_case.expected) << test_case.name;
  }
}

TEST(OverlapPolicyTableTest, DefaultAndZeroPrefix) {
  const uint8_t address[16] = {192, 0, 2, 1};
  OverlapPolicyTable table;
  EXPECT_EQ(table.Lookup(4, address), OverlapPolicy::kFirst) << "empty table";
  table.default_policy = OverlapPolicy::kLast;
  EXPECT_EQ(table.Lookup(4, address), OverlapPolicy::kLast) << "default only";
  table.networks = {Ipv4Network({}, 0, OverlapPolicy::kFirst)};
  EXPECT_EQ(table.Lookup(4, address), OverlapPolicy::kFirst) << "0.0.0.0/0 beats the default";
  EXPECT_EQ(table.Lookup(6, address), OverlapPolicy::kLast) << "0.0.0.0/0 is IPv4 only";
}

}  // namespace
}  // namespace sluice::reassembly
