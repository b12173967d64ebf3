#include "dataplane/inspect/inspector.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "dataplane/inspect/form_decode.h"
#include "dataplane/inspect/json_unescape.h"
#include "matchers/compile/compiled_rules.h"
#include "matchers/pii/pii_detectors.h"
#include "matchers/rules/loader.h"
#include "tests/unit/matchers/compress_for_test.h"

namespace sluice::inspect {
namespace {

using matchers::Direction;

constexpr const char* kRules = R"(
rules:
  - {id: 9001, msg: marker, field: http.response.body, pattern: 'SECRETMARK', action: tag}
  - {id: 9002, msg: get, field: http.request.method, pattern: '^GET$', action: log}
)";

std::string Gzip(const std::string& text) { return testing::CompressForTest(text, 15 + 16); }

std::unique_ptr<matchers::Scanner> MakeScanner() {
  matchers::RuleLoadResult loaded = matchers::LoadRules(kRules);
  EXPECT_TRUE(loaded.ok());
  std::vector<matchers::RuleError> errors;
  auto rules = matchers::CompiledRuleSet::Compile(loaded.rule_set, &errors);
  EXPECT_NE(rules, nullptr);
  std::string error;
  auto scanner = matchers::Scanner::Create(rules, matchers::ScannerConfig{8}, &error);
  EXPECT_NE(scanner, nullptr) << error;
  return scanner;
}

// One GET whose gzip response body carries the marker. Returns the rule ids it matched.
std::vector<uint32_t> RunGzipCall(Inspector* inspector, TransactionInspection* state) {
  inspector->Begin(state);
  inspector->RequestLine(state, "GET", "/export", "/export", "");
  inspector->Header(state, Direction::kResponse, "Content-Encoding", "gzip");
  const std::string body = Gzip("{\"data\": \"SECRETMARK\"}");
  inspector->Body(state, Direction::kResponse, reinterpret_cast<const uint8_t*>(body.data()),
                  static_cast<uint32_t>(body.size()));
  inspector->BodyEnd(state, Direction::kResponse);
  inspector->Evaluate(state);
  std::vector<uint32_t> ids;
  const matchers::CompiledRuleSet* rules = Inspector::rule_set(*state);
  for (uint32_t i = 0; rules != nullptr && i < state->result.count; ++i) {
    ids.push_back(rules->rules()[state->result.rule_indexes[i]].id);
  }
  return ids;
}

// Without rules or PII detection nothing reads bodies, so a compressed body is neither decoded
// nor marked as left undecoded.
TEST(Inspector, NoMatchersLeaveBodiesAlone) {
  Inspector inspector(nullptr, nullptr, InspectorConfig{});
  auto state = std::make_unique<TransactionInspection>();
  EXPECT_TRUE(RunGzipCall(&inspector, state.get()).empty());
  EXPECT_EQ(state->body_anomalies, 0u);
  inspector.Release(state.get());
  inspector.PublishCounters();
  EXPECT_EQ(inspector.counters().inflaters_unavailable, 0u);
}

// A data plane started without rules and without PII detection decodes compressed bodies for a
// rule set loaded later.
TEST(Inspector, RulesLoadedLaterSeeDecodedBodies) {
  Inspector inspector(nullptr, nullptr, InspectorConfig{});
  inspector.OfferRules(MakeScanner());
  ASSERT_TRUE(inspector.AdoptPendingRules());
  auto state = std::make_unique<TransactionInspection>();
  EXPECT_EQ(RunGzipCall(&inspector, state.get()), (std::vector<uint32_t>{9001, 9002}));
  EXPECT_EQ(state->body_anomalies, 0u);
  inspector.Release(state.get());
}

// The counters of a rule set replaced by a reload are kept once its last transaction ends.
TEST(Inspector, CountersOutliveReplacedRuleSet) {
  Inspector inspector(MakeScanner(), nullptr, InspectorConfig{});
  auto old_call = std::make_unique<TransactionInspection>();
  EXPECT_EQ(RunGzipCall(&inspector, old_call.get()), (std::vector<uint32_t>{9001, 9002}));
  inspector.PublishCounters();
  const uint64_t scans_before = inspector.counters().rules.scans;
  EXPECT_GT(scans_before, 0u);

  inspector.OfferRules(MakeScanner());
  ASSERT_TRUE(inspector.AdoptPendingRules());
  inspector.Release(old_call.get());  // the old rule set is freed here
  auto new_call = std::make_unique<TransactionInspection>();
  RunGzipCall(&inspector, new_call.get());
  inspector.Release(new_call.get());
  inspector.PublishCounters();
  EXPECT_EQ(inspector.counters().rules.scans, 2 * scans_before);
  EXPECT_EQ(inspector.counters().rules.scan_errors, 0u);
}

// The form decoder against a one-shot decode, for every way of cutting each body into two or
// three pieces, and with an output buffer smaller than the body.
std::string DecodeFormWhole(const std::string& body) {
  std::string out;
  for (size_t i = 0; i < body.size();) {
    const int high = body[i] == '%' && i + 2 < body.size() ? matchers::HexValue(body[i + 1]) : -1;
    const int low = high >= 0 ? matchers::HexValue(body[i + 2]) : -1;
    if (low >= 0) {
      out.push_back(static_cast<char>(high * 16 + low));
      i += 3;
    } else {
      out.push_back(body[i] == '+' ? ' ' : body[i]);
      ++i;
    }
  }
  return out;
}

// Decodes `body` cut at `cuts` with a body decoder and its flush, into a buffer of `capacity`
// bytes. With `bounded`, every run the decoder passes on must fit that buffer.
template <typename State, typename Decode, typename Flush>
std::string DecodePieces(const std::string& body, const std::vector<size_t>& cuts, size_t capacity, bool bounded,
                         Decode decode, Flush flush) {
  State state;
  std::string out;
  std::vector<char> buffer(capacity);
  const auto emit = [&](const char* data, size_t size) {
    if (bounded) EXPECT_LE(size, capacity);
    out.append(data, size);
  };
  size_t from = 0;
  for (size_t cut : cuts) {
    decode(&state, body.data() + from, cut - from, buffer.data(), capacity, emit);
    from = cut;
  }
  decode(&state, body.data() + from, body.size() - from, buffer.data(), capacity, emit);
  flush(&state, emit);
  return out;
}

// Expects `pieces(body, cuts, capacity)` to equal `whole(body)` for every way of cutting each
// body into two or three pieces, with an output buffer smaller and larger than the body.
template <typename Whole, typename Pieces>
void ExpectPiecesDecodeLikeWhole(const std::vector<std::string>& bodies, Whole whole, Pieces pieces) {
  for (const std::string& body : bodies) {
    const std::string expected = whole(body);
    for (size_t capacity : {size_t{3}, size_t{64}}) {
      EXPECT_EQ(pieces(body, {}, capacity), expected) << body;
      for (size_t a = 0; a <= body.size(); ++a) {
        EXPECT_EQ(pieces(body, {a}, capacity), expected) << body << " cut at " << a;
        for (size_t b = a; b <= body.size(); ++b) {
          EXPECT_EQ(pieces(body, {a, b}, capacity), expected) << body << " cut at " << a << ", " << b;
        }
      }
    }
  }
}

std::string DecodeFormPieces(const std::string& body, const std::vector<size_t>& cuts, size_t capacity) {
  return DecodePieces<FormDecodeState>(
      body, cuts, capacity, /*bounded=*/true, [](auto... args) { DecodeFormPiece(args...); },
      [](auto... args) { FlushPendingEscape(args...); });
}

TEST(FormDecode, PiecesDecodeLikeTheWholeBody) {
  const std::vector<std::string> bodies = {
      "email=ann%40example.com&name=Ann+Lee",
      "a=%4",
      "a=%",
      "%%41%4g%g4%zz%%%",
      "x=%2B4915112345678&y=%e2%82%ac+",
      "%41%42%43",
      "",
  };
  ExpectPiecesDecodeLikeWhole(bodies, DecodeFormWhole, DecodeFormPieces);
}

TEST(FormDecode, MediaType) {
  EXPECT_TRUE(IsFormMediaType("application/x-www-form-urlencoded"));
  EXPECT_TRUE(IsFormMediaType(" Application/X-WWW-Form-URLEncoded; charset=UTF-8"));
  EXPECT_TRUE(IsFormMediaType("application/x-www-form-urlencoded ;charset=utf-8"));
  EXPECT_FALSE(IsFormMediaType("application/x-www-form-urlencodedx"));
  EXPECT_FALSE(IsFormMediaType("application/json"));
  EXPECT_FALSE(IsFormMediaType("multipart/form-data; boundary=x"));
  EXPECT_FALSE(IsFormMediaType(""));
}

// The JSON decoder against a one-shot decode written from RFC 8259 section 7, for every way of
// cutting each body into two or three pieces, and with an output buffer smaller than the body.
std::string DecodeJsonWhole(const std::string& body) {
  constexpr std::string_view kLetters = "\"\\/bfnrt";
  constexpr std::string_view kBytes = "\"\\/\b\f\n\r\t";
  std::string out;
  for (size_t i = 0; i < body.size();) {
    const char letter = body[i] == '\\' && i + 1 < body.size() ? body[i + 1] : '\0';
    if (letter != '\0' && kLetters.find(letter) != std::string_view::npos) {
      out.push_back(kBytes[kLetters.find(letter)]);
      i += 2;
      continue;
    }
    if (letter == 'u' && i + 6 <= body.size()) {
      const std::string hex = body.substr(i + 2, 4);
      if (hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos && std::stoi(hex, nullptr, 16) < 0x80) {
        out.push_back(static_cast<char>(std::stoi(hex, nullptr, 16)));
        i += 6;
        continue;
      }
    }
    out.push_back(body[i]);
    ++i;
  }
  return out;
}

// Plain runs are passed on where they lie, so they may be longer than the buffer.
std::string DecodeJsonPieces(const std::string& body, const std::vector<size_t>& cuts, size_t capacity) {
  return DecodePieces<JsonDecodeState>(
      body, cuts, capacity, /*bounded=*/false, [](auto... args) { DecodeJsonPiece(args...); },
      [](auto... args) { FlushPendingEscape(args...); });
}

TEST(JsonDecode, PiecesDecodeLikeTheWholeBody) {
  const std::vector<std::string> bodies = {
      "{\"k\":\"-----BEGIN PRIVATE KEY-----\\nMIIE\\/x\"}",
      "ann\\u0040example.com \\u002B14155552671",
      "\\u00e9\\u00E9 \\uD83D\\uDE00 \\u0080",
      "\\\\n \\\\u0040 \\q \\u12G4 \\u00G1 \\u",
      "\\\"quoted\\\" \\b\\f\\r\\t",
      "\\",
      "\\u004",
      "no escape at all",
      "",
  };
  ExpectPiecesDecodeLikeWhole(bodies, DecodeJsonWhole, DecodeJsonPieces);
  EXPECT_EQ(DecodeJsonWhole("a\\u0040b\\nc\\/d"), "a@b\nc/d");  // the reference itself
}

// PII detection with every field and type on, as the data plane's default.
std::unique_ptr<matchers::PiiScanner> MakePii() {
  std::string error;
  matchers::PiiConfig config;
  config.hmac_key = "inspector-test-key";
  config.fields = matchers::kPiiRequestBody | matchers::kPiiResponseBody | matchers::kPiiRequestHeaders |
                  matchers::kPiiResponseHeaders | matchers::kPiiQuery;
  auto detectors = matchers::PiiDetectorSet::Create(config, &error);
  EXPECT_NE(detectors, nullptr) << error;
  return matchers::PiiScanner::Create(detectors);
}

struct FormCall {
  const char* content_type;
  std::string body;
};

// A POST with `call`'s body in pieces cut at `cut`. Returns the request side's PII summary.
matchers::PiiSummary RunFormCall(Inspector* inspector, const FormCall& call, size_t cut) {
  auto state = std::make_unique<TransactionInspection>();
  inspector->Begin(state.get());
  inspector->RequestLine(state.get(), "POST", "/login", "/login", "");
  inspector->Header(state.get(), Direction::kRequest, "Content-Type", call.content_type);
  const auto* bytes = reinterpret_cast<const uint8_t*>(call.body.data());
  inspector->Body(state.get(), Direction::kRequest, bytes, static_cast<uint32_t>(cut));
  inspector->Body(state.get(), Direction::kRequest, bytes + cut, static_cast<uint32_t>(call.body.size() - cut));
  inspector->BodyEnd(state.get(), Direction::kRequest);
  const matchers::PiiSummary summary = state->pii[0].summary;
  inspector->Release(state.get());
  return summary;
}

// "ann%40example.com" in a form body is the address "ann@example.com": counted once, with the
// fingerprint of the plain address, wherever the body is cut. Other media types are scanned as
// sent, where "%40" is no '@'.
TEST(Inspector, FormBodiesAreScannedDecoded) {
  Inspector inspector(nullptr, MakePii(), InspectorConfig{});
  const FormCall plain{"text/plain", "user ann@example.com"};
  const matchers::PiiSummary expected = RunFormCall(&inspector, plain, 7);
  ASSERT_EQ(expected.of(matchers::PiiType::kEmail).count, 1u);
  const FormCall form{"application/x-www-form-urlencoded; charset=UTF-8",
                      "user=ann%40example.com&card=4111+1111+1111+1111&tel=%2B14155552671"};
  for (size_t cut = 0; cut <= form.body.size(); ++cut) {
    const matchers::PiiSummary summary = RunFormCall(&inspector, form, cut);
    const matchers::PiiTypeSummary& email = summary.of(matchers::PiiType::kEmail);
    EXPECT_EQ(email.count, 1u) << "cut at " << cut;
    EXPECT_EQ(email.fingerprints[0], expected.of(matchers::PiiType::kEmail).fingerprints[0]) << "cut at " << cut;
    EXPECT_EQ(summary.of(matchers::PiiType::kPaymentCard).count, 1u) << "cut at " << cut;
    EXPECT_EQ(summary.of(matchers::PiiType::kPhoneE164).count, 1u) << "cut at " << cut;
  }
  const FormCall json{"application/json", "{\"user\": \"ann%40example.com\"}"};
  EXPECT_EQ(RunFormCall(&inspector, json, 5).of(matchers::PiiType::kEmail).count, 0u);
}

// A private key, an e-mail address and a phone number behind JSON string escapes are found in
// a body of any media type but the form encoding, wherever the body is cut. The address has the
// fingerprint of the plain address.
TEST(Inspector, JsonEscapesAreDecodedInBodies) {
  Inspector inspector(nullptr, MakePii(), InspectorConfig{});
  const FormCall plain{"text/plain", "user ann@example.com"};
  const matchers::PiiSummary expected = RunFormCall(&inspector, plain, 7);
  ASSERT_EQ(expected.of(matchers::PiiType::kEmail).count, 1u);
  const std::string body =
      "{\"key\":\"-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t\\/AAAA"
      "\\n-----END RSA PRIVATE KEY-----\",\"mail\":\"ann\\u0040example.com\",\"tel\":\"\\u002B14155552671\"}";
  for (const char* type : {"application/json", "text/plain"}) {
    for (size_t cut = 0; cut <= body.size(); ++cut) {
      const matchers::PiiSummary summary = RunFormCall(&inspector, FormCall{type, body}, cut);
      const matchers::PiiTypeSummary& email = summary.of(matchers::PiiType::kEmail);
      ASSERT_EQ(email.count, 1u) << type << ", cut at " << cut;
      EXPECT_EQ(email.fingerprints[0], expected.of(matchers::PiiType::kEmail).fingerprints[0]) << "cut at " << cut;
      EXPECT_EQ(summary.of(matchers::PiiType::kPemPrivateKey).count, 1u) << type << ", cut at " << cut;
      EXPECT_EQ(summary.of(matchers::PiiType::kPhoneE164).count, 1u) << type << ", cut at " << cut;
    }
  }
  // A form body is percent-decoded only: a backslash escape there is text.
  const FormCall form{"application/x-www-form-urlencoded", "user=ann\\u0040example.com"};
  EXPECT_EQ(RunFormCall(&inspector, form, 3).of(matchers::PiiType::kEmail).count, 0u);
}

// A second Content-Type does not hide a form body: a server may read the first one.
TEST(Inspector, FormBodyBehindSecondContentType) {
  Inspector inspector(nullptr, MakePii(), InspectorConfig{});
  auto state = std::make_unique<TransactionInspection>();
  inspector.Begin(state.get());
  inspector.RequestLine(state.get(), "POST", "/login", "/login", "");
  inspector.Header(state.get(), Direction::kRequest, "Content-Type", "application/x-www-form-urlencoded");
  inspector.Header(state.get(), Direction::kRequest, "Content-Type", "text/plain");
  const std::string body = "user=ann%40example.com";
  inspector.Body(state.get(), Direction::kRequest, reinterpret_cast<const uint8_t*>(body.data()),
                 static_cast<uint32_t>(body.size()));
  inspector.BodyEnd(state.get(), Direction::kRequest);
  EXPECT_EQ(state->pii[0].summary.of(matchers::PiiType::kEmail).count, 1u);
  inspector.Release(state.get());
}

// Header values with escapes are scanned decoded: an address in a Referer's query or a cookie.
TEST(Inspector, EscapedHeaderValuesAreScannedDecoded) {
  Inspector inspector(nullptr, MakePii(), InspectorConfig{});
  auto state = std::make_unique<TransactionInspection>();
  inspector.Begin(state.get());
  inspector.Header(state.get(), Direction::kRequest, "Referer", "https://shop.test/?email=ann%40example.com");
  inspector.Header(state.get(), Direction::kRequest, "Cookie", "last_user=bob%40example.org; theme=dark");
  inspector.Header(state.get(), Direction::kRequest, "X-Progress", "100%");
  EXPECT_EQ(state->pii[0].summary.of(matchers::PiiType::kEmail).count, 2u);
  EXPECT_EQ(state->pii[0].summary.of(matchers::PiiType::kEmail).fingerprint_count, 2u);
  inspector.Release(state.get());
}

}  // namespace
}  // namespace sluice::inspect
