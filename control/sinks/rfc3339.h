// RFC 3339 timestamps for the JSON sink.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::control {

// "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ": 30 characters plus a terminating NUL.
inline constexpr size_t kRfc3339NanosSize = 31;

// Formats nanoseconds since the Unix epoch as RFC 3339 UTC with 9 fractional digits into `out`
// and returns a view of it. Every uint64_t value fits: the largest is in the year 2554.
std::string_view FormatRfc3339Nanos(uint64_t unix_ns, char (&out)[kRfc3339NanosSize]);

}  // namespace sluice::control
