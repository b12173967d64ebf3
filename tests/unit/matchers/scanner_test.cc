#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "matchers/compile/compiled_rules.h"
#include "matchers/scan/scanner.h"

namespace sluice::matchers {
namespace {

constexpr const char* kRules = R"(
rules:
  - {id: 1, msg: method, field: http.request.method, pattern: '^DELETE$', action: log}
  - {id: 2, msg: url, field: url.original, pattern: '(?i)union\s+select', action: tag}
  - {id: 3, msg: path, field: url.path, pattern: '^/admin', action: block}
  - {id: 4, msg: query, field: url.query, pattern: 'debug=1', action: tag}
  - {id: 5, msg: status, field: http.response.status_code, pattern: '^5\d\d$', action: tag}
  - {id: 6, msg: req header, field: http.request.header.User-Agent, pattern: 'sqlmap', action: block}
  - {id: 7, msg: resp header, field: http.response.header.server, pattern: 'Apache/2\.2', action: tag}
  - {id: 8, msg: req body, field: http.request.body, pattern: 'client_secret', action: tag}
  - {id: 9, msg: resp body, field: http.response.body, pattern: 'BEGIN RSA', action: block}
  - id: 10
    msg: all
    all:
      - {field: http.request.method, pattern: '^DELETE$'}
      - {field: url.path, pattern: '^/api/v1/sessions/'}
    action: tag
  - id: 11
    msg: any
    any:
      - {field: url.query, pattern: 'token='}
      - {field: http.request.body, pattern: 'password'}
    action: log
  - {id: 12, msg: body end anchor, field: http.response.body, pattern: 'tail$', action: tag}
)";

class ScannerTest : public ::testing::Test {
 public:
  void SetUp() override {
    RuleLoadResult loaded = LoadRules(kRules);
    ASSERT_TRUE(loaded.ok()) << FormatRuleError(loaded.errors[0]);
    std::vector<RuleError> errors;
    rules_ = CompiledRuleSet::Compile(loaded.rule_set, &errors);
    ASSERT_NE(rules_, nullptr);
    std::string error;
    scanner_ = Scanner::Create(rules_, ScannerConfig{4}, &error);
    ASSERT_NE(scanner_, nullptr) << error;
    state_ = std::make_unique<TransactionMatchState>();
  }

  std::vector<uint32_t> MatchedIds(Verdict* verdict = nullptr) {
    EvaluateResult result;
    scanner_->Evaluate(*state_, &result);
    std::vector<uint32_t> ids;
    for (uint32_t i = 0; i < result.count; ++i) {
      ids.push_back(rules_->rules()[result.rule_indexes[i]].id);
    }
    std::sort(ids.begin(), ids.end());
    if (verdict != nullptr) *verdict = result.verdict;
    return ids;
  }

  void Field(FieldKind kind, const std::string& text) {
    scanner_->ScanField(state_.get(), kind, text.data(), text.size());
  }

  std::shared_ptr<const CompiledRuleSet> rules_;
  std::unique_ptr<Scanner> scanner_;
  std::unique_ptr<TransactionMatchState> state_;
};

TEST_F(ScannerTest, EachFieldAndAction) {
  struct Case {
    const char* name;
    std::function<void(ScannerTest*)> feed;
    std::vector<uint32_t> ids;
    Verdict verdict;
  };
  const std::vector<Case> cases = {
      {"method log", [](ScannerTest* t) { t->Field(FieldKind::kMethod, "DELETE"); }, {1},
       Verdict::kPass},
      {"method other", [](ScannerTest* t) { t->Field(FieldKind::kMethod, "DELETEX"); }, {},
       Verdict::kPass},
      {"url tag", [](ScannerTest* t) { t->Field(FieldKind::kUrlOriginal, "/?q=1 UNION  select"); },
       {2}, Verdict::kTag},
      {"path block", [](ScannerTest* t) { t->Field(FieldKind::kUrlPath, "/admin/x"); }, {3},
       Verdict::kBlock},
      {"path not anchored", [](ScannerTest* t) { t->Field(FieldKind::kUrlPath, "/x/admin"); }, {},
       Verdict::kPass},
      {"query", [](ScannerTest* t) { t->Field(FieldKind::kUrlQuery, "a=2&debug=1"); }, {4},
       Verdict::kTag},
      {"status 503", [](ScannerTest* t) { t->scanner_->ScanStatusCode(t->state_.get(), 503); },
       {5}, Verdict::kTag},
      {"status 200", [](ScannerTest* t) { t->scanner_->ScanStatusCode(t->state_.get(), 200); }, {},
       Verdict::kPass},
      {"status 5000", [](ScannerTest* t) { t->scanner_->ScanStatusCode(t->state_.get(), 5000); },
       {}, Verdict::kPass},
      {"request header any case",
       [](ScannerTest* t) {
         t->scanner_->ScanHeader(t->state_.get(), Direction::kRequest, "USER-agent", "sqlmap/1.5",
                                 10);
       },
       {6}, Verdict::kBlock},
      {"header wrong direction",
       [](ScannerTest* t) {
         t->scanner_->ScanHeader(t->state_.get(), Direction::kResponse, "user-agent", "sqlmap",
                                 6);
       },
       {}, Verdict::kPass},
      {"response header",
       [](ScannerTest* t) {
         t->scanner_->ScanHeader(t->state_.get(), Direction::kResponse, "Server",
                                 "Apache/2.2.15", 13);
       },
       {7}, Verdict::kTag},
      {"all needs both", [](ScannerTest* t) { t->Field(FieldKind::kUrlPath, "/api/v1/sessions/9"); },
       {}, Verdict::kPass},
      {"all satisfied",
       [](ScannerTest* t) {
         t->Field(FieldKind::kMethod, "DELETE");
         t->Field(FieldKind::kUrlPath, "/api/v1/sessions/9");
       },
       {1, 10}, Verdict::kTag},
      {"any by query", [](ScannerTest* t) { t->Field(FieldKind::kUrlQuery, "token=abc"); }, {11},
       Verdict::kPass},
      {"strongest action wins",
       [](ScannerTest* t) {
         t->Field(FieldKind::kUrlPath, "/admin");
         t->Field(FieldKind::kUrlQuery, "debug=1");
       },
       {3, 4}, Verdict::kBlock},
  };
  for (const Case& c : cases) {
    c.feed(this);
    Verdict verdict;
    EXPECT_EQ(MatchedIds(&verdict), c.ids) << c.name;
    EXPECT_EQ(verdict, c.verdict) << c.name;
    scanner_->Release(state_.get());
  }
}

// Feeds `body` split at every pair of points into three pieces.
TEST_F(ScannerTest, BodyMatchSplitAtEveryPoint) {
  const std::string body = "xx client_secret=abc password BEGIN RSA yy";
  for (size_t a = 0; a <= body.size(); ++a) {
    for (size_t b = a; b <= body.size(); ++b) {
      for (Direction d : {Direction::kRequest, Direction::kResponse}) {
        scanner_->ScanBody(state_.get(), d, body.data(), a);
        scanner_->ScanBody(state_.get(), d, body.data() + a, b - a);
        scanner_->ScanBody(state_.get(), d, body.data() + b, body.size() - b);
        scanner_->EndBody(state_.get(), d);
      }
      Verdict verdict;
      ASSERT_EQ(MatchedIds(&verdict), (std::vector<uint32_t>{8, 9, 11})) << a << "," << b;
      EXPECT_EQ(verdict, Verdict::kBlock);
      scanner_->Release(state_.get());
    }
  }
}

TEST_F(ScannerTest, EndAnchorReportedAtEndBody) {
  const std::string body = "the tail";
  scanner_->ScanBody(state_.get(), Direction::kResponse, body.data(), body.size());
  EXPECT_EQ(MatchedIds(), std::vector<uint32_t>{});
  scanner_->EndBody(state_.get(), Direction::kResponse);
  EXPECT_EQ(MatchedIds(), std::vector<uint32_t>{12});
  scanner_->Release(state_.get());

  // Abandoned without EndBody: the `$` match is not reported.
  scanner_->ScanBody(state_.get(), Direction::kResponse, body.data(), body.size());
  scanner_->Release(state_.get());
  EXPECT_EQ(MatchedIds(), std::vector<uint32_t>{});
}

// Both request-body patterns match in the first piece: the scan stops there, the stream goes
// back to the pool, and later pieces are not scanned.
TEST_F(ScannerTest, BodyScanStopsOnceAllPatternsMatched) {
  const std::string first = "client_secret=1&password=2&";
  const std::string second = "more bytes";
  scanner_->ScanBody(state_.get(), Direction::kRequest, first.data(), first.size());
  EXPECT_EQ(scanner_->counters().bodies_done_early, 1u);
  EXPECT_EQ(scanner_->streams_available(Direction::kRequest), 4u);
  scanner_->ScanBody(state_.get(), Direction::kRequest, second.data(), second.size());
  scanner_->EndBody(state_.get(), Direction::kRequest);
  EXPECT_EQ(scanner_->counters().scans, 1u);
  EXPECT_EQ(MatchedIds(), (std::vector<uint32_t>{8, 11}));
  scanner_->Release(state_.get());

  // One of the two patterns only: the whole body is scanned.
  scanner_->ScanBody(state_.get(), Direction::kRequest, "password", 8);
  scanner_->ScanBody(state_.get(), Direction::kRequest, second.data(), second.size());
  EXPECT_EQ(scanner_->counters().bodies_done_early, 1u);
  EXPECT_EQ(scanner_->counters().scans, 3u);
  scanner_->EndBody(state_.get(), Direction::kRequest);
  EXPECT_EQ(MatchedIds(), (std::vector<uint32_t>{11}));
  scanner_->Release(state_.get());
}

TEST_F(ScannerTest, StreamPoolExhaustionIsCounted) {
  std::vector<std::unique_ptr<TransactionMatchState>> states;
  for (int i = 0; i < 5; ++i) {
    states.push_back(std::make_unique<TransactionMatchState>());
    scanner_->ScanBody(states.back().get(), Direction::kRequest, "password", 8);
  }
  EXPECT_EQ(scanner_->counters().stream_pool_exhausted, 1u);
  EXPECT_EQ(scanner_->streams_available(Direction::kRequest), 0u);
  for (auto& s : states) scanner_->Release(s.get());
  EXPECT_EQ(scanner_->streams_available(Direction::kRequest), 4u);
}

// An empty field (a request without a query) costs no scan and raises no error. An empty body
// piece takes no stream from the pool.
TEST_F(ScannerTest, EmptyPiecesAreNotScanned) {
  scanner_->ScanField(state_.get(), FieldKind::kUrlQuery, nullptr, 0);
  scanner_->ScanField(state_.get(), FieldKind::kUrlQuery, "", 0);
  scanner_->ScanHeader(state_.get(), Direction::kRequest, "User-Agent", nullptr, 0);
  scanner_->ScanBody(state_.get(), Direction::kRequest, nullptr, 0);
  EXPECT_EQ(scanner_->counters().scans, 0u);
  EXPECT_EQ(scanner_->counters().scan_errors, 0u);
  EXPECT_EQ(scanner_->streams_available(Direction::kRequest), 4u);
  scanner_->ScanField(state_.get(), FieldKind::kUrlQuery, "debug=1", 7);
  EXPECT_EQ(scanner_->counters().scans, 1u);
  EXPECT_EQ(MatchedIds(), std::vector<uint32_t>{4});
  scanner_->Release(state_.get());
}

TEST(ScannerLimits, ManyMatchesAreBounded) {
  std::string yaml = "rules:\n";
  for (int i = 1; i <= 40; ++i) {
    yaml += "  - {id: " + std::to_string(i) + ", msg: m, field: url.path, pattern: 'a', action: " +
            (i == 40 ? "block" : "log") + "}\n";
  }
  RuleLoadResult loaded = LoadRules(yaml);
  ASSERT_TRUE(loaded.ok());
  std::vector<RuleError> errors;
  auto rules = CompiledRuleSet::Compile(loaded.rule_set, &errors);
  ASSERT_NE(rules, nullptr);
  std::string error;
  auto scanner = Scanner::Create(rules, ScannerConfig{1}, &error);
  ASSERT_NE(scanner, nullptr);
  auto state = std::make_unique<TransactionMatchState>();
  scanner->ScanField(state.get(), FieldKind::kUrlPath, "/a", 2);
  EvaluateResult result;
  scanner->Evaluate(*state, &result);
  EXPECT_EQ(result.count, EvaluateResult::kMaxRules);
  EXPECT_EQ(result.dropped, 40u - EvaluateResult::kMaxRules);
  EXPECT_EQ(result.verdict, Verdict::kBlock);
}

TEST(ScannerLimits, EmptyRuleSetScansNothing) {
  std::vector<RuleError> errors;
  auto rules = CompiledRuleSet::Compile(RuleSet{}, &errors);
  ASSERT_NE(rules, nullptr);
  std::string error;
  auto scanner = Scanner::Create(rules, ScannerConfig{}, &error);
  ASSERT_NE(scanner, nullptr);
  auto state = std::make_unique<TransactionMatchState>();
  scanner->ScanField(state.get(), FieldKind::kUrlPath, "/a", 2);
  scanner->ScanBody(state.get(), Direction::kRequest, "abc", 3);
  EvaluateResult result;
  scanner->Evaluate(*state, &result);
  EXPECT_EQ(result.count, 0u);
  EXPECT_EQ(scanner->counters().scans, 0u);
}

}  // namespace
}  // namespace sluice::matchers
