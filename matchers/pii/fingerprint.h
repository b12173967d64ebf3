// Keyed fingerprints of PII values: HMAC-SHA256 (RFC 2104) of the exact value, truncated to
// 16 bytes. The key comes from configuration, so fingerprints can be correlated across records
// without storing the values. No allocation per call: the keyed inner and outer SHA-256 states
// are computed once and copied for each value.
#pragma once

#include <openssl/sha.h>

#include <array>
#include <cstdint>
#include <string_view>

namespace sluice::matchers {

inline constexpr size_t kFingerprintBytes = 16;
using Fingerprint = std::array<uint8_t, kFingerprintBytes>;

class Fingerprinter {
 public:
  explicit Fingerprinter(std::string_view key);
  Fingerprint Compute(std::string_view value) const;

 private:
  SHA256_CTX inner_;  // state after hashing key XOR ipad
  SHA256_CTX outer_;  // state after hashing key XOR opad
};

// Lower-case hex of the fingerprint; `out` receives 2 * kFingerprintBytes characters.
void FingerprintToHex(const Fingerprint& fingerprint, char* out);

}  // namespace sluice::matchers
