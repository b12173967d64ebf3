// L2-L4 decoding of one frame into the fields the flow table and reassembly need.
// Pure function of its input: no state, no allocation; safe on any lcore.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice::decode {

// Link types, numbered as in pcap's LINKTYPE_* registry.
enum LinkType : uint32_t {
  kLinkNull = 0,        // BSD loopback: 4-byte host-order address family
  kLinkEthernet = 1,
  kLinkRaw = 101,       // raw IPv4 or IPv6, version from the first nibble
  kLinkLoop = 108,      // OpenBSD loopback: 4-byte network-order address family
  kLinkLinuxSll = 113,
  kLinkIpv4 = 228,
  kLinkIpv6 = 229,
  kLinkLinuxSll2 = 276,
};

// Returns true when DecodeFrame understands the link type.
bool IsSupportedLinkType(uint32_t link_type);
// Returns the pcap name of a link type ("EN10MB", "LINUX_SLL", ...) or "unknown".
const char* LinkTypeName(uint32_t link_type);

// Why a frame was not decoded to TCP. Stable names come from DecodeResultName().
enum class DecodeResult : uint8_t {
  kTcp = 0,              // decoded; tcp fields and payload valid
  kOtherL4,              // valid IPv4/IPv6 carrying UDP, ICMP or another protocol
  kNotIp,                // ARP, LLDP, ... : not an error
  kFragment,             // an IP fragment (reassembly is a later stage)
  kTruncatedL2,          // frame shorter than its link header
  kTooManyVlanTags,      // more than kMaxVlanTags 802.1Q/802.1ad tags
  kBadPppoe,             // PPPoE session header invalid or not carrying IP
  kTruncatedIp,          // shorter than the IP header
  kBadIpVersion,         // version nibble disagrees with the link layer
  kBadIpHeaderLength,    // IPv4 IHL < 5 or past the end
  kBadIpTotalLength,     // total/payload length past the captured frame or below the header
  kBadIpv6ExtHeader,     // IPv6 extension header chain truncated or too long
  kTruncatedTcp,         // shorter than 20 bytes of TCP header
  kBadTcpHeaderLength,   // data offset < 5 or past the end of the IP payload
  kCount
};
const char* DecodeResultName(DecodeResult result);

inline constexpr int kMaxVlanTags = 4;

// TCP flag bits as in the header.
enum TcpFlag : uint8_t {
  kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08, kTcpAck = 0x10, kTcpUrg = 0x20,
};

// Fields of one decoded frame. Pointers point into the caller's frame buffer.
struct DecodedPacket {
  uint8_t ip_version = 0;   // 4 or 6
  uint8_t l4_protocol = 0;  // IANA protocol number (6 = TCP)
  uint8_t vlan_count = 0;
  bool pppoe = false;
  uint8_t src_ip[16] = {};  // IPv4 in the first 4 bytes, rest zero
  uint8_t dst_ip[16] = {};
  uint16_t src_port = 0;    // host order; 0 for non-TCP/UDP
  uint16_t dst_port = 0;
  uint32_t tcp_seq = 0;     // host order
  uint32_t tcp_ack = 0;
  uint16_t tcp_window = 0;
  uint8_t tcp_flags = 0;
  // Checksums, verified only when DecodeOptions::verify_checksums is set.
  bool ip_checksum_ok = true;
  bool l4_checksum_ok = true;
  // The TCP checksum is wrong but holds exactly the pseudo-header sum: the sending host left it
  // for its NIC to finish (checksum offload), so the segment itself is not corrupt.
  bool l4_checksum_offloaded = false;
  const uint8_t* l3 = nullptr;      // start of the IP header
  uint32_t l3_length = 0;           // IP header plus payload, trailer padding excluded
  const uint8_t* payload = nullptr; // TCP payload
  uint32_t payload_length = 0;
};

struct DecodeOptions {
  bool verify_checksums = false;
};

// Decodes `frame` of `length` captured bytes. Never reads past frame + length.
DecodeResult DecodeFrame(uint32_t link_type, const uint8_t* frame, uint32_t length,
                         const DecodeOptions& options, DecodedPacket* out);

// Symmetric hash of the IP address pair: the same for both directions of a flow and for all
// fragments of a datagram, so software spreading sends them to one worker.
uint32_t SymmetricIpPairHash(const DecodedPacket& packet);

// Reads the IP addresses of a frame quickly for spreading. Returns 0 for frames without IP.
uint32_t SpreadHash(uint32_t link_type, const uint8_t* frame, uint32_t length);

// DLT_RAW as libpcap's pcap_datalink() reports it for LINKTYPE_RAW files: 12 on most systems, 14
// on OpenBSD (where 12 means DLT_LOOP; this decoder follows the non-OpenBSD numbering). Decoded
// like kLinkRaw.
inline constexpr uint32_t kLinkDltRaw = 12;
inline constexpr uint32_t kLinkDltRawOpenBsd = 14;

}  // namespace sluice::decode
