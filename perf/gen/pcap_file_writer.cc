#include "perf/gen/pcap_file_writer.h"

#include <cerrno>
#include <cstring>

namespace sluice::gen {
namespace {

constexpr uint32_t kMagicNanosecond = 0xa1b23c4d;
constexpr uint32_t kLinkTypeEthernet = 1;
constexpr uint32_t kSnapLength = 262144;
constexpr size_t kFileBufferBytes = 1 << 20;

struct FileHeader {
  uint32_t magic;
  uint16_t version_major;
  uint16_t version_minor;
  int32_t this_zone;
  uint32_t sigfigs;
  uint32_t snap_length;
  uint32_t link_type;
};

struct RecordHeader {
  uint32_t seconds;
  uint32_t nanoseconds;
  uint32_t captured_length;
  uint32_t original_length;
};

}  // namespace

PcapFileWriter::~PcapFileWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

bool PcapFileWriter::Open(const std::string& path, std::string* error) {
  path_ = path;
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) {
    *error = "cannot open output file '" + path + "' for writing: " + std::strerror(errno);
    return false;
  }
  std::setvbuf(file_, nullptr, _IOFBF, kFileBufferBytes);
  const FileHeader header{kMagicNanosecond, 2, 4, 0, 0, kSnapLength, kLinkTypeEthernet};
  std::fwrite(&header, sizeof(header), 1, file_);
  bytes_written_ = sizeof(header);
  return true;
}

void PcapFileWriter::Write(int64_t timestamp_ns, std::span<const uint8_t> frame) {
  const RecordHeader record{static_cast<uint32_t>(timestamp_ns / 1000000000),
                            static_cast<uint32_t>(timestamp_ns % 1000000000),
                            static_cast<uint32_t>(frame.size()),
                            static_cast<uint32_t>(frame.size())};
  std::fwrite(&record, sizeof(record), 1, file_);
  std::fwrite(frame.data(), 1, frame.size(), file_);
  bytes_written_ += sizeof(record) + frame.size();
}

bool PcapFileWriter::Close(std::string* error) {
  if (file_ == nullptr) return true;
  const bool write_failed = std::ferror(file_) != 0;
  const int saved_errno = errno;
  const bool close_failed = std::fclose(file_) != 0;
  file_ = nullptr;
  if (write_failed || close_failed) {
    *error =
        "failed to write '" + path_ + "': " + std::strerror(write_failed ? saved_errno : errno);
    return false;
  }
  return true;
}

}  // namespace sluice::gen
