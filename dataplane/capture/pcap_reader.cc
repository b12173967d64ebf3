#include "dataplane/capture/pcap_reader.h"

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dataplane/decode/packet_decoder.h"

namespace sluice::capture {
namespace {

// stdio's default buffer is the file system's block size, often 4 KiB: one read per few frames.
constexpr size_t kStreamBufferBytes = 1 << 20;
constexpr uint64_t kPcapFileHeaderBytes = 24;
constexpr uint64_t kPcapRecordHeaderBytes = 16;

// The four magic numbers of classic pcap: microseconds and nanoseconds, either byte order.
bool IsClassicPcapMagic(const unsigned char magic[4]) {
  uint32_t value = 0;
  std::memcpy(&value, magic, sizeof(value));
  return value == 0xa1b2c3d4 || value == 0xd4c3b2a1 || value == 0xa1b23c4d || value == 0x4d3cb2a1;
}

}  // namespace

PcapReader::~PcapReader() {
  if (handle_ != nullptr) pcap_close(handle_);
}

bool PcapReader::Open(const std::string& path, std::string* error) {
  path_ = path;
  struct stat info{};
  if (stat(path.c_str(), &info) != 0) {
    *error = "cannot open capture '" + path + "': " + std::strerror(errno);
    return false;
  }
  if (!S_ISREG(info.st_mode)) {
    *error = "cannot read capture '" + path + "': not a regular file";
    return false;
  }
  file_size_ = static_cast<uint64_t>(info.st_size);
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    *error = "cannot open capture '" + path + "': " + std::strerror(errno);
    return false;
  }
  buffer_ = std::make_unique<char[]>(kStreamBufferBytes);
  std::setvbuf(file, buffer_.get(), _IOFBF, kStreamBufferBytes);
  unsigned char magic[4] = {};
  classic_ = std::fread(magic, 1, sizeof(magic), file) == sizeof(magic) && IsClassicPcapMagic(magic);
  std::rewind(file);
  char message[PCAP_ERRBUF_SIZE] = {};
  handle_ = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, message);
  if (handle_ == nullptr) {
    std::fclose(file);  // libpcap closes the stream only once it has opened it
    *error = "cannot read capture '" + path + "' at offset 0: " + message +
             " (expected a pcap or pcapng file)";
    return false;
  }
  next_offset_ = classic_ ? kPcapFileHeaderBytes : 0;
  const int link = pcap_datalink(handle_);
  link_type_ = static_cast<uint32_t>(link);
  if (!decode::IsSupportedLinkType(link_type_)) {
    const char* name = pcap_datalink_val_to_name(link);
    *error = "capture '" + path + "' has link type " + std::to_string(link) + " (" +
             (name != nullptr ? name : "unknown") +
             "), which sluice cannot decode; supported: EN10MB, NULL, LOOP, RAW, IPV4, IPV6, "
             "LINUX_SLL, LINUX_SLL2";
    return false;
  }
  return true;
}

uint64_t PcapReader::FileOffset() const {
  if (handle_ == nullptr) return 0;
  FILE* file = pcap_file(handle_);
  const long position = file != nullptr ? std::ftell(file) : -1;
  return position < 0 ? 0 : static_cast<uint64_t>(position);
}

uint64_t PcapReader::offset() const { return classic_ ? next_offset_ : FileOffset(); }

PcapReader::Status PcapReader::Next(const uint8_t** data, uint32_t* captured_length, uint64_t* ts_ns) {
  const uint64_t before = offset();
  pcap_pkthdr* header = nullptr;
  const u_char* bytes = nullptr;
  const int result = pcap_next_ex(handle_, &header, &bytes);
  if (result == 1) {
    ++frames_;
    if (classic_) {
      // libpcap cuts a record longer than the file's snapshot length and skips the rest. Only
      // such a record's size in the file differs from the length libpcap returns.
      const bool maybe_cut = header->caplen >= static_cast<uint32_t>(pcap_snapshot(handle_));
      next_offset_ = maybe_cut ? FileOffset() : before + kPcapRecordHeaderBytes + header->caplen;
    }
    *data = bytes;
    *captured_length = header->caplen;
    // With nanosecond precision requested, libpcap puts nanoseconds in tv_usec.
    *ts_ns = static_cast<uint64_t>(header->ts.tv_sec) * 1000000000ull +
             static_cast<uint64_t>(header->ts.tv_usec);
    return Status::kFrame;
  }
  if (result == PCAP_ERROR_BREAK) return Status::kEnd;
  error_ = "capture '" + path_ + "' is corrupt or truncated at offset " + std::to_string(before) +
           " (after frame " + std::to_string(frames_) + "): " + pcap_geterr(handle_);
  return Status::kError;
}

}  // namespace sluice::capture
