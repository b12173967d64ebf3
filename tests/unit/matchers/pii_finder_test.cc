// FindPiiCandidates() against its specification: the patterns of pii_detectors.cc compiled with
// Hyperscan (start of match, leftmost), on hand-written cases and on generated text built from
// the pieces the patterns are made of. Then PiiScanner's body pieces against one block scan.
#include <gtest/gtest.h>
#include <hs/hs.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "matchers/pii/pii_detectors.h"
#include "matchers/pii/pii_finder.h"
#include "matchers/pii/pii_scanner.h"

namespace sluice::matchers {
namespace {

using Candidate = std::tuple<int, size_t, size_t>;  // type, from, to

constexpr PiiType kPatternTypes[] = {
    PiiType::kEmail, PiiType::kPaymentCard, PiiType::kUsSsn, PiiType::kIban,
    PiiType::kPhoneE164, PiiType::kJwt, PiiType::kAwsAccessKey, PiiType::kPemPrivateKey,
};

// The reference: every pattern in one database, block mode (text ends the data) and stream
// mode left open (more data may follow, so `\z` never matches).
class Reference {
 public:
  Reference() {
    std::vector<std::string> expressions;
    std::vector<const char*> pointers;
    std::vector<unsigned> flags;
    std::vector<unsigned> ids;
    for (PiiType type : kPatternTypes) {
      expressions.emplace_back(PiiPatternExpression(type));
      flags.push_back(HS_FLAG_SOM_LEFTMOST);
      ids.push_back(static_cast<unsigned>(type));
    }
    for (const std::string& e : expressions) pointers.push_back(e.c_str());
    hs_compile_error_t* error = nullptr;
    const auto count = static_cast<unsigned>(pointers.size());
    EXPECT_EQ(hs_compile_multi(pointers.data(), flags.data(), ids.data(), count, HS_MODE_BLOCK,
                               nullptr, &block_, &error),
              HS_SUCCESS);
    EXPECT_EQ(hs_compile_multi(pointers.data(), flags.data(), ids.data(), count,
                               HS_MODE_STREAM | HS_MODE_SOM_HORIZON_SMALL, nullptr, &stream_,
                               &error),
              HS_SUCCESS);
    EXPECT_EQ(hs_alloc_scratch(block_, &scratch_), HS_SUCCESS);
    EXPECT_EQ(hs_alloc_scratch(stream_, &scratch_), HS_SUCCESS);
  }
  ~Reference() {
    hs_free_scratch(scratch_);
    hs_free_database(block_);
    hs_free_database(stream_);
  }

  std::vector<Candidate> Find(const std::string& text, bool at_end) const {
    std::vector<Candidate> found;
    if (at_end) {
      hs_scan(block_, text.data(), static_cast<unsigned>(text.size()), 0, scratch_, &Collect,
              &found);
    } else {
      hs_stream_t* stream = nullptr;
      hs_open_stream(stream_, 0, &stream);
      hs_scan_stream(stream, text.data(), static_cast<unsigned>(text.size()), 0, scratch_,
                     &Collect, &found);
      hs_close_stream(stream, scratch_, nullptr, nullptr);  // no callback: drops \z matches
    }
    std::sort(found.begin(), found.end());
    return found;
  }

 private:
  static int Collect(unsigned id, unsigned long long from, unsigned long long to, unsigned,
                     void* context) {
    static_cast<std::vector<Candidate>*>(context)->emplace_back(static_cast<int>(id), from, to);
    return 0;
  }

  hs_database_t* block_ = nullptr;
  hs_database_t* stream_ = nullptr;
  hs_scratch_t* scratch_ = nullptr;
};

std::vector<Candidate> Find(const std::string& text, bool at_end) {
  std::vector<Candidate> found;
  FindPiiCandidates(
      text, kAllPiiTypes, at_end,
      [](void* context, PiiType type, size_t from, size_t to) {
        static_cast<std::vector<Candidate>*>(context)->emplace_back(static_cast<int>(type), from,
                                                                    to);
      },
      &found);
  std::sort(found.begin(), found.end());
  return found;
}

const char* const kCases[] = {
    "mail alice@example.com now",
    "a@b@c.d@@e .x@y.z. @q w@",
    "card 4111 1111 1111 1111 exp",
    "4111-1111-1111-1111-2222-3333-4444 5555 6666",
    "x4111111111111111 _4111111111111111 -4111111111111111",
    "1234567890123456789012345 12--3456789012345678",
    "ssn 123-45-6789. 123-45-67890 1123-45-6789 123-45-6789-",
    "DE89370400440532013000 xDE89370400440532013000 GB82WEST12345698765432a",
    "+14155552671; +0123456789 +1234567890123456 ++12345678",
    // '+' is a space in a form-encoded query: it separates card digits, and a phone number after
    // a digit still starts at its '+'.
    "card=4111+1111+1111+1111&exp=12+27 0+14155552671 7+1+14155552671 4111+-1111",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln eyJeyJab.cd.ef eyJa.bc.d eyJab.cd.",
    // A second token in the first one's second part, ending where the first one's match ends.
    "eyJ1eyz.WWeyJ1eyz.WWWWeyJ0WWeyJ.",
    "AKIAIOSFODNN7EXAMPLE ASIAIOSFODNN7EXAMPLE_ xAKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPL",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t\n",
    "------BEGIN PRIVATE KEY-----\r\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t",
    "",
    "@",
    "4111111111111111",
};

TEST(PiiFinderTest, HandWrittenCasesMatchHyperscan) {
  Reference reference;
  for (const char* text : kCases) {
    for (bool at_end : {true, false}) {
      EXPECT_EQ(Find(text, at_end), reference.Find(text, at_end))
          << "text: " << text << " at_end " << at_end;
    }
  }
}

// Text assembled from fragments of the patterns, so that near misses are common.
std::string Generate(std::mt19937& random) {
  static const char* const kPieces[] = {
      "0", "1", "4", "7", "9", "12", "123", "4111", " ", "-", "--", "@", ".", "+", "_", "%", "a",
      "Z", "x", "e", "y", "J", "eyJ", "AK", "IA", "AKIA", "ASIA", "DE", "GB", "I", "B",
      "-----BEGIN ", "RSA ", "PRIVATE KEY-----", "\n", "\r", "/", "=", "\"", ",", ":", "{", "}",
      "\t", "\xc3\xa9", "example.com", "alice", "ABCDEFGHIJKLMNOP", "0123456789",
  };
  constexpr size_t kPieceCount = sizeof(kPieces) / sizeof(kPieces[0]);
  std::uniform_int_distribution<size_t> length(0, 60);
  std::uniform_int_distribution<size_t> piece(0, kPieceCount - 1);
  std::string text;
  for (size_t i = length(random); i > 0; --i) text += kPieces[piece(random)];
  return text;
}

TEST(PiiFinderTest, GeneratedTextMatchesHyperscan) {
  Reference reference;
  std::mt19937 random(20261205);
  size_t with_candidates = 0;
  for (int i = 0; i < 30000; ++i) {
    const std::string text = Generate(random);
    const bool at_end = (i % 2) == 0;
    const auto expected = reference.Find(text, at_end);
    ASSERT_EQ(Find(text, at_end), expected) << "text: " << text << " at_end " << at_end;
    with_candidates += expected.empty() ? 0 : 1;
  }
  EXPECT_GT(with_candidates, 3000u);  // the generator does reach the patterns
}

TEST(PiiFinderTest, NoCandidateContainsABreakByte) {
  Reference reference;
  std::mt19937 random(7);
  for (int i = 0; i < 5000; ++i) {
    const std::string text = Generate(random);
    for (const auto& [type, from, to] : reference.Find(text, true)) {
      // The terminator may be a break byte; the value before it never is.
      for (size_t k = from; k + 1 < to; ++k) {
        ASSERT_FALSE(IsPiiBreak(static_cast<unsigned char>(text[k]))) << text;
      }
    }
  }
}

// A body fed in pieces gives the summary of the same body scanned at once, wherever it is cut.
TEST(PiiFinderTest, BodyPiecesMatchOneScan) {
  std::string error;
  auto detectors = PiiDetectorSet::Create(PiiConfig{"k", kPiiRequestBody | kPiiQuery}, &error);
  ASSERT_NE(detectors, nullptr) << error;
  auto scanner = PiiScanner::Create(detectors);
  std::mt19937 random(11);
  auto whole = std::make_unique<PiiDirectionState>();
  auto pieces = std::make_unique<PiiDirectionState>();
  size_t found = 0;
  for (int i = 0; i < 6000; ++i) {
    std::string text = Generate(random) + Generate(random);
    size_t run = 0;
    size_t longest_run = 0;
    for (char c : text) {
      run = IsPiiBreak(static_cast<unsigned char>(c)) ? 0 : run + 1;
      longest_run = std::max(longest_run, run);
    }
    if (longest_run >= kPiiTailBytes) continue;  // the carry would be cut: tested elsewhere
    scanner->ScanQuery(whole.get(), text);  // one block scan of the same bytes
    std::uniform_int_distribution<size_t> cut(0, text.size());
    size_t a = cut(random);
    size_t b = cut(random);
    if (a > b) std::swap(a, b);
    scanner->ScanBody(pieces.get(), Direction::kRequest, text.data(), a);
    scanner->ScanBody(pieces.get(), Direction::kRequest, text.data() + a, b - a);
    scanner->ScanBody(pieces.get(), Direction::kRequest, text.data() + b, text.size() - b);
    scanner->EndBody(pieces.get(), Direction::kRequest);
    for (PiiType type : kPatternTypes) {
      const PiiTypeSummary& w = whole->summary.of(type);
      const PiiTypeSummary& p = pieces->summary.of(type);
      ASSERT_EQ(w.count, p.count) << PiiTypeName(type) << " in " << text << " cut " << a << ","
                                  << b;
      ASSERT_EQ(w.fingerprint_count, p.fingerprint_count) << text;
      for (uint32_t k = 0; k < w.fingerprint_count; ++k) {
        ASSERT_EQ(w.fingerprints[k], p.fingerprints[k]) << text;
      }
      found += w.count;
    }
    scanner->Release(whole.get());
    scanner->Release(pieces.get());
  }
  EXPECT_GT(found, 150u);
  EXPECT_EQ(scanner->counters().split_values_lost, 0u);  // no run reached 256 bytes
}

}  // namespace
}  // namespace sluice::matchers
