#include "control/daemon/log.h"

#include <time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>

#include "control/sinks/rfc3339.h"

namespace sluice::control {

void LogLine(const char* format, ...) {
  timespec now {};
  clock_gettime(CLOCK_REALTIME, &now);
  const uint64_t unix_ns =
      static_cast<uint64_t>(now.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(now.tv_nsec);
  char timestamp[kRfc3339NanosSize];
  FormatRfc3339Nanos(unix_ns, timestamp);

  // One write(2) per line keeps lines whole when several processes share the terminal.
  char line[1024];
  int length = std::snprintf(line, sizeof(line), "%s sluice-control: ", timestamp);
  va_list args;
  va_start(args, format);
  length += std::vsnprintf(line + length, sizeof(line) - static_cast<size_t>(length), format, args);
  va_end(args);
  if (length > static_cast<int>(sizeof(line)) - 2) length = static_cast<int>(sizeof(line)) - 2;
  line[length++] = '\n';
  [[maybe_unused]] const ssize_t written = write(STDERR_FILENO, line, static_cast<size_t>(length));
}

std::string PrintableForLog(std::string_view text, size_t max_length) {
  std::string out;
  const size_t shown = text.size() < max_length ? text.size() : max_length;
  for (size_t i = 0; i < shown; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7F && byte != '\\') {
      out.push_back(static_cast<char>(byte));
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", byte);
      out.append(escaped);
    }
  }
  if (shown < text.size()) out.append("...");
  return out;
}

uint64_t MonotonicNanos() {
  timespec now {};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(now.tv_nsec);
}

bool LogRateLimit::Allow(uint64_t now_ns, uint64_t& suppressed) {
  if (logged_before_ && now_ns - last_line_ns_ < interval_ns_) {
    ++suppressed_;
    return false;
  }
  logged_before_ = true;
  last_line_ns_ = now_ns;
  suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace sluice::control
