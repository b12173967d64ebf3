#include "dataplane/detect/endpoint_template.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::detect {
namespace {

struct TemplateCase {
  const char* path;
  const char* expected;
  const char* object_id;
};

class TemplatePathTest : public ::testing::TestWithParam<TemplateCase> {};

TEST_P(TemplatePathTest, Templates) {
  const TemplateCase& c = GetParam();
  char out[128];
  const TemplateResult result = TemplatePath(c.path, out, sizeof(out));
  EXPECT_EQ(std::string(out, result.length), c.expected) << c.path;
  EXPECT_EQ(std::string(result.object_id), c.object_id) << c.path;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TemplatePathTest,
    ::testing::Values(
        TemplateCase{"/accounts/1041/related", "/accounts/{id}/related", "1041"},
        TemplateCase{"/v2/users", "/v2/users", ""},
        TemplateCase{"/", "/", ""},
        TemplateCase{"", "/", ""},
        TemplateCase{"/orders/550e8400-e29b-41d4-a716-446655440000", "/orders/{id}",
                     "550e8400-e29b-41d4-a716-446655440000"},
        TemplateCase{"/blobs/0123456789abcdef0123", "/blobs/{id}", "0123456789abcdef0123"},
        TemplateCase{"/t/dGhpcyBpcyBhIHRva2VuIDEyMzQ1", "/t/{id}", "dGhpcyBpcyBhIHRva2VuIDEyMzQ1"},
        TemplateCase{"/users/alice@example.com/orders/9", "/users/{id}/orders/{id}", "9"},
        TemplateCase{"/users/alice%40example.com", "/users/{id}", "alice%40example.com"},
        // Words, short hex and versions are not ids: "deadbeef" is 8 hex digits only.
        TemplateCase{"/api/deadbeef/authentication-settings", "/api/deadbeef/authentication-settings", ""},
        TemplateCase{"/a//b/12/", "/a//b/{id}/", "12"}));

TEST(TemplatePath, BoundedOutput) {
  std::string path;
  for (int i = 0; i < 100; ++i) path += "/segment";
  char out[32];
  const TemplateResult result = TemplatePath(path, out, sizeof(out));
  EXPECT_TRUE(result.truncated);
  EXPECT_LE(result.length, sizeof(out));
  EXPECT_EQ(std::string(out + result.length - 3, 3), "...");
}

TEST(TemplatePath, LongSegmentBounded) {
  const std::string path = "/" + std::string(5000, 'x');
  char out[16];
  const TemplateResult result = TemplatePath(path, out, sizeof(out));
  EXPECT_TRUE(result.truncated);
  EXPECT_LE(result.length, sizeof(out));
}

TEST(TemplatePath, NumericObjectValue) {
  char out[64];
  TemplateResult result = TemplatePath("/items/0042", out, sizeof(out));
  EXPECT_TRUE(result.object_is_number);
  EXPECT_EQ(result.object_number, 42u);
  result = TemplatePath("/items/99999999999999999999999", out, sizeof(out));
  EXPECT_TRUE(result.object_is_number);
  EXPECT_EQ(result.object_number, UINT64_MAX);
}

TEST(TemplatePath, EmailMarkedPersonal) {
  char out[64];
  const TemplateResult result = TemplatePath("/users/bob@example.org", out, sizeof(out));
  EXPECT_TRUE(result.object_is_email);
  EXPECT_FALSE(result.object_is_number);
}

}  // namespace
}  // namespace sluice::detect
