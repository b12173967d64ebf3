#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace sluice::gen {

using MacAddress = std::array<uint8_t, 6>;

// An IPv4 address (first four bytes used) or an IPv6 address.
struct IpAddress {
  bool is_v6 = false;
  std::array<uint8_t, 16> bytes{};
};

// TCP header flag bits (RFC 9293 section 3.1).
enum TcpFlag : uint8_t {
  kFin = 0x01,
  kSyn = 0x02,
  kRst = 0x04,
  kPsh = 0x08,
  kAck = 0x10,
};

// One side of a TCP connection as it appears in the frames it sends.
struct FrameSource {
  MacAddress mac{};
  IpAddress ip;
  uint16_t port = 0;
  uint8_t ttl = 64;         // TTL or hop limit as seen at the capture point.
  uint32_t flow_label = 0;  // IPv6 only.
};

struct TcpSegmentFields {
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  uint16_t ip_id = 0;                // IPv4 only.
  std::span<const uint8_t> options;  // Length must be a multiple of 4.
  std::span<const uint8_t> payload;
};

// Appends one Ethernet II + IPv4/IPv6 + TCP frame to `out` with valid IPv4 header and TCP
// checksums. Frames shorter than the 60-byte Ethernet minimum get zero padding after the IP
// packet, as a tap on the wire records them. Returns the frame length.
size_t AppendTcpFrame(const FrameSource& source, const FrameSource& destination,
                      const TcpSegmentFields& segment, std::vector<uint8_t>& out);

// RFC 1071 Internet checksum of `data`, folded and complemented.
uint16_t InternetChecksum(std::span<const uint8_t> data, uint32_t initial_sum = 0);

}  // namespace sluice::gen
