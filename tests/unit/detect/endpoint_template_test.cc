#include "dataplane/detect/endpoint_template.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

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

// Tokens and long hex are ids, but appear as they are in samples, as they do in url.original.
TEST(TemplatePath, TokenIsIdNotPersonal) {
  char out[64];
  TemplateResult result = TemplatePath("/sessions/a1b2c3d4e5f6g7h8i9j0k1", out, sizeof(out));
  EXPECT_EQ(std::string_view(out, result.length), "/sessions/{id}");
  EXPECT_FALSE(result.object_is_personal);
  result = TemplatePath("/hooks/997616363f3cec99bf81b130404f90bf", out, sizeof(out));
  EXPECT_EQ(std::string_view(out, result.length), "/hooks/{id}");
  EXPECT_FALSE(result.object_is_personal);
}

TEST(TemplatePath, EmailMarkedPersonal) {
  char out[64];
  const TemplateResult result = TemplatePath("/users/bob@example.org", out, sizeof(out));
  EXPECT_TRUE(result.object_is_personal);
  EXPECT_FALSE(result.object_is_number);
}

// Replaces the PII scanner in these tests: flags the segments listed in its context.
bool Listed(void* context, std::string_view segment) {
  for (std::string_view listed : *static_cast<std::vector<std::string_view>*>(context)) {
    if (segment == listed) return true;
  }
  return false;
}

TEST(TemplatePath, PersonalSegmentBecomesId) {
  std::vector<std::string_view> personal = {"123-45-6789", "4111111111111111"};
  char out[64];
  TemplateResult result = TemplatePath("/people/123-45-6789/profile", out, sizeof(out), &Listed, &personal);
  EXPECT_EQ(std::string_view(out, result.length), "/people/{id}/profile");
  EXPECT_EQ(result.object_id, "123-45-6789");
  EXPECT_TRUE(result.object_is_personal);

  // An all-digit id is an id anyway; the test decides whether it is personal.
  result = TemplatePath("/cards/4111111111111111", out, sizeof(out), &Listed, &personal);
  EXPECT_EQ(std::string_view(out, result.length), "/cards/{id}");
  EXPECT_TRUE(result.object_is_personal);
  result = TemplatePath("/cards/4111111111111112", out, sizeof(out), &Listed, &personal);
  EXPECT_FALSE(result.object_is_personal);

  result = TemplatePath("/people/123-45-6789/profile", out, sizeof(out));
  EXPECT_EQ(std::string_view(out, result.length), "/people/123-45-6789/profile") << "no test given";
}

}  // namespace
}  // namespace sluice::detect
