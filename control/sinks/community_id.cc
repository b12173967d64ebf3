#include "control/sinks/community_id.h"

#include <openssl/evp.h>

#include <cstring>
#include <utility>

namespace sluice::control {
namespace {

// The spec orders the endpoints so that the smaller (address, port) pair comes first, comparing
// addresses as byte strings in network order and ports only when the addresses are equal.
bool ComesFirst(size_t ip_length, CommunityIdEndpoint a, CommunityIdEndpoint b) {
  const int order = std::memcmp(a.ip, b.ip, ip_length);
  return order < 0 || (order == 0 && a.port < b.port);
}

void PutBigEndian16(uint8_t* out, uint16_t value) {
  out[0] = static_cast<uint8_t>(value >> 8);
  out[1] = static_cast<uint8_t>(value & 0xFF);
}

}  // namespace

CommunityIdHasher::CommunityIdHasher() : context_(EVP_MD_CTX_new()) {}

CommunityIdHasher::~CommunityIdHasher() { EVP_MD_CTX_free(context_); }

std::string_view CommunityIdHasher::Compute(size_t ip_length, CommunityIdEndpoint a,
                                            CommunityIdEndpoint b, uint8_t protocol,
                                            uint16_t seed, char (&out)[kCommunityIdSize]) {
  if (ip_length != 4 && ip_length != 16) return {};
  if (context_ == nullptr) return {};
  if (!ComesFirst(ip_length, a, b)) std::swap(a, b);

  // Hash input: seed (2) | source address | destination address | protocol (1) | zero pad (1) |
  // source port (2) | destination port (2), multi-byte values in network order.
  uint8_t input[2 + 16 + 16 + 2 + 4];
  size_t length = 0;
  PutBigEndian16(input, seed);
  length += 2;
  std::memcpy(input + length, a.ip, ip_length);
  length += ip_length;
  std::memcpy(input + length, b.ip, ip_length);
  length += ip_length;
  input[length++] = protocol;
  input[length++] = 0;
  PutBigEndian16(input + length, a.port);
  length += 2;
  PutBigEndian16(input + length, b.port);
  length += 2;

  // A null digest reuses the SHA-1 implementation fetched by the first call, which skips
  // OpenSSL 3's locked provider lookup and the allocation of a new EVP_MD_CTX.
  // NOTE: OpenSSL 3.0 still frees and allocates the provider's SHA-1 state (96 bytes) on each
  // init; no supported API in 3.0 avoids it.
  const EVP_MD* digest_type = initialized_ ? nullptr : EVP_sha1();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  if (EVP_DigestInit_ex2(context_, digest_type, nullptr) != 1 ||
      EVP_DigestUpdate(context_, input, length) != 1 ||
      EVP_DigestFinal_ex(context_, digest, &digest_length) != 1) {
    initialized_ = false;
    return {};
  }
  initialized_ = true;

  out[0] = '1';
  out[1] = ':';
  // EVP_EncodeBlock writes 28 characters and a NUL for a 20-byte digest.
  const int encoded = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out + 2), digest,
                                      static_cast<int>(digest_length));
  return std::string_view(out, 2 + static_cast<size_t>(encoded));
}

std::string_view CommunityIdV1(size_t ip_length, CommunityIdEndpoint a, CommunityIdEndpoint b,
                               uint8_t protocol, uint16_t seed, char (&out)[kCommunityIdSize]) {
  CommunityIdHasher hasher;
  return hasher.Compute(ip_length, a, b, protocol, seed, out);
}

}  // namespace sluice::control
