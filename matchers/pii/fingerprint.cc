// The SHA256_* calls are deprecated in OpenSSL 3 in favour of EVP, but EVP_MAC and EVP_MD
// contexts allocate on init or copy, and this runs per detected value on a worker core.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "matchers/pii/fingerprint.h"

#include <cstring>

namespace sluice::matchers {

Fingerprinter::Fingerprinter(std::string_view key) {
  uint8_t block[SHA256_CBLOCK] = {};
  if (key.size() > SHA256_CBLOCK) {
    SHA256(reinterpret_cast<const uint8_t*>(key.data()), key.size(), block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  uint8_t pad[SHA256_CBLOCK];
  for (size_t i = 0; i < SHA256_CBLOCK; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&inner_);
  SHA256_Update(&inner_, pad, sizeof(pad));
  for (size_t i = 0; i < SHA256_CBLOCK; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&outer_);
  SHA256_Update(&outer_, pad, sizeof(pad));
}

Fingerprint Fingerprinter::Compute(std::string_view value) const {
  uint8_t inner_digest[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx = inner_;
  SHA256_Update(&ctx, value.data(), value.size());
  SHA256_Final(inner_digest, &ctx);

  uint8_t digest[SHA256_DIGEST_LENGTH];
  ctx = outer_;
  SHA256_Update(&ctx, inner_digest, sizeof(inner_digest));
  SHA256_Final(digest, &ctx);

  Fingerprint out;
  std::memcpy(out.data(), digest, out.size());
  return out;
}

void FingerprintToHex(const Fingerprint& fingerprint, char* out) {
  constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < fingerprint.size(); ++i) {
    out[2 * i] = kHex[fingerprint[i] >> 4];
    out[2 * i + 1] = kHex[fingerprint[i] & 0xf];
  }
}

}  // namespace sluice::matchers
