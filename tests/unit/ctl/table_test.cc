// sluicectl's plain-text tables and number formats.
#include <gtest/gtest.h>

#include "control/cli/table.h"

namespace sluice::cli {
namespace {

TEST(Table, PadsColumnsAndAlignsNumbers) {
  Table table({"NAME", "VALUE", "MEANING"});
  table.AlignRight(1);
  table.AddRow({"a.long.counter", "7", "Seven things."});
  table.AddRow({"b", "12345", ""});
  const std::string expected =
      "NAME            VALUE  MEANING\n"
      "a.long.counter      7  Seven things.\n"
      "b               12345\n";
  EXPECT_EQ(table.Render(), expected);
}

TEST(Table, HeaderOnlyAndShortRows) {
  Table table({"A", "B"});
  EXPECT_EQ(table.Render(), "A  B\n");
  table.AddRow({"x"});
  EXPECT_EQ(table.rows(), 1u);
  EXPECT_EQ(table.Render(), "A  B\nx\n");
}

TEST(Table, WidthCountsCodePoints) {
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("h\xc3\xa9llo"), 5u);  // é is two bytes, one column
  Table table({"X", "Y"});
  table.AddRow({"\xc3\xa9", "1"});
  EXPECT_EQ(table.Render(), "X  Y\n\xc3\xa9  1\n");
}

TEST(Format, Durations) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(59.9), "59s");
  EXPECT_EQ(FormatDuration(61), "1m01s");
  EXPECT_EQ(FormatDuration(3600 * 2 + 5 * 60), "2h05m");
  EXPECT_EQ(FormatDuration(86400 * 3 + 3600 * 4), "3d04h");
  EXPECT_EQ(FormatDuration(-5), "0s");
}

TEST(Format, Rates) {
  EXPECT_EQ(FormatRate(0), "0.0");
  EXPECT_EQ(FormatRate(1234.56), "1234.6");
}

}  // namespace
}  // namespace sluice::cli
