// Community ID flow hashing, version 1, so that records from Sluice join with Zeek, Suricata and
// Wireshark records of the same connection. The unit test pins values that tshark 4.0.17 computed.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::control {

// "1:" plus the base64 of a 20-byte SHA-1 digest (28 characters) plus a terminating NUL.
inline constexpr size_t kCommunityIdSize = 31;
inline constexpr uint8_t kIpProtoTcp = 6;

struct CommunityIdEndpoint {
  const uint8_t* ip;  // 4 bytes for IPv4, 16 for IPv6, in network order
  uint16_t port;      // host order
};

// Computes the v1 Community ID of a port-based flow (TCP, UDP, SCTP) into `out` and returns a view
// of it, or an empty view when OpenSSL fails. `ip_length` is 4 or 16. The result does not depend
// on which endpoint is passed first.
std::string_view CommunityIdV1(size_t ip_length, CommunityIdEndpoint a, CommunityIdEndpoint b,
                               uint8_t protocol, uint16_t seed, char (&out)[kCommunityIdSize]);

}  // namespace sluice::control
