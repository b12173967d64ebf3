// L2-L4 frame decoder. Every read is bounds-checked against the captured length before it happens,
// and the functions below pass (pointer, length) pairs that never extend past frame + length.
#include "dataplane/decode/packet_decoder.h"

#include <cstring>

namespace sluice::decode {
namespace {

// Internal marker for "this layer is fine, continue with the next one". Never returned to callers.
constexpr DecodeResult kContinue = DecodeResult::kCount;

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint16_t kEtherTypeVlan = 0x8100;      // IEEE 802.1Q
constexpr uint16_t kEtherTypeQinQ = 0x88a8;      // IEEE 802.1ad service tag
constexpr uint16_t kEtherTypeQinQOld = 0x9100;   // pre-standard QinQ, still seen in the field
constexpr uint16_t kEtherTypePppoeDiscovery = 0x8863;
constexpr uint16_t kEtherTypePppoeSession = 0x8864;
// Pseudo EtherTypes outside the 16-bit range, so no frame can carry them. kEtherTypeIpAny marks
// links that carry bare IP where the version nibble decides (LINKTYPE_RAW).
constexpr uint32_t kEtherTypeIpAny = 0x10000;
constexpr uint32_t kEtherTypeNotIp = 0x10001;

constexpr uint16_t kPppIpv4 = 0x0021;
constexpr uint16_t kPppIpv6 = 0x0057;

constexpr uint8_t kProtoHopByHop = 0;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoRouting = 43;
constexpr uint8_t kProtoFragment = 44;
constexpr uint8_t kProtoEsp = 50;
constexpr uint8_t kProtoAh = 51;
constexpr uint8_t kProtoNoNext = 59;
constexpr uint8_t kProtoDestOptions = 60;

constexpr uint32_t kEthernetHeaderLength = 14;
constexpr uint32_t kVlanTagLength = 4;
constexpr uint32_t kPppoeHeaderLength = 6;   // RFC 2516: ver/type, code, session id, length
constexpr uint32_t kPppProtocolLength = 2;
constexpr uint32_t kSllHeaderLength = 16;
constexpr uint32_t kSll2HeaderLength = 20;
constexpr uint32_t kNullHeaderLength = 4;
constexpr uint32_t kIpv4MinHeaderLength = 20;
constexpr uint32_t kIpv6HeaderLength = 40;
constexpr uint32_t kTcpMinHeaderLength = 20;
constexpr uint32_t kUdpHeaderLength = 8;
// Maximum number of IPv6 extension headers walked. Legitimate packets rarely carry more than a few,
// so a longer chain is treated as hostile, and the bound caps the per-packet work.
constexpr int kMaxIpv6ExtHeaders = 16;

inline uint16_t LoadBe16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

inline uint32_t LoadBe32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

inline uint32_t LoadNative32(const uint8_t* p) {
  uint32_t value;
  std::memcpy(&value, p, sizeof(value));
  return value;
}

inline uint64_t LoadNative64(const uint8_t* p) {
  uint64_t value;
  std::memcpy(&value, p, sizeof(value));
  return value;
}

// ---------------------------------------------------------------------------------------------
// Link layer: finds the start of the network header and its EtherType.

struct NetworkStart {
  const uint8_t* data = nullptr;
  uint32_t length = 0;
  uint32_t ether_type = kEtherTypeNotIp;
  uint8_t vlan_count = 0;
  bool pppoe = false;
};

// PPPoE session header (RFC 2516) followed by the PPP protocol field (RFC 1661).
// The PPPoE length field bounds the PPP frame, so Ethernet padding after it is never read as IP.
DecodeResult ParsePppoeSession(NetworkStart* net) {
  if (net->length < kPppoeHeaderLength + 1) return DecodeResult::kTruncatedL2;
  const uint8_t* p = net->data;
  // Protocol-Field-Compression (RFC 1661 section 6.5) may send protocols below 0x100 as one
  // byte. The low bit of each octet marks the last one, so an odd first byte is a 1-byte field.
  // Some PPPoE peers use it (suricata-verify bug-4810-pppoe-session-http.pcap).
  const uint32_t protocol_length = (p[kPppoeHeaderLength] & 1) ? 1 : kPppProtocolLength;
  if (net->length < kPppoeHeaderLength + protocol_length) return DecodeResult::kTruncatedL2;
  const uint32_t pppoe_length = LoadBe16(p + 4);
  if (p[0] != 0x11 || p[1] != 0x00 || pppoe_length < protocol_length ||
      pppoe_length > net->length - kPppoeHeaderLength) {
    return DecodeResult::kBadPppoe;
  }
  const uint16_t ppp_protocol = protocol_length == 1 ? p[kPppoeHeaderLength]
                                                     : LoadBe16(p + kPppoeHeaderLength);
  net->pppoe = true;
  net->data = p + kPppoeHeaderLength + protocol_length;
  net->length = pppoe_length - protocol_length;
  if (ppp_protocol == kPppIpv4) {
    net->ether_type = kEtherTypeIpv4;
  } else if (ppp_protocol == kPppIpv6) {
    net->ether_type = kEtherTypeIpv6;
  } else {
    // NOTE: PPP control traffic (LCP echo 0xc021, IPCP 0x8021) lands here too, so a healthy
    // PPPoE link raises decode.bad_pppoe now and then.
    return DecodeResult::kBadPppoe;
  }
  return kContinue;
}

// Consumes VLAN tags and a PPPoE session header that follow an EtherType field. On entry
// net->ether_type contains the first EtherType and net->data points just past it.
DecodeResult ParseEtherTypeChain(NetworkStart* net) {
  uint32_t type = net->ether_type;
  while (type == kEtherTypeVlan || type == kEtherTypeQinQ || type == kEtherTypeQinQOld) {
    if (net->vlan_count == kMaxVlanTags) return DecodeResult::kTooManyVlanTags;
    if (net->length < kVlanTagLength) return DecodeResult::kTruncatedL2;
    type = LoadBe16(net->data + 2);
    net->data += kVlanTagLength;
    net->length -= kVlanTagLength;
    ++net->vlan_count;
  }
  net->ether_type = type;
  if (type == kEtherTypePppoeSession) return ParsePppoeSession(net);
  if (type == kEtherTypePppoeDiscovery) return DecodeResult::kNotIp;
  return kContinue;
}

// Maps a BSD address family to an EtherType. AF_INET6 differs by OS: 10 on Linux, 24 on NetBSD
// and OpenBSD, 28 on FreeBSD, 30 on macOS.
uint32_t EtherTypeFromAddressFamily(uint32_t family) {
  switch (family) {
    case 2:
      return kEtherTypeIpv4;
    case 10:
    case 24:
    case 28:
    case 30:
      return kEtherTypeIpv6;
    default:
      return kEtherTypeNotIp;
  }
}

DecodeResult ParseLinkLayer(uint32_t link_type, const uint8_t* frame, uint32_t length,
                            NetworkStart* net) {
  switch (link_type) {
    case kLinkEthernet:
      if (length < kEthernetHeaderLength) return DecodeResult::kTruncatedL2;
      net->ether_type = LoadBe16(frame + 12);
      net->data = frame + kEthernetHeaderLength;
      net->length = length - kEthernetHeaderLength;
      return ParseEtherTypeChain(net);
    case kLinkNull: {
      if (length < kNullHeaderLength) return DecodeResult::kTruncatedL2;
      // Host byte order of the capturing machine, which we do not know: every valid family is
      // below 256, so whichever byte order gives a small value is the right one.
      uint32_t family = LoadBe32(frame);
      if (family > 0xff) family = __builtin_bswap32(family);
      net->ether_type = EtherTypeFromAddressFamily(family);
      break;
    }
    case kLinkLoop:
      if (length < kNullHeaderLength) return DecodeResult::kTruncatedL2;
      net->ether_type = EtherTypeFromAddressFamily(LoadBe32(frame));
      break;
    case kLinkRaw:
    case kLinkDltRaw:
    case kLinkDltRawOpenBsd:
      net->ether_type = kEtherTypeIpAny;
      net->data = frame;
      net->length = length;
      return kContinue;
    case kLinkIpv4:
    case kLinkIpv6:
      net->ether_type = link_type == kLinkIpv4 ? kEtherTypeIpv4 : kEtherTypeIpv6;
      net->data = frame;
      net->length = length;
      return kContinue;
    case kLinkLinuxSll:
      if (length < kSllHeaderLength) return DecodeResult::kTruncatedL2;
      net->ether_type = LoadBe16(frame + 14);
      net->data = frame + kSllHeaderLength;
      net->length = length - kSllHeaderLength;
      return ParseEtherTypeChain(net);
    case kLinkLinuxSll2:
      if (length < kSll2HeaderLength) return DecodeResult::kTruncatedL2;
      net->ether_type = LoadBe16(frame);
      net->data = frame + kSll2HeaderLength;
      net->length = length - kSll2HeaderLength;
      return ParseEtherTypeChain(net);
    default:
      return DecodeResult::kNotIp;
  }
  // NULL and LOOP: 4-byte header.
  net->data = frame + kNullHeaderLength;
  net->length = length - kNullHeaderLength;
  return kContinue;
}

// ---------------------------------------------------------------------------------------------
// Internet checksum (RFC 1071). Summing native-order words gives the byte-swapped sum on
// little-endian machines, and a valid packet sums to 0xffff in either byte order, so the
// verification needs no swaps. Every buffer but the last one summed must have an even length.

// The sum runs over 8-byte words with end-around carry, two words per step in two accumulators:
// 2^64 and 2^16 are both 1 modulo 0xffff, so the folded result is the same as summing 16-bit
// words, at a quarter of the additions. A sum is zero only when every byte was.
inline uint64_t AddCarry(uint64_t sum, uint64_t word) {
  sum += word;
  return sum + (sum < word ? 1 : 0);
}

uint64_t ChecksumAdd(const uint8_t* data, uint32_t length, uint64_t sum) {
  uint64_t other = 0;
  while (length >= 16) {
    sum = AddCarry(sum, LoadNative64(data));
    other = AddCarry(other, LoadNative64(data + 8));
    data += 16;
    length -= 16;
  }
  sum = AddCarry(sum, other);
  if (length >= 8) {
    sum = AddCarry(sum, LoadNative64(data));
    data += 8;
    length -= 8;
  }
  if (length > 0) {
    uint8_t tail[8] = {};
    std::memcpy(tail, data, length);
    sum = AddCarry(sum, LoadNative64(tail));
  }
  return sum;
}

bool ChecksumIsValid(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

bool TcpChecksumIsValid(const DecodedPacket& out, const uint8_t* segment, uint32_t length) {
  uint64_t sum = 0;
  if (out.ip_version == 4) {
    const uint8_t tail[4] = {0, kProtoTcp, static_cast<uint8_t>(length >> 8),
                             static_cast<uint8_t>(length)};
    sum = ChecksumAdd(out.src_ip, 4, sum);
    sum = ChecksumAdd(out.dst_ip, 4, sum);
    sum = ChecksumAdd(tail, sizeof(tail), sum);
  } else {
    const uint8_t tail[8] = {static_cast<uint8_t>(length >> 24), static_cast<uint8_t>(length >> 16),
                             static_cast<uint8_t>(length >> 8),  static_cast<uint8_t>(length),
                             0, 0, 0, kProtoTcp};
    sum = ChecksumAdd(out.src_ip, 16, sum);
    sum = ChecksumAdd(out.dst_ip, 16, sum);
    sum = ChecksumAdd(tail, sizeof(tail), sum);
  }
  return ChecksumIsValid(ChecksumAdd(segment, length, sum));
}

// The folded pseudo-header sum in network order: what a host that offloads TCP checksums to its
// NIC writes in the checksum field (Linux stores it as is; some stacks store its complement).
bool LooksOffloaded(const DecodedPacket& out, const uint8_t* tcp, uint32_t length) {
  const uint32_t address_bytes = out.ip_version == 4 ? 4 : 16;
  uint32_t sum = kProtoTcp + (length & 0xffff) + (length >> 16);
  for (uint32_t i = 0; i < address_bytes; i += 2) {
    sum += static_cast<uint32_t>(out.src_ip[i] << 8 | out.src_ip[i + 1]);
    sum += static_cast<uint32_t>(out.dst_ip[i] << 8 | out.dst_ip[i + 1]);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  const uint16_t field = LoadBe16(tcp + 16);
  return field == sum || field == static_cast<uint16_t>(~sum);
}

// ---------------------------------------------------------------------------------------------
// Transport layer.

DecodeResult DecodeTcp(const uint8_t* tcp, uint32_t length, const DecodeOptions& options,
                       DecodedPacket* out) {
  if (length < kTcpMinHeaderLength) return DecodeResult::kTruncatedTcp;
  const uint32_t header_length = (tcp[12] >> 4) * 4u;
  if (header_length < kTcpMinHeaderLength || header_length > length) {
    return DecodeResult::kBadTcpHeaderLength;
  }
  out->src_port = LoadBe16(tcp);
  out->dst_port = LoadBe16(tcp + 2);
  out->tcp_seq = LoadBe32(tcp + 4);
  out->tcp_ack = LoadBe32(tcp + 8);
  out->tcp_flags = tcp[13];
  out->tcp_window = LoadBe16(tcp + 14);
  out->payload = tcp + header_length;
  out->payload_length = length - header_length;
  if (options.verify_checksums) {
    out->l4_checksum_ok = TcpChecksumIsValid(*out, tcp, length);
    if (!out->l4_checksum_ok) out->l4_checksum_offloaded = LooksOffloaded(*out, tcp, length);
  }
  return DecodeResult::kTcp;
}

DecodeResult DecodeL4(const uint8_t* l4, uint32_t length, const DecodeOptions& options,
                      DecodedPacket* out) {
  if (out->l4_protocol == kProtoTcp) return DecodeTcp(l4, length, options, out);
  // A UDP header cut short still makes a valid IP packet: it is reported as kOtherL4 without ports.
  if (out->l4_protocol == kProtoUdp && length >= kUdpHeaderLength) {
    out->src_port = LoadBe16(l4);
    out->dst_port = LoadBe16(l4 + 2);
  }
  return DecodeResult::kOtherL4;
}

// ---------------------------------------------------------------------------------------------
// Network layer.

DecodeResult DecodeIpv4(const uint8_t* ip, uint32_t length, const DecodeOptions& options,
                        DecodedPacket* out) {
  if (length < kIpv4MinHeaderLength) return DecodeResult::kTruncatedIp;
  if ((ip[0] >> 4) != 4) return DecodeResult::kBadIpVersion;
  out->ip_version = 4;
  std::memcpy(out->src_ip, ip + 12, 4);
  std::memcpy(out->dst_ip, ip + 16, 4);
  out->l4_protocol = ip[9];

  const uint32_t header_length = (ip[0] & 0x0f) * 4u;
  if (header_length < kIpv4MinHeaderLength || header_length > length) {
    return DecodeResult::kBadIpHeaderLength;
  }
  // The total length, not the frame length, ends the datagram: Ethernet pads short frames.
  const uint32_t total_length = LoadBe16(ip + 2);
  if (total_length < header_length || total_length > length) return DecodeResult::kBadIpTotalLength;
  out->l3 = ip;
  out->l3_length = total_length;
  if (options.verify_checksums) {
    out->ip_checksum_ok = ChecksumIsValid(ChecksumAdd(ip, header_length, 0));
  }
  // More-fragments flag or a nonzero fragment offset (RFC 791 section 3.1).
  if (LoadBe16(ip + 6) & 0x3fff) return DecodeResult::kFragment;
  return DecodeL4(ip + header_length, total_length - header_length, options, out);
}

// Walks the IPv6 extension header chain (RFC 8200 section 4) from `offset` up to `end`. Leaves
// out->l4_protocol at the upper-layer protocol and *offset at its header.
DecodeResult WalkIpv6ExtHeaders(const uint8_t* ip, uint32_t end, uint32_t* offset,
                                DecodedPacket* out) {
  for (int count = 0;; ++count) {
    const uint8_t next = out->l4_protocol;
    uint32_t header_length;
    switch (next) {
      case kProtoHopByHop:
      case kProtoRouting:
      case kProtoDestOptions:
        if (count == kMaxIpv6ExtHeaders || end - *offset < 8) return DecodeResult::kBadIpv6ExtHeader;
        header_length = (ip[*offset + 1] + 1u) * 8;
        break;
      case kProtoAh:  // RFC 4302 section 2.2: length in 4-byte units, minus 2
        if (count == kMaxIpv6ExtHeaders || end - *offset < 8) return DecodeResult::kBadIpv6ExtHeader;
        header_length = (ip[*offset + 1] + 2u) * 4;
        break;
      case kProtoFragment: {
        if (count == kMaxIpv6ExtHeaders || end - *offset < 8) return DecodeResult::kBadIpv6ExtHeader;
        const uint16_t offset_and_flags = LoadBe16(ip + *offset + 2);
        out->l4_protocol = ip[*offset];
        *offset += 8;
        // An atomic fragment (offset 0, M clear; RFC 6946) is a whole packet: keep decoding it.
        if (offset_and_flags & 0xfff9) return DecodeResult::kFragment;
        continue;
      }
      case kProtoEsp:     // encrypted: the upper layer is out of reach
      case kProtoNoNext:  // nothing follows
        return DecodeResult::kOtherL4;
      default:
        return kContinue;
    }
    if (header_length > end - *offset) return DecodeResult::kBadIpv6ExtHeader;
    out->l4_protocol = ip[*offset];
    *offset += header_length;
  }
}

DecodeResult DecodeIpv6(const uint8_t* ip, uint32_t length, const DecodeOptions& options,
                        DecodedPacket* out) {
  if (length < kIpv6HeaderLength) return DecodeResult::kTruncatedIp;
  if ((ip[0] >> 4) != 6) return DecodeResult::kBadIpVersion;
  out->ip_version = 6;
  std::memcpy(out->src_ip, ip + 8, 16);
  std::memcpy(out->dst_ip, ip + 24, 16);
  out->l4_protocol = ip[6];

  const uint32_t payload_length = LoadBe16(ip + 4);
  // NOTE: jumbograms (RFC 2675: payload length 0 plus a hop-by-hop jumbo option) are not
  // supported and count as a bad length. A zero length is valid only with no next header.
  if (payload_length > length - kIpv6HeaderLength ||
      (payload_length == 0 && out->l4_protocol != kProtoNoNext)) {
    return DecodeResult::kBadIpTotalLength;
  }
  const uint32_t end = kIpv6HeaderLength + payload_length;
  out->l3 = ip;
  out->l3_length = end;

  uint32_t offset = kIpv6HeaderLength;
  const DecodeResult result = WalkIpv6ExtHeaders(ip, end, &offset, out);
  if (result != kContinue) return result;
  return DecodeL4(ip + offset, end - offset, options, out);
}

DecodeResult DecodeNetwork(const NetworkStart& net, const DecodeOptions& options,
                           DecodedPacket* out) {
  switch (net.ether_type) {
    case kEtherTypeIpv4:
      return DecodeIpv4(net.data, net.length, options, out);
    case kEtherTypeIpv6:
      return DecodeIpv6(net.data, net.length, options, out);
    case kEtherTypeIpAny:
      if (net.length == 0) return DecodeResult::kTruncatedIp;
      if ((net.data[0] >> 4) == 6) return DecodeIpv6(net.data, net.length, options, out);
      return DecodeIpv4(net.data, net.length, options, out);
    default:
      return DecodeResult::kNotIp;
  }
}

// ---------------------------------------------------------------------------------------------
// Hashing. Both addresses are put in a fixed order (smaller first) before mixing, which makes
// the hash symmetric without the collisions of XOR-ing them (XOR maps every a == b pair to 0).

inline uint64_t Mix64(uint64_t x) {
  // 64-bit finaliser with the constants of MurmurHash3's fmix64: full avalanche in 5 steps.
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

inline uint32_t FoldTo32(uint64_t x) { return static_cast<uint32_t>(x ^ (x >> 32)); }

uint32_t HashIpv4Pair(const uint8_t* a, const uint8_t* b) {
  const uint32_t x = LoadNative32(a);
  const uint32_t y = LoadNative32(b);
  const uint64_t low = x < y ? x : y;
  const uint64_t high = x < y ? y : x;
  return FoldTo32(Mix64((high << 32) | low));
}

uint32_t HashIpv6Pair(const uint8_t* a, const uint8_t* b) {
  if (std::memcmp(a, b, 16) > 0) {
    const uint8_t* swap = a;
    a = b;
    b = swap;
  }
  // Distinct odd multipliers per word keep equal words in different positions from cancelling.
  uint64_t h = 0x6a09e667f3bcc909ULL;
  h = Mix64(h ^ LoadNative64(a)) * 0x9e3779b97f4a7c15ULL;
  h = Mix64(h ^ LoadNative64(a + 8)) * 0xbf58476d1ce4e5b9ULL;
  h = Mix64(h ^ LoadNative64(b)) * 0x94d049bb133111ebULL;
  h = Mix64(h ^ LoadNative64(b + 8));
  return FoldTo32(h);
}

}  // namespace

bool IsSupportedLinkType(uint32_t link_type) {
  switch (link_type) {
    case kLinkNull:
    case kLinkEthernet:
    case kLinkRaw:
    case kLinkDltRaw:
    case kLinkDltRawOpenBsd:
    case kLinkLoop:
    case kLinkLinuxSll:
    case kLinkIpv4:
    case kLinkIpv6:
    case kLinkLinuxSll2:
      return true;
    default:
      return false;
  }
}

const char* LinkTypeName(uint32_t link_type) {
  switch (link_type) {
    case kLinkNull:
      return "NULL";
    case kLinkEthernet:
      return "EN10MB";
    case kLinkRaw:
    case kLinkDltRaw:
    case kLinkDltRawOpenBsd:
      return "RAW";
    case kLinkLoop:
      return "LOOP";
    case kLinkLinuxSll:
      return "LINUX_SLL";
    case kLinkIpv4:
      return "IPV4";
    case kLinkIpv6:
      return "IPV6";
    case kLinkLinuxSll2:
      return "LINUX_SLL2";
    default:
      return "unknown";
  }
}

const char* DecodeResultName(DecodeResult result) {
  switch (result) {
    case DecodeResult::kTcp:
      return "decode.tcp";
    case DecodeResult::kOtherL4:
      return "decode.other_l4";
    case DecodeResult::kNotIp:
      return "decode.not_ip";
    case DecodeResult::kFragment:
      return "decode.fragment";
    case DecodeResult::kTruncatedL2:
      return "decode.truncated_l2";
    case DecodeResult::kTooManyVlanTags:
      return "decode.too_many_vlan_tags";
    case DecodeResult::kBadPppoe:
      return "decode.bad_pppoe";
    case DecodeResult::kTruncatedIp:
      return "decode.truncated_ip";
    case DecodeResult::kBadIpVersion:
      return "decode.bad_ip_version";
    case DecodeResult::kBadIpHeaderLength:
      return "decode.bad_ip_header_length";
    case DecodeResult::kBadIpTotalLength:
      return "decode.bad_ip_total_length";
    case DecodeResult::kBadIpv6ExtHeader:
      return "decode.bad_ipv6_ext_header";
    case DecodeResult::kTruncatedTcp:
      return "decode.truncated_tcp";
    case DecodeResult::kBadTcpHeaderLength:
      return "decode.bad_tcp_header_length";
    case DecodeResult::kCount:
      break;
  }
  return "decode.unknown";
}

DecodeResult DecodeFrame(uint32_t link_type, const uint8_t* frame, uint32_t length,
                         const DecodeOptions& options, DecodedPacket* out) {
  *out = DecodedPacket{};
  NetworkStart net;
  DecodeResult result = ParseLinkLayer(link_type, frame, length, &net);
  out->vlan_count = net.vlan_count;
  out->pppoe = net.pppoe;
  if (result != kContinue) return result;
  return DecodeNetwork(net, options, out);
}

uint32_t SymmetricIpPairHash(const DecodedPacket& packet) {
  if (packet.ip_version == 4) return HashIpv4Pair(packet.src_ip, packet.dst_ip);
  if (packet.ip_version == 6) return HashIpv6Pair(packet.src_ip, packet.dst_ip);
  return 0;
}

uint32_t SpreadHash(uint32_t link_type, const uint8_t* frame, uint32_t length) {
  NetworkStart net;
  if (ParseLinkLayer(link_type, frame, length, &net) != kContinue || net.length == 0) return 0;
  // Same conditions under which DecodeFrame fills ip_version and the addresses, so the two hashes
  // agree. The header and length checks that DecodeFrame runs after that point are skipped.
  const uint8_t version = net.data[0] >> 4;
  const bool want_v4 = net.ether_type == kEtherTypeIpv4 ||
                       (net.ether_type == kEtherTypeIpAny && version != 6);
  const bool want_v6 = net.ether_type == kEtherTypeIpv6 ||
                       (net.ether_type == kEtherTypeIpAny && version == 6);
  if (want_v4 && version == 4 && net.length >= kIpv4MinHeaderLength) {
    return HashIpv4Pair(net.data + 12, net.data + 16);
  }
  if (want_v6 && version == 6 && net.length >= kIpv6HeaderLength) {
    return HashIpv6Pair(net.data + 8, net.data + 24);
  }
  return 0;
}

}  // namespace sluice::decode
