#include "control/store/signing.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sluice::control::store {
namespace {

struct FileCloser {
  void operator()(FILE* file) const {
    if (file != nullptr) std::fclose(file);
  }
};
using File = std::unique_ptr<FILE, FileCloser>;

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

std::string GenerateSigningKey(const std::string& path) {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (key == nullptr) return "cannot generate an Ed25519 key: OpenSSL failed";

  // O_EXCL: an existing key signs the existing chain and must never be replaced by accident.
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return "signing key " + path + " already exists; it is kept unchanged";
    return Errno("cannot create signing key", path) + "; check the directory exists and is writable";
  }
  File file(fdopen(fd, "w"));
  if (file == nullptr) {
    close(fd);
    return Errno("cannot open signing key", path);
  }
  if (PEM_write_PrivateKey(file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      std::fflush(file.get()) != 0 || fsync(fileno(file.get())) != 0) {
    return Errno("cannot write signing key", path);
  }

  const std::string public_path = path + ".pub";
  File public_file(std::fopen(public_path.c_str(), "w"));
  if (public_file == nullptr) return Errno("cannot create public key", public_path);
  if (PEM_write_PUBKEY(public_file.get(), key.get()) != 1 || std::fflush(public_file.get()) != 0) {
    return Errno("cannot write public key", public_path);
  }
  return {};
}

std::string LoadSigningKey(const std::string& path, Pkey& key) {
  File file(std::fopen(path.c_str(), "r"));
  if (file == nullptr) {
    return Errno("cannot open signing key", path) +
           "; create one with sluice-control --init-store-key " + path;
  }
  key.reset(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) return "signing key " + path + " is not a PEM private key";
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    key.reset();
    return "signing key " + path + " is not an Ed25519 key; create one with --init-store-key";
  }
  return {};
}

std::string LoadVerifyKey(const std::string& path, Pkey& key) {
  File file(std::fopen(path.c_str(), "r"));
  if (file == nullptr) return Errno("cannot open key", path);
  key.reset(PEM_read_PUBKEY(file.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    std::rewind(file.get());
    key.reset(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr));
  }
  if (key == nullptr) return "key " + path + " is neither a PEM public key nor a PEM private key";
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    key.reset();
    return "key " + path + " is not an Ed25519 key";
  }
  return {};
}

bool SignMessage(EVP_PKEY* key, std::string_view message, Ed25519Signature& signature) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == nullptr) return false;
  size_t length = signature.size();
  // Ed25519 hashes internally, so no digest is named (NULL), and only the one-shot call works.
  const bool ok =
      EVP_DigestSignInit(context, nullptr, nullptr, nullptr, key) == 1 &&
      EVP_DigestSign(context, signature.data(), &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1 &&
      length == signature.size();
  EVP_MD_CTX_free(context);
  return ok;
}

bool VerifyMessage(EVP_PKEY* key, std::string_view message, const Ed25519Signature& signature) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == nullptr) return false;
  const bool ok =
      EVP_DigestVerifyInit(context, nullptr, nullptr, nullptr, key) == 1 &&
      EVP_DigestVerify(context, signature.data(), signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(context);
  return ok;
}

std::string DigestHex(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(64);
  for (const uint8_t byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 15]);
  }
  return hex;
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(context_, EVP_sha256(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_); }

Sha256::Sha256(const Sha256& other) : context_(EVP_MD_CTX_new()) {
  EVP_MD_CTX_copy_ex(context_, other.context_);
}

Sha256& Sha256::operator=(const Sha256& other) {
  if (this != &other) EVP_MD_CTX_copy_ex(context_, other.context_);
  return *this;
}

void Sha256::Update(const void* data, size_t size) { EVP_DigestUpdate(context_, data, size); }

Sha256Digest Sha256::Peek() const {
  Sha256Digest digest{};
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  unsigned int length = 0;
  EVP_MD_CTX_copy_ex(copy, context_);
  EVP_DigestFinal_ex(copy, digest.data(), &length);
  EVP_MD_CTX_free(copy);
  return digest;
}

}  // namespace sluice::control::store
