// Scan throughput of one core: a request body of JSON-like text through the rule scanner with 10,
// 100 and 1,000 body rules, with and without the PII detectors. Runs briefly in the `perf` test
// suite; run by hand for numbers: build-*/matchers/matchers_bench.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "matchers/compile/compiled_rules.h"
#include "matchers/pii/pii_scanner.h"
#include "matchers/scan/scanner.h"

namespace sluice::matchers {
namespace {

constexpr size_t kPieceBytes = 1460;  // one TCP segment of payload

// Synthetic rules: literal words plus some regex shapes, none of which occur in the body.
std::shared_ptr<const CompiledRuleSet> MakeRules(int count) {
  RuleSet set;
  for (int i = 0; i < count; ++i) {
    Rule rule;
    rule.id = static_cast<uint32_t>(i + 1);
    rule.msg = "synthetic";
    rule.action = Action::kTag;
    std::string pattern = i % 3 == 0   ? "(?i)token_" + std::to_string(i) + "\\s*="
                          : i % 3 == 1 ? "secret" + std::to_string(i) + "[0-9a-f]{8}"
                                       : "/api/v" + std::to_string(i) + "/[a-z]+/delete";
    rule.conditions.push_back(Condition{FieldRef{FieldKind::kRequestBody, ""}, pattern});
    set.rules.push_back(std::move(rule));
  }
  std::vector<RuleError> errors;
  return CompiledRuleSet::Compile(set, &errors);
}

std::string MakeBody(size_t bytes) {
  std::string body;
  int i = 0;
  while (body.size() < bytes) {
    body += "{\"id\":" + std::to_string(i) + ",\"name\":\"user" + std::to_string(i) +
            "\",\"email\":\"user" + std::to_string(i) + "@example.com\",\"note\":\"lorem ipsum "
            "dolor sit amet\",\"amount\":" + std::to_string(i * 37 % 1000) + "},";
    ++i;
  }
  body.resize(bytes);
  return body;
}

void BM_ScanBody(benchmark::State& state) {
  const int rule_count = static_cast<int>(state.range(0));
  const bool with_pii = state.range(1) != 0;
  auto rules = MakeRules(rule_count);
  std::string error;
  auto scanner = Scanner::Create(rules, ScannerConfig{4}, &error);
  auto match_state = std::make_unique<TransactionMatchState>();

  std::shared_ptr<const PiiDetectorSet> detectors;
  std::unique_ptr<PiiScanner> pii;
  auto pii_state = std::make_unique<PiiDirectionState>();
  if (with_pii) {
    detectors = PiiDetectorSet::Create(PiiConfig{"bench-key", kPiiRequestBody}, &error);
    pii = PiiScanner::Create(detectors);
  }
  if (scanner == nullptr || (with_pii && pii == nullptr)) {
    state.SkipWithError(error.c_str());
    return;
  }

  const std::string body = MakeBody(64 * 1024);
  for (auto _ : state) {
    for (size_t at = 0; at < body.size(); at += kPieceBytes) {
      size_t len = std::min(kPieceBytes, body.size() - at);
      scanner->ScanBody(match_state.get(), Direction::kRequest, body.data() + at, len);
      if (pii) pii->ScanBody(pii_state.get(), Direction::kRequest, body.data() + at, len);
    }
    scanner->EndBody(match_state.get(), Direction::kRequest);
    EvaluateResult result;
    scanner->Evaluate(*match_state, &result);
    benchmark::DoNotOptimize(result);
    scanner->Release(match_state.get());
    if (pii) {
      pii->EndBody(pii_state.get(), Direction::kRequest);
      benchmark::DoNotOptimize(pii_state->summary);
      pii->Release(pii_state.get());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_ScanBody)
    ->ArgNames({"rules", "pii"})
    ->ArgsProduct({{10, 100, 1000}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace sluice::matchers

BENCHMARK_MAIN();
