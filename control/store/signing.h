// Ed25519 signing keys and SHA-256 digests of the forensic store (OpenSSL 3).
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sluice::control::store {

using Sha256Digest = std::array<uint8_t, 32>;
using Ed25519Signature = std::array<uint8_t, 64>;

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// Writes a new Ed25519 private key to `path` (PEM, PKCS#8, mode 0600) and its public key to
// `path`.pub (PEM). Refuses to overwrite an existing key. Returns an empty string on success, or an
// error naming the path and the fix.
std::string GenerateSigningKey(const std::string& path);

// Loads the Ed25519 private key at `path`. Returns an empty string on success.
std::string LoadSigningKey(const std::string& path, Pkey& key);

// Loads a key to verify with: a PEM public key, or a PEM private key whose public half is used.
std::string LoadVerifyKey(const std::string& path, Pkey& key);

// Signs `message` with an Ed25519 private key. Returns false when OpenSSL fails.
bool SignMessage(EVP_PKEY* key, std::string_view message, Ed25519Signature& signature);

// Returns whether `signature` is a valid Ed25519 signature of `message` under `key`.
bool VerifyMessage(EVP_PKEY* key, std::string_view message, const Ed25519Signature& signature);

// Hex of a digest, lower case, 64 characters.
std::string DigestHex(const Sha256Digest& digest);

// Incremental SHA-256 whose state can be copied, so a store can roll back to a committed point.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256& other);
  Sha256& operator=(const Sha256& other);

  void Update(const void* data, size_t size);
  // Returns the digest of everything given so far; the state stays usable.
  Sha256Digest Peek() const;

 private:
  EVP_MD_CTX* context_;
};

}  // namespace sluice::control::store
