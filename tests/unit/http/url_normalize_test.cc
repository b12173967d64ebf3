// NormalizeTarget tests. A table of targets, evasions included, gives each its exact normalised
// path and flag set. Further tests cover the output buffer limit and random input with a canary.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "dataplane/http/url_normalize.h"

namespace sluice::http {
namespace {

struct UrlCase {
  std::string target;
  std::string path;
  uint16_t flags;
};

std::string FlagNames(uint16_t flags) {
  std::string names;
  for (int bit = 0; bit < kUrlFlagCount; ++bit) {
    if (flags & (1u << bit)) {
      if (!names.empty()) names += ',';
      names += UrlFlagName(static_cast<UrlFlag>(1u << bit));
    }
  }
  return names.empty() ? "none" : names;
}

std::string Normalize(const std::string& target, uint32_t capacity, uint16_t* flags) {
  std::vector<char> out(capacity + 16, '#');
  const NormalizedPath result = NormalizeTarget(target.data(), static_cast<uint32_t>(target.size()),
                                                out.data(), capacity);
  for (uint32_t i = capacity; i < out.size(); ++i) EXPECT_EQ(out[i], '#') << "write past capacity";
  EXPECT_LE(result.length, capacity);
  *flags = result.flags;
  return std::string(out.data(), result.length);
}

constexpr uint16_t kDot = kUrlDotSegments;
constexpr uint16_t kPct = kUrlPercentEncoded;

const UrlCase kCases[] = {
    // Plain forms.
    {"/", "/", 0},
    {"/api/v1/users/7", "/api/v1/users/7", 0},
    {"/a/b/", "/a/b/", 0},
    {"/a?x=/../b", "/a", 0},
    {"/a#frag/..", "/a", 0},
    {"/a/b?", "/a/b", 0},
    {"", "", 0},
    {"*", "*", 0},
    {"*/x", "*/x", 0},
    {"http://example.com/p/q?x=1", "/p/q", 0},
    {"HTTP://example.com:8080/p", "/p", 0},
    {"http://example.com", "/", 0},
    {"http://example.com?x=1", "/", 0},
    {"http://user@example.com/a/../b", "/b", kDot},
    {"https://h/%2e%2e/etc", "/etc", kDot | kPct | kUrlAboveRoot},
    {"example.com:443", "example.com:443", 0},
    {"relative/./x", "relative/x", kDot},
    // RFC 3986 section 5.2.4 dot segments.
    {"/a/./b", "/a/b", kDot},
    {"/a/b/..", "/a/", kDot},
    {"/a/b/.", "/a/b/", kDot},
    {"/a/b/../c", "/a/c", kDot},
    {"/a/b/c/./../../g", "/a/g", kDot},
    {"/a/../../etc/passwd", "/etc/passwd", kDot | kUrlAboveRoot},
    {"/..", "/", kDot | kUrlAboveRoot},
    {"/../../../../", "/", kDot | kUrlAboveRoot},
    {"/a/..b/c", "/a/..b/c", 0},
    {"/a/.../c", "/a/.../c", 0},
    {"/a/b.", "/a/b.", 0},
    {"/./", "/", kDot},
    // Repeated slashes and backslashes.
    {"//x", "/x", kUrlDoubleSlash},
    {"/a//b///c", "/a/b/c", kUrlDoubleSlash},
    {"/a\\b", "/a/b", kUrlBackslash},
    {"\\a\\..\\..\\windows", "/windows", kUrlBackslash | kDot | kUrlAboveRoot},
    {"/a/%5c../b", "/b", kUrlBackslash | kUrlEncodedSlash | kPct | kDot | kUrlDoubleSlash},
    // Percent-decoding.
    {"/%61%62c", "/abc", kPct},
    {"/%7e%7E", "/~~", kPct},
    {"/a%20b", "/a b", kPct},
    {"/%2e%2e/%2E%2e/etc", "/etc", kPct | kDot | kUrlAboveRoot},
    {"/a/%2e%2e/b", "/b", kPct | kDot},
    {"/a/.%2e/b", "/b", kPct | kDot},
    {"/admin%2f..%2fsecret", "/secret", kPct | kUrlEncodedSlash | kDot},
    {"/a%2Fb", "/a/b", kPct | kUrlEncodedSlash},
    {"/%3f/x", "/?/x", kPct},
    {"/%23x", "/#x", kPct},
    {"/%252e%252e/x", "/%252e%252e/x", kPct | kUrlDoubleEncoded},
    {"/%25", "/%25", kPct},
    {"/%25zz", "/%25zz", kPct},
    {"/%e2%82%ac", "/%E2%82%AC", kPct},
    {"/caf\xc3\xa9", "/caf%C3%A9", 0},
    // Invalid escapes are kept, '%' written as "%25".
    {"/%4", "/%254", kUrlInvalidPercent},
    {"/%", "/%25", kUrlInvalidPercent},
    {"/%zz/a", "/%25zz/a", kUrlInvalidPercent},
    {"/%4g", "/%254g", kUrlInvalidPercent},
    {"/a%2", "/a%252", kUrlInvalidPercent},
    // NUL and control bytes.
    {"/a%00.php", "/a%00.php", kPct | kUrlNullByte},
    {std::string("/a\0b", 4), "/a%00b", kUrlNullByte},
    {"/a%0d%0aSet-Cookie:x", "/a%0D%0ASet-Cookie:x", kPct | kUrlControlCharacter},
    {"/a\tb", "/a%09b", kUrlControlCharacter},
    {"/a%7f", "/a%7F", kPct | kUrlControlCharacter},
    // Overlong UTF-8 (the IIS unicode traversal) is flagged and never decoded.
    {"/a/%c0%af../b", "/a/%C0%AF../b", kPct | kUrlOverlongUtf8},
    {"/%c0%ae%c0%ae/x", "/%C0%AE%C0%AE/x", kPct | kUrlOverlongUtf8},
    {"/%e0%80%af", "/%E0%80%AF", kPct | kUrlOverlongUtf8},
    {"/%f0%80%80%af", "/%F0%80%80%AF", kPct | kUrlOverlongUtf8},
    {"/%e0%a0%80", "/%E0%A0%80", kPct},
    // Path parameters are stripped per segment, before dot segments.
    {"/a;jsessionid=ABC/b", "/a/b", kUrlPathParameters},
    {"/login;jsessionid=1?x=2", "/login", kUrlPathParameters},
    {"/a/..;/admin", "/admin", kUrlPathParameters | kDot},
    {"/;x/admin", "/admin", kUrlPathParameters | kUrlDoubleSlash},
    {"/a;x=%2f../b", "/a/b", kUrlPathParameters},
    {"/a%3bx/b", "/a;x/b", kPct},
    {"/a;p\\..\\b", "/b", kUrlPathParameters | kUrlBackslash | kDot},
};

class UrlNormalizeTable : public ::testing::TestWithParam<UrlCase> {};

TEST_P(UrlNormalizeTable, PathAndFlags) {
  const UrlCase& c = GetParam();
  uint16_t flags = 0;
  EXPECT_EQ(Normalize(c.target, 8192, &flags), c.path) << "target " << c.target;
  EXPECT_EQ(FlagNames(flags), FlagNames(c.flags)) << "target " << c.target;
}

INSTANTIATE_TEST_SUITE_P(Cases, UrlNormalizeTable, ::testing::ValuesIn(kCases));

TEST(UrlNormalize, FlagNamesAreDistinct) {
  std::vector<std::string> names;
  for (int bit = 0; bit < kUrlFlagCount; ++bit) {
    const std::string name = UrlFlagName(static_cast<UrlFlag>(1u << bit));
    EXPECT_EQ(name.rfind("url.", 0), 0u) << name;
    for (const auto& other : names) EXPECT_NE(name, other);
    names.push_back(name);
  }
  EXPECT_STREQ(UrlFlagName(static_cast<UrlFlag>(1u << kUrlFlagCount)), "unknown");
}

TEST(UrlNormalize, PathFillingBufferExactlyIsNotTruncated) {
  const std::string target = "/" + std::string(4095, 'a');
  uint16_t flags = 0;
  EXPECT_EQ(Normalize(target, 4096, &flags), target);
  EXPECT_EQ(flags, 0);
}

TEST(UrlNormalize, PathOneByteOverBufferIsTruncated) {
  const std::string target = "/" + std::string(4096, 'a');
  uint16_t flags = 0;
  EXPECT_EQ(Normalize(target, 4096, &flags), target.substr(0, 4096));
  EXPECT_EQ(flags, kUrlTruncated);
}

TEST(UrlNormalize, EscapeNeverWrittenInPart) {
  uint16_t flags = 0;
  // "/aa" then an escape that needs 3 bytes with only 2 left.
  EXPECT_EQ(Normalize("/aa%00", 5, &flags), "/aa");
  EXPECT_EQ(flags, kPct | kUrlNullByte | kUrlTruncated);
  EXPECT_EQ(Normalize("/aa%00", 6, &flags), "/aa%00");
  EXPECT_EQ(flags, kPct | kUrlNullByte);
}

TEST(UrlNormalize, LongTraversalFitsAfterResolution) {
  // Each "x/../" adds 5 input bytes and nothing to the output.
  std::string target = "/";
  while (target.size() < 20000) target += "x/../";
  target += "end";
  uint16_t flags = 0;
  EXPECT_EQ(Normalize(target, 64, &flags), "/end");
  EXPECT_EQ(flags, kDot);
}

TEST(UrlNormalize, ZeroCapacityWritesNothing) {
  uint16_t flags = 0;
  EXPECT_EQ(Normalize("/a", 0, &flags), "");
  EXPECT_EQ(flags, kUrlTruncated);
  EXPECT_EQ(Normalize("*", 0, &flags), "");
  EXPECT_EQ(flags, kUrlTruncated);
}

TEST(UrlNormalize, ThreeTimesInputAlwaysFits) {
  std::mt19937 random(20240611);
  const char kAlphabet[] = "/\\.%;?#aZ09fF\x00\x01\x7f\xc0\xaf\xe0\x80 ";
  for (int round = 0; round < 20000; ++round) {
    std::string target;
    const size_t size = random() % 40;
    for (size_t i = 0; i < size; ++i) target += kAlphabet[random() % (sizeof(kAlphabet) - 1)];
    uint16_t flags = 0;
    const std::string path = Normalize(target, static_cast<uint32_t>(3 * target.size()), &flags);
    EXPECT_EQ(flags & kUrlTruncated, 0) << "target of " << target.size() << " bytes";
    for (char c : path) {
      const auto byte = static_cast<unsigned char>(c);
      EXPECT_GE(byte, 0x20) << "unprintable output byte in " << path;
      EXPECT_LT(byte, 0x7f) << "unprintable output byte in " << path;
    }
    // Normalising twice changes nothing more, unless the output contains bytes that a second pass
    // reads differently: escapes and decoded '?', '#' or ';'.
    if (path.find_first_of("%?#;") == std::string::npos && path != "*") {
      uint16_t again_flags = 0;
      EXPECT_EQ(Normalize(path, 8192, &again_flags), path) << "not idempotent: " << path;
    }
  }
}

}  // namespace
}  // namespace sluice::http
