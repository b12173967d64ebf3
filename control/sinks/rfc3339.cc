#include "control/sinks/rfc3339.h"

#include <cstdio>
#include <ctime>

namespace sluice::control {

std::string_view FormatRfc3339Nanos(uint64_t unix_ns, char (&out)[kRfc3339NanosSize]) {
  constexpr uint64_t kNanosPerSecond = 1'000'000'000;
  static_assert(sizeof(time_t) == 8, "seconds up to 2^64 ns need a 64-bit time_t");

  const auto seconds = static_cast<time_t>(unix_ns / kNanosPerSecond);
  const auto nanos = static_cast<unsigned>(unix_ns % kNanosPerSecond);
  struct tm utc {};
  gmtime_r(&seconds, &utc);

  const int written = std::snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ",
                                    utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                                    utc.tm_min, utc.tm_sec, nanos);
  return std::string_view(out, static_cast<size_t>(written));
}

}  // namespace sluice::control
