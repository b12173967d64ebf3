// Append-only JSON-lines file: the ECS sink.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::control {

// Appends lines to one file. Owned and called by the ingest thread only.
class JsonlSink {
 public:
  JsonlSink() = default;
  ~JsonlSink();
  JsonlSink(const JsonlSink&) = delete;
  JsonlSink& operator=(const JsonlSink&) = delete;

  // Opens `path` for appending, creating it when missing. Returns an empty string on success, or
  // an error message naming the path and the reason.
  std::string Open(const std::string& path);

  // Hands `lines`, any number of whole lines each ending in '\n', to the kernel with as few
  // write(2) calls as it takes (one, unless the kernel accepts part). Returns false on a write
  // error; part of `lines` may then be in the file.
  bool Write(std::string_view lines);

  // Returns whether every earlier Write succeeded since the last Flush. Write keeps nothing
  // buffered, so there is nothing left to hand over. Flush does not make the lines durable:
  // Sync does.
  bool Flush();

  // Calls fdatasync(2), so that every line written so far survives a crash or a power loss.
  // Returns false on failure, with last_error() set.
  bool Sync();

  // Cuts the file back to `length` bytes (ftruncate(2)), removing lines written after that
  // point. Later writes append at the new end. Returns false on failure, with last_error() set.
  bool TruncateTo(uint64_t length);

  // Bytes in the file: its size at Open plus every byte written since (the file is opened with
  // O_APPEND and only this object writes it).
  uint64_t size() const { return size_; }

  const std::string& path() const { return path_; }
  // The errno of the last failed write, for the caller's log line.
  int last_error() const { return last_error_; }

 private:
  int fd_ = -1;
  std::string path_;
  int last_error_ = 0;
  bool write_failed_ = false;
  uint64_t size_ = 0;
};

}  // namespace sluice::control
