// Community ID flow hashing, version 1, so that records from Sluice join with Zeek, Suricata and
// Wireshark records of the same connection. The unit test pins values that tshark 4.0.17 computed.
#pragma once

#include <cstdint>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace sluice::control {

// "1:" plus the base64 of a 20-byte SHA-1 digest (28 characters) plus a terminating NUL.
inline constexpr size_t kCommunityIdSize = 31;
inline constexpr uint8_t kIpProtoTcp = 6;

struct CommunityIdEndpoint {
  const uint8_t* ip;  // 4 bytes for IPv4, 16 for IPv6, in network order
  uint16_t port;      // host order
};

// Computes v1 Community IDs with one digest context that it keeps, because OpenSSL 3's one-shot
// EVP_Digest allocates a context and looks up SHA-1 under a lock on every call. Not thread-safe.
class CommunityIdHasher {
 public:
  CommunityIdHasher();
  ~CommunityIdHasher();
  CommunityIdHasher(const CommunityIdHasher&) = delete;
  CommunityIdHasher& operator=(const CommunityIdHasher&) = delete;

  // Computes the v1 Community ID of a port-based flow (TCP, UDP, SCTP) into `out` and returns a
  // view of it, or an empty view when OpenSSL fails. `ip_length` is 4 or 16. The result does not
  // depend on which endpoint is passed first.
  std::string_view Compute(size_t ip_length, CommunityIdEndpoint a, CommunityIdEndpoint b,
                           uint8_t protocol, uint16_t seed, char (&out)[kCommunityIdSize]);

 private:
  evp_md_ctx_st* context_ = nullptr;  // null when OpenSSL could not allocate it
  bool initialized_ = false;          // context_ has been set up for SHA-1 once
};

// Computes one Community ID like CommunityIdHasher::Compute, with a context of its own.
std::string_view CommunityIdV1(size_t ip_length, CommunityIdEndpoint a, CommunityIdEndpoint b,
                               uint8_t protocol, uint16_t seed, char (&out)[kCommunityIdSize]);

}  // namespace sluice::control
