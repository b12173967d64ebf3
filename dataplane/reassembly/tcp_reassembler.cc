#include "dataplane/reassembly/tcp_reassembler.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <type_traits>

// Counters (ReassemblyCounters), summed per worker, and what a high value means to an operator:
//   reassembly.in_order_segments       Segments that delivered bytes at once. Normal traffic.
//   reassembly.out_of_order_segments   Segments held until a hole fills: loss or reordering between
//                                      the senders and the tap. High ratio: check the mirror/tap.
//   reassembly.retransmitted_segments  Segments with no new byte. Loss on the path, or a tap that
//                                      duplicates packets (e.g. a SPAN session seeing both ports).
//   reassembly.overlap_conflicts       Resent bytes that differ from the held copy. Rare in honest
//                                      traffic; can mean an evasion attempt (insertion).
//   reassembly.gaps / gap_bytes        Holes skipped at Flush or by the hold limit, so the parser
//                                      saw a damaged stream. High: capture loss (rx drops, a tap
//                                      that misses packets).
//   reassembly.held_limit_hits         A stream reached max_held_bytes and its oldest hole was
//                                      skipped. High: heavy loss, or peers that hold a hole open
//                                      on purpose; raise the limit only if memory allows.
//   reassembly.pool_exhausted          No free chunk, so out-of-order bytes were dropped. The
//                                      worker's pool is too small for its flows: enlarge it.
//   reassembly.out_of_window_segments  Segments more than 1 GiB ahead of the stream (or longer
//                                      than 1 GiB), dropped. Corrupt captures or forged packets.

namespace sluice::reassembly {
namespace {

// At least the largest scaled TCP window (65535 << 14 bytes, RFC 7323), and small enough that
// every held byte stays less than 2^31 ahead of next_seq_, where SeqLess is meaningful.
constexpr uint32_t kMaxAheadBytes = 1u << 30;
constexpr uint32_t kMaxSegmentBytes = (1u << 30) - 1;

constexpr uint32_t kChunkBytes = SegmentPool::kChunkBytes;

uint32_t SeqMin(uint32_t a, uint32_t b) { return SeqLess(a, b) ? a : b; }
uint32_t SeqMax(uint32_t a, uint32_t b) { return SeqLess(a, b) ? b : a; }

// Whether the first `prefix_length` bits of `address` equal those of `network`.
bool PrefixMatches(const uint8_t* network, const uint8_t* address, uint8_t prefix_length) {
  const uint32_t whole_bytes = prefix_length / 8;
  if (std::memcmp(network, address, whole_bytes) != 0) return false;
  const uint32_t rest_bits = prefix_length % 8;
  if (rest_bits == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest_bits));
  return ((network[whole_bytes] ^ address[whole_bytes]) & mask) == 0;
}

}  // namespace

static_assert(std::is_trivially_copyable_v<TcpStream>);
static_assert(sizeof(TcpStream) <= 20, "TcpStream lives twice in every flow: keep it small");

SegmentPool::SegmentPool(uint32_t chunk_count)
    : total_(chunk_count),
      storage_(static_cast<size_t>(chunk_count) * kChunkBytes),
      info_(static_cast<size_t>(chunk_count) + 1) {
  assert(chunk_count < UINT32_MAX && "chunk ids must fit in uint32_t next to kNoChunk");
  for (uint32_t chunk = chunk_count; chunk >= 1; --chunk) Give(chunk);
}

uint32_t SegmentPool::Take() {
  const uint32_t chunk = free_head_;
  if (chunk != kNoChunk) {
    free_head_ = info_[chunk].next;
    --free_count_;
  }
  return chunk;
}

void SegmentPool::Give(uint32_t chunk) {
  info_[chunk].next = free_head_;
  free_head_ = chunk;
  ++free_count_;
}

OverlapPolicy OverlapPolicyTable::Lookup(uint8_t ip_version, const uint8_t* address) const {
  OverlapPolicy policy = default_policy;
  int longest = -1;
  for (const OverlapNetwork& network : networks) {
    if (network.ip_version != ip_version || network.prefix_length <= longest) continue;
    if (!PrefixMatches(network.address, address, network.prefix_length)) continue;
    policy = network.policy;
    longest = network.prefix_length;
  }
  return policy;
}

void TcpStream::StartFromSyn(uint32_t isn) { StartAt(isn + 1); }

void TcpStream::StartAt(uint32_t seq) {
  assert(held_head_ == SegmentPool::kNoChunk && "StartAt on a stream holding data: Release first");
  next_seq_ = seq;
  started_ = true;
}

// The common case (in order, nothing held) costs a few comparisons and one sink call; everything
// else is out of line.
uint8_t TcpStream::AddSegment(uint32_t seq, const uint8_t* data, uint32_t length, SegmentPool& pool,
                              const StreamLimits& limits, StreamSink& sink,
                              ReassemblyCounters& counters) {
  if (seq == next_seq_ && started_ && held_head_ == SegmentPool::kNoChunk &&
      length - 1 < kMaxSegmentBytes) {
    sink.OnData(data, length);
    next_seq_ += length;
    ++counters.in_order_segments;
    return kDelivered;
  }
  return AddSegmentSlow(seq, data, length, pool, limits, sink, counters);
}

uint8_t TcpStream::AddSegmentSlow(uint32_t seq, const uint8_t* data, uint32_t length,
                                  SegmentPool& pool, const StreamLimits& limits, StreamSink& sink,
                                  ReassemblyCounters& counters) {
  // An empty segment (pure ACK, keepalive probe) carries no byte and does not start a stream: a
  // keepalive's seq is one below the next byte.
  if (length == 0) return 0;
  if (!started_) StartAt(seq);
  if (length > kMaxSegmentBytes) {
    ++counters.out_of_window_segments;
    return kDropped;
  }

  uint8_t outcome = 0;
  if (SeqLess(seq, next_seq_)) {
    // Bytes before next_seq_ were delivered: only the new tail counts.
    const uint32_t old = next_seq_ - seq;
    if (old >= length) {
      ++counters.retransmitted_segments;
      return kRetransmission;
    }
    seq += old;
    data += old;
    length -= old;
    outcome |= kRetransmission;
  } else if (seq - next_seq_ > kMaxAheadBytes) {
    ++counters.out_of_window_segments;
    return kDropped;
  }

  // kLast: the newer copy replaces the held bytes before anything below delivers or compares
  // them, so a conflict is found and counted only here. Delivered bytes were trimmed above and
  // never change: a kLast stack that received the first copy in order keeps it as well.
  if (limits.overlap == OverlapPolicy::kLast && held_head_ != SegmentPool::kNoChunk &&
      OverwriteHeld(seq, data, length, pool)) {
    ++counters.overlap_conflicts;
    outcome |= kConflict;
  }

  if (seq == next_seq_) {
    ++counters.in_order_segments;
    return outcome | DeliverInOrder(data, length, /*compare=*/true, pool, sink, counters);
  }
  return outcome | HoldOutOfOrder(seq, data, length, pool, limits, sink, counters);
}

// Delivers a segment that starts at next_seq_. Where it overlaps held chunks, the held copy is
// delivered (under kLast it already holds these bytes) and the new bytes are only compared with
// it (when `compare`).
uint8_t TcpStream::DeliverInOrder(const uint8_t* data, uint32_t length, bool compare,
                                  SegmentPool& pool, StreamSink& sink,
                                  ReassemblyCounters& counters) {
  bool conflict = false;
  while (length != 0) {
    uint32_t direct = length;
    if (held_head_ != SegmentPool::kNoChunk &&
        SeqLess(pool.Info(held_head_).seq, next_seq_ + length)) {
      direct = pool.Info(held_head_).seq - next_seq_;
    }
    if (direct != 0) {
      sink.OnData(data, direct);
      next_seq_ += direct;
      data += direct;
      length -= direct;
      continue;
    }

    // The head chunk starts at next_seq_ and overlaps the rest of the segment.
    const uint32_t overlap = std::min(length, pool.Info(held_head_).length);
    if (compare && std::memcmp(data, pool.Data(held_head_), overlap) != 0) conflict = true;
    data += overlap;
    length -= overlap;
    DeliverHeadChunk(pool, sink);
  }
  DrainContiguous(pool, sink);

  if (!conflict) return kDelivered;
  ++counters.overlap_conflicts;
  return kDelivered | kConflict;
}

// Holds a segment that starts after next_seq_. When holding it would break the stream's limits,
// skips the oldest hole first (which may make the segment in order).
uint8_t TcpStream::HoldOutOfOrder(uint32_t seq, const uint8_t* data, uint32_t length,
                                  SegmentPool& pool, const StreamLimits& limits, StreamSink& sink,
                                  ReassemblyCounters& counters) {
  uint8_t outcome = 0;
  bool conflict = false;
  HoleCount need = ScanHeld(seq, data, length, pool, &conflict);
  if (conflict) {
    ++counters.overlap_conflicts;
    outcome |= kConflict;
  }
  if (need.bytes == 0) {
    ++counters.retransmitted_segments;
    return outcome | kRetransmission;
  }

  while (!Fits(need, limits)) {
    // The skip always delivers: either held bytes that became contiguous or, below, the segment.
    SkipOldestHole(seq, pool, sink, counters);
    outcome |= kGapSkipped | kDelivered;
    if (SeqLessEq(seq, next_seq_)) {
      // Held bytes delivered by the skip were already compared above, so compare nothing again.
      const uint32_t old = next_seq_ - seq;
      if (old >= length) return outcome;
      ++counters.in_order_segments;
      return outcome |
             DeliverInOrder(data + old, length - old, /*compare=*/false, pool, sink, counters);
    }
    need = ScanHeld(seq, data, length, pool, nullptr);
  }

  const uint32_t held_before = held_bytes_;
  if (!FillHoles(seq, data, length, pool)) {
    ++counters.pool_exhausted;
    outcome |= kDropped;
  }
  if (held_bytes_ != held_before) {
    ++counters.out_of_order_segments;
    outcome |= kHeld;
  }
  return outcome;
}

// Walks the held list against [seq, seq + length): compares overlapping bytes (when `conflict` is
// set) and counts the bytes and new chunks that filling the holes would take.
TcpStream::HoleCount TcpStream::ScanHeld(uint32_t seq, const uint8_t* data, uint32_t length,
                                         SegmentPool& pool, bool* conflict) const {
  const uint32_t end = seq + length;
  HoleCount count{0, 0};
  uint32_t previous = SegmentPool::kNoChunk;
  uint32_t current = held_head_;
  uint32_t pos = seq;
  while (pos != end) {
    while (current != SegmentPool::kNoChunk && SeqLessEq(pool.End(current), pos)) {
      previous = current;
      current = pool.Info(current).next;
    }

    if (current != SegmentPool::kNoChunk && SeqLessEq(pool.Info(current).seq, pos)) {
      const uint32_t stop = SeqMin(pool.End(current), end);
      if (conflict != nullptr &&
          std::memcmp(data + (pos - seq), pool.Data(current) + (pos - pool.Info(current).seq),
                      stop - pos) != 0) {
        *conflict = true;
      }
      pos = stop;
      continue;
    }

    const uint32_t stop =
        current == SegmentPool::kNoChunk ? end : SeqMin(pool.Info(current).seq, end);
    const uint32_t piece = stop - pos;
    uint32_t room = 0;
    if (previous != SegmentPool::kNoChunk && pool.End(previous) == pos) {
      room = kChunkBytes - pool.Info(previous).length;
    }
    count.bytes += piece;
    count.chunks += (piece > room ? piece - room + kChunkBytes - 1 : 0) / kChunkBytes;
    pos = stop;
  }
  return count;
}

bool TcpStream::Fits(const HoleCount& need, const StreamLimits& limits) const {
  const uint64_t max_chunks = (uint64_t{limits.max_held_bytes} + kChunkBytes - 1) / kChunkBytes;
  return uint64_t{held_bytes_} + need.bytes <= limits.max_held_bytes &&
         uint64_t{held_chunks_} + need.chunks <= max_chunks;
}

// Copies the bytes of [seq, seq + length) that no held chunk covers into the held list. A piece
// that continues a chunk first fills that chunk's free tail, so small segments share chunks.
// Returns false when the pool ran out and some bytes were dropped.
bool TcpStream::FillHoles(uint32_t seq, const uint8_t* data, uint32_t length, SegmentPool& pool) {
  const uint32_t end = seq + length;
  uint32_t previous = SegmentPool::kNoChunk;
  uint32_t* link = &held_head_;  // the `next` field that points at `current`
  uint32_t pos = seq;
  while (pos != end) {
    while (*link != SegmentPool::kNoChunk && SeqLessEq(pool.End(*link), pos)) {
      previous = *link;
      link = &pool.Info(previous).next;
    }
    const uint32_t current = *link;
    if (current != SegmentPool::kNoChunk && SeqLessEq(pool.Info(current).seq, pos)) {
      pos = SeqMin(pool.End(current), end);
      continue;
    }

    const uint32_t stop =
        current == SegmentPool::kNoChunk ? end : SeqMin(pool.Info(current).seq, end);
    if (previous != SegmentPool::kNoChunk && pool.End(previous) == pos) {
      SegmentPool::ChunkInfo& tail = pool.Info(previous);
      const uint32_t copied = std::min(stop - pos, kChunkBytes - tail.length);
      std::memcpy(pool.Data(previous) + tail.length, data + (pos - seq), copied);
      tail.length += copied;
      held_bytes_ += copied;
      pos += copied;
    }
    while (pos != stop) {
      const uint32_t chunk = pool.Take();
      if (chunk == SegmentPool::kNoChunk) return false;
      const uint32_t copied = std::min(stop - pos, kChunkBytes);
      std::memcpy(pool.Data(chunk), data + (pos - seq), copied);
      pool.Info(chunk) = {pos, current, copied};
      *link = chunk;
      previous = chunk;
      link = &pool.Info(chunk).next;
      ++held_chunks_;
      held_bytes_ += copied;
      pos += copied;
    }
  }
  return true;
}

// Copies the bytes of [seq, seq + length) that held chunks cover over the held copy. Returns true
// when any of them differed.
bool TcpStream::OverwriteHeld(uint32_t seq, const uint8_t* data, uint32_t length,
                              SegmentPool& pool) {
  const uint32_t end = seq + length;
  bool differed = false;
  for (uint32_t chunk = held_head_;
       chunk != SegmentPool::kNoChunk && SeqLess(pool.Info(chunk).seq, end);
       chunk = pool.Info(chunk).next) {
    if (SeqLessEq(pool.End(chunk), seq)) continue;
    const uint32_t from = SeqMax(pool.Info(chunk).seq, seq);
    const uint32_t bytes = SeqMin(pool.End(chunk), end) - from;
    uint8_t* held = pool.Data(chunk) + (from - pool.Info(chunk).seq);
    const uint8_t* newer = data + (from - seq);
    if (std::memcmp(held, newer, bytes) == 0) continue;
    std::memcpy(held, newer, bytes);
    differed = true;
  }
  return differed;
}

// Reports the hole before the first held chunk, or before `seq` if that comes first, as a gap,
// then delivers what became contiguous.
void TcpStream::SkipOldestHole(uint32_t seq, SegmentPool& pool, StreamSink& sink,
                               ReassemblyCounters& counters) {
  uint32_t target = seq;
  if (held_head_ != SegmentPool::kNoChunk) target = SeqMin(pool.Info(held_head_).seq, seq);
  const uint32_t gap = target - next_seq_;
  sink.OnGap(gap);
  ++counters.gaps;
  counters.gap_bytes += gap;
  ++counters.held_limit_hits;
  next_seq_ = target;
  DrainContiguous(pool, sink);
}

void TcpStream::DeliverHeadChunk(SegmentPool& pool, StreamSink& sink) {
  const uint32_t chunk = held_head_;
  const SegmentPool::ChunkInfo info = pool.Info(chunk);
  sink.OnData(pool.Data(chunk), info.length);
  next_seq_ += info.length;
  held_bytes_ -= info.length;
  --held_chunks_;
  held_head_ = info.next;
  pool.Give(chunk);
}

void TcpStream::DrainContiguous(SegmentPool& pool, StreamSink& sink) {
  while (held_head_ != SegmentPool::kNoChunk && pool.Info(held_head_).seq == next_seq_) {
    DeliverHeadChunk(pool, sink);
  }
}

void TcpStream::Flush(SegmentPool& pool, StreamSink& sink, ReassemblyCounters& counters) {
  while (held_head_ != SegmentPool::kNoChunk) {
    const uint32_t gap = pool.Info(held_head_).seq - next_seq_;
    sink.OnGap(gap);
    ++counters.gaps;
    counters.gap_bytes += gap;
    next_seq_ += gap;
    DrainContiguous(pool, sink);
  }
}

void TcpStream::SkipAcknowledgedHoles(uint32_t acked, SegmentPool& pool, StreamSink& sink,
                                      ReassemblyCounters& counters) {
  while (held_head_ != SegmentPool::kNoChunk && SeqLess(pool.Info(held_head_).seq, acked)) {
    const uint32_t gap = pool.Info(held_head_).seq - next_seq_;
    sink.OnGap(gap);
    ++counters.gaps;
    counters.gap_bytes += gap;
    next_seq_ += gap;
    DrainContiguous(pool, sink);
  }
}

void TcpStream::Release(SegmentPool& pool) {
  uint32_t chunk = held_head_;
  while (chunk != SegmentPool::kNoChunk) {
    const uint32_t next = pool.Info(chunk).next;
    pool.Give(chunk);
    chunk = next;
  }
  *this = TcpStream{};
}

}  // namespace sluice::reassembly
