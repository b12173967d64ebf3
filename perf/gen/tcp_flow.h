#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "perf/gen/frame_builder.h"

namespace sluice::gen {

// A frame of one connection, stored in ConnectionTrace::bytes at [offset, offset + length).
struct TraceFrame {
  int64_t timestamp_ns;
  uint32_t offset;
  uint32_t length;
  uint32_t order;  // Creation order, the tie-breaker for equal timestamps.
};

// All frames of one connection. The simulator creates them out of time order (a delayed ACK is
// known only after the segments that follow it), so SortByTime() runs before they are written.
struct ConnectionTrace {
  std::vector<uint8_t> bytes;
  std::vector<TraceFrame> frames;
  size_t cursor = 0;  // Next frame to write.

  void SortByTime();
};

enum class Side { kClient, kServer };

struct TcpEndpointConfig {
  FrameSource frame;
  uint32_t isn = 0;
  uint16_t syn_window = 64240;
  uint16_t window = 1024;  // Window field after the handshake, already scaled down.
  std::vector<uint8_t> syn_options;
  uint16_t ip_id = 0;  // First IPv4 identification value; it counts up per frame.
};

// Sequence-number state of one TCP connection (RFC 9293): SYN and FIN take one sequence number,
// payload bytes take one each, and uint32_t arithmetic wraps at 2^32 as the protocol does.
class TcpFlow {
 public:
  TcpFlow(TcpEndpointConfig client, TcpEndpointConfig server, ConnectionTrace* trace);

  // Appends one segment sent by `side`, seen at the capture point at `timestamp_ns`. The ACK
  // field carries `ack` when `flags` has kAck, zero otherwise.
  void Send(Side side, int64_t timestamp_ns, uint8_t flags, std::span<const uint8_t> payload,
            uint32_t ack);

  uint32_t next_seq(Side side) const { return Endpoint(side).next_seq; }
  uint64_t payload_bytes() const { return payload_bytes_; }

 private:
  struct EndpointState {
    TcpEndpointConfig config;
    uint32_t next_seq;
    uint16_t ip_id;
  };

  const EndpointState& Endpoint(Side side) const {
    return side == Side::kClient ? client_ : server_;
  }

  EndpointState client_;
  EndpointState server_;
  ConnectionTrace* trace_;
  uint64_t payload_bytes_ = 0;
};

}  // namespace sluice::gen
