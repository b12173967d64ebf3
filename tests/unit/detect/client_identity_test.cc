#include "dataplane/detect/client_identity.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace sluice::detect {
namespace {

std::string Extract(ClientKind kind, const std::string& header) {
  char out[kMaxIdentityBytes];
  const uint32_t length = ExtractIdentity(kind, header, out);
  return std::string(out, length);
}

// {"alg":"none"} . {"sub":"user-42","name":"A"} . signature, base64url without padding.
constexpr const char* kJwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyLTQyIiwibmFtZSI6IkEifQ.c2ln";

TEST(ClientIdentity, ApiKey) {
  EXPECT_EQ(Extract(ClientKind::kApiKey, "  k-123 "), "k-123");
  EXPECT_EQ(Extract(ClientKind::kApiKey, ""), "");
}

TEST(ClientIdentity, Bearer) {
  EXPECT_EQ(Extract(ClientKind::kBearer, "Bearer abc.def"), "abc.def");
  EXPECT_EQ(Extract(ClientKind::kBearer, "bearer   tok"), "tok");
  EXPECT_EQ(Extract(ClientKind::kBearer, "Basic dXNlcjpwdw=="), "");
  EXPECT_EQ(Extract(ClientKind::kBearer, "Bearer"), "");
}

TEST(ClientIdentity, JwtSub) {
  EXPECT_EQ(Extract(ClientKind::kJwtSub, std::string("Bearer ") + kJwt), "user-42");
}

TEST(ClientIdentity, JwtHostileInputs) {
  const char* cases[] = {
      "Bearer nodots",
      "Bearer a.b",                      // no second dot
      "Bearer a.!!!!.c",                 // not base64
      "Bearer a..c",                     // empty payload
      "Bearer a.eyJzdWIiOjF9.c",         // {"sub":1}: not a string
      "Bearer a.eyJzdWIiOiJ1.c",         // {"sub":"u  cut inside the string
  };
  for (const char* header : cases) EXPECT_EQ(Extract(ClientKind::kJwtSub, header), "") << header;
  const std::string huge = "Bearer a." + std::string(100000, 'A') + ".c";
  EXPECT_EQ(Extract(ClientKind::kJwtSub, huge), "");
}

TEST(ClientIdentity, FindJwtSubSkipsOtherKeys) {
  EXPECT_EQ(FindJwtSub(R"({"subject":"x","sub" : "real"})"), "real");
  EXPECT_EQ(FindJwtSub(R"({"sub":"a\"b"})"), R"(a\"b)");
  EXPECT_EQ(FindJwtSub(R"({"name":"sub"})"), "");
}

TEST(ClientIdentity, BasicUser) {
  EXPECT_EQ(Extract(ClientKind::kBasicUser, "Basic YWxpY2U6c2VjcmV0"), "alice");  // alice:secret
  EXPECT_EQ(Extract(ClientKind::kBasicUser, "Basic OnNlY3JldA=="), "");          // :secret
  EXPECT_EQ(Extract(ClientKind::kBasicUser, "Basic ***"), "");
}

TEST(ClientIdentity, LongValueCut) {
  const std::string key(1000, 'k');
  EXPECT_EQ(Extract(ClientKind::kApiKey, key).size(), kMaxIdentityBytes);
}

TEST(DecodeBase64, PaddingAndCapacity) {
  uint8_t out[8];
  EXPECT_EQ(DecodeBase64("aGk=", out, sizeof(out)), 2);
  EXPECT_EQ(DecodeBase64("aGk", out, sizeof(out)), 2);
  EXPECT_EQ(DecodeBase64("aGVsbG8gd29ybGQ=", out, sizeof(out)), -1);  // 11 bytes do not fit
}

// Every octet value in every position, against inet_ntop().
TEST(ClientIdentity, FormatIpv4MatchesInetNtop) {
  for (uint32_t position = 0; position < 4; ++position) {
    for (uint32_t value = 0; value < 256; ++value) {
      uint8_t address[4] = {198, 18, 0, 7};
      address[position] = static_cast<uint8_t>(value);
      char expected[INET_ADDRSTRLEN];
      ASSERT_NE(inet_ntop(AF_INET, address, expected, sizeof(expected)), nullptr);
      char out[16];
      const uint32_t length = FormatIpv4(address, out);
      EXPECT_EQ(std::string(out, length), expected);
      EXPECT_EQ(out[length], '\0');
    }
  }
  const uint8_t widest[4] = {255, 255, 255, 255};
  char out[16];
  EXPECT_EQ(FormatIpv4(widest, out), 15u);
  EXPECT_STREQ(out, "255.255.255.255");
}

}  // namespace
}  // namespace sluice::detect
