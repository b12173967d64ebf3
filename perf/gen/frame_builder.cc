#include "perf/gen/frame_builder.h"

#include <cstring>

namespace sluice::gen {
namespace {

constexpr size_t kEthernetHeader = 14;
constexpr size_t kIpv4Header = 20;
constexpr size_t kIpv6Header = 40;
constexpr size_t kTcpHeader = 20;
constexpr size_t kMinimumFrame = 60;  // 64 bytes on the wire minus the 4-byte FCS.
constexpr uint8_t kProtocolTcp = 6;

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void Put32(uint8_t* p, uint32_t v) {
  Put16(p, static_cast<uint16_t>(v >> 16));
  Put16(p + 2, static_cast<uint16_t>(v));
}

uint32_t SumWords(std::span<const uint8_t> data, uint32_t sum) {
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += (static_cast<uint32_t>(data[i]) << 8) | data[i + 1];
  if (i < data.size()) sum += static_cast<uint32_t>(data[i]) << 8;
  return sum;
}

// Sum of the TCP pseudo-header (RFC 9293 section 3.1 for IPv4, RFC 8200 section 8.1 for IPv6).
uint32_t PseudoHeaderSum(const IpAddress& source, const IpAddress& destination, size_t tcp_length) {
  const size_t address_length = source.is_v6 ? 16 : 4;
  uint32_t sum = SumWords({source.bytes.data(), address_length}, 0);
  sum = SumWords({destination.bytes.data(), address_length}, sum);
  return sum + kProtocolTcp + static_cast<uint32_t>(tcp_length);
}

void WriteIpv4Header(const FrameSource& source, const FrameSource& destination, uint16_t ip_id,
                     size_t tcp_length, uint8_t* p) {
  p[0] = 0x45;
  p[1] = 0;
  Put16(p + 2, static_cast<uint16_t>(kIpv4Header + tcp_length));
  Put16(p + 4, ip_id);
  Put16(p + 6, 0x4000);  // Don't Fragment, as TCP stacks with path MTU discovery send.
  p[8] = source.ttl;
  p[9] = kProtocolTcp;
  Put16(p + 10, 0);
  std::memcpy(p + 12, source.ip.bytes.data(), 4);
  std::memcpy(p + 16, destination.ip.bytes.data(), 4);
  Put16(p + 10, InternetChecksum({p, kIpv4Header}));
}

void WriteIpv6Header(const FrameSource& source, const FrameSource& destination, size_t tcp_length,
                     uint8_t* p) {
  Put32(p, 0x60000000u | (source.flow_label & 0xfffff));
  Put16(p + 4, static_cast<uint16_t>(tcp_length));
  p[6] = kProtocolTcp;
  p[7] = source.ttl;
  std::memcpy(p + 8, source.ip.bytes.data(), 16);
  std::memcpy(p + 24, destination.ip.bytes.data(), 16);
}

void WriteTcpHeader(const FrameSource& source, const FrameSource& destination,
                    const TcpSegmentFields& segment, uint8_t* p) {
  const size_t header_length = kTcpHeader + segment.options.size();
  Put16(p, source.port);
  Put16(p + 2, destination.port);
  Put32(p + 4, segment.seq);
  Put32(p + 8, segment.ack);
  p[12] = static_cast<uint8_t>((header_length / 4) << 4);
  p[13] = segment.flags;
  Put16(p + 14, segment.window);
  Put16(p + 16, 0);
  Put16(p + 18, 0);
  if (!segment.options.empty()) {
    std::memcpy(p + kTcpHeader, segment.options.data(), segment.options.size());
  }
  if (!segment.payload.empty()) {
    std::memcpy(p + header_length, segment.payload.data(), segment.payload.size());
  }
  const size_t tcp_length = header_length + segment.payload.size();
  const uint32_t pseudo = PseudoHeaderSum(source.ip, destination.ip, tcp_length);
  Put16(p + 16, InternetChecksum({p, tcp_length}, pseudo));
}

}  // namespace

uint16_t InternetChecksum(std::span<const uint8_t> data, uint32_t initial_sum) {
  uint64_t sum = SumWords(data, initial_sum);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

size_t AppendTcpFrame(const FrameSource& source, const FrameSource& destination,
                      const TcpSegmentFields& segment, std::vector<uint8_t>& out) {
  const bool is_v6 = source.ip.is_v6;
  const size_t ip_header = is_v6 ? kIpv6Header : kIpv4Header;
  const size_t tcp_length = kTcpHeader + segment.options.size() + segment.payload.size();
  const size_t packet_length = kEthernetHeader + ip_header + tcp_length;
  const size_t frame_length = packet_length < kMinimumFrame ? kMinimumFrame : packet_length;

  const size_t start = out.size();
  out.resize(start + frame_length, 0);
  uint8_t* p = out.data() + start;

  std::memcpy(p, destination.mac.data(), 6);
  std::memcpy(p + 6, source.mac.data(), 6);
  Put16(p + 12, is_v6 ? 0x86dd : 0x0800);
  p += kEthernetHeader;

  if (is_v6) {
    WriteIpv6Header(source, destination, tcp_length, p);
  } else {
    WriteIpv4Header(source, destination, segment.ip_id, tcp_length, p);
  }
  WriteTcpHeader(source, destination, segment, p + ip_header);
  return frame_length;
}

}  // namespace sluice::gen
