// libFuzzer target for TcpStream. The input is a list of 6-byte operations, each a segment
// (offset, length) of one reference stream, or a Flush. Content always matches the reference, so
// every delivered byte must equal the reference byte at its stream offset, whatever the order,
// overlap, limits or pool size. Abort on any mismatch or leaked chunk.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dataplane/reassembly/tcp_reassembler.h"

namespace {

using sluice::reassembly::ReassemblyCounters;
using sluice::reassembly::SegmentPool;
using sluice::reassembly::StreamLimits;
using sluice::reassembly::StreamSink;
using sluice::reassembly::TcpStream;

constexpr uint32_t kStreamBytes = 1 << 18;

uint8_t ReferenceByte(uint32_t offset) {
  uint32_t x = offset * 0x9E3779B1u;
  x ^= x >> 15;
  return static_cast<uint8_t>(x * 0x85EBCA77u >> 24);
}

// Checks each delivered byte against the reference as it arrives.
class CheckingSink : public StreamSink {
 public:
  void OnData(const uint8_t* data, uint32_t length) override {
    if (length == 0) abort();
    for (uint32_t i = 0; i < length; ++i) {
      if (data[i] != ReferenceByte(position_ + i)) abort();
    }
    position_ += length;
  }
  void OnGap(uint32_t length) override {
    if (length == 0) abort();
    position_ += length;
  }
  uint32_t position() const { return position_; }

 private:
  uint32_t position_ = 0;
};

uint32_t Read16(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  static std::vector<uint8_t> reference = [] {
    std::vector<uint8_t> bytes(kStreamBytes + 70000);
    for (uint32_t i = 0; i < bytes.size(); ++i) bytes[i] = ReferenceByte(i);
    return bytes;
  }();
  if (size < 6) return 0;

  // The first bytes choose the ISN, the pool size and the hold limit.
  const uint32_t isn =
      static_cast<uint32_t>(input[0]) << 24 | 0x00FFFF00u * (input[1] & 1) | input[1];
  SegmentPool pool(input[2] % 40);
  const StreamLimits limits{static_cast<uint32_t>(input[3]) * 1024 + input[4]};
  const uint32_t max_chunks =
      (limits.max_held_bytes + SegmentPool::kChunkBytes - 1) / SegmentPool::kChunkBytes;
  input += 6;
  size -= 6;

  CheckingSink sink;
  ReassemblyCounters counters;
  TcpStream stream{};
  stream.StartAt(isn);
  for (; size >= 6; input += 6, size -= 6) {
    if (input[0] == 0xFF) {
      stream.Flush(pool, sink, counters);
      if (pool.free_chunks() != pool.total_chunks()) abort();
      continue;
    }
    // Offsets cluster near the stream position, so overlaps and holes are common.
    const uint32_t offset = (sink.position() + Read16(input + 1) * (input[0] & 7)) % kStreamBytes;
    const uint32_t length = Read16(input + 3) % (input[5] & 1 ? 65536 : 3000);
    stream.AddSegment(isn + offset, reference.data() + offset, length, pool, limits, sink,
                      counters);
    if (stream.held_bytes() > limits.max_held_bytes) abort();
    if (pool.total_chunks() - pool.free_chunks() > max_chunks) abort();
    if (stream.next_seq() != isn + sink.position()) abort();
  }
  stream.Flush(pool, sink, counters);
  stream.Release(pool);
  if (pool.free_chunks() != pool.total_chunks()) abort();
  return 0;
}
