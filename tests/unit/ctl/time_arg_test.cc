// The --since and --until forms of sluicectl's forensic verbs.
#include "control/cli/time_arg.h"

#include <gtest/gtest.h>

namespace sluice::cli {
namespace {

constexpr uint64_t kNow = 1'764'892'800'000'000'000ull;  // 2025-12-05T00:00:00Z
constexpr uint64_t kSecond = 1'000'000'000ull;

uint64_t Parse(const std::string& text) {
  uint64_t value = 0;
  std::string error;
  EXPECT_TRUE(ParseTimeArgument(text, kNow, &value, &error)) << text << ": " << error;
  return value;
}

TEST(TimeArgument, Rfc3339) {
  EXPECT_EQ(Parse("2025-12-05T00:00:00Z"), kNow);
  EXPECT_EQ(Parse("2025-12-05t00:00:00z"), kNow);
  EXPECT_EQ(Parse("2025-12-05T01:00:00+01:00"), kNow);
  EXPECT_EQ(Parse("2025-12-04T23:30:00-00:30"), kNow);
  EXPECT_EQ(Parse("2025-12-05T00:00:00.25Z"), kNow + kSecond / 4);
  EXPECT_EQ(Parse("2025-12-05T00:00:00.000000001Z"), kNow + 1);
  EXPECT_EQ(Parse("2025-12-05"), kNow);
}

TEST(TimeArgument, DurationBeforeNow) {
  EXPECT_EQ(Parse("90s"), kNow - 90 * kSecond);
  EXPECT_EQ(Parse("15m"), kNow - 900 * kSecond);
  EXPECT_EQ(Parse("1h"), kNow - 3600 * kSecond);
  EXPECT_EQ(Parse("2d"), kNow - 2 * 86400 * kSecond);
  EXPECT_EQ(Parse("1w"), kNow - 7 * 86400 * kSecond);
  EXPECT_EQ(Parse("1000000w"), 1u) << "a duration past the epoch clamps to its first nanosecond";
}

// 0 means "no bound" to the store's queries, so the epoch is read as its first nanosecond.
TEST(TimeArgument, EpochIsFirstNanosecond) {
  EXPECT_EQ(Parse("1970-01-01"), 1u);
  EXPECT_EQ(Parse("1970-01-01T00:00:00Z"), 1u);
  EXPECT_EQ(Parse("1970-01-01T00:00:01Z"), kSecond);
}

TEST(TimeArgument, CalendarChecked) {
  EXPECT_EQ(Parse("2024-02-29"), Parse("2024-02-28") + 86400 * kSecond);
  EXPECT_EQ(Parse("2016-12-31T23:59:60Z"), Parse("2017-01-01"));
  EXPECT_EQ(Parse("2261-12-31"), Parse("2261-12-30") + 86400 * kSecond);
  uint64_t value = 0;
  std::string error;
  for (const char* text : {"2024-02-30", "2023-02-29", "2024-04-31", "2024-03-12T09:00:60Z",
                           "2024-03-12T09:00:00+99:99", "2024-03-12T09:00:00+24:00", "2262-01-01",
                           "2600-01-01", "9999-01-01"}) {
    EXPECT_FALSE(ParseTimeArgument(text, kNow, &value, &error)) << text;
  }
}

TEST(TimeArgument, InvalidRejectedWithHint) {
  for (const char* text : {"", "yesterday", "1", "h", "-1h", "1x", "2025-13-01", "2025-12-05T00:00",
                           "2025-12-05T00:00:00", "2025-12-05T25:00:00Z", "2025-12-05T00:00:00.Z",
                           "2025-12-05T00:00:00Zjunk", "99999999999999999999s"}) {
    uint64_t value = 0;
    std::string error;
    EXPECT_FALSE(ParseTimeArgument(text, kNow, &value, &error)) << text;
    EXPECT_NE(error.find("RFC 3339"), std::string::npos) << text << ": " << error;
  }
}

}  // namespace
}  // namespace sluice::cli
