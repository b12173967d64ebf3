#include "dataplane/inspect/inspector.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "matchers/compile/compiled_rules.h"
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

}  // namespace
}  // namespace sluice::inspect
