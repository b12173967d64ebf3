// The two signed files beside the segments that pin the ends of the chain.
//
// chain-head (120 bytes): magic "SLUICEHD", the number and hash of the newest sealed segment,
// signed_ns, Ed25519 signature. It makes deleting the newest segments detectable.
// chain-anchor (120 bytes): magic "SLUICEAN", the first kept segment number and the hash of the
// segment before it, written_ns, signature. Retention writes it before it deletes the oldest
// segments, so the chain stays verifiable from the first kept segment. Without an anchor the
// chain starts at segment 1 with a zero previous hash.
#pragma once

#include <cstdint>
#include <string>

#include "control/store/signing.h"

namespace sluice::control::store {

inline constexpr char kHeadFileName[] = "chain-head";
inline constexpr char kAnchorFileName[] = "chain-anchor";

struct ChainMark {
  uint64_t number = 0;  // head: newest sealed segment; anchor: first kept segment
  Sha256Digest hash{};  // head: that segment's hash; anchor: hash of the segment before it
  uint64_t written_ns = 0;
  Ed25519Signature signature{};
};

enum class ChainMarkKind : uint8_t { kHead, kAnchor };

// The bytes a mark's signature covers.
std::string ChainMarkSignedMessage(ChainMarkKind kind, const ChainMark& mark);

// Signs `mark` and writes it to `directory`/<file> atomically (temporary file, fsync, rename,
// directory fsync). Returns an empty string on success.
std::string WriteChainMark(const std::string& directory, ChainMarkKind kind, EVP_PKEY* key,
                           ChainMark mark);

// Reads a mark. Returns an empty string on success; `missing` tells a missing file apart from an
// unreadable or malformed one.
std::string ReadChainMark(const std::string& directory, ChainMarkKind kind, ChainMark& mark,
                          bool& missing);

// Writes `bytes` to `path` atomically as WriteChainMark does.
std::string WriteFileAtomically(const std::string& path, const std::string& bytes);

// fsyncs a directory so that a file created or renamed in it survives a crash.
std::string SyncDirectory(const std::string& directory);

}  // namespace sluice::control::store
