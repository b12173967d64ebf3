#include "control/sinks/jsonl_sink.h"

#include <cerrno>
#include <cstring>

namespace sluice::control {

JsonlSink::~JsonlSink() {
  if (file_ != nullptr) std::fclose(file_);
}

std::string JsonlSink::Open(const std::string& path) {
  path_ = path;
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr) {
    return "cannot open JSON-lines file " + path + " for appending: " + std::strerror(errno) +
           "; check the directory exists and is writable, or choose another path with --jsonl";
  }
  // A large buffer turns a batch of lines into a few write(2) calls; Flush() ends each batch.
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  return {};
}

bool JsonlSink::Write(std::string_view line) {
  if (std::fwrite(line.data(), 1, line.size(), file_) == line.size()) return true;
  last_error_ = errno;
  return false;
}

bool JsonlSink::Flush() {
  if (std::fflush(file_) == 0) return true;
  last_error_ = errno;
  std::clearerr(file_);
  return false;
}

}  // namespace sluice::control
