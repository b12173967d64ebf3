// Service log: one timestamped line per event on stderr. Never called per record.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::control {

// Writes "<RFC 3339 UTC time> sluice-control: <message>\n" to stderr in one write.
void LogLine(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Makes an untrusted string safe for one log line: keeps printable ASCII, writes other bytes as
// \xHH, and cuts it at `max_length` input bytes with "..." appended.
std::string PrintableForLog(std::string_view text, size_t max_length = 64);

// Nanoseconds on CLOCK_MONOTONIC, the clock that rate limits use.
uint64_t MonotonicNanos();

// Lets through at most one line per interval for one kind of event and counts the rest, so the
// log cannot grow with hostile traffic. Owned by the ingest thread.
class LogRateLimit {
 public:
  LogRateLimit() = default;
  explicit LogRateLimit(uint64_t interval_ns) : interval_ns_(interval_ns) {}

  // Returns true when a line may be written now; `suppressed` then contains how many events were
  // dropped since the last line, and the count restarts.
  bool Allow(uint64_t now_ns, uint64_t& suppressed);

 private:
  uint64_t interval_ns_ = 1'000'000'000;
  uint64_t last_line_ns_ = 0;
  bool logged_before_ = false;
  uint64_t suppressed_ = 0;
};

}  // namespace sluice::control
