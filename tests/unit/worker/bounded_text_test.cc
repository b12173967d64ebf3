// BoundedText, the fixed-size fields of a transaction: a cut never leaves part of a personal
// value in a recorded field, where it would fail validation and go out unredacted.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/session/transaction.h"

namespace sluice::session {
namespace {

std::string Kept(const BoundedText<16>& field) { return std::string(field.data, field.length); }

TEST(BoundedText, FitsWhole) {
  BoundedText<16> field;
  EXPECT_TRUE(field.Assign("to=a@b.com", 10));
  EXPECT_EQ(Kept(field), "to=a@b.com");
}

TEST(BoundedText, CutMovesBackToBreak) {
  BoundedText<16> field;
  const std::string mail = "x&to=alice@example.com";  // the cut falls inside the address
  EXPECT_FALSE(field.Assign(mail.data(), static_cast<uint32_t>(mail.size())));
  EXPECT_EQ(Kept(field), "x&");

  const std::string card = "n:\"4111111111111111\"";
  EXPECT_FALSE(field.Assign(card.data(), static_cast<uint32_t>(card.size())));
  EXPECT_EQ(Kept(field), "n:\"");
}

TEST(BoundedText, CutAtBreakKeepsAll) {
  BoundedText<16> field;
  const std::string text = "abcdefghijklmno,rest";  // byte 16 is a break: nothing is split
  EXPECT_FALSE(field.Assign(text.data(), static_cast<uint32_t>(text.size())));
  EXPECT_EQ(Kept(field), "abcdefghijklmno,");
  const std::string run = "0123456789012345678";  // no break at all: the whole run goes
  EXPECT_FALSE(field.Assign(run.data(), static_cast<uint32_t>(run.size())));
  EXPECT_EQ(Kept(field), "");
}

// A long token is dropped whole, however far back its run starts.
TEST(BoundedText, CutDropsWholeLongRun) {
  BoundedText<1024> field;
  const std::string text = "q=1&jwt=eyJ" + std::string(2000, 'a');
  EXPECT_FALSE(field.Assign(text.data(), static_cast<uint32_t>(text.size())));
  EXPECT_EQ(std::string(field.data, field.length), "q=1&");
}

// A path keeps its segments up to the one that was cut.
TEST(BoundedText, CutStopsAtPathSeparator) {
  BoundedText<16> field;
  const std::string path = "/api/v1/files/0123456789abcdef";
  EXPECT_FALSE(field.Assign(path.data(), static_cast<uint32_t>(path.size())));
  EXPECT_EQ(Kept(field), "/api/v1/files/");
}

}  // namespace
}  // namespace sluice::session
