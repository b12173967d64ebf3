// CURVE key files for the command channel: generation, reading and writing.
//
// A key file contains one Z85-encoded 32-byte key (40 characters) and a newline. Lines starting with
// '#' are comments. `sluicectl keys init` writes:
//   DIR/server.public, DIR/server.secret   the keypair of sluice-control
//   DIR/client.public, DIR/client.secret   a keypair for sluicectl
//   DIR/allowed/client.public              the client key sluice-control admits
// Every file gets mode 0600, the directories 0700.
#pragma once

#include <string>
#include <string_view>

namespace sluice::control {

inline constexpr size_t kZ85KeyLength = 40;

struct CurveKeyPair {
  std::string public_z85;
  std::string secret_z85;
};

// True when `key` is 40 characters of the Z85 alphabet.
bool IsZ85Key(std::string_view key);

// Generates a keypair with zmq_curve_keypair. Fails when libzmq was built without CURVE.
bool GenerateKeyPair(CurveKeyPair* pair, std::string* error);

// Reads the key from `path`. Fails with a message naming the file when it is missing, unreadable
// or contains anything but one Z85 key.
bool ReadKeyFile(const std::string& path, std::string* key, std::string* error);

// Writes `key` to `path` with mode 0600. Refuses to replace an existing file unless `overwrite`.
bool WriteKeyFile(const std::string& path, const std::string& key, bool overwrite,
                  std::string* error);

struct KeysInitResult {
  std::string server_public;
  std::string client_public;
  std::string allowed_path;  // the file that lists the client key as allowed
};

// Creates DIR (0700) and writes both keypairs and the allowed client key. Refuses to replace
// existing keys unless `overwrite`.
bool InitKeyDirectory(const std::string& directory, bool overwrite, KeysInitResult* result,
                      std::string* error);

}  // namespace sluice::control
