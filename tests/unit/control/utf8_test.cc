#include "control/sinks/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::control {
namespace {

struct RepairCase {
  const char* name;
  std::string input;
  std::string expected;
};

const std::string R(kReplacementCharacter);

// Expected outputs follow Unicode's "maximal subpart" substitution: one U+FFFD per ill-formed
// subpart, so a truncated sequence is one U+FFFD and a byte that cannot start one is one each.
const RepairCase kRepairCases[] = {
    {"empty", "", ""},
    {"ascii", "GET /index.html", "GET /index.html"},
    {"two_byte", "caf\xC3\xA9", "caf\xC3\xA9"},
    {"three_byte", "\xE2\x82\xAC", "\xE2\x82\xAC"},
    {"four_byte", "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
    {"max_code_point", "\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},
    {"lone_continuation", "a\x80z", "a" + R + "z"},
    {"byte_ff", "a\xFFz", "a" + R + "z"},
    {"overlong_two_byte", "\xC0\xAF", R + R},
    {"overlong_three_byte", "\xE0\x80\xAF", R + R + R},
    {"surrogate", "\xED\xA0\x80", R + R + R},
    {"above_max", "\xF4\x90\x80\x80", R + R + R + R},
    {"lead_f5", "\xF5\x80", R + R},
    {"truncated_at_end", "ok\xF0\x9F\x98", "ok" + R},
    {"truncated_then_ascii", "\xE2\x82z", R + "z"},
    {"truncated_two_byte", "\xC3", R},
    {"valid_after_invalid", "\xFF\xC3\xA9", R + "\xC3\xA9"},
    {"nul_kept", std::string("a\0b", 3), std::string("a\0b", 3)},
};

class RepairUtf8Test : public ::testing::TestWithParam<RepairCase> {};

TEST_P(RepairUtf8Test, MatchesExpected) {
  const RepairCase& test_case = GetParam();
  std::string scratch;
  EXPECT_EQ(RepairUtf8(test_case.input, scratch), test_case.expected);
  EXPECT_EQ(IsValidUtf8(test_case.input), test_case.input == test_case.expected);
  EXPECT_TRUE(IsValidUtf8(RepairUtf8(test_case.input, scratch)));
}

INSTANTIATE_TEST_SUITE_P(Cases, RepairUtf8Test, ::testing::ValuesIn(kRepairCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(RepairUtf8, ValidInputIsNotCopied) {
  const std::string input = "caf\xC3\xA9";
  std::string scratch;
  EXPECT_EQ(RepairUtf8(input, scratch).data(), input.data());
  EXPECT_TRUE(scratch.empty());
}

TEST(RepairUtf8, EveryByteValueAloneGivesValidOutput) {
  std::string scratch;
  for (int byte = 0; byte < 256; ++byte) {
    const std::string input(1, static_cast<char>(byte));
    const std::string_view repaired = RepairUtf8(input, scratch);
    EXPECT_TRUE(IsValidUtf8(repaired)) << byte;
    EXPECT_EQ(repaired == input, byte < 0x80) << byte;
  }
}

}  // namespace
}  // namespace sluice::control
