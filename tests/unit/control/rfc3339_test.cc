#include "control/sinks/rfc3339.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>

namespace sluice::control {
namespace {

struct TimestampCase {
  uint64_t unix_ns;
  const char* expected;
};

// Expected values computed with Python's datetime.utcfromtimestamp.
const TimestampCase kTimestampCases[] = {
    {0, "1970-01-01T00:00:00.000000000Z"},
    {1, "1970-01-01T00:00:00.000000001Z"},
    {999'999'999, "1970-01-01T00:00:00.999999999Z"},
    {1714557600123456789ULL, "2024-05-01T10:00:00.123456789Z"},
    {1709164800000000001ULL, "2024-02-29T00:00:00.000000001Z"},
    {UINT64_MAX, "2554-07-21T23:34:33.709551615Z"},
};

TEST(FormatRfc3339Nanos, Table) {
  for (const TimestampCase& test_case : kTimestampCases) {
    char out[kRfc3339NanosSize];
    EXPECT_EQ(FormatRfc3339Nanos(test_case.unix_ns, out), test_case.expected) << test_case.unix_ns;
  }
}

// gmtime_r is the oracle: the formatter computes the calendar date itself, so it is compared
// across leap days, century years (2100 is not a leap year, 2000 is) and random instants.
std::string GmtimeReference(uint64_t unix_ns) {
  const auto seconds = static_cast<time_t>(unix_ns / 1'000'000'000);
  struct tm utc {};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<unsigned>(unix_ns % 1'000'000'000));
  return text;
}

TEST(FormatRfc3339Nanos, MatchesGmtime) {
  constexpr uint64_t kDayNs = 86'400ULL * 1'000'000'000;
  const uint64_t kDays[] = {
      0,      59,     365,    789,    10'956, 11'016, 11'017,
      47'541, 47'482, 47'540, 47'846, 47'847, 213'503,
  };  // 1970-01-01, 1970-03-01, 1971-01-01, 1972-02-29, 1999-12-31, 2000-02-29, 2000-03-01,
     // 2100-03-01, 2100-01-01, 2100-02-28, 2100-12-31, 2101-01-01, 2554-07-21
  for (uint64_t day : kDays) {
    for (uint64_t offset : {uint64_t{0}, kDayNs - 1}) {
      const uint64_t unix_ns = day * kDayNs + offset;
      char out[kRfc3339NanosSize];
      EXPECT_EQ(FormatRfc3339Nanos(unix_ns, out), GmtimeReference(unix_ns)) << unix_ns;
    }
  }
  std::mt19937_64 random(11);
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t unix_ns = random() >> (random() % 8);
    char out[kRfc3339NanosSize];
    ASSERT_EQ(FormatRfc3339Nanos(unix_ns, out), GmtimeReference(unix_ns)) << unix_ns;
  }
}

TEST(FormatRfc3339Nanos, TerminatesWithNul) {
  char out[kRfc3339NanosSize];
  const std::string_view text = FormatRfc3339Nanos(UINT64_MAX, out);
  ASSERT_EQ(text.size(), kRfc3339NanosSize - 1);
  EXPECT_EQ(out[text.size()], '\0');
}

}  // namespace
}  // namespace sluice::control
