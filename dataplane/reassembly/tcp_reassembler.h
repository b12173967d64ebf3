// TCP reassembly of one direction of a connection into an ordered byte stream.
//
// Ownership: a SegmentPool and every TcpStream that uses it belong to one worker lcore; nothing
// here is thread-safe. Memory is bounded: out-of-order bytes are copied into fixed-size chunks
// taken from the worker's pool, and each stream may hold at most `max_held_bytes` of them.
//
// Overlap policy, chosen per stream (StreamLimits::overlap): when a later segment repeats held
// bytes, kFirst keeps the held copy and kLast replaces it with the newer one. Either way a later
// copy that disagrees with held bytes is counted and flagged as kConflict. Bytes already delivered
// are gone and cannot be compared or replaced, so a resent copy of them is only counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::reassembly {

// Sequence-space comparisons that survive wraparound (RFC 9293 section 3.4).
inline bool SeqLess(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool SeqLessEq(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) <= 0; }

// Receiver behaviour when a segment repeats, with different content, bytes the receiver holds out
// of order. Stacks differ here, so an observer must resolve overlaps as the destination does.
// NOTE: the stacks named below are the config aliases' mapping, not verified against each stack.
enum class OverlapPolicy : uint8_t {
  kFirst = 0,  // keep the held copy (config aliases: linux, bsd, windows)
  kLast = 1,   // replace it with the newer copy (config aliases: solaris, hpux)
};

// Counters summed per worker. What a high value of each means: the list in tcp_reassembler.cc.
struct ReassemblyCounters {
  uint64_t in_order_segments = 0;
  uint64_t out_of_order_segments = 0;   // held for later
  uint64_t retransmitted_segments = 0;  // no new byte: all already delivered or held
  uint64_t overlap_conflicts = 0;       // segments whose bytes differ from the held copy
  uint64_t gaps = 0;                    // holes skipped at flush or when the hold limit was hit
  uint64_t gap_bytes = 0;
  uint64_t held_limit_hits = 0;  // a stream's max_held_bytes reached: oldest hole skipped
  uint64_t pool_exhausted = 0;   // no free chunk: segment dropped from reassembly
  // Segments over 1 GiB ahead of the stream or over 1 GiB long: dropped.
  uint64_t out_of_window_segments = 0;

  ReassemblyCounters& operator+=(const ReassemblyCounters& other) {
    in_order_segments += other.in_order_segments;
    out_of_order_segments += other.out_of_order_segments;
    retransmitted_segments += other.retransmitted_segments;
    overlap_conflicts += other.overlap_conflicts;
    gaps += other.gaps;
    gap_bytes += other.gap_bytes;
    held_limit_hits += other.held_limit_hits;
    pool_exhausted += other.pool_exhausted;
    out_of_window_segments += other.out_of_window_segments;
    return *this;
  }
};

// Per-worker pool of fixed-size chunks for out-of-order data.
class SegmentPool {
 public:
  static constexpr uint32_t kChunkBytes = 2048;

  // Preallocates `chunk_count` chunks. Called once at startup, off the packet path.
  explicit SegmentPool(uint32_t chunk_count);
  SegmentPool(const SegmentPool&) = delete;
  SegmentPool& operator=(const SegmentPool&) = delete;

  uint32_t free_chunks() const { return free_count_; }
  uint32_t total_chunks() const { return total_; }

 private:
  friend class TcpStream;

  // Chunk ids start at 1, so that 0 (no chunk) is what a zero-filled TcpStream holds.
  static constexpr uint32_t kNoChunk = 0;

  // Bookkeeping of one chunk. A held chunk contains `length` stream bytes from `seq` onwards, and
  // `next` links it into its stream's held list (sorted by seq, ranges disjoint) or the free list.
  struct ChunkInfo {
    uint32_t seq;
    uint32_t next;
    uint32_t length;
  };

  // Returns a free chunk, or kNoChunk when the pool is exhausted.
  uint32_t Take();
  void Give(uint32_t chunk);
  uint8_t* Data(uint32_t chunk) { return &storage_[static_cast<size_t>(chunk - 1) * kChunkBytes]; }
  ChunkInfo& Info(uint32_t chunk) { return info_[chunk]; }
  uint32_t End(uint32_t chunk) const { return info_[chunk].seq + info_[chunk].length; }

  uint32_t total_;
  uint32_t free_count_ = 0;
  uint32_t free_head_ = kNoChunk;
  std::vector<uint8_t> storage_;
  std::vector<ChunkInfo> info_;  // indexed by chunk id; entry 0 is unused
};

// Outcome of one segment, as flags the caller may turn into anomalies.
enum SegmentOutcome : uint8_t {
  kDelivered = 0x01,  // some bytes were passed to the sink
  kHeld = 0x02,       // some bytes were held out of order
  kRetransmission = 0x04,
  kConflict = 0x08,    // overlapping bytes differed from the held copy
  kGapSkipped = 0x10,  // a hole was skipped and reported to the sink
  kDropped = 0x20,     // bytes could not be held (pool exhausted, or segment out of window)
};

// Receives the ordered stream. Implemented by the HTTP layer.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // `data` points into the caller's packet or into a pool chunk: valid only during the call.
  virtual void OnData(const uint8_t* data, uint32_t length) = 0;
  // `length` bytes of the stream are missing and will never be delivered.
  virtual void OnGap(uint32_t length) = 0;
};

struct StreamLimits {
  // Out-of-order bytes one direction may hold. The stream may also use at most
  // ceil(max_held_bytes / kChunkBytes) chunks, so scattered small segments reach the limit sooner.
  uint32_t max_held_bytes = 256 * 1024;
  // Copy of held bytes that wins when a later segment repeats them (the destination's behaviour).
  OverlapPolicy overlap = OverlapPolicy::kFirst;
};

// The receivers of one destination network and the overlap policy their stacks follow.
struct OverlapNetwork {
  uint8_t address[16];    // network address with host bits zero; IPv4 in the first 4 bytes
  uint8_t ip_version;     // 4 or 6
  uint8_t prefix_length;  // 0 to 32 (IPv4) or 128 (IPv6)
  OverlapPolicy policy;
};

// Overlap policy per destination network, built at startup. Lookup scans every entry (the
// longest matching prefix wins), so it is called once per new flow, never per packet.
struct OverlapPolicyTable {
  OverlapPolicy default_policy = OverlapPolicy::kFirst;
  std::vector<OverlapNetwork> networks;

  // `address` as decode::DecodedPacket stores it: IPv4 in the first 4 bytes. Allocates nothing.
  OverlapPolicy Lookup(uint8_t ip_version, const uint8_t* address) const;
};

// One direction of a TCP connection, 20 bytes. An all-zero TcpStream is a valid unstarted stream,
// so flow tables may preallocate it zero-filled. It takes pool chunks only while bytes are held.
class TcpStream {
 public:
  // Sets the initial sequence number from a SYN: the next expected byte is isn + 1.
  // Call on a stream that holds no data (new, or after Release).
  void StartFromSyn(uint32_t isn);
  // Starts at `seq` (capture began mid-connection, or SYN not seen). Same precondition.
  void StartAt(uint32_t seq);
  bool started() const { return started_; }
  uint32_t next_seq() const { return next_seq_; }
  uint32_t held_bytes() const { return held_bytes_; }

  // Adds a segment's payload. In-order bytes and any held bytes they make contiguous go to
  // `sink` at once; later bytes are held. An unstarted stream starts at the first segment that
  // carries data. Returns SegmentOutcome flags (0 for an empty segment).
  uint8_t AddSegment(uint32_t seq, const uint8_t* data, uint32_t length, SegmentPool& pool,
                     const StreamLimits& limits, StreamSink& sink, ReassemblyCounters& counters);

  // Delivers everything held, reporting each hole as a gap. Called when the connection closes.
  void Flush(SegmentPool& pool, StreamSink& sink, ReassemblyCounters& counters);

  // The receiver acknowledged everything before `acked`, so holes before it will never fill
  // (the capture lost those bytes): each is reported as a gap and the held bytes after it are
  // delivered. Holes at or after `acked` stay open.
  void SkipAcknowledgedHoles(uint32_t acked, SegmentPool& pool, StreamSink& sink,
                             ReassemblyCounters& counters);

  // Returns every held chunk to the pool and resets the stream.
  void Release(SegmentPool& pool);

 private:
  // Bytes and chunks a segment would add to the held list.
  struct HoleCount {
    uint32_t bytes;
    uint32_t chunks;
  };

  uint8_t AddSegmentSlow(uint32_t seq, const uint8_t* data, uint32_t length, SegmentPool& pool,
                         const StreamLimits& limits, StreamSink& sink,
                         ReassemblyCounters& counters);
  uint8_t DeliverInOrder(const uint8_t* data, uint32_t length, bool compare, SegmentPool& pool,
                         StreamSink& sink, ReassemblyCounters& counters);
  uint8_t HoldOutOfOrder(uint32_t seq, const uint8_t* data, uint32_t length, SegmentPool& pool,
                         const StreamLimits& limits, StreamSink& sink,
                         ReassemblyCounters& counters);
  HoleCount ScanHeld(uint32_t seq, const uint8_t* data, uint32_t length, SegmentPool& pool,
                     bool* conflict) const;
  bool FillHoles(uint32_t seq, const uint8_t* data, uint32_t length, SegmentPool& pool);
  bool OverwriteHeld(uint32_t seq, const uint8_t* data, uint32_t length, SegmentPool& pool);
  bool Fits(const HoleCount& need, const StreamLimits& limits) const;
  void SkipOldestHole(uint32_t seq, SegmentPool& pool, StreamSink& sink,
                      ReassemblyCounters& counters);
  void DeliverHeadChunk(SegmentPool& pool, StreamSink& sink);
  void DrainContiguous(SegmentPool& pool, StreamSink& sink);

  // Every member is zero in a new stream. Invariant: held chunks lie after next_seq_, and the
  // first one never starts at next_seq_ (it would have been delivered).
  uint32_t next_seq_ = 0;
  uint32_t held_head_ = SegmentPool::kNoChunk;  // first chunk of the held list
  uint32_t held_bytes_ = 0;
  uint32_t held_chunks_ = 0;
  bool started_ = false;

  friend struct TcpStreamTestPeer;
};

}  // namespace sluice::reassembly
