// Whole-pipeline replay for benchmarks: a capture is loaded into memory once and fed to the
// workers again and again for a fixed time. Each loop shifts every IP address by the loop
// number (both directions alike, checksums updated), so each loop brings new flows, and moves
// timestamps past the previous loop's end, so timers see time advance.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/app/offline_reader.h"
#include "dataplane/app/pipeline.h"
#include "dataplane/capture/pcap_reader.h"

namespace sluice::app {

class ReplayReader {
 public:
  // Reads the whole capture into memory. Fails on a read error or when it passes `max_bytes`.
  bool Load(capture::PcapReader& reader, uint64_t max_bytes, std::string* error);
  // Replays for `seconds` of wall time (at least one whole loop).
  void Run(Pipeline& pipeline, double seconds, ReaderCounters* counters);
  uint64_t loops() const { return loops_; }
  size_t frames() const { return frames_.size(); }

 private:
  struct Frame {
    uint32_t offset;
    uint32_t length;
    uint64_t ts_ns;
    uint16_t l3_offset;     // 0 when the frame carries no IP packet to rewrite
    uint16_t l4_offset;     // 0 when there is no TCP or UDP checksum to update
    uint8_t ip_version;
    uint8_t l4_protocol;
    uint32_t spread_hash;   // the loop's rewrite keeps the worker choice stable
  };
  void Rewrite(const Frame& frame, uint8_t* data, uint16_t shift) const;

  std::vector<uint8_t> bytes_;
  std::vector<Frame> frames_;
  uint32_t link_type_ = 0;
  uint64_t duration_ns_ = 0;
  uint64_t loops_ = 0;
};

}  // namespace sluice::app
