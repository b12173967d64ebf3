#include "control/sinks/jsonl_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sluice::control {

JsonlSink::~JsonlSink() {
  if (fd_ >= 0) close(fd_);
}

std::string JsonlSink::Open(const std::string& path) {
  path_ = path;
  // The same flags and mode as fopen(path, "a"): every write lands at the end of the file.
  fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    return "cannot open JSON-lines file " + path + " for appending: " + std::strerror(errno) +
           "; check the directory exists and is writable, or choose another path with --jsonl";
  }
  struct stat status {};
  if (fstat(fd_, &status) != 0) {
    return "cannot read the size of JSON-lines file " + path + ": " + std::strerror(errno);
  }
  size_ = static_cast<uint64_t>(status.st_size);
  return {};
}

bool JsonlSink::Write(std::string_view lines) {
  while (!lines.empty()) {
    const ssize_t written = write(fd_, lines.data(), lines.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      // write(2) returns 0 only for an empty request; report it rather than spin.
      last_error_ = written < 0 ? errno : EIO;
      write_failed_ = true;
      return false;
    }
    lines.remove_prefix(static_cast<size_t>(written));
    size_ += static_cast<uint64_t>(written);
  }
  return true;
}

bool JsonlSink::Flush() {
  const bool ok = !write_failed_;
  write_failed_ = false;
  return ok;
}

bool JsonlSink::Sync() {
  if (fdatasync(fd_) == 0) return true;
  last_error_ = errno;
  return false;
}

bool JsonlSink::TruncateTo(uint64_t length) {
  if (ftruncate(fd_, static_cast<off_t>(length)) != 0) {
    last_error_ = errno;
    return false;
  }
  size_ = length;
  return true;
}

}  // namespace sluice::control
