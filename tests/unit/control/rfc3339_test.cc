#include "control/sinks/rfc3339.h"

#include <gtest/gtest.h>

#include <cstdint>
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

}  // namespace
}  // namespace sluice::control
