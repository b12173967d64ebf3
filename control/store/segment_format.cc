#include "control/store/segment_format.h"

#include "control/store/byte_order.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sluice::control::store {
namespace {

constexpr char kHeaderMagic[8] = {'S', 'L', 'U', 'I', 'C', 'E', 'S', 'G'};
constexpr char kTrailerEndMagic[8] = {'S', 'L', 'U', 'I', 'C', 'E', 'N', 'D'};
constexpr uint32_t kFrameMagic = 0x46424c53;    // "SLBF" read little-endian
constexpr uint32_t kTrailerMagic = 0x52544c53;  // "SLTR"
constexpr char kSegmentDomain[] = "sluice store segment v1";

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    table[i] = crc;
  }
  return table;
}

uint32_t FrameCrc(uint32_t raw_size, const uint8_t* compressed, size_t size) {
  uint8_t raw[4];
  for (int i = 0; i < 4; ++i) raw[i] = static_cast<uint8_t>(raw_size >> (8 * i));
  return Crc32c(Crc32c(0, raw, 4), compressed, size);
}

std::string ReadWholeFile(const std::string& path, std::vector<uint8_t>& bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
  struct stat info {};
  if (fstat(fd, &info) != 0) {
    close(fd);
    return "cannot stat " + path + ": " + std::strerror(errno);
  }
  bytes.resize(static_cast<size_t>(info.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = pread(fd, bytes.data() + done, bytes.size() - done, done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    done += static_cast<size_t>(got);
  }
  close(fd);
  bytes.resize(done);
  return {};
}

bool ParseTrailer(const uint8_t* data, SegmentTrailer& trailer) {
  if (GetU32(data) != kTrailerMagic) return false;
  if (std::memcmp(data + kTrailerSize - 8, kTrailerEndMagic, 8) != 0) return false;
  trailer.frames = GetU64(data + 8);
  trailer.offset = GetU64(data + 16);
  trailer.sealed_ns = GetU64(data + 24);
  std::memcpy(trailer.hash.data(), data + 32, 32);
  std::memcpy(trailer.signature.data(), data + 64, 64);
  return true;
}

std::string OffsetText(uint64_t offset) { return "offset " + std::to_string(offset); }

// Checks the frames and the trailer after the header. Fills scan.frames, end, valid_end, problem.
void ScanBody(const std::vector<uint8_t>& bytes, SegmentScan& scan) {
  const uint64_t size = bytes.size();
  uint64_t at = kHeaderSize;
  while (true) {
    scan.valid_end = at;
    if (at == size) {
      scan.end = ScanEnd::kOpen;
      return;
    }
    if (size - at < 4) {
      scan.end = ScanEnd::kTruncatedTail;
      scan.problem = "truncated: " + std::to_string(size - at) + " stray bytes at " + OffsetText(at);
      return;
    }
    const uint32_t magic = GetU32(&bytes[at]);
    if (magic == kTrailerMagic) {
      if (size - at == kTrailerSize && ParseTrailer(&bytes[at], scan.trailer) &&
          scan.trailer.offset == at && scan.trailer.frames == scan.frames.size()) {
        scan.end = ScanEnd::kSealed;
        return;
      }
      const bool cut = size - at < kTrailerSize;
      scan.end = cut ? ScanEnd::kTruncatedTail : ScanEnd::kCorrupt;
      scan.problem = (cut ? "truncated: trailer cut short at " : "invalid trailer at ") +
                     OffsetText(at);
      return;
    }
    if (magic != kFrameMagic) {
      scan.end = ScanEnd::kCorrupt;
      scan.problem = "corrupt: no frame or trailer at " + OffsetText(at);
      return;
    }
    if (size - at < kFrameHeaderSize) {
      scan.end = ScanEnd::kTruncatedTail;
      scan.problem = "truncated: frame header cut short at " + OffsetText(at);
      return;
    }
    FrameRef frame{at, GetU32(&bytes[at + 4]), GetU32(&bytes[at + 8])};
    const uint64_t frame_end = at + kFrameHeaderSize + frame.compressed_size;
    if (frame.raw_size > kMaxFrameRawBytes || frame.compressed_size > kMaxFrameRawBytes + 4096) {
      scan.end = ScanEnd::kCorrupt;
      scan.problem = "corrupt: impossible frame size at " + OffsetText(at);
      return;
    }
    if (frame_end > size) {
      scan.end = ScanEnd::kTruncatedTail;
      scan.problem = "truncated: frame at " + OffsetText(at) + " cut short";
      return;
    }
    const uint32_t crc = FrameCrc(frame.raw_size, &bytes[at + kFrameHeaderSize],
                                  frame.compressed_size);
    if (crc != GetU32(&bytes[at + 12])) {
      // Damage in the last frame is what a crash during its write leaves; damage with more
      // bytes after it is not.
      scan.end = frame_end == size ? ScanEnd::kTruncatedTail : ScanEnd::kCorrupt;
      scan.problem = (frame_end == size ? "truncated: last frame fails its checksum at "
                                        : "corrupt: frame fails its checksum at ") +
                     OffsetText(at);
      return;
    }
    scan.hasher.Update(&bytes[at], frame_end - at);
    scan.frames.push_back(frame);
    at = frame_end;
  }
}

}  // namespace

uint32_t Crc32c(uint32_t crc, const void* data, size_t size) {
  static const std::array<uint32_t, 256> kTable = MakeCrcTable();
  const auto* bytes = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = kTable[(crc ^ bytes[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

std::string EncodeHeader(const SegmentHeader& header) {
  std::string out(kHeaderMagic, sizeof(kHeaderMagic));
  PutU32(out, kFormatVersion);
  PutU32(out, 0);
  PutU64(out, header.number);
  PutU64(out, header.created_ns);
  out.append(reinterpret_cast<const char*>(header.previous_hash.data()), 32);
  return out;
}

std::string EncodeTrailer(const SegmentTrailer& trailer) {
  std::string out;
  PutU32(out, kTrailerMagic);
  PutU32(out, 0);
  PutU64(out, trailer.frames);
  PutU64(out, trailer.offset);
  PutU64(out, trailer.sealed_ns);
  out.append(reinterpret_cast<const char*>(trailer.hash.data()), 32);
  out.append(reinterpret_cast<const char*>(trailer.signature.data()), 64);
  out.append(kTrailerEndMagic, sizeof(kTrailerEndMagic));
  return out;
}

std::string EncodeFrameHeader(std::string_view compressed, uint32_t raw_size) {
  std::string out;
  PutU32(out, kFrameMagic);
  PutU32(out, static_cast<uint32_t>(compressed.size()));
  PutU32(out, raw_size);
  PutU32(out, FrameCrc(raw_size, reinterpret_cast<const uint8_t*>(compressed.data()),
                       compressed.size()));
  return out;
}

std::string SegmentSignedMessage(uint64_t number, const Sha256Digest& hash) {
  std::string message(kSegmentDomain);
  PutU64(message, number);
  message.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  return message;
}

std::string SegmentFileName(uint64_t number) {
  char name[40];
  std::snprintf(name, sizeof(name), "segment-%016llu.sls", static_cast<unsigned long long>(number));
  return name;
}

bool ParseSegmentFileName(std::string_view name, uint64_t& number) {
  constexpr std::string_view kPrefix = "segment-";
  constexpr std::string_view kSuffix = ".sls";
  if (name.size() != kPrefix.size() + 16 + kSuffix.size()) return false;
  if (name.substr(0, kPrefix.size()) != kPrefix) return false;
  if (name.substr(name.size() - kSuffix.size()) != kSuffix) return false;
  number = 0;
  for (const char c : name.substr(kPrefix.size(), 16)) {
    if (c < '0' || c > '9') return false;
    number = number * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

std::string ScanSegment(const std::string& path, SegmentScan& scan) {
  std::vector<uint8_t> bytes;
  if (std::string error = ReadWholeFile(path, bytes); !error.empty()) return error;
  scan = SegmentScan{};
  scan.file_size = bytes.size();
  if (bytes.size() < kHeaderSize) {
    scan.end = ScanEnd::kTruncatedTail;
    scan.problem = "truncated: the header is cut short (" + std::to_string(bytes.size()) +
                   " bytes)";
    return {};
  }
  if (std::memcmp(bytes.data(), kHeaderMagic, sizeof(kHeaderMagic)) != 0 ||
      GetU32(&bytes[8]) != kFormatVersion) {
    scan.end = ScanEnd::kCorrupt;
    scan.problem = "corrupt: not a version 1 segment header";
    return {};
  }
  scan.header_ok = true;
  scan.header.number = GetU64(&bytes[16]);
  scan.header.created_ns = GetU64(&bytes[24]);
  std::memcpy(scan.header.previous_hash.data(), &bytes[32], 32);
  scan.hasher.Update(bytes.data(), kHeaderSize);
  ScanBody(bytes, scan);
  scan.computed_hash = scan.hasher.Peek();
  return {};
}

std::string ReadFrame(const std::string& path, uint64_t offset, std::vector<uint8_t>& message) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
  uint8_t header[kFrameHeaderSize];
  std::string error;
  std::vector<uint8_t> compressed;
  if (pread(fd, header, sizeof(header), static_cast<off_t>(offset)) !=
          static_cast<ssize_t>(sizeof(header)) ||
      GetU32(header) != kFrameMagic) {
    error = "no frame at " + OffsetText(offset) + " of " + path;
  } else {
    const uint32_t compressed_size = GetU32(header + 4);
    const uint32_t raw_size = GetU32(header + 8);
    if (raw_size > kMaxFrameRawBytes || compressed_size > kMaxFrameRawBytes + 4096) {
      error = "impossible frame size at " + OffsetText(offset) + " of " + path;
    } else {
      compressed.resize(compressed_size);
      if (pread(fd, compressed.data(), compressed_size,
                static_cast<off_t>(offset + kFrameHeaderSize)) !=
          static_cast<ssize_t>(compressed_size)) {
        error = "frame at " + OffsetText(offset) + " of " + path + " is cut short";
      } else if (FrameCrc(raw_size, compressed.data(), compressed_size) != GetU32(header + 12)) {
        error = "frame at " + OffsetText(offset) + " of " + path + " fails its checksum";
      } else {
        message.resize(raw_size);
        const size_t got =
            ZSTD_decompress(message.data(), raw_size, compressed.data(), compressed_size);
        if (ZSTD_isError(got) || got != raw_size) {
          error = "frame at " + OffsetText(offset) + " of " + path + " does not decompress";
        }
      }
    }
  }
  close(fd);
  return error;
}

}  // namespace sluice::control::store
