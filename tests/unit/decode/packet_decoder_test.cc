// Unit tests for the L2-L4 decoder. The helpers below build the frames, and the checksums they
// write come from a 16-bit reference implementation that shares no code with the decoder.
#include "dataplane/decode/packet_decoder.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sluice::decode {
namespace {

using Bytes = std::vector<uint8_t>;
using Ipv4Address = std::array<uint8_t, 4>;
using Ipv6Address = std::array<uint8_t, 16>;

constexpr Ipv4Address kClientV4 = {192, 0, 2, 1};
constexpr Ipv4Address kServerV4 = {198, 51, 100, 2};
constexpr Ipv6Address kClientV6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr Ipv6Address kServerV6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
constexpr char kHttpRequest[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

// ---------------------------------------------------------------------------------------------
// Frame builders.

void Put16(Bytes* out, uint16_t value) {
  out->push_back(static_cast<uint8_t>(value >> 8));
  out->push_back(static_cast<uint8_t>(value));
}

void Put32(Bytes* out, uint32_t value) {
  Put16(out, static_cast<uint16_t>(value >> 16));
  Put16(out, static_cast<uint16_t>(value));
}

void Append(Bytes* out, const Bytes& tail) { out->insert(out->end(), tail.begin(), tail.end()); }

template <size_t N>
void Append(Bytes* out, const std::array<uint8_t, N>& tail) {
  out->insert(out->end(), tail.begin(), tail.end());
}

Bytes ToBytes(const char* text) { return Bytes(text, text + std::strlen(text)); }

// RFC 1071 checksum over big-endian 16-bit words: the reference the decoder is checked against.
uint16_t ReferenceChecksum(const Bytes& data) {
  uint32_t sum = 0;
  for (size_t i = 0; i < data.size(); i += 2) {
    const uint32_t high = data[i];
    const uint32_t low = i + 1 < data.size() ? data[i + 1] : 0;
    sum += (high << 8) | low;
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

struct TcpSpec {
  uint16_t src_port = 1234;
  uint16_t dst_port = 80;
  uint32_t seq = 0x01020304;
  uint32_t ack = 0xfffffff0;
  uint8_t flags = kTcpAck | kTcpPsh;
  uint16_t window = 0xfedc;
  Bytes options;                             // a multiple of 4 bytes
  std::optional<uint8_t> data_offset_words;  // overrides the computed data offset
  Bytes payload = ToBytes(kHttpRequest);
};

// Builds a TCP segment with a zero checksum. The IP builders fill it in.
Bytes TcpSegment(const TcpSpec& spec) {
  Bytes out;
  Put16(&out, spec.src_port);
  Put16(&out, spec.dst_port);
  Put32(&out, spec.seq);
  Put32(&out, spec.ack);
  const uint8_t words = spec.data_offset_words.value_or(
      static_cast<uint8_t>((20 + spec.options.size()) / 4));
  out.push_back(static_cast<uint8_t>(words << 4));
  out.push_back(spec.flags);
  Put16(&out, spec.window);
  Put16(&out, 0);  // checksum
  Put16(&out, 0);  // urgent pointer
  Append(&out, spec.options);
  Append(&out, spec.payload);
  return out;
}

Bytes UdpDatagram(uint16_t src_port, uint16_t dst_port, const Bytes& payload) {
  Bytes out;
  Put16(&out, src_port);
  Put16(&out, dst_port);
  Put16(&out, static_cast<uint16_t>(8 + payload.size()));
  Put16(&out, 0);
  Append(&out, payload);
  return out;
}

Bytes IcmpEcho() { return {8, 0, 0xf7, 0xff, 0, 0, 0, 0}; }

void FillTcpChecksum(const Bytes& pseudo_header, Bytes* segment) {
  if (segment->size() < 20) return;
  (*segment)[16] = 0;
  (*segment)[17] = 0;
  Bytes summed = pseudo_header;
  Append(&summed, *segment);
  const uint16_t checksum = ReferenceChecksum(summed);
  (*segment)[16] = static_cast<uint8_t>(checksum >> 8);
  (*segment)[17] = static_cast<uint8_t>(checksum);
}

struct Ipv4Spec {
  uint8_t protocol = 6;
  Bytes options;                          // a multiple of 4 bytes
  uint16_t flags_and_offset = 0x4000;     // DF set, not a fragment
  Ipv4Address src = kClientV4;
  Ipv4Address dst = kServerV4;
  uint8_t version = 4;
  std::optional<uint8_t> ihl_words;       // overrides the computed header length
  std::optional<uint16_t> total_length;   // overrides the computed total length
};

Bytes Ipv4Packet(const Ipv4Spec& spec, Bytes l4) {
  if (spec.protocol == 6) {
    Bytes pseudo;
    Append(&pseudo, spec.src);
    Append(&pseudo, spec.dst);
    pseudo.push_back(0);
    pseudo.push_back(6);
    Put16(&pseudo, static_cast<uint16_t>(l4.size()));
    FillTcpChecksum(pseudo, &l4);
  }
  const size_t header_length = 20 + spec.options.size();
  Bytes out;
  out.push_back(static_cast<uint8_t>(
      (spec.version << 4) | spec.ihl_words.value_or(static_cast<uint8_t>(header_length / 4))));
  out.push_back(0);
  Put16(&out, spec.total_length.value_or(static_cast<uint16_t>(header_length + l4.size())));
  Put16(&out, 0x1234);  // identification
  Put16(&out, spec.flags_and_offset);
  out.push_back(64);
  out.push_back(spec.protocol);
  Put16(&out, 0);  // header checksum
  Append(&out, spec.src);
  Append(&out, spec.dst);
  Append(&out, spec.options);
  const uint16_t checksum = ReferenceChecksum(out);
  out[10] = static_cast<uint8_t>(checksum >> 8);
  out[11] = static_cast<uint8_t>(checksum);
  Append(&out, l4);
  return out;
}

struct Ipv6Spec {
  Bytes extension_headers;  // already chained, and first_next_header names the first
  uint8_t first_next_header = 6;
  uint8_t upper_protocol = 6;
  Ipv6Address src = kClientV6;
  Ipv6Address dst = kServerV6;
  std::optional<uint16_t> payload_length;
};

Bytes Ipv6Packet(const Ipv6Spec& spec, Bytes l4) {
  if (spec.upper_protocol == 6) {
    Bytes pseudo;
    Append(&pseudo, spec.src);
    Append(&pseudo, spec.dst);
    Put32(&pseudo, static_cast<uint32_t>(l4.size()));
    Put32(&pseudo, 6);
    FillTcpChecksum(pseudo, &l4);
  }
  Bytes out = {0x60, 0, 0, 0};
  Put16(&out, spec.payload_length.value_or(
                  static_cast<uint16_t>(spec.extension_headers.size() + l4.size())));
  out.push_back(spec.first_next_header);
  out.push_back(64);
  Append(&out, spec.src);
  Append(&out, spec.dst);
  Append(&out, spec.extension_headers);
  Append(&out, l4);
  return out;
}

// Hop-by-hop, routing or destination options header of (length_units + 1) * 8 bytes. The zero
// fill reads as Pad1 options.
Bytes Ipv6OptionsHeader(uint8_t next_header, uint8_t length_units = 0) {
  Bytes out((length_units + 1u) * 8, 0);
  out[0] = next_header;
  out[1] = length_units;
  return out;
}

Bytes Ipv6FragmentHeader(uint8_t next_header, uint16_t offset_units, bool more_fragments) {
  Bytes out = {next_header, 0};
  Put16(&out, static_cast<uint16_t>((offset_units << 3) | (more_fragments ? 1 : 0)));
  Put32(&out, 0xabcdef01);
  return out;
}

// Authentication header with a 12-byte ICV: 24 bytes, length field (24 / 4) - 2 = 4.
Bytes Ipv6AuthHeader(uint8_t next_header) {
  Bytes out(24, 0);
  out[0] = next_header;
  out[1] = 4;
  return out;
}

Bytes Ethernet(uint16_t ether_type, const Bytes& payload, const std::vector<uint16_t>& tag_tpids = {}) {
  Bytes out = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
  for (size_t i = 0; i < tag_tpids.size(); ++i) {
    Put16(&out, tag_tpids[i]);
    Put16(&out, static_cast<uint16_t>(100 + i));  // TCI: VLAN ID
  }
  Put16(&out, ether_type);
  Append(&out, payload);
  return out;
}

Bytes PppoeSession(uint16_t ppp_protocol, const Bytes& payload, uint8_t version_type = 0x11,
                   uint8_t code = 0, uint16_t extra_length = 0) {
  Bytes out = {version_type, code};
  Put16(&out, 0x0042);  // session id
  Put16(&out, static_cast<uint16_t>(payload.size() + 2 + extra_length));
  Put16(&out, ppp_protocol);
  Append(&out, payload);
  return out;
}

// PPPoE session with a one-byte PPP protocol field (Protocol-Field-Compression).
Bytes PppoeCompressed(uint8_t ppp_protocol, const Bytes& payload) {
  Bytes out = {0x11, 0};
  Put16(&out, 0x0042);
  Put16(&out, static_cast<uint16_t>(payload.size() + 1));
  out.push_back(ppp_protocol);
  Append(&out, payload);
  return out;
}

Bytes NullFrame(uint32_t family, bool little_endian, const Bytes& payload) {
  Bytes out;
  if (little_endian) {
    out = {static_cast<uint8_t>(family), static_cast<uint8_t>(family >> 8),
           static_cast<uint8_t>(family >> 16), static_cast<uint8_t>(family >> 24)};
  } else {
    Put32(&out, family);
  }
  Append(&out, payload);
  return out;
}

Bytes SllFrame(uint16_t protocol, const Bytes& payload) {
  Bytes out;
  Put16(&out, 0);      // packet type: to us
  Put16(&out, 1);      // ARPHRD_ETHER
  Put16(&out, 6);      // address length
  Append(&out, Bytes{0x02, 0, 0, 0, 0, 1, 0, 0});
  Put16(&out, protocol);
  Append(&out, payload);
  return out;
}

Bytes Sll2Frame(uint16_t protocol, const Bytes& payload) {
  Bytes out;
  Put16(&out, protocol);
  Put16(&out, 0);      // reserved
  Put32(&out, 2);      // interface index
  Put16(&out, 1);      // ARPHRD_ETHER
  out.push_back(0);    // packet type
  out.push_back(6);    // address length
  Append(&out, Bytes{0x02, 0, 0, 0, 0, 1, 0, 0});
  Append(&out, payload);
  return out;
}

Bytes ArpRequest() {
  Bytes out = {0, 1, 8, 0, 6, 4, 0, 1};
  out.resize(28, 0);
  return out;
}

Bytes V4Tcp() { return Ipv4Packet({}, TcpSegment({})); }
Bytes V6Tcp() { return Ipv6Packet({}, TcpSegment({})); }

// The buffer the last Decode() call decoded from. The packet's pointers point into it and stay
// valid until the next Decode() call.
Bytes& LastDecodedFrame() {
  static Bytes buffer;
  return buffer;
}

// Decodes a copy of `frame` held in a buffer of exactly its size, so a sanitizer build catches any
// read past the end.
DecodeResult Decode(uint32_t link_type, const Bytes& frame, DecodedPacket* out,
                    bool verify_checksums = false) {
  LastDecodedFrame() = Bytes(frame);  // a copy-constructed vector has capacity == size
  const Bytes& exact = LastDecodedFrame();
  DecodeOptions options;
  options.verify_checksums = verify_checksums;
  const uint8_t* data = exact.empty() ? nullptr : exact.data();
  return DecodeFrame(link_type, data, static_cast<uint32_t>(exact.size()), options, out);
}

std::string PayloadOf(const DecodedPacket& packet) {
  return std::string(reinterpret_cast<const char*>(packet.payload), packet.payload_length);
}

// ---------------------------------------------------------------------------------------------
// Link layers.

struct FrameCase {
  const char* name;
  uint32_t link_type;
  Bytes frame;
  DecodeResult expected;
  uint8_t ip_version = 0;  // expected; 0 where no IP header is reached
  uint8_t vlan_count = 0;
  bool pppoe = false;
};

std::vector<FrameCase> LinkCases() {
  const std::vector<uint16_t> four_tags = {0x88a8, 0x8100, 0x9100, 0x8100};
  const std::vector<uint16_t> five_tags = {0x88a8, 0x8100, 0x9100, 0x8100, 0x8100};
  return {
      {"ethernet ipv4", kLinkEthernet, Ethernet(0x0800, V4Tcp()), DecodeResult::kTcp, 4},
      {"ethernet ipv6", kLinkEthernet, Ethernet(0x86dd, V6Tcp()), DecodeResult::kTcp, 6},
      {"802.1q", kLinkEthernet, Ethernet(0x0800, V4Tcp(), {0x8100}), DecodeResult::kTcp, 4, 1},
      {"802.1ad qinq", kLinkEthernet, Ethernet(0x86dd, V6Tcp(), {0x88a8, 0x8100}),
       DecodeResult::kTcp, 6, 2},
      {"0x9100 qinq", kLinkEthernet, Ethernet(0x0800, V4Tcp(), {0x9100, 0x8100}),
       DecodeResult::kTcp, 4, 2},
      {"four tags", kLinkEthernet, Ethernet(0x0800, V4Tcp(), four_tags), DecodeResult::kTcp, 4, 4},
      {"five tags", kLinkEthernet, Ethernet(0x0800, V4Tcp(), five_tags),
       DecodeResult::kTooManyVlanTags, 0, 4},
      {"vlan then arp", kLinkEthernet, Ethernet(0x0806, ArpRequest(), {0x8100}),
       DecodeResult::kNotIp, 0, 1},
      {"arp", kLinkEthernet, Ethernet(0x0806, ArpRequest()), DecodeResult::kNotIp},
      {"lldp", kLinkEthernet, Ethernet(0x88cc, Bytes(20, 0)), DecodeResult::kNotIp},
      {"802.3 length field", kLinkEthernet, Ethernet(0x0000, V4Tcp()), DecodeResult::kNotIp},
      {"pppoe ipv4", kLinkEthernet, Ethernet(0x8864, PppoeSession(0x0021, V4Tcp())),
       DecodeResult::kTcp, 4, 0, true},
      {"pppoe ipv6", kLinkEthernet, Ethernet(0x8864, PppoeSession(0x0057, V6Tcp())),
       DecodeResult::kTcp, 6, 0, true},
      {"pppoe compressed protocol", kLinkEthernet,
       Ethernet(0x8864, PppoeCompressed(0x21, V4Tcp())), DecodeResult::kTcp, 4, 0, true},
      {"pppoe compressed ipv6", kLinkEthernet,
       Ethernet(0x8864, PppoeCompressed(0x57, V6Tcp())), DecodeResult::kTcp, 6, 0, true},
      {"pppoe length past frame", kLinkEthernet,
       Ethernet(0x8864, PppoeSession(0x0021, V4Tcp(), 0x11, 0, 200)), DecodeResult::kBadPppoe},
      {"vlan pppoe", kLinkEthernet, Ethernet(0x8864, PppoeSession(0x0021, V4Tcp()), {0x8100}),
       DecodeResult::kTcp, 4, 1, true},
      {"pppoe lcp", kLinkEthernet, Ethernet(0x8864, PppoeSession(0xc021, Bytes(10, 0))),
       DecodeResult::kBadPppoe, 0, 0, true},
      {"pppoe bad version", kLinkEthernet,
       Ethernet(0x8864, PppoeSession(0x0021, V4Tcp(), 0x21)), DecodeResult::kBadPppoe},
      {"pppoe bad code", kLinkEthernet,
       Ethernet(0x8864, PppoeSession(0x0021, V4Tcp(), 0x11, 0x09)), DecodeResult::kBadPppoe},
      {"pppoe discovery", kLinkEthernet, Ethernet(0x8863, Bytes(20, 0)), DecodeResult::kNotIp},
      {"null le inet", kLinkNull, NullFrame(2, true, V4Tcp()), DecodeResult::kTcp, 4},
      {"null be inet", kLinkNull, NullFrame(2, false, V4Tcp()), DecodeResult::kTcp, 4},
      {"null linux inet6", kLinkNull, NullFrame(10, true, V6Tcp()), DecodeResult::kTcp, 6},
      {"null netbsd inet6", kLinkNull, NullFrame(24, true, V6Tcp()), DecodeResult::kTcp, 6},
      {"null freebsd inet6", kLinkNull, NullFrame(28, false, V6Tcp()), DecodeResult::kTcp, 6},
      {"null macos inet6", kLinkNull, NullFrame(30, true, V6Tcp()), DecodeResult::kTcp, 6},
      {"null other family", kLinkNull, NullFrame(7, true, V4Tcp()), DecodeResult::kNotIp},
      {"null garbage family", kLinkNull, NullFrame(0x01020304, true, V4Tcp()),
       DecodeResult::kNotIp},
      {"loop inet", kLinkLoop, NullFrame(2, false, V4Tcp()), DecodeResult::kTcp, 4},
      {"loop inet6", kLinkLoop, NullFrame(24, false, V6Tcp()), DecodeResult::kTcp, 6},
      {"loop little endian", kLinkLoop, NullFrame(2, true, V4Tcp()), DecodeResult::kNotIp},
      {"raw ipv4", kLinkRaw, V4Tcp(), DecodeResult::kTcp, 4},
      {"raw ipv6", kLinkRaw, V6Tcp(), DecodeResult::kTcp, 6},
      {"dlt raw ipv4", kLinkDltRaw, V4Tcp(), DecodeResult::kTcp, 4},
      {"openbsd dlt raw ipv6", kLinkDltRawOpenBsd, V6Tcp(), DecodeResult::kTcp, 6},
      {"raw version 5", kLinkRaw, Ipv4Packet({.version = 5}, TcpSegment({})),
       DecodeResult::kBadIpVersion},
      {"raw empty", kLinkRaw, Bytes{}, DecodeResult::kTruncatedIp},
      {"ipv4 link", kLinkIpv4, V4Tcp(), DecodeResult::kTcp, 4},
      {"ipv6 link", kLinkIpv6, V6Tcp(), DecodeResult::kTcp, 6},
      {"ipv4 link carrying ipv6", kLinkIpv4, V6Tcp(), DecodeResult::kBadIpVersion},
      {"ipv6 link carrying ipv4", kLinkIpv6, Ipv4Packet({}, TcpSegment({.payload = Bytes(40, 1)})),
       DecodeResult::kBadIpVersion},
      {"ethernet ipv4 type carrying ipv6", kLinkEthernet, Ethernet(0x0800, V6Tcp()),
       DecodeResult::kBadIpVersion},
      {"sll ipv4", kLinkLinuxSll, SllFrame(0x0800, V4Tcp()), DecodeResult::kTcp, 4},
      {"sll ipv6", kLinkLinuxSll, SllFrame(0x86dd, V6Tcp()), DecodeResult::kTcp, 6},
      {"sll vlan", kLinkLinuxSll, SllFrame(0x8100, Bytes{0, 5, 0x08, 0x00}), DecodeResult::kTruncatedIp,
       0, 1},
      {"sll arp", kLinkLinuxSll, SllFrame(0x0806, ArpRequest()), DecodeResult::kNotIp},
      {"sll2 ipv4", kLinkLinuxSll2, Sll2Frame(0x0800, V4Tcp()), DecodeResult::kTcp, 4},
      {"sll2 ipv6", kLinkLinuxSll2, Sll2Frame(0x86dd, V6Tcp()), DecodeResult::kTcp, 6},
      {"sll2 arp", kLinkLinuxSll2, Sll2Frame(0x0806, ArpRequest()), DecodeResult::kNotIp},
      {"unsupported link", 105, V4Tcp(), DecodeResult::kNotIp},
      {"ethernet short", kLinkEthernet, Bytes(13, 0), DecodeResult::kTruncatedL2},
      {"null short", kLinkNull, Bytes{2, 0, 0}, DecodeResult::kTruncatedL2},
      {"loop short", kLinkLoop, Bytes{0, 0}, DecodeResult::kTruncatedL2},
      {"sll short", kLinkLinuxSll, Bytes(15, 0), DecodeResult::kTruncatedL2},
      {"sll2 short", kLinkLinuxSll2, Bytes(19, 0), DecodeResult::kTruncatedL2},
  };
}

TEST(DecodeFrameTest, LinkLayers) {
  for (const FrameCase& c : LinkCases()) {
    SCOPED_TRACE(c.name);
    DecodedPacket packet;
    EXPECT_EQ(DecodeResultName(Decode(c.link_type, c.frame, &packet)),
              std::string(DecodeResultName(c.expected)));
    EXPECT_EQ(packet.vlan_count, c.vlan_count);
    EXPECT_EQ(packet.pppoe, c.pppoe);
    EXPECT_EQ(packet.ip_version, c.ip_version);
    if (c.expected != DecodeResult::kTcp) continue;
    EXPECT_EQ(packet.l4_protocol, 6);
    EXPECT_EQ(packet.src_port, 1234);
    EXPECT_EQ(packet.dst_port, 80);
    EXPECT_EQ(PayloadOf(packet), kHttpRequest);
    if (c.ip_version == 4) {
      EXPECT_EQ(0, std::memcmp(packet.src_ip, kClientV4.data(), 4));
      EXPECT_EQ(0, std::memcmp(packet.dst_ip, kServerV4.data(), 4));
      EXPECT_EQ(packet.src_ip[4], 0);
    } else {
      EXPECT_EQ(0, std::memcmp(packet.src_ip, kClientV6.data(), 16));
      EXPECT_EQ(0, std::memcmp(packet.dst_ip, kServerV6.data(), 16));
    }
  }
}

TEST(DecodeFrameTest, LinkTypeNamesAndSupport) {
  const std::map<uint32_t, std::string> names = {
      {kLinkNull, "NULL"},        {kLinkEthernet, "EN10MB"}, {kLinkRaw, "RAW"},
      {kLinkDltRaw, "RAW"},       {kLinkDltRawOpenBsd, "RAW"}, {kLinkLoop, "LOOP"},
      {kLinkLinuxSll, "LINUX_SLL"}, {kLinkIpv4, "IPV4"},     {kLinkIpv6, "IPV6"},
      {kLinkLinuxSll2, "LINUX_SLL2"},
  };
  for (const auto& [link_type, name] : names) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(IsSupportedLinkType(link_type));
    EXPECT_EQ(LinkTypeName(link_type), name);
  }
  for (uint32_t unsupported : {2u, 9u, 105u, 127u, 0xffffffffu}) {
    EXPECT_FALSE(IsSupportedLinkType(unsupported)) << unsupported;
    EXPECT_STREQ(LinkTypeName(unsupported), "unknown");
  }
}

TEST(DecodeFrameTest, ResultNamesStableAndDistinct) {
  EXPECT_STREQ(DecodeResultName(DecodeResult::kTcp), "decode.tcp");
  EXPECT_STREQ(DecodeResultName(DecodeResult::kOtherL4), "decode.other_l4");
  EXPECT_STREQ(DecodeResultName(DecodeResult::kNotIp), "decode.not_ip");
  EXPECT_STREQ(DecodeResultName(DecodeResult::kFragment), "decode.fragment");
  EXPECT_STREQ(DecodeResultName(DecodeResult::kTruncatedL2), "decode.truncated_l2");
  EXPECT_STREQ(DecodeResultName(DecodeResult::kBadIpTotalLength), "decode.bad_ip_total_length");
  std::set<std::string> seen;
  for (int i = 0; i < static_cast<int>(DecodeResult::kCount); ++i) {
    const std::string name = DecodeResultName(static_cast<DecodeResult>(i));
    SCOPED_TRACE(name);
    EXPECT_EQ(name.rfind("decode.", 0), 0u);
    EXPECT_NE(name, "decode.unknown");
    EXPECT_TRUE(std::none_of(name.begin(), name.end(), [](char ch) { return std::isupper(ch); }));
    EXPECT_TRUE(seen.insert(name).second);
  }
}

// ---------------------------------------------------------------------------------------------
// IPv4.

TEST(DecodeFrameTest, Ipv4Cases) {
  const Bytes tcp = TcpSegment({});
  const Bytes udp = UdpDatagram(5353, 53, Bytes(12, 7));
  const Bytes nop_options = {1, 1, 1, 0};  // NOP NOP NOP EOL
  const Bytes long_options(40, 1);         // IHL 15
  Bytes padded = Ethernet(0x0800, Ipv4Packet({}, TcpSegment({.payload = ToBytes("hi")})));
  padded.resize(60, 0xee);  // Ethernet minimum frame, padded after the IP datagram
  struct Case {
    const char* name;
    Bytes frame;
    DecodeResult expected;
    uint8_t l4_protocol;
  };
  const std::vector<Case> cases = {
      {"options", Ethernet(0x0800, Ipv4Packet({.options = nop_options}, tcp)), DecodeResult::kTcp, 6},
      {"max options", Ethernet(0x0800, Ipv4Packet({.options = long_options}, tcp)),
       DecodeResult::kTcp, 6},
      {"ihl 4", Ethernet(0x0800, Ipv4Packet({.ihl_words = 4}, tcp)),
       DecodeResult::kBadIpHeaderLength, 6},
      {"ihl 0", Ethernet(0x0800, Ipv4Packet({.ihl_words = 0}, tcp)),
       DecodeResult::kBadIpHeaderLength, 6},
      {"ihl past end", Ethernet(0x0800, Ipv4Packet({.ihl_words = 15}, Bytes(8, 0))),
       DecodeResult::kBadIpHeaderLength, 6},
      {"total length past end", Ethernet(0x0800, Ipv4Packet({.total_length = 2000}, tcp)),
       DecodeResult::kBadIpTotalLength, 6},
      {"total length below header", Ethernet(0x0800, Ipv4Packet({.total_length = 19}, tcp)),
       DecodeResult::kBadIpTotalLength, 6},
      {"total length zero", Ethernet(0x0800, Ipv4Packet({.total_length = 0}, tcp)),
       DecodeResult::kBadIpTotalLength, 6},
      {"version 6 nibble", Ethernet(0x0800, Ipv4Packet({.version = 6}, tcp)),
       DecodeResult::kBadIpVersion, 0},
      {"first fragment", Ethernet(0x0800, Ipv4Packet({.flags_and_offset = 0x2000}, tcp)),
       DecodeResult::kFragment, 6},
      {"middle fragment", Ethernet(0x0800, Ipv4Packet({.flags_and_offset = 0x2000 | 185}, tcp)),
       DecodeResult::kFragment, 6},
      {"last fragment", Ethernet(0x0800, Ipv4Packet({.flags_and_offset = 370}, tcp)),
       DecodeResult::kFragment, 6},
      {"udp fragment", Ethernet(0x0800, Ipv4Packet({.protocol = 17, .flags_and_offset = 0x2000}, udp)),
       DecodeResult::kFragment, 17},
      {"dont fragment only", Ethernet(0x0800, Ipv4Packet({.flags_and_offset = 0x4000}, tcp)),
       DecodeResult::kTcp, 6},
      {"no flags", Ethernet(0x0800, Ipv4Packet({.flags_and_offset = 0}, tcp)), DecodeResult::kTcp, 6},
      {"udp", Ethernet(0x0800, Ipv4Packet({.protocol = 17}, udp)), DecodeResult::kOtherL4, 17},
      {"udp short header", Ethernet(0x0800, Ipv4Packet({.protocol = 17}, Bytes(7, 0))),
       DecodeResult::kOtherL4, 17},
      {"icmp", Ethernet(0x0800, Ipv4Packet({.protocol = 1}, IcmpEcho())), DecodeResult::kOtherL4, 1},
      {"gre", Ethernet(0x0800, Ipv4Packet({.protocol = 47}, Bytes(24, 0))), DecodeResult::kOtherL4,
       47},
      {"trailer padding", padded, DecodeResult::kTcp, 6},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    DecodedPacket packet;
    EXPECT_STREQ(DecodeResultName(Decode(kLinkEthernet, c.frame, &packet)),
                 DecodeResultName(c.expected));
    EXPECT_EQ(packet.l4_protocol, c.l4_protocol);
    if (c.expected == DecodeResult::kBadIpVersion) continue;
    // Addresses are filled as soon as the fixed header is there, for every later outcome.
    EXPECT_EQ(packet.ip_version, 4);
    EXPECT_EQ(0, std::memcmp(packet.src_ip, kClientV4.data(), 4));
    EXPECT_EQ(0, std::memcmp(packet.dst_ip, kServerV4.data(), 4));
  }
}

TEST(DecodeFrameTest, Ipv4OptionsSkippedToPayload) {
  const Bytes frame = Ethernet(0x0800, Ipv4Packet({.options = Bytes(12, 1)}, TcpSegment({})));
  DecodedPacket packet;
  ASSERT_EQ(Decode(kLinkEthernet, frame, &packet), DecodeResult::kTcp);
  EXPECT_EQ(packet.l3, LastDecodedFrame().data() + 14);
  EXPECT_EQ(packet.l3_length, 32u + 20u + std::strlen(kHttpRequest));
  EXPECT_EQ(packet.src_port, 1234);
  EXPECT_EQ(PayloadOf(packet), kHttpRequest);
}

TEST(DecodeFrameTest, TrailerPaddingExcluded) {
  Bytes frame = Ethernet(0x0800, Ipv4Packet({}, TcpSegment({.payload = ToBytes("hi")})));
  const size_t ip_length = frame.size() - 14;
  frame.resize(60, 0xee);
  DecodedPacket packet;
  ASSERT_EQ(Decode(kLinkEthernet, frame, &packet, true), DecodeResult::kTcp);
  EXPECT_EQ(PayloadOf(packet), "hi");
  EXPECT_EQ(packet.l3_length, ip_length);
  EXPECT_TRUE(packet.l4_checksum_ok);

  // A bare ACK: no payload at all, only padding.
  Bytes ack = Ethernet(0x0800, Ipv4Packet({}, TcpSegment({.flags = kTcpAck, .payload = {}})));
  ack.resize(60, 0);
  ASSERT_EQ(Decode(kLinkEthernet, ack, &packet), DecodeResult::kTcp);
  EXPECT_EQ(packet.payload_length, 0u);
  EXPECT_EQ(packet.tcp_flags, kTcpAck);

  // IPv6 padding is cut by the payload length the same way.
  Bytes v6 = Ethernet(0x86dd, Ipv6Packet({}, TcpSegment({.payload = ToBytes("x")})));
  v6.resize(v6.size() + 9, 0xee);
  ASSERT_EQ(Decode(kLinkEthernet, v6, &packet, true), DecodeResult::kTcp);
  EXPECT_EQ(PayloadOf(packet), "x");
  EXPECT_TRUE(packet.l4_checksum_ok);
}

// ---------------------------------------------------------------------------------------------
// TCP.

TEST(DecodeFrameTest, TcpFields) {
  // MSS, SACK permitted, timestamps, NOP, window scale: 20 bytes of options, data offset 10.
  const Bytes options = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
  const Bytes frame = Ethernet(
      0x0800, Ipv4Packet({}, TcpSegment({.src_port = 443, .dst_port = 50123, .seq = 0xfffffffe,
                                         .ack = 7, .flags = kTcpSyn | kTcpAck | 0x80,
                                         .window = 29200, .options = options,
                                         .payload = ToBytes("abc")})));
  DecodedPacket packet;
  ASSERT_EQ(Decode(kLinkEthernet, frame, &packet, true), DecodeResult::kTcp);
  EXPECT_EQ(packet.src_port, 443);
  EXPECT_EQ(packet.dst_port, 50123);
  EXPECT_EQ(packet.tcp_seq, 0xfffffffeu);
  EXPECT_EQ(packet.tcp_ack, 7u);
  EXPECT_EQ(packet.tcp_flags, kTcpSyn | kTcpAck | 0x80);
  EXPECT_EQ(packet.tcp_window, 29200);
  EXPECT_EQ(PayloadOf(packet), "abc");
  EXPECT_EQ(packet.l3, LastDecodedFrame().data() + 14);
  EXPECT_EQ(packet.payload, LastDecodedFrame().data() + 14 + 20 + 40);
  EXPECT_TRUE(packet.ip_checksum_ok);
  EXPECT_TRUE(packet.l4_checksum_ok);
}

TEST(DecodeFrameTest, TcpHeaderErrors) {
  struct Case {
    const char* name;
    Bytes ip;
    DecodeResult expected;
  };
  const std::vector<Case> cases = {
      {"data offset 4", Ipv4Packet({}, TcpSegment({.data_offset_words = 4})),
       DecodeResult::kBadTcpHeaderLength},
      {"data offset 0", Ipv4Packet({}, TcpSegment({.data_offset_words = 0})),
       DecodeResult::kBadTcpHeaderLength},
      {"data offset past payload", Ipv4Packet({}, TcpSegment({.data_offset_words = 15, .payload = {}})),
       DecodeResult::kBadTcpHeaderLength},
      {"data offset equals segment", Ipv4Packet({}, TcpSegment({.data_offset_words = 6,
                                                                 .payload = Bytes(4, 0)})),
       DecodeResult::kTcp},
      {"19 bytes of tcp", Ipv4Packet({}, Bytes(19, 0x50)), DecodeResult::kTruncatedTcp},
      {"no tcp bytes", Ipv4Packet({}, Bytes{}), DecodeResult::kTruncatedTcp},
      {"ipv6 data offset 4", Ipv6Packet({}, TcpSegment({.data_offset_words = 4})),
       DecodeResult::kBadTcpHeaderLength},
      {"ipv6 short tcp", Ipv6Packet({}, Bytes(12, 0)), DecodeResult::kTruncatedTcp},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    DecodedPacket packet;
    EXPECT_STREQ(DecodeResultName(Decode(kLinkRaw, c.ip, &packet)), DecodeResultName(c.expected));
    EXPECT_EQ(packet.l4_protocol, 6);
  }
}

// ---------------------------------------------------------------------------------------------
// IPv6.

Bytes Chain(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) Append(&out, part);
  return out;
}

TEST(DecodeFrameTest, Ipv6Cases) {
  const Bytes tcp = TcpSegment({});
  Bytes long_chain;
  for (int i = 0; i < 16; ++i) Append(&long_chain, Ipv6OptionsHeader(i == 15 ? 6 : 60));
  Bytes too_long_chain;
  for (int i = 0; i < 17; ++i) Append(&too_long_chain, Ipv6OptionsHeader(i == 16 ? 6 : 60));
  Bytes cut_header = Ipv6OptionsHeader(6, 2);
  cut_header.resize(16);  // header says 24 bytes, payload ends after 16
  struct Case {
    const char* name;
    Bytes ip;
    DecodeResult expected;
    uint8_t l4_protocol;
  };
  const std::vector<Case> cases = {
      {"hop dest routing", Ipv6Packet({.extension_headers = Chain({Ipv6OptionsHeader(60, 1),
                                                                  Ipv6OptionsHeader(43),
                                                                  Ipv6OptionsHeader(6, 3)}),
                                       .first_next_header = 0}, tcp),
       DecodeResult::kTcp, 6},
      {"first fragment", Ipv6Packet({.extension_headers = Ipv6FragmentHeader(6, 0, true),
                                     .first_next_header = 44}, tcp),
       DecodeResult::kFragment, 6},
      {"middle fragment", Ipv6Packet({.extension_headers = Ipv6FragmentHeader(6, 100, true),
                                      .first_next_header = 44}, tcp),
       DecodeResult::kFragment, 6},
      {"last fragment", Ipv6Packet({.extension_headers = Ipv6FragmentHeader(6, 200, false),
                                    .first_next_header = 44}, tcp),
       DecodeResult::kFragment, 6},
      {"atomic fragment", Ipv6Packet({.extension_headers = Ipv6FragmentHeader(6, 0, false),
                                      .first_next_header = 44}, tcp),
       DecodeResult::kTcp, 6},
      {"hop then fragment", Ipv6Packet({.extension_headers = Chain({Ipv6OptionsHeader(44),
                                                                   Ipv6FragmentHeader(17, 0, true)}),
                                        .first_next_header = 0, .upper_protocol = 17},
                                       UdpDatagram(1, 2, {})),
       DecodeResult::kFragment, 17},
      {"auth header", Ipv6Packet({.extension_headers = Ipv6AuthHeader(6), .first_next_header = 51},
                                 tcp),
       DecodeResult::kTcp, 6},
      {"esp", Ipv6Packet({.first_next_header = 50, .upper_protocol = 50}, Bytes(32, 9)),
       DecodeResult::kOtherL4, 50},
      {"dest then esp", Ipv6Packet({.extension_headers = Ipv6OptionsHeader(50),
                                    .first_next_header = 60, .upper_protocol = 50}, Bytes(32, 9)),
       DecodeResult::kOtherL4, 50},
      {"no next header", Ipv6Packet({.first_next_header = 59, .upper_protocol = 59}, Bytes(8, 0)),
       DecodeResult::kOtherL4, 59},
      {"empty no next header", Ipv6Packet({.first_next_header = 59, .upper_protocol = 59}, {}),
       DecodeResult::kOtherL4, 59},
      {"sixteen headers", Ipv6Packet({.extension_headers = long_chain, .first_next_header = 60}, tcp),
       DecodeResult::kTcp, 6},
      {"seventeen headers", Ipv6Packet({.extension_headers = too_long_chain, .first_next_header = 60},
                                       tcp),
       DecodeResult::kBadIpv6ExtHeader, 60},
      {"header past payload", Ipv6Packet({.extension_headers = cut_header, .first_next_header = 60,
                                          .upper_protocol = 0}, {}),
       DecodeResult::kBadIpv6ExtHeader, 60},
      {"header shorter than 8", Ipv6Packet({.first_next_header = 0, .upper_protocol = 0}, Bytes(6, 0)),
       DecodeResult::kBadIpv6ExtHeader, 0},
      {"short fragment header", Ipv6Packet({.first_next_header = 44, .upper_protocol = 0}, Bytes(7, 0)),
       DecodeResult::kBadIpv6ExtHeader, 44},
      {"payload length past end", Ipv6Packet({.payload_length = 1000}, tcp),
       DecodeResult::kBadIpTotalLength, 6},
      {"payload length zero", Ipv6Packet({.payload_length = 0}, tcp),
       DecodeResult::kBadIpTotalLength, 6},
      {"udp", Ipv6Packet({.first_next_header = 17, .upper_protocol = 17},
                         UdpDatagram(546, 547, Bytes(3, 0))),
       DecodeResult::kOtherL4, 17},
      {"icmpv6", Ipv6Packet({.first_next_header = 58, .upper_protocol = 58}, Bytes(8, 0)),
       DecodeResult::kOtherL4, 58},
      {"hop then icmpv6", Ipv6Packet({.extension_headers = Ipv6OptionsHeader(58),
                                      .first_next_header = 0, .upper_protocol = 58}, Bytes(8, 0)),
       DecodeResult::kOtherL4, 58},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    DecodedPacket packet;
    EXPECT_STREQ(DecodeResultName(Decode(kLinkRaw, c.ip, &packet)), DecodeResultName(c.expected));
    EXPECT_EQ(packet.l4_protocol, c.l4_protocol);
    EXPECT_EQ(packet.ip_version, 6);
    EXPECT_EQ(0, std::memcmp(packet.src_ip, kClientV6.data(), 16));
    EXPECT_EQ(0, std::memcmp(packet.dst_ip, kServerV6.data(), 16));
    if (c.expected == DecodeResult::kTcp) {
      EXPECT_EQ(PayloadOf(packet), kHttpRequest);
    }
  }
}

TEST(DecodeFrameTest, UdpPortsFilled) {
  DecodedPacket packet;
  ASSERT_EQ(Decode(kLinkRaw, Ipv4Packet({.protocol = 17}, UdpDatagram(5353, 53, {})), &packet),
            DecodeResult::kOtherL4);
  EXPECT_EQ(packet.src_port, 5353);
  EXPECT_EQ(packet.dst_port, 53);
  EXPECT_EQ(packet.payload, nullptr);
  ASSERT_EQ(Decode(kLinkRaw, Ipv4Packet({.protocol = 1}, IcmpEcho()), &packet),
            DecodeResult::kOtherL4);
  EXPECT_EQ(packet.src_port, 0);
  EXPECT_EQ(packet.dst_port, 0);
}

// ---------------------------------------------------------------------------------------------
// Truncation at every length.

// Expected result for a prefix of `length` bytes, given the layer boundaries of the full frame.
struct Boundary {
  size_t end;  // a prefix shorter than this gets `result`
  DecodeResult result;
};

void CheckEveryPrefix(uint32_t link_type, const Bytes& frame, const std::vector<Boundary>& bounds) {
  for (size_t length = 0; length <= frame.size(); ++length) {
    DecodeResult expected = DecodeResult::kTcp;
    for (const Boundary& bound : bounds) {
      if (length < bound.end) {
        expected = bound.result;
        break;
      }
    }
    const Bytes prefix(frame.begin(), frame.begin() + static_cast<ptrdiff_t>(length));
    DecodedPacket packet;
    EXPECT_STREQ(DecodeResultName(Decode(link_type, prefix, &packet, true)),
                 DecodeResultName(expected))
        << "prefix length " << length << " of " << frame.size();
    if (expected == DecodeResult::kTcp) {
      EXPECT_EQ(PayloadOf(packet), kHttpRequest);
    }
  }
}

TEST(DecodeFrameTest, TruncatedEthernetVlanIpv4WithOptions) {
  const Bytes ip = Ipv4Packet({.options = Bytes(8, 1)}, TcpSegment({.options = {1, 1, 1, 1}}));
  const Bytes frame = Ethernet(0x0800, ip, {0x8100});
  CheckEveryPrefix(kLinkEthernet, frame,
                   {{14, DecodeResult::kTruncatedL2},
                    {18, DecodeResult::kTruncatedL2},
                    {18 + 20, DecodeResult::kTruncatedIp},
                    {18 + 28, DecodeResult::kBadIpHeaderLength},
                    {frame.size(), DecodeResult::kBadIpTotalLength}});
}

TEST(DecodeFrameTest, TruncatedPppoeIpv6ExtHeaders) {
  const Bytes ip = Ipv6Packet({.extension_headers = Chain({Ipv6OptionsHeader(60),
                                                          Ipv6OptionsHeader(6, 1)}),
                               .first_next_header = 0},
                              TcpSegment({}));
  const Bytes frame = Ethernet(0x8864, PppoeSession(0x0057, ip));
  // The PPPoE length field runs past every prefix shorter than the frame.
  CheckEveryPrefix(kLinkEthernet, frame,
                   {{14, DecodeResult::kTruncatedL2},
                    {14 + 8, DecodeResult::kTruncatedL2},
                    {frame.size(), DecodeResult::kBadPppoe}});
  CheckEveryPrefix(kLinkRaw, ip,
                   {{1, DecodeResult::kTruncatedIp},
                    {40, DecodeResult::kTruncatedIp},
                    {ip.size(), DecodeResult::kBadIpTotalLength}});
}

TEST(DecodeFrameTest, TruncatedEveryLinkType) {
  const Bytes v4 = V4Tcp();
  const Bytes v6 = V6Tcp();
  struct Case {
    const char* name;
    uint32_t link_type;
    Bytes frame;
    size_t link_header;
    size_t ip_header;
  };
  const std::vector<Case> cases = {
      {"null", kLinkNull, NullFrame(2, true, v4), 4, 20},
      {"loop", kLinkLoop, NullFrame(30, false, v6), 4, 40},
      {"raw", kLinkRaw, v6, 0, 40},
      {"ipv4", kLinkIpv4, v4, 0, 20},
      {"ipv6", kLinkIpv6, v6, 0, 40},
      {"sll", kLinkLinuxSll, SllFrame(0x0800, v4), 16, 20},
      {"sll2", kLinkLinuxSll2, Sll2Frame(0x86dd, v6), 20, 40},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CheckEveryPrefix(c.link_type, c.frame,
                     {{c.link_header, DecodeResult::kTruncatedL2},
                      {c.link_header + c.ip_header, DecodeResult::kTruncatedIp},
                      {c.frame.size(), DecodeResult::kBadIpTotalLength}});
  }
}

// ---------------------------------------------------------------------------------------------
// Checksums.

TEST(DecodeFrameTest, Checksums) {
  const Bytes odd_payload = ToBytes("odd length!");  // 11 bytes: the last word is half padding
  struct Case {
    const char* name;
    Bytes ip;
    int corrupt_offset;  // -1: leave intact
    bool ip_ok;
    bool l4_ok;
  };
  const Bytes v4 = Ipv4Packet({.options = {1, 1, 1, 0}}, TcpSegment({.payload = odd_payload}));
  const Bytes v6 = Ipv6Packet({.extension_headers = Ipv6OptionsHeader(6), .first_next_header = 60},
                              TcpSegment({.payload = odd_payload}));
  const int v4_last = static_cast<int>(v4.size()) - 1;
  const int v6_last = static_cast<int>(v6.size()) - 1;
  const std::vector<Case> cases = {
      {"ipv4 good", v4, -1, true, true},
      {"ipv4 header byte", v4, 8, false, true},  // TTL
      {"ipv4 option byte", v4, 21, false, true},
      {"ipv4 address", v4, 15, false, false},    // in both the header and the pseudo header
      {"ipv4 tcp port", v4, 24, true, false},
      {"ipv4 last payload byte", v4, v4_last, true, false},
      {"ipv6 good", v6, -1, true, true},
      {"ipv6 address", v6, 20, true, false},
      {"ipv6 tcp seq", v6, 40 + 8 + 5, true, false},
      {"ipv6 last payload byte", v6, v6_last, true, false},
      {"ipv6 ext header byte", v6, 40 + 3, true, true},  // not covered by the TCP checksum
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes ip = c.ip;
    if (c.corrupt_offset >= 0) ip[static_cast<size_t>(c.corrupt_offset)] ^= 0x5a;
    DecodedPacket packet;
    ASSERT_EQ(Decode(kLinkRaw, ip, &packet, true), DecodeResult::kTcp);
    EXPECT_EQ(packet.ip_checksum_ok, c.ip_ok);
    EXPECT_EQ(packet.l4_checksum_ok, c.l4_ok);
    // Without verification both flags stay true whatever the bytes.
    ASSERT_EQ(Decode(kLinkRaw, ip, &packet, false), DecodeResult::kTcp);
    EXPECT_TRUE(packet.ip_checksum_ok);
    EXPECT_TRUE(packet.l4_checksum_ok);
  }
}

// Checksums over random payload sizes and contents, compared with the reference sum.
TEST(DecodeFrameTest, ChecksumRandomPayloads) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 300; ++i) {
    Bytes payload(rng() % 1400);
    for (uint8_t& byte : payload) byte = static_cast<uint8_t>(rng());
    const bool v6 = i % 2 == 1;
    Bytes ip = v6 ? Ipv6Packet({}, TcpSegment({.payload = payload}))
                  : Ipv4Packet({}, TcpSegment({.payload = payload}));
    DecodedPacket packet;
    ASSERT_EQ(Decode(kLinkRaw, ip, &packet, true), DecodeResult::kTcp);
    EXPECT_TRUE(packet.ip_checksum_ok) << i;
    EXPECT_TRUE(packet.l4_checksum_ok) << i;
    // Any byte of the segment but the data offset, which would change the result instead.
    const size_t tcp_start = ip.size() - payload.size() - 20;
    size_t corrupt = tcp_start + 12;
    while (corrupt == tcp_start + 12) corrupt = tcp_start + rng() % (payload.size() + 20);
    ip[corrupt] ^= static_cast<uint8_t>(1 + rng() % 255);
    ASSERT_EQ(Decode(kLinkRaw, ip, &packet, true), DecodeResult::kTcp);
    EXPECT_FALSE(packet.l4_checksum_ok) << i;
  }
}

// ---------------------------------------------------------------------------------------------
// Hashing.

TEST(DecodeFrameTest, HashSymmetricAndMatchesSpreadHash) {
  std::mt19937 rng(777);
  std::set<uint32_t> distinct;
  std::array<int, 16> buckets = {};
  constexpr int kPairs = 1000;
  for (int i = 0; i < kPairs; ++i) {
    const bool v6 = i % 2 == 1;
    Ipv6Address a;
    Ipv6Address b;
    for (uint8_t& byte : a) byte = static_cast<uint8_t>(rng());
    for (uint8_t& byte : b) byte = static_cast<uint8_t>(rng());
    Bytes forward;
    Bytes reverse;
    if (v6) {
      forward = Ipv6Packet({.src = a, .dst = b}, TcpSegment({.src_port = 1, .dst_port = 2}));
      reverse = Ipv6Packet({.src = b, .dst = a}, TcpSegment({.src_port = 2, .dst_port = 1}));
    } else {
      const Ipv4Address a4 = {a[0], a[1], a[2], a[3]};
      const Ipv4Address b4 = {b[0], b[1], b[2], b[3]};
      forward = Ipv4Packet({.src = a4, .dst = b4}, TcpSegment({.src_port = 1, .dst_port = 2}));
      reverse = Ipv4Packet({.src = b4, .dst = a4}, TcpSegment({.src_port = 2, .dst_port = 1}));
    }
    DecodedPacket forward_packet;
    DecodedPacket reverse_packet;
    ASSERT_EQ(Decode(kLinkRaw, forward, &forward_packet), DecodeResult::kTcp);
    ASSERT_EQ(Decode(kLinkRaw, reverse, &reverse_packet), DecodeResult::kTcp);
    const uint32_t hash = SymmetricIpPairHash(forward_packet);
    EXPECT_EQ(hash, SymmetricIpPairHash(reverse_packet)) << i;
    EXPECT_EQ(hash, SpreadHash(kLinkRaw, forward.data(), static_cast<uint32_t>(forward.size()))) << i;
    EXPECT_EQ(hash, SpreadHash(kLinkRaw, reverse.data(), static_cast<uint32_t>(reverse.size()))) << i;
    const Bytes framed = Ethernet(v6 ? 0x86dd : 0x0800, forward, {0x8100});
    EXPECT_EQ(hash, SpreadHash(kLinkEthernet, framed.data(), static_cast<uint32_t>(framed.size())));
    distinct.insert(hash);
    ++buckets[hash % buckets.size()];
  }
  // With a well-mixed 32-bit hash, 1000 random pairs collide with probability about 1e-4.
  EXPECT_GE(distinct.size(), static_cast<size_t>(kPairs - 2));
  // Expected 62.5 per bucket; a bucket outside [30, 100] has probability well below 1e-4.
  for (int count : buckets) {
    EXPECT_GE(count, 30);
    EXPECT_LE(count, 100);
  }
}

TEST(DecodeFrameTest, HashSpreadsNeighbouringAddresses) {
  // Sequential addresses (one subnet) must not land in a few buckets: low bits must mix.
  std::array<int, 8> buckets = {};
  for (int host = 0; host < 800; ++host) {
    const Ipv4Address client = {10, 0, static_cast<uint8_t>(host >> 8), static_cast<uint8_t>(host)};
    DecodedPacket packet;
    ASSERT_EQ(Decode(kLinkRaw, Ipv4Packet({.src = client}, TcpSegment({})), &packet),
              DecodeResult::kTcp);
    ++buckets[SymmetricIpPairHash(packet) % buckets.size()];
  }
  for (int count : buckets) {
    EXPECT_GE(count, 50);
    EXPECT_LE(count, 150);
  }
}

TEST(DecodeFrameTest, HashIgnoresPortsAndFragmentation) {
  DecodedPacket whole;
  DecodedPacket fragment;
  DecodedPacket other_ports;
  ASSERT_EQ(Decode(kLinkRaw, V4Tcp(), &whole), DecodeResult::kTcp);
  ASSERT_EQ(Decode(kLinkRaw, Ipv4Packet({.flags_and_offset = 100}, Bytes(16, 0)), &fragment),
            DecodeResult::kFragment);
  ASSERT_EQ(Decode(kLinkRaw, Ipv4Packet({}, TcpSegment({.src_port = 9, .dst_port = 8})),
                   &other_ports),
            DecodeResult::kTcp);
  EXPECT_EQ(SymmetricIpPairHash(whole), SymmetricIpPairHash(fragment));
  EXPECT_EQ(SymmetricIpPairHash(whole), SymmetricIpPairHash(other_ports));
  // IPv4 and IPv4-in-IPv6 style addresses with the same bytes must not be forced together either.
  DecodedPacket v6;
  ASSERT_EQ(Decode(kLinkRaw, V6Tcp(), &v6), DecodeResult::kTcp);
  EXPECT_NE(SymmetricIpPairHash(whole), SymmetricIpPairHash(v6));
}

TEST(DecodeFrameTest, SpreadHashZeroWithoutIp) {
  const std::vector<std::pair<uint32_t, Bytes>> frames = {
      {kLinkEthernet, Ethernet(0x0806, ArpRequest())},
      {kLinkEthernet, Bytes(10, 0)},
      {kLinkEthernet, Ethernet(0x0800, Bytes(19, 0x45))},
      {kLinkEthernet, Ethernet(0x8863, Bytes(20, 0))},
      {kLinkNull, NullFrame(7, true, V4Tcp())},
      {kLinkLinuxSll, SllFrame(0x0806, ArpRequest())},
      {kLinkRaw, Bytes{}},
      {kLinkIpv4, V6Tcp()},
      {105, V4Tcp()},
  };
  for (const auto& [link_type, frame] : frames) {
    EXPECT_EQ(SpreadHash(link_type, frame.empty() ? nullptr : frame.data(),
                         static_cast<uint32_t>(frame.size())),
              0u);
  }
}

// ---------------------------------------------------------------------------------------------
// Robustness: random mutations of valid frames must never crash, read out of bounds or break the
// SpreadHash/SymmetricIpPairHash agreement.

void CheckInvariants(uint32_t link_type, const Bytes& frame) {
  DecodedPacket packet;
  const DecodeResult result = Decode(link_type, frame, &packet, true);
  ASSERT_LT(static_cast<int>(result), static_cast<int>(DecodeResult::kCount));
  const Bytes& exact = LastDecodedFrame();
  const uint32_t spread = SpreadHash(link_type, exact.empty() ? nullptr : exact.data(),
                                     static_cast<uint32_t>(exact.size()));
  if (packet.ip_version == 0) {
    ASSERT_EQ(spread, 0u);
  } else {
    ASSERT_EQ(spread, SymmetricIpPairHash(packet));
  }
  if (result == DecodeResult::kTcp) {
    // The payload lies inside the IP datagram, which lies inside the frame.
    const Bytes& decoded = LastDecodedFrame();
    ASSERT_GE(packet.l3, decoded.data());
    ASSERT_LE(packet.l3 + packet.l3_length, decoded.data() + decoded.size());
    ASSERT_GE(packet.payload, packet.l3);
    ASSERT_LE(packet.payload + packet.payload_length, packet.l3 + packet.l3_length);
  }
}

TEST(DecodeFrameTest, RandomMutationsNeverBreakInvariants) {
  std::mt19937 rng(2024);
  std::vector<FrameCase> seeds = LinkCases();
  for (int i = 0; i < 20000; ++i) {
    const FrameCase& seed = seeds[rng() % seeds.size()];
    Bytes frame = seed.frame;
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations && !frame.empty(); ++m) {
      frame[rng() % frame.size()] = static_cast<uint8_t>(rng());
    }
    if (rng() % 4 == 0) frame.resize(rng() % (frame.size() + 1));
    ASSERT_NO_FATAL_FAILURE(CheckInvariants(seed.link_type, frame)) << seed.name << " #" << i;
  }
}

// ---------------------------------------------------------------------------------------------
// Real captures.

// TCP frames per capture, from `tshark -r FILE -Y tcp | wc -l` (tshark 4.0.17), where tshark
// and this decoder agree. Differences are noted per file.
const std::map<std::string, int>& ExpectedTcpFrames() {
  static const std::map<std::string, int> counts = {
      {"arkime/http-basicauth.pcap", 6},
      {"arkime/http-content-gzip.pcap", 12},
      {"arkime/http-digestauth.pcap", 4},
      {"arkime/http-post-upload.pcap", 34},
      {"arkime/http-xff.pcap", 11},
      {"arkime/twovlan.pcap", 6},
      {"arkime/v6-http.pcap", 10},
      {"ndpi/WebattackSQLinj.pcap", 94},
      {"ndpi/jsonrpc.pcap", 16},
      {"ndpi/log4j-webapp-exploit.pcap", 422},
      {"ndpi/webdav.pcap", 92},
      {"pcapplusplus/http-packets2.pcap", 222},
      {"pcapplusplus/one_ipv6_http_stream.pcap", 19},
      // tshark says 66: frame 66 is sFlow over UDP, and tshark matches the TCP headers of the
      // packets sampled inside it. To the decoder that frame is UDP.
      {"pcapplusplus/tcp-reassembly.pcap", 65},
      {"pcapplusplus/three_http_streams.pcap", 28},
      {"suricata-verify/bug-2491-02-onesided-nosyn.pcap", 11},
      {"suricata-verify/bug-4810-pppoe-session-http.pcap", 30},
      {"suricata-verify/http-all-headers.pcap", 34},
      {"suricata-verify/http-auth-bearer.pcap", 12},
      {"suricata-verify/http-brotli-ce.pcap", 16},
      {"suricata-verify/http-chunked.pcap", 5},
      {"suricata-verify/http-close-headers.pcap", 10},
      {"suricata-verify/http-connect-fragmented.pcap", 18},
      {"suricata-verify/http-encoding-gzip-uncompressed.pcap", 7},
      {"suricata-verify/http-evader-000-chunked-baseline.pcap", 8},
      {"suricata-verify/http-evader-001-cl-baseline.pcap", 8},
      {"suricata-verify/http-evader-132-gzip-deflate.pcap", 8},
      {"suricata-verify/http-event-chunk.pcap", 12},
      {"suricata-verify/http-gap-simple.pcap", 31},
      {"suricata-verify/http-ipv6.pcap", 14},
      {"suricata-verify/http-multiple100.pcap", 48},
      {"suricata-verify/http-post-file.pcap", 28},
      {"suricata-verify/http-uri-spaces.pcap", 14},
      {"suricata-verify/lua-transform-10-bug-8173.pcap", 616},
      {"suricata-verify/mqtt-events-missing-connect.pcap", 115},
      {"suricata-verify/tcp-fastopen-01.pcap", 16},
      {"zeek/100-continue.pcap", 66},
      {"zeek/261-variant-07-expect_100_cl0.pcap", 8},
      {"zeek/261-variant-10-multi_value_te.pcap", 8},
      {"zeek/basic-auth-with-colon.pcap", 12},
      {"zeek/content-length-in-request-body.pcap", 21},
      {"zeek/cooper-grill-dvwa.pcapng", 48},
      {"zeek/docker-http-upgrade.pcap", 200},
      {"zeek/fake-content-length.pcap", 7},
      {"zeek/get-gzip.pcap", 14},
      {"zeek/http-11-request-then-cruft.pcap", 20},
      {"zeek/http-vlan-0.pcap", 14},
      {"zeek/http_large_req_8001.pcap", 13},
      {"zeek/pipelined-requests.pcap", 49},
      {"zeek/tcp-handshake-reorder.pcap", 14},
      {"zeek/tcp-http-with-padding.pcap", 25},
  };
  return counts;
}

// Returns SLUICE_CORPUS_DIR when set, else the corpus path the build passed in.
std::filesystem::path CorpusDir() {
  const char* from_env = std::getenv("SLUICE_CORPUS_DIR");
  if (from_env != nullptr) return from_env;
#ifdef SLUICE_DEFAULT_CORPUS_DIR
  return SLUICE_DEFAULT_CORPUS_DIR;
#else
  return {};
#endif
}

struct CaptureStats {
  int frames = 0;
  int tcp = 0;
  int tcp_payload_bytes = 0;
  uint32_t link_type = 0;
};

// Decodes every frame of one capture, checking the invariants on each.
std::optional<CaptureStats> DecodeCapture(const std::filesystem::path& path) {
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pcap = pcap_open_offline(path.c_str(), error);
  if (pcap == nullptr) {
    ADD_FAILURE() << "cannot open " << path << ": " << error;
    return std::nullopt;
  }
  CaptureStats stats;
  stats.link_type = static_cast<uint32_t>(pcap_datalink(pcap));
  EXPECT_TRUE(IsSupportedLinkType(stats.link_type)) << path << " link type " << stats.link_type;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(pcap, &header, &data) == 1) {
    ++stats.frames;
    const Bytes frame(data, data + header->caplen);
    CheckInvariants(stats.link_type, frame);
    DecodedPacket packet;
    if (Decode(stats.link_type, frame, &packet) == DecodeResult::kTcp) {
      ++stats.tcp;
      stats.tcp_payload_bytes += static_cast<int>(packet.payload_length);
    }
  }
  pcap_close(pcap);
  return stats;
}

TEST(DecodeCorpusTest, TcpFrameCountsMatchTshark) {
  const std::filesystem::path root = CorpusDir();
  if (!std::filesystem::is_directory(root)) GTEST_SKIP() << "no capture corpus at " << root;
  std::set<std::string> seen;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string extension = entry.path().extension().string();
    if (!entry.is_regular_file() || (extension != ".pcap" && extension != ".pcapng")) continue;
    const std::string name = entry.path().lexically_relative(root).generic_string();
    SCOPED_TRACE(name);
    const std::optional<CaptureStats> stats = DecodeCapture(entry.path());
    if (!stats) continue;
    seen.insert(name);
    const auto expected = ExpectedTcpFrames().find(name);
    if (expected == ExpectedTcpFrames().end()) {
      // A capture added after this table: decoded for crashes and invariants only.
      std::printf("unpinned capture %s: %d frames, %d tcp\n", name.c_str(), stats->frames, stats->tcp);
      continue;
    }
    EXPECT_EQ(stats->tcp, expected->second) << LinkTypeName(stats->link_type);
  }
  for (const auto& [name, count] : ExpectedTcpFrames()) {
    EXPECT_TRUE(seen.count(name)) << "pinned capture missing from the corpus: " << name;
  }
}

// The padding capture: payload lengths must come from the IP total length. The sum of `tcp.len`
// over the capture in tshark 4.0.17; frames carry 2 to 14 bytes of Ethernet padding besides.
constexpr int kPaddingCaptureTcpPayloadBytes = 207;

TEST(DecodeCorpusTest, PaddingCapturePayloadBytes) {
  const std::filesystem::path root = CorpusDir();
  if (!std::filesystem::is_directory(root)) GTEST_SKIP() << "no capture corpus at " << root;
  const std::optional<CaptureStats> stats =
      DecodeCapture(root / "zeek" / "tcp-http-with-padding.pcap");
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->tcp_payload_bytes, kPaddingCaptureTcpPayloadBytes);
}

}  // namespace
}  // namespace sluice::decode
