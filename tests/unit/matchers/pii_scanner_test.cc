#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "matchers/pii/pii_scanner.h"
#include "matchers/pii/pii_finder.h"
#include "matchers/pii/redact.h"
#include "matchers/pii/url_secrets.h"

namespace sluice::matchers {
namespace {

constexpr uint32_t kAllFields =
    kPiiRequestBody | kPiiResponseBody | kPiiRequestHeaders | kPiiResponseHeaders | kPiiQuery;

class PiiScannerTest : public ::testing::Test {
 protected:
  void Make(uint32_t fields, uint32_t types = kAllPiiTypes) {
    std::string error;
    detectors_ = PiiDetectorSet::Create(PiiConfig{"test-key", fields, types}, &error);
    ASSERT_NE(detectors_, nullptr) << error;
    scanner_ = PiiScanner::Create(detectors_);
    state_ = std::make_unique<PiiDirectionState>();
  }
  void SetUp() override { Make(kAllFields); }

  uint32_t Count(PiiType type) const { return state_->summary.of(type).count; }

  std::shared_ptr<const PiiDetectorSet> detectors_;
  std::unique_ptr<PiiScanner> scanner_;
  std::unique_ptr<PiiDirectionState> state_;
};

struct BodyCase {
  const char* text;
  PiiType type;
  uint32_t count;
};

const BodyCase kBodyCases[] = {
    {"mail alice@example.com now", PiiType::kEmail, 1},
    {"{\"e\":\"bob.smith+x@mail.example.org\"}", PiiType::kEmail, 1},
    {"end of sentence a@b.io.", PiiType::kEmail, 1},
    {"no tld a@localhost here", PiiType::kEmail, 0},
    {"at end alice@example.com", PiiType::kEmail, 1},
    {"card 4111 1111 1111 1111 exp", PiiType::kPaymentCard, 1},
    {"card=4111111111111111", PiiType::kPaymentCard, 1},
    {"card=4111+1111+1111+1111&exp=1", PiiType::kPaymentCard, 1},  // form-encoded spaces
    {"bad 4111111111111112 luhn", PiiType::kPaymentCard, 0},
    {"order 12345678901234 id", PiiType::kPaymentCard, 0},
    {"ssn 123-45-6789.", PiiType::kUsSsn, 1},
    {"ssn 666-45-6789", PiiType::kUsSsn, 0},
    {"ssn 123-45-67890", PiiType::kUsSsn, 0},
    {"iban DE89370400440532013000 ok", PiiType::kIban, 1},
    {"iban DE89370400440532013001 ok", PiiType::kIban, 0},
    {"tel +14155552671;", PiiType::kPhoneE164, 1},
    {"tel +1415555267100000000", PiiType::kPhoneE164, 0},
    {"t=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln&x", PiiType::kJwt, 1},
    {"key AKIAIOSFODNN7EXAMPLE,", PiiType::kAwsAccessKey, 1},
    {"key AKIAIOSFODNN7EXAMPLEX", PiiType::kAwsAccessKey, 0},
    {"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t\n",
     PiiType::kPemPrivateKey, 1},
    {"a@example.com b@example.com a@example.com", PiiType::kEmail, 3},
};

TEST_F(PiiScannerTest, BodyCasesSplitAtEveryPoint) {
  for (const BodyCase& c : kBodyCases) {
    std::string text = c.text;
    for (size_t split = 0; split <= text.size(); ++split) {
      scanner_->ScanBody(state_.get(), Direction::kRequest, text.data(), split);
      scanner_->ScanBody(state_.get(), Direction::kRequest, text.data() + split,
                         text.size() - split);
      scanner_->EndBody(state_.get(), Direction::kRequest);
      EXPECT_EQ(Count(c.type), c.count) << c.text << " split " << split;
      scanner_->Release(state_.get());
    }
    // Byte by byte.
    for (char ch : text) scanner_->ScanBody(state_.get(), Direction::kRequest, &ch, 1);
    scanner_->EndBody(state_.get(), Direction::kRequest);
    EXPECT_EQ(Count(c.type), c.count) << c.text << " byte by byte";
    scanner_->Release(state_.get());
  }
}

TEST_F(PiiScannerTest, FingerprintsAreDistinctAndBounded) {
  std::string body;
  for (int i = 0; i < 12; ++i) body += "user" + std::to_string(i) + "@example.com ";
  body += "user0@example.com";
  scanner_->ScanBody(state_.get(), Direction::kResponse, body.data(), body.size());
  scanner_->EndBody(state_.get(), Direction::kResponse);
  const PiiTypeSummary& email = state_->summary.of(PiiType::kEmail);
  EXPECT_EQ(email.count, 13u);
  EXPECT_EQ(email.fingerprint_count, kMaxFingerprintsPerType);
  EXPECT_NE(email.fingerprints[0], email.fingerprints[1]);
}

TEST_F(PiiScannerTest, SplitValueBeyondTailIsCounted) {
  // An e-mail address whose local part is longer than the tail, split near its end.
  std::string body = "x " + std::string(kPiiTailBytes + 20, 'a') + "@example.com ";
  size_t split = body.size() - 6;
  scanner_->ScanBody(state_.get(), Direction::kRequest, body.data(), split);
  scanner_->ScanBody(state_.get(), Direction::kRequest, body.data() + split, body.size() - split);
  scanner_->EndBody(state_.get(), Direction::kRequest);
  EXPECT_EQ(Count(PiiType::kEmail), 0u);
  EXPECT_EQ(scanner_->counters().split_values_lost, 1u);
}

TEST_F(PiiScannerTest, HeadersAndQuery) {
  struct Case {
    const char* name;
    const char* value;
    PiiType type;
    uint32_t count;
  };
  const Case cases[] = {
      {"Authorization", "Bearer abc.def-123", PiiType::kBearerToken, 1},
      {"authorization", "bearer   tok", PiiType::kBearerToken, 1},
      {"Authorization", "Basic dXNlcjpwYXNz", PiiType::kBearerToken, 0},
      {"X-API-Key", " 0123456789abcdef ", PiiType::kApiKey, 1},
      {"Api-Key", "k", PiiType::kApiKey, 1},
      {"X-Auth-Token", "t0k3n", PiiType::kApiKey, 1},
      {"X-Other", "0123456789abcdef", PiiType::kApiKey, 0},
      {"From", "alice@example.com", PiiType::kEmail, 1},
      {"Authorization",
       "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln",
       PiiType::kJwt, 1},
  };
  for (const Case& c : cases) {
    scanner_->ScanHeader(state_.get(), Direction::kRequest, c.name, c.value);
    EXPECT_EQ(Count(c.type), c.count) << c.name << ": " << c.value;
    scanner_->Release(state_.get());
  }
  scanner_->ScanQuery(state_.get(), "email=alice@example.com&ssn=123-45-6789");
  EXPECT_EQ(Count(PiiType::kEmail), 1u);
  EXPECT_EQ(Count(PiiType::kUsSsn), 1u);
}

// A bearer JWT is fingerprinted once for both types. The reused fingerprint must be the JWT's
// own, and a JWT that is not the whole token must get its own.
TEST_F(PiiScannerTest, BearerJwtFingerprintIsTheTokens) {
  const std::string jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln";
  const std::string other = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIyIn0.c2ln";
  const Fingerprinter fingerprinter("test-key");
  scanner_->ScanHeader(state_.get(), Direction::kRequest, "Authorization", "Bearer " + jwt);
  const PiiTypeSummary& found = state_->summary.of(PiiType::kJwt);
  ASSERT_EQ(found.fingerprint_count, 1u);
  EXPECT_EQ(found.fingerprints[0], fingerprinter.Compute(jwt));
  EXPECT_EQ(state_->summary.of(PiiType::kBearerToken).fingerprints[0], fingerprinter.Compute(jwt));
  scanner_->Release(state_.get());

  // The token starts where the JWT does but is longer.
  scanner_->ScanHeader(state_.get(), Direction::kRequest, "Authorization", "Bearer " + other + ",x");
  ASSERT_EQ(state_->summary.of(PiiType::kJwt).fingerprint_count, 1u);
  EXPECT_EQ(state_->summary.of(PiiType::kJwt).fingerprints[0], fingerprinter.Compute(other));
  EXPECT_EQ(state_->summary.of(PiiType::kBearerToken).fingerprints[0],
            fingerprinter.Compute(other + ",x"));
  scanner_->Release(state_.get());

  // The next header reuses the same memory with other bytes: nothing is carried over.
  std::string line = "Bearer " + jwt;
  scanner_->ScanHeader(state_.get(), Direction::kRequest, "Authorization", line);
  line.replace(7, other.size(), other);
  scanner_->ScanHeader(state_.get(), Direction::kRequest, "X-Token", std::string_view(line).substr(7));
  ASSERT_EQ(state_->summary.of(PiiType::kJwt).fingerprint_count, 2u);
  EXPECT_EQ(state_->summary.of(PiiType::kJwt).fingerprints[1], fingerprinter.Compute(other));
}

TEST_F(PiiScannerTest, RepeatedCleanHeaderSkipsFinder) {
  for (int i = 0; i < 3; ++i) scanner_->ScanHeader(state_.get(), Direction::kRequest, "Accept", "application/json");
  EXPECT_EQ(scanner_->counters().clean_values_skipped, 2u);

  scanner_->ScanHeader(state_.get(), Direction::kRequest, "Accept", "application/jsoN");
  EXPECT_EQ(scanner_->counters().clean_values_skipped, 2u) << "a value that differs is scanned";

  // A key found by the header's name is recorded even when its value is a known clean one.
  scanner_->ScanHeader(state_.get(), Direction::kRequest, "X-API-Key", "application/json");
  EXPECT_EQ(Count(PiiType::kApiKey), 1u);
  EXPECT_EQ(scanner_->counters().clean_values_skipped, 3u);
  EXPECT_EQ(scanner_->counters().scans_reused, 0u);
}

TEST_F(PiiScannerTest, RepeatedHeaderWithValuesIsReplayed) {
  // Values with a candidate, valid or not: the first scan is kept, the repeats replay it.
  for (int i = 0; i < 3; ++i) scanner_->ScanHeader(state_.get(), Direction::kRequest, "From", "alice@example.com");
  EXPECT_EQ(Count(PiiType::kEmail), 3u);
  EXPECT_EQ(state_->summary.of(PiiType::kEmail).fingerprint_count, 1u);
  EXPECT_EQ(scanner_->counters().candidates, 3u);
  EXPECT_EQ(scanner_->counters().scans_reused, 2u);
  for (int i = 0; i < 2; ++i) scanner_->ScanHeader(state_.get(), Direction::kRequest, "X-Card", "4111 1111 1111 1112");
  EXPECT_EQ(Count(PiiType::kPaymentCard), 0u);
  EXPECT_EQ(scanner_->counters().rejected, 2u) << "a replayed rejection is counted again";
  EXPECT_EQ(scanner_->counters().scans_reused, 3u);
  EXPECT_EQ(scanner_->counters().clean_values_skipped, 0u);

  // More values than a kept scan has room for: scanned every time.
  std::string many;
  for (size_t i = 0; i <= kValueScanValues; ++i) many += std::string(i + 1, 'u') + "@example.com ";
  for (int i = 0; i < 2; ++i) scanner_->ScanHeader(state_.get(), Direction::kRequest, "X-Mails", many);
  EXPECT_EQ(Count(PiiType::kEmail), 3u + 2 * (kValueScanValues + 1));
  EXPECT_EQ(scanner_->counters().scans_reused, 3u);

  // Redaction of a kept value takes its spans; neither kind of repeat counts again.
  const uint64_t candidates = scanner_->counters().candidates;
  PiiSpan spans[4];
  bool complete = false;
  EXPECT_EQ(scanner_->DetectSpans("application/json", spans, 4, &complete), 0u);
  ASSERT_EQ(scanner_->DetectSpans("alice@example.com", spans, 4, &complete), 1u);
  EXPECT_TRUE(complete);
  EXPECT_EQ(spans[0].start, 0u);
  EXPECT_EQ(spans[0].end, 17u);
  EXPECT_EQ(spans[0].fingerprint, state_->summary.of(PiiType::kEmail).fingerprints[0]);
  EXPECT_EQ(scanner_->counters().candidates, candidates);
  EXPECT_EQ(scanner_->counters().scans_reused, 3u);
}

// Header values are scanned with their escapes decoded, and fingerprinted as the decoded value.
// The query comes decoded already, so its escapes are data: "%40" there is a value encoded twice.
// Values with a '%' skip the memo, so the query's outcome is not replayed for the header.
TEST_F(PiiScannerTest, HeaderEscapesDecoded) {
  scanner_->ScanQuery(state_.get(), "last=bob%40example.org");
  EXPECT_EQ(Count(PiiType::kEmail), 0u);
  for (int i = 0; i < 2; ++i) {
    scanner_->ScanHeader(state_.get(), Direction::kRequest, "Cookie", "last=bob%40example.org");
  }
  EXPECT_EQ(Count(PiiType::kEmail), 2u);
  EXPECT_EQ(scanner_->counters().scans_reused, 0u);
  auto plain = std::make_unique<PiiDirectionState>();
  scanner_->ScanHeader(plain.get(), Direction::kRequest, "From", "bob@example.org");
  EXPECT_EQ(state_->summary.of(PiiType::kEmail).fingerprints[0], plain->summary.of(PiiType::kEmail).fingerprints[0]);

  // A long cookie is decoded whole too.
  auto long_cookie = std::make_unique<PiiDirectionState>();
  scanner_->ScanHeader(long_cookie.get(), Direction::kRequest, "Cookie",
                       "e=bob%40example.org; pad=" + std::string(6000, 'y'));
  EXPECT_EQ(long_cookie->summary.of(PiiType::kEmail).count, 1u);

  // A bearer token is fingerprinted as sent, escapes and all.
  auto bearer = std::make_unique<PiiDirectionState>();
  scanner_->ScanHeader(bearer.get(), Direction::kRequest, "Authorization", "Bearer a%2Fb");
  EXPECT_EQ(bearer->summary.of(PiiType::kBearerToken).fingerprints[0],
            detectors_->fingerprinter().Compute("a%2Fb"));
}

// Scanning values again on one scanner, with its memo, finds what a fresh scanner finds.
TEST_F(PiiScannerTest, MemoChangesNothingFound) {
  const std::pair<const char*, const char*> headers[] = {
      {"Authorization", "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln"},
      {"Authorization", "Bearer opaque-token-123"},
      {"X-API-Key", "0123456789abcdef"},
      {"From", "bob@example.org, +14155552671"},
      {"X-Ids", "123-45-6789 4111111111111111 DE89370400440532013000"},
      {"X-Bad", "4111111111111112 666-45-6789"},
      {"Accept", "application/json"},
  };
  auto scan_all = [&](PiiScanner* scanner, PiiDirectionState* state) {
    for (const auto& [name, value] : headers) scanner->ScanHeader(state, Direction::kRequest, name, value);
    scanner->ScanQuery(state, "id=7&mail=carol@example.net");
  };
  for (int round = 0; round < 3; ++round) scan_all(scanner_.get(), state_.get());

  auto expected = std::make_unique<PiiDirectionState>();
  PiiCounters fresh;
  for (int round = 0; round < 3; ++round) {
    auto once = PiiScanner::Create(detectors_);
    scan_all(once.get(), expected.get());
    fresh += once->counters();
  }
  for (size_t t = 0; t < kPiiTypeCount; ++t) {
    const PiiTypeSummary& got = state_->summary.types[t];
    const PiiTypeSummary& want = expected->summary.types[t];
    EXPECT_EQ(got.count, want.count) << PiiTypeName(static_cast<PiiType>(t));
    ASSERT_EQ(got.fingerprint_count, want.fingerprint_count) << PiiTypeName(static_cast<PiiType>(t));
    for (uint32_t i = 0; i < got.fingerprint_count; ++i) EXPECT_EQ(got.fingerprints[i], want.fingerprints[i]);
  }
  EXPECT_EQ(scanner_->counters().candidates, fresh.candidates);
  EXPECT_EQ(scanner_->counters().rejected, fresh.rejected);
  EXPECT_GT(scanner_->counters().scans_reused, 0u);
}

TEST(ValueMemo, ExactMatchesOnly) {
  using Memo = ValueMemo<int, 64, 16>;
  auto memo = std::make_unique<Memo>();
  memo->Add("keep-alive", Memo::Hash("keep-alive"), 7);
  ASSERT_NE(memo->Find("keep-alive"), nullptr);
  EXPECT_EQ(*memo->Find("keep-alive"), 7);
  EXPECT_EQ(memo->Find("keep-alivE"), nullptr);
  EXPECT_EQ(memo->Find("keep-aliv"), nullptr);
  EXPECT_EQ(memo->Find(""), nullptr);

  const std::string long_value(Memo::kMaxValueBytes + 1, 'a');
  memo->Add(long_value, Memo::Hash(long_value), 1);
  EXPECT_EQ(memo->Find(long_value), nullptr);

  // Two values for one slot: the later one takes it.
  const std::string first = "value-0";
  std::string second;
  for (int i = 1; second.empty(); ++i) {
    const std::string candidate = "value-" + std::to_string(i);
    if (Memo::Hash(candidate) % Memo::kSlots == Memo::Hash(first) % Memo::kSlots) second = candidate;
  }
  memo->Add(first, Memo::Hash(first), 1);
  memo->Add(second, Memo::Hash(second), 2);
  EXPECT_EQ(memo->Find(first), nullptr);
  ASSERT_NE(memo->Find(second), nullptr);
  EXPECT_EQ(*memo->Find(second), 2);
}

TEST_F(PiiScannerTest, FieldSwitchesAreHonoured) {
  Make(kPiiResponseBody | kPiiResponseHeaders, PiiTypeBit(PiiType::kEmail));
  const std::string text = "alice@example.com 123-45-6789";
  scanner_->ScanBody(state_.get(), Direction::kRequest, text.data(), text.size());
  scanner_->ScanHeader(state_.get(), Direction::kRequest, "From", text);
  scanner_->ScanQuery(state_.get(), text);
  EXPECT_EQ(Count(PiiType::kEmail), 0u);
  scanner_->ScanBody(state_.get(), Direction::kResponse, text.data(), text.size());
  scanner_->EndBody(state_.get(), Direction::kResponse);
  EXPECT_EQ(Count(PiiType::kEmail), 1u);
  EXPECT_EQ(Count(PiiType::kUsSsn), 0u);  // type switched off
}

TEST_F(PiiScannerTest, RedactReplacesEachValue) {
  const std::string text = "to alice@example.com, card 4111111111111111.";
  PiiSpan spans[8];
  bool complete = false;
  size_t n = scanner_->DetectSpans(text, spans, 8, &complete);
  ASSERT_EQ(n, 2u);
  EXPECT_TRUE(complete);
  EXPECT_EQ(text.substr(spans[0].start, spans[0].end - spans[0].start), "alice@example.com");
  EXPECT_EQ(spans[1].type, PiiType::kPaymentCard);

  char out[256];
  size_t len = Redact(text, spans, n, out, sizeof(out));
  ASSERT_EQ(len, RedactedLength(text, spans, n));
  std::string redacted(out, len);
  EXPECT_EQ(redacted.find("alice"), std::string::npos) << redacted;
  EXPECT_EQ(redacted.find("4111"), std::string::npos) << redacted;
  char hex[32];
  FingerprintToHex(detectors_->fingerprinter().Compute("alice@example.com"), hex);
  EXPECT_EQ(redacted.substr(0, 3 + 7 + 32 + 1), "to [email:" + std::string(hex, 32) + "]")
      << redacted;
  EXPECT_TRUE(redacted.ends_with("].")) << redacted;
  EXPECT_EQ(Redact(text, spans, n, out, len - 1), 0u);
}

// An unsigned token (empty signature) is found whether a byte follows it or it ends the text.
TEST_F(PiiScannerTest, UnsignedJwtAtEndFound) {
  const std::string token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.";
  for (const std::string& text : {token, token + "?x=1", "t=" + token}) {
    PiiSpan spans[4];
    bool complete = false;
    ASSERT_EQ(scanner_->DetectSpans(text, spans, 4, &complete), 1u) << text;
    EXPECT_EQ(text.substr(spans[0].start, spans[0].end - spans[0].start), token) << text;
  }
}

// A field with more values than the caller has room for is reported as cut, from a kept scan too.
TEST_F(PiiScannerTest, DetectSpansReportsCutList) {
  const std::string three = "a@example.com b@example.com c@example.com";
  PiiSpan spans[3];
  bool complete = true;
  EXPECT_EQ(scanner_->DetectSpans(three, spans, 2, &complete), 2u);
  EXPECT_FALSE(complete);
  EXPECT_EQ(scanner_->DetectSpans(three, spans, 3, &complete), 3u);
  EXPECT_TRUE(complete);
  scanner_->ScanQuery(state_.get(), three);
  EXPECT_EQ(scanner_->DetectSpans(three, spans, 2, &complete), 2u);
  EXPECT_FALSE(complete) << "from the kept scan of the query";
}

// The record builder redacts url.query and url.path with the spans of the whole target
// (RecordBuilder::RedactedUrl). No value spans the '?'. The query scanned alone has the target's
// spans after it, and the path scanned alone has some of the target's spans before it.
// The path can have fewer because two tokens that end at its end count as one end there, as in
// Hyperscan, and the one kept can fail validation. In the target the '?' gives them two ends.
TEST_F(PiiScannerTest, TargetSpansSplitAtTheQueryMark) {
  const char* pieces[] = {"/", "?", "&", "=", "-", " ", ".", "a", "7", "42", "+1", "@",
                          "alice@example.com", "4111111111111111", "123-45-6789", "+14155552671",
                          "AKIAIOSFODNN7EXAMPLE", "DE89370400440532013000", "eyJhbGciOiJIUzI1NiJ9.eyJzIjoxfQ.c2ln",
                          "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."};
  uint64_t seed = 12345;
  auto next = [&seed](size_t n) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<size_t>((seed >> 33) % n);
  };
  auto spans_of = [this](std::string_view text) {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    PiiSpan spans[64];
    bool complete = false;
    const size_t n = scanner_->DetectSpans(text, spans, 64, &complete);
    EXPECT_TRUE(complete);
    for (size_t i = 0; i < n; ++i) out.emplace_back(spans[i].start, spans[i].end);
    return out;
  };
  for (int round = 0; round < 3000; ++round) {
    std::string target;
    const size_t count = 1 + next(12);
    for (size_t i = 0; i < count; ++i) target += pieces[next(std::size(pieces))];
    const size_t mark = target.find('?');
    if (mark == std::string::npos) continue;
    std::vector<std::pair<uint32_t, uint32_t>> path_part;
    std::vector<std::pair<uint32_t, uint32_t>> query_part;
    for (const auto& [start, end] : spans_of(target)) {
      ASSERT_TRUE(end <= mark || start > mark) << target;
      if (end <= mark) path_part.emplace_back(start, end);
      else query_part.emplace_back(start - mark - 1, end - mark - 1);
    }
    for (const auto& span : spans_of(std::string_view(target).substr(0, mark))) {
      EXPECT_NE(std::find(path_part.begin(), path_part.end(), span), path_part.end()) << target;
    }
    EXPECT_EQ(spans_of(std::string_view(target).substr(mark + 1)), query_part) << target;
  }
}

// A private key's redaction span runs to the end of its block, or of the text without an END
// line. Its fingerprint stays that of the header and the first 40 key characters.
TEST_F(PiiScannerTest, KeySpanCoversItsBlock) {
  const std::string header = "-----BEGIN RSA PRIVATE KEY-----\n";
  const std::string first = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgO";  // 40 key characters
  const std::string block = header + first + "EePzNm0tRgeLm\nMORE+KEY/DATA=\n-----END RSA PRIVATE KEY-----";
  for (const std::string& tail : {std::string(" after"), std::string()}) {
    const std::string text = "key: " + block + tail;
    PiiSpan spans[4];
    bool complete = false;
    ASSERT_EQ(scanner_->DetectSpans(text, spans, 4, &complete), 1u) << text;
    EXPECT_EQ(text.substr(spans[0].start, spans[0].end - spans[0].start), block);
    EXPECT_EQ(spans[0].fingerprint, detectors_->fingerprinter().Compute(header + first));
  }
  // Without an END line the span ends with the key's bytes.
  const std::string unterminated = "k=" + header + first + "MORE/KEY";
  PiiSpan spans[4];
  bool complete = false;
  ASSERT_EQ(scanner_->DetectSpans(unterminated + "&x=1", spans, 4, &complete), 1u);
  EXPECT_EQ(spans[0].start, 2u);
  EXPECT_EQ(spans[0].end, unterminated.size());
}

// Overlapping values are joined, so no byte of the later one escapes redaction.
TEST_F(PiiScannerTest, OverlappingSpansJoined) {
  const std::string mail = "4111111111111111@example.com";
  PiiSpan spans[4];
  bool complete = false;
  ASSERT_EQ(scanner_->DetectSpans(mail, spans, 4, &complete), 1u);
  EXPECT_EQ(spans[0].start, 0u);
  EXPECT_EQ(spans[0].end, mail.size());

  // A JWT's last part runs into a key's first line ('-' is a base64url byte).
  const std::string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzIjoxfQ.sig";
  const std::string key = "-----BEGIN PRIVATE KEY-----\n" + std::string(40, 'A') + "MORE";
  const std::string text = "t=" + jwt + key + "&x=1";
  ASSERT_EQ(scanner_->DetectSpans(text, spans, 4, &complete), 1u) << text;
  EXPECT_EQ(spans[0].start, 2u);
  EXPECT_EQ(spans[0].end, 2 + jwt.size() + key.size());
}

TEST_F(PiiScannerTest, ContainsPiiCountsNothing) {
  EXPECT_TRUE(scanner_->ContainsPii("123-45-6789"));
  EXPECT_TRUE(scanner_->ContainsPii("4111+1111+1111+1111"));
  EXPECT_FALSE(scanner_->ContainsPii("orders"));
  EXPECT_FALSE(scanner_->ContainsPii("4111111111111112"));
  EXPECT_EQ(scanner_->counters().candidates, 0u);
}

struct UrlSecretCase {
  const char* text;
  bool is_query;
  std::vector<std::pair<PiiType, std::string>> secrets;  // in order of start
};

const UrlSecretCase kUrlSecretCases[] = {
    {"/login?user=ann&password=hunter2&next=/", false, {{PiiType::kPassword, "hunter2"}}},
    // A secret's value runs to the next '&', over ';' and '#'.
    {"/cb?access_token=abc.def&Token=t2;api_key=k1#password=x", false,
     {{PiiType::kBearerToken, "abc.def"}, {PiiType::kBearerToken, "t2;api_key=k1#password=x"}}},
    {"/cb?a=1;api_key=k1&b=2", false, {{PiiType::kApiKey, "k1"}}},
    {"/p#frag?password=hunter2", false, {{PiiType::kPassword, "hunter2"}}},
    {"/login?pass%77ord=x&access%5Ftoken=y&%zz=1", false,
     {{PiiType::kPassword, "x"}, {PiiType::kBearerToken, "y"}}},
    {"/form?user[password]=p1&password[]=p2&user%5Bpassword%5D=p3&user[name]=n", false,
     {{PiiType::kPassword, "p1"}, {PiiType::kPassword, "p2"}, {PiiType::kPassword, "p3"}}},
    {"/s?X-Amz-Security-Token=T&JSESSIONID=S", false,
     {{PiiType::kApiKey, "T"}, {PiiType::kBearerToken, "S"}}},
    // The whole user information is one secret: a token can be sent as the user name.
    {"http://ann:S3cret%21@api.example.test:8080/p?x=1", false, {{PiiType::kPassword, "ann:S3cret%21"}}},
    {"https://ann@host/p:q@r", false, {{PiiType::kPassword, "ann"}}},
    {"http://:pw@host", false, {{PiiType::kPassword, ":pw"}}},
    {"http://@host/", false, {}},
    {"/app;password=hunter2/x;v=1;token=t;/y?q=1", false,
     {{PiiType::kPassword, "hunter2"}, {PiiType::kBearerToken, "t"}}},
    {"/a;b/c;pwd", false, {}},
    {"/s?token=;page=2&password=&sort=asc", false, {}},
    {"/p/user:pw@host?pwd=&secret=s&client_secret=c", false,
     {{PiiType::kPassword, "s"}, {PiiType::kPassword, "c"}}},
    {"passwd=a%26b&x-api-key=K&keys=no", true, {{PiiType::kPassword, "a%26b"}, {PiiType::kApiKey, "K"}}},
    {"password", true, {}},
    {"/search?q=password%3Dx", false, {}},
};

TEST_F(PiiScannerTest, UrlSecretsFoundByPlace) {
  for (const UrlSecretCase& c : kUrlSecretCases) {
    PiiSpan spans[8];
    const size_t n = scanner_->DetectUrlSecrets(c.text, c.is_query, spans, 8);
    ASSERT_EQ(n, c.secrets.size()) << c.text;
    const std::string_view text(c.text);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(spans[i].type, c.secrets[i].first) << c.text;
      EXPECT_EQ(text.substr(spans[i].start, spans[i].end - spans[i].start), c.secrets[i].second)
          << c.text;
      EXPECT_EQ(spans[i].fingerprint, detectors_->fingerprinter().Compute(c.secrets[i].second));
    }
  }
}

// MayContainPii() may return true for clean text, but never false for text with a value in it.
TEST_F(PiiScannerTest, MayContainPiiNeverMissesAValue) {
  const char* pieces[] = {"a", "b.cd", "@", ".", "-", "x", "api", "orders", "{id}", "/", "json",
                          "a@b.cd", "4111111111111111", "123-45-6789", "+14155552671",
                          "AKIAIOSFODNN7EXAMPLE", "DE89370400440532013000", "%40", "%2B"};
  uint64_t seed = 99;
  auto next = [&seed](size_t n) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<size_t>((seed >> 33) % n);
  };
  int clean_count = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string text;
    const size_t count = 1 + next(4);
    for (size_t i = 0; i < count; ++i) text += pieces[next(std::size(pieces))];
    if (MayContainPii(text)) continue;
    ++clean_count;
    PiiSpan spans[8];
    bool complete = false;
    EXPECT_EQ(scanner_->DetectSpans(text, spans, 8, &complete), 0u) << text;
  }
  EXPECT_GT(clean_count, 100);
}

// Every name docs/rules.md lists, in any case, and some that are not secrets.
TEST(UrlSecrets, ParameterNames) {
  const std::pair<const char*, PiiType> listed[] = {
      {"password", PiiType::kPassword},        {"PASSWD", PiiType::kPassword},
      {"pwd", PiiType::kPassword},             {"Pass", PiiType::kPassword},
      {"passphrase", PiiType::kPassword},      {"secret", PiiType::kPassword},
      {"client_secret", PiiType::kPassword},   {"access_token", PiiType::kBearerToken},
      {"refresh_token", PiiType::kBearerToken}, {"id_token", PiiType::kBearerToken},
      {"auth_token", PiiType::kBearerToken},   {"token", PiiType::kBearerToken},
      {"api_key", PiiType::kApiKey},           {"apikey", PiiType::kApiKey},
      {"Api-Key", PiiType::kApiKey},           {"x-api-key", PiiType::kApiKey},
      {"subscription-key", PiiType::kApiKey},
  };
  for (const auto& [name, expected] : listed) {
    PiiType type = PiiType::kEmail;
    EXPECT_TRUE(SecretParameterType(name, &type)) << name;
    EXPECT_EQ(type, expected) << name;
  }
  for (const char* name : {"", "pw", "key", "tokens", "user", "passwords", "0password", "subscription-keys"}) {
    PiiType type;
    EXPECT_FALSE(SecretParameterType(name, &type)) << name;
  }
}

TEST_F(PiiScannerTest, UrlSecretsCountedInSummary) {
  scanner_->ScanUrlSecrets(state_.get(), "http://u:pw@h/p?password=pw&pwd=pw&access_token=t&api_key=k");
  EXPECT_EQ(Count(PiiType::kPassword), 3u);
  EXPECT_EQ(state_->summary.of(PiiType::kPassword).fingerprint_count, 2u);  // "u:pw" and "pw"
  EXPECT_EQ(Count(PiiType::kBearerToken), 1u);
  EXPECT_EQ(Count(PiiType::kApiKey), 1u);
  PiiSpan spans[2];
  EXPECT_EQ(scanner_->DetectUrlSecrets("?password=a&password=b&password=c", false, spans, 2), 3u);

  Make(kAllFields & ~kPiiQuery);
  scanner_->ScanUrlSecrets(state_.get(), "/p?password=pw");
  EXPECT_EQ(Count(PiiType::kPassword), 0u) << "queries switched off";
  Make(kAllFields, kAllPiiTypes & ~PiiTypeBit(PiiType::kPassword));
  scanner_->ScanUrlSecrets(state_.get(), "/p?password=pw&token=t");
  EXPECT_EQ(Count(PiiType::kPassword), 0u) << "type switched off";
  EXPECT_EQ(Count(PiiType::kBearerToken), 1u);
}

TEST(PiiDetectorSet, RejectsEmptyKey) {
  std::string error;
  EXPECT_EQ(PiiDetectorSet::Create(PiiConfig{"", kAllFields}, &error), nullptr);
  EXPECT_NE(error.find("hmac_key"), std::string::npos);
}

}  // namespace
}  // namespace sluice::matchers
