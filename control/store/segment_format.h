// On-disk layout of a store segment, and a scanner that checks one segment file.
//
//   header   64 bytes  magic "SLUICESG", version u32, flags u32, segment number u64,
//                      created_ns u64, SHA-256 of the previous segment (32 bytes; zeros for the
//                      first segment ever written)
//   frame    16 bytes  magic u32 "SLBF", compressed size u32, raw size u32, CRC-32C u32 of
//                      (raw size, compressed bytes), then the zstd-compressed Message bytes
//   ...
//   trailer 136 bytes  magic u32 "SLTR", reserved u32, frame count u64, trailer offset u64,
//                      sealed_ns u64, segment hash (32), Ed25519 signature (64), magic "SLUICEND"
//
// All integers are little-endian. The segment hash is SHA-256 over the header and every frame,
// so it covers the previous segment's hash: the segments form a chain. A segment without a
// trailer is still being written (the newest one) or was cut short.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "control/store/signing.h"

namespace sluice::control::store {

inline constexpr size_t kHeaderSize = 64;
inline constexpr size_t kFrameHeaderSize = 16;
inline constexpr size_t kTrailerSize = 136;
inline constexpr uint32_t kFormatVersion = 1;
// A frame larger than this is treated as corrupt: it bounds what a damaged length field can make
// a reader allocate. Batches arrive in ZeroMQ frames of at most 64 MiB.
inline constexpr uint32_t kMaxFrameRawBytes = 64u << 20;

struct SegmentHeader {
  uint64_t number = 0;
  uint64_t created_ns = 0;
  Sha256Digest previous_hash{};
};

struct SegmentTrailer {
  uint64_t frames = 0;
  uint64_t offset = 0;  // where the trailer starts: the end of the hashed bytes
  uint64_t sealed_ns = 0;
  Sha256Digest hash{};
  Ed25519Signature signature{};
};

std::string EncodeHeader(const SegmentHeader& header);
std::string EncodeTrailer(const SegmentTrailer& trailer);
// Builds the 16-byte frame header for `compressed` bytes that decompress to `raw_size` bytes.
std::string EncodeFrameHeader(std::string_view compressed, uint32_t raw_size);

// The message a segment's trailer signs: a domain string, the segment number and its hash.
std::string SegmentSignedMessage(uint64_t number, const Sha256Digest& hash);

// File name of segment `number`: "segment-" and 16 decimal digits, then ".sls", so that a
// directory listing sorts in chain order.
std::string SegmentFileName(uint64_t number);
// Parses a segment file name. Returns false for other files.
bool ParseSegmentFileName(std::string_view name, uint64_t& number);

uint32_t Crc32c(uint32_t crc, const void* data, size_t size);

struct FrameRef {
  uint64_t offset = 0;  // of the frame header
  uint32_t compressed_size = 0;
  uint32_t raw_size = 0;
};

enum class ScanEnd : uint8_t {
  kSealed,        // a valid trailer ends the file
  kOpen,          // the file ends cleanly after a whole frame, without a trailer
  kTruncatedTail, // the last frame is cut short or fails its CRC: a crash in mid-write
  kCorrupt,       // damage followed by more bytes, or a bad header or trailer
};

// What ScanSegment found. `valid_end` is the offset just past the last good frame, where a
// recovering writer may cut the file back.
struct SegmentScan {
  bool header_ok = false;
  SegmentHeader header;
  std::vector<FrameRef> frames;
  ScanEnd end = ScanEnd::kCorrupt;
  uint64_t valid_end = 0;
  uint64_t file_size = 0;
  std::string problem;  // set for kTruncatedTail and kCorrupt: what is wrong and where
  SegmentTrailer trailer;  // set for kSealed
  Sha256Digest computed_hash{};  // SHA-256 of the header and the good frames
  Sha256 hasher;  // the state behind computed_hash, for a writer that appends more frames
};

// Reads and checks the segment file at `path`. Returns an empty string, or an error when the file
// cannot be read at all.
std::string ScanSegment(const std::string& path, SegmentScan& scan);

// Reads the frame at `offset` of the segment at `path` and decompresses it into `message`.
std::string ReadFrame(const std::string& path, uint64_t offset, std::vector<uint8_t>& message);

}  // namespace sluice::control::store
