#include "control/daemon/log.h"

#include <gtest/gtest.h>

namespace sluice::control {
namespace {

TEST(LogRateLimit, OneLinePerIntervalWithDroppedCount) {
  LogRateLimit limit(1000);
  uint64_t suppressed = 99;
  EXPECT_TRUE(limit.Allow(5, suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_FALSE(limit.Allow(6, suppressed));
  EXPECT_FALSE(limit.Allow(1004, suppressed));
  EXPECT_TRUE(limit.Allow(1005, suppressed));
  EXPECT_EQ(suppressed, 2u);
  EXPECT_TRUE(limit.Allow(5000, suppressed));
  EXPECT_EQ(suppressed, 0u);
}

TEST(LogRateLimit, FirstEventAtTimeZeroLogged) {
  LogRateLimit limit;
  uint64_t suppressed = 0;
  EXPECT_TRUE(limit.Allow(0, suppressed));
  EXPECT_FALSE(limit.Allow(1, suppressed));
}

TEST(PrintableForLog, EscapesAndTruncates) {
  EXPECT_EQ(PrintableForLog("dp-1"), "dp-1");
  EXPECT_EQ(PrintableForLog("a\nb\\"), "a\\x0ab\\x5c");
  EXPECT_EQ(PrintableForLog("\xff"), "\\xff");
  EXPECT_EQ(PrintableForLog("abcdef", 3), "abc...");
}

}  // namespace
}  // namespace sluice::control
