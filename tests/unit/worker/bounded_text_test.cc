// BoundedText, the fixed-size fields of a transaction, and WithoutCutValue: a cut never leaves
// part of a personal value in a recorded field, where it would fail validation and go out
// unredacted, and it keeps the rest of the field.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/session/transaction.h"

namespace sluice::session {
namespace {

std::string Stored(const BoundedText<16>& field) { return std::string(field.data, field.length); }

TEST(BoundedText, FitsWhole) {
  BoundedText<16> field;
  EXPECT_TRUE(field.Assign("to=a@b.com", 10));
  EXPECT_EQ(Stored(field), "to=a@b.com");
  EXPECT_FALSE(field.cut);
}

TEST(BoundedText, CutKeepsPrefix) {
  BoundedText<16> field;
  const std::string text = "0123456789abcdefXYZ";
  EXPECT_FALSE(field.Assign(text.data(), static_cast<uint32_t>(text.size())));
  EXPECT_EQ(Stored(field), "0123456789abcdef");
  EXPECT_TRUE(field.cut);
  field.Clear();
  EXPECT_FALSE(field.cut);
}

struct CutCase {
  const char* stored;    // the text of a cut field
  const char* recorded;  // what WithoutCutValue leaves of it
};

const CutCase kCutCases[] = {
    {"x&to=alice@exam", "x&to="},                       // a split e-mail address goes
    {"n:\"4111 1111 1111 11", "n:\""},                 // spaces between digits join a card
    {"Mozilla/5.0 (X11 Linux x86", "Mozilla/5.0 (X11 Linux "},  // words end at a space
    {"/v1/blobs/AbCdEf0123456789", "/v1/blobs/"},       // a path keeps its whole segments
    {"q=1&jwt=eyJhbGciOiJIUzI1NiJ9.eyJz", "q=1&jwt="},  // a token goes whole, its name stays
    {"q=%7B%22a%22%3A%22alice%40exa", "q=%7B%22a%22%3A%22"},  // escapes read as what they encode
    {"q=ab%2", "q="},                                   // a split escape goes too
    {"k=-----BEGIN PRIVATE KEY-----%0AMIIE", "k=-----BEGIN PRIVATE "},  // the key's bytes go
    {"0123456789", ""},                                 // one run: nothing is left
    {"", ""},
};

TEST(BoundedText, CutValueDropped) {
  for (const CutCase& c : kCutCases) EXPECT_EQ(WithoutCutValue(c.stored), c.recorded) << c.stored;
}

}  // namespace
}  // namespace sluice::session
