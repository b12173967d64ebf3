#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

namespace sluice::gen {

// Writes the classic pcap format with nanosecond timestamps (magic 0xa1b23c4d) and
// LINKTYPE_ETHERNET, in host byte order as libpcap does. Written here instead of through
// pcap_dump so the bytes depend on nothing but the generator.
class PcapFileWriter {
 public:
  PcapFileWriter() = default;
  ~PcapFileWriter();
  PcapFileWriter(const PcapFileWriter&) = delete;
  PcapFileWriter& operator=(const PcapFileWriter&) = delete;

  // Creates or truncates `path` and writes the file header. Returns false and fills `error`
  // when the file cannot be opened or written.
  bool Open(const std::string& path, std::string* error);
  // Appends one record; the caller keeps timestamps non-decreasing.
  void Write(int64_t timestamp_ns, std::span<const uint8_t> frame);
  // Flushes and closes. Returns false and fills `error` when any write failed.
  bool Close(std::string* error);

  uint64_t bytes_written() const { return bytes_written_; }

 private:
  FILE* file_ = nullptr;
  std::string path_;
  uint64_t bytes_written_ = 0;
};

}  // namespace sluice::gen
