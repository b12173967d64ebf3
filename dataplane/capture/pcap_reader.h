// Reads pcap and pcapng captures with libpcap, at nanosecond precision where the file has it.
// Used by the main lcore in offline mode; not on the worker path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

struct pcap;

namespace sluice::capture {

class PcapReader {
 public:
  PcapReader() = default;
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  // Opens `path`. Fails with a message naming the file when it is missing, unreadable, not a
  // capture, or of a link type the decoder does not support.
  bool Open(const std::string& path, std::string* error);

  enum class Status { kFrame, kEnd, kError };
  // Reads the next frame. On kError, error() names the file, the byte offset and the cause.
  Status Next(const uint8_t** data, uint32_t* captured_length, uint64_t* ts_ns);

  uint32_t link_type() const { return link_type_; }
  const std::string& error() const { return error_; }
  uint64_t offset() const;          // where the next frame starts: bytes of the file read so far
  uint64_t file_size() const { return file_size_; }
  uint64_t frames() const { return frames_; }

 private:
  uint64_t FileOffset() const;  // ftell of libpcap's stream: one system call

  pcap* handle_ = nullptr;
  std::unique_ptr<char[]> buffer_;  // the stream's buffer; outlives handle_
  // Classic pcap: records are a 16-byte header and the captured bytes, so the offset is counted
  // here instead of read from the stream (ftell) for every frame. pcapng reads it from the stream.
  bool classic_ = false;
  uint64_t next_offset_ = 0;
  std::string path_;
  std::string error_;
  uint32_t link_type_ = 0;
  uint64_t file_size_ = 0;
  uint64_t frames_ = 0;
};

}  // namespace sluice::capture
