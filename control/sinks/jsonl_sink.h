// Append-only JSON-lines file: the ECS sink.
#pragma once

#include <cstdio>
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

  // Buffers one line, which must already end in '\n'. Returns false on a write error.
  bool Write(std::string_view line);

  // Hands buffered lines to the kernel. Returns false on a write error.
  // NOTE: this is fflush, not fsync: a power loss can still lose acknowledged lines.
  bool Flush();

  const std::string& path() const { return path_; }
  // The errno of the last failed write or flush, for the caller's log line.
  int last_error() const { return last_error_; }

 private:
  std::FILE* file_ = nullptr;
  std::string path_;
  int last_error_ = 0;
};

}  // namespace sluice::control
