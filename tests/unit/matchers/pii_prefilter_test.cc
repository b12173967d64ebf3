// MayContainPii must be true wherever a PII candidate pattern matches: the scanner skips the
// Hyperscan scan when it is false. Checked against the real block database on fixed examples and
// on random strings built from the bytes the patterns care about.
#include <gtest/gtest.h>
#include <hs/hs.h>

#include <memory>
#include <random>
#include <string>

#include "matchers/pii/pii_detectors.h"
#include "matchers/pii/pii_prefilter.h"

namespace sluice::matchers {
namespace {

class PiiPrefilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    detectors_ = PiiDetectorSet::Create(PiiConfig{"test-key", 0x1f, kAllPiiTypes}, &error);
    ASSERT_NE(detectors_, nullptr) << error;
    ASSERT_EQ(hs_clone_scratch(detectors_->prototype_scratch(), &scratch_), HS_SUCCESS);
  }
  void TearDown() override { hs_free_scratch(scratch_); }

  // Whether any candidate pattern matches `text`, before validation.
  bool HyperscanMatches(const std::string& text) {
    bool matched = false;
    auto on_match = [](unsigned, unsigned long long, unsigned long long, unsigned, void* context) {
      *static_cast<bool*>(context) = true;
      return 1;  // stop at the first
    };
    hs_scan(detectors_->block_db(), text.data(), static_cast<unsigned>(text.size()), 0, scratch_,
            on_match, &matched);
    return matched;
  }

  std::shared_ptr<const PiiDetectorSet> detectors_;
  hs_scratch_t* scratch_ = nullptr;
};

TEST_F(PiiPrefilterTest, FindsEveryKindOfCandidate) {
  const char* candidates[] = {
      "mail a.b@example.com now",
      "card 4111 1111 1111 1111",
      "card 4111-1111-1111-1111",
      "ssn 078-05-1120",
      "iban DE89370400440532013000",
      "tel +14155552671",
      "tok eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
      "AKIAIOSFODNN7EXAMPLE",
      "ASIAIOSFODNN7EXAMPLE",
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ",
  };
  for (const char* text : candidates) {
    EXPECT_TRUE(HyperscanMatches(text)) << text;
    EXPECT_TRUE(MayContainPii(text)) << text;
  }
}

TEST_F(PiiPrefilterTest, SkipsOrdinaryHeaderValues) {
  const char* ordinary[] = {
      "application/json",
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0",
      "Sat, 05 Dec 2026 00:30:09 GMT",
      "/api/v1/users/12345/orders?page=2&limit=50",
      "keep-alive",
      "max-age=0, no-cache",
  };
  for (const char* text : ordinary) {
    EXPECT_FALSE(HyperscanMatches(text)) << text;
    EXPECT_FALSE(MayContainPii(text)) << text;
  }
}

// Random strings over an alphabet rich in digits, separators and pattern letters, so that many
// of them match: every match must pass the prefilter.
TEST_F(PiiPrefilterTest, NeverHidesARandomMatch) {
  const std::string alphabet = "0123456789012345678901234567890123456789 --+@.eyJAKISDEGBINPRVTY_ab\n";
  std::mt19937 rng(8);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<size_t> length(1, 40);
  int matches = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string text(length(rng), ' ');
    for (char& c : text) c = alphabet[pick(rng)];
    if (!HyperscanMatches(text)) continue;
    ++matches;
    ASSERT_TRUE(MayContainPii(text)) << "prefilter hides a match in '" << text << "'";
  }
  EXPECT_GT(matches, 1000);  // the alphabet must produce matches, or the test proves nothing
}

}  // namespace
}  // namespace sluice::matchers
