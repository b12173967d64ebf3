#include <gtest/gtest.h>
#include <zlib.h>

#include <memory>
#include <string>
#include <vector>

#include "matchers/compile/compiled_rules.h"
#include "matchers/decompress/body_inflater.h"
#include "matchers/scan/scanner.h"
#include "tests/unit/matchers/compress_for_test.h"

namespace sluice::matchers {
namespace {

std::string Compress(const std::string& text, int window_bits) {
  return testing::CompressForTest(text, window_bits);
}

std::string Inflate(BodyInflater* inflater, const std::string& encoded, size_t split) {
  std::string out;
  auto sink = [&](const char* data, size_t len) { out.append(data, len); };
  auto bytes = reinterpret_cast<const uint8_t*>(encoded.data());
  inflater->Feed(bytes, split, sink);
  inflater->Feed(bytes + split, encoded.size() - split, sink);
  inflater->End();
  return out;
}

TEST(BodyInflater, FormatsAtEverySplit) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "row " + std::to_string(i) + " client_secret ";
  struct Case {
    BodyEncoding encoding;
    int window_bits;
  };
  for (Case c : {Case{BodyEncoding::kGzip, 31}, Case{BodyEncoding::kDeflate, 15},
                 Case{BodyEncoding::kDeflate, -15}}) {
    std::string encoded = Compress(text, c.window_bits);
    auto inflater = std::make_unique<BodyInflater>();
    for (size_t split = 0; split <= encoded.size(); split += 7) {
      inflater->Begin(c.encoding, 1 << 20);
      ASSERT_EQ(Inflate(inflater.get(), encoded, split), text) << c.window_bits << " " << split;
      EXPECT_EQ(inflater->anomalies(), 0u);
      EXPECT_TRUE(inflater->finished());
    }
  }
}

TEST(BodyInflater, AnomaliesAreRecorded) {
  std::string text(100000, 'a');
  std::string gz = Compress(text, 31);
  auto inflater = std::make_unique<BodyInflater>();

  inflater->Begin(BodyEncoding::kGzip, 1000);
  EXPECT_EQ(Inflate(inflater.get(), gz, 0).size(), 1000u);
  EXPECT_EQ(inflater->anomalies(), uint32_t{kInflateCapExceeded});

  inflater->Begin(BodyEncoding::kGzip, text.size());  // exactly the cap: no anomaly
  EXPECT_EQ(Inflate(inflater.get(), gz, 0).size(), text.size());
  EXPECT_EQ(inflater->anomalies(), 0u);

  inflater->Begin(BodyEncoding::kGzip, 1 << 20);
  Inflate(inflater.get(), gz.substr(0, gz.size() / 2), 0);
  EXPECT_EQ(inflater->anomalies(), uint32_t{kInflateTruncated});

  inflater->Begin(BodyEncoding::kGzip, 1 << 20);
  Inflate(inflater.get(), "this is not gzip at all", 3);
  EXPECT_EQ(inflater->anomalies(), uint32_t{kInflateCorrupt});

  inflater->Begin(BodyEncoding::kGzip, 1 << 20);
  Inflate(inflater.get(), gz + "junk", 0);
  EXPECT_EQ(inflater->anomalies(), uint32_t{kInflateTrailingData});
}

TEST(BodyInflater, GzipBodyMatchedAfterInflate) {
  RuleLoadResult loaded = LoadRules(
      "rules:\n  - {id: 7, msg: m, field: http.request.body, pattern: 'client_secret=x', "
      "action: block}\n");
  ASSERT_TRUE(loaded.ok());
  std::vector<RuleError> errors;
  auto rules = CompiledRuleSet::Compile(loaded.rule_set, &errors);
  std::string error;
  auto scanner = Scanner::Create(rules, ScannerConfig{2}, &error);
  ASSERT_NE(scanner, nullptr);
  auto state = std::make_unique<TransactionMatchState>();

  std::string gz = Compress(std::string(50000, 'z') + "client_secret=x", 31);
  auto inflater = std::make_unique<BodyInflater>();
  inflater->Begin(BodyEncoding::kGzip, 1 << 20);
  auto sink = [&](const char* data, size_t len) {
    scanner->ScanBody(state.get(), Direction::kRequest, data, len);
  };
  for (size_t i = 0; i < gz.size(); i += 10) {
    inflater->Feed(reinterpret_cast<const uint8_t*>(gz.data()) + i,
                   std::min<size_t>(10, gz.size() - i), sink);
  }
  inflater->End();
  scanner->EndBody(state.get(), Direction::kRequest);
  EvaluateResult result;
  scanner->Evaluate(*state, &result);
  EXPECT_EQ(result.verdict, Verdict::kBlock);
  EXPECT_EQ(inflater->anomalies(), 0u);
}

}  // namespace
}  // namespace sluice::matchers
