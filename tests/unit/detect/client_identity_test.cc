#include "dataplane/detect/client_identity.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sluice::detect
