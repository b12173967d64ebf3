// The shipped sample capture (samples/api-sample.pcap), loaded once into memory and cut into the
// shapes the stage benchmarks feed: whole frames, and per-direction TCP payload segments.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::perf {

struct SampleSegment {
  uint32_t seq = 0;
  std::vector<uint8_t> payload;
};

// One direction of one TCP connection, payload segments in capture order. The sample has no loss
// or reordering, so `bytes` (the payloads joined) is the exact stream the peer received.
struct SampleStream {
  bool to_server = true;
  bool has_head_request = false;  // set on both directions of a connection that sent HEAD
  std::vector<SampleSegment> segments;
  std::string bytes;
};

struct SampleCapture {
  uint32_t link_type = 0;
  std::vector<std::vector<uint8_t>> frames;
  std::vector<uint64_t> timestamps_ns;
  uint64_t frame_bytes = 0;
  std::vector<SampleStream> streams;
};

// Path of the sample: $SLUICE_SAMPLE_PCAP when set, else the copy in the source tree.
std::string SamplePcapPath();

// Loads the sample once per process. Exits with a message naming the path when it cannot be read,
// because no benchmark result means anything without its input.
const SampleCapture& LoadSampleCapture();

}  // namespace sluice::perf
