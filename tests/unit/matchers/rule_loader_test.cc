#include <gtest/gtest.h>
#include <hs/hs.h>

#include <fstream>
#include <string>

#include "matchers/compile/check_rules.h"
#include "matchers/rules/loader.h"
#include "matchers/rules/pattern.h"

namespace sluice::matchers {
namespace {

TEST(RuleLoader, LoadsSingleAndAllRules) {
  RuleLoadResult result = LoadRules(R"(
rules:
  - id: 1001
    msg: "SQL injection in query string"
    field: url.query
    pattern: '(?i)union\s+select'
    action: block
    severity: high
    tags: [sqli, owasp-a03]
  - id: 1002
    msg: "Session deleted"
    all:
      - {field: http.request.method, pattern: '^DELETE$'}
      - {field: url.path, pattern: '^/api/v1/sessions/'}
    action: tag
)");
  ASSERT_TRUE(result.ok()) << FormatRuleError(result.errors[0]);
  ASSERT_EQ(result.rule_set.rules.size(), 2u);
  const Rule& first = result.rule_set.rules[0];
  EXPECT_EQ(first.id, 1001u);
  EXPECT_EQ(first.action, Action::kBlock);
  EXPECT_EQ(first.severity, Severity::kHigh);
  EXPECT_EQ(first.tags.size(), 2u);
  EXPECT_EQ(first.conditions[0].field.kind, FieldKind::kUrlQuery);
  const Rule& second = result.rule_set.rules[1];
  EXPECT_EQ(second.combine, Combine::kAll);
  EXPECT_EQ(second.severity, Severity::kMedium);
  ASSERT_EQ(second.conditions.size(), 2u);
  EXPECT_EQ(second.conditions[0].field.kind, FieldKind::kMethod);
}

TEST(RuleLoader, ParsesEveryField) {
  struct Case {
    const char* name;
    FieldKind kind;
    const char* header;
  };
  const Case cases[] = {
      {"http.request.method", FieldKind::kMethod, ""},
      {"url.original", FieldKind::kUrlOriginal, ""},
      {"url.path", FieldKind::kUrlPath, ""},
      {"url.query", FieldKind::kUrlQuery, ""},
      {"http.response.status_code", FieldKind::kStatusCode, ""},
      {"http.request.body", FieldKind::kRequestBody, ""},
      {"http.response.body", FieldKind::kResponseBody, ""},
      {"http.request.header.X-Api-Key", FieldKind::kRequestHeader, "x-api-key"},
      {"http.response.header.Set-Cookie", FieldKind::kResponseHeader, "set-cookie"},
  };
  for (const Case& c : cases) {
    FieldRef field;
    ASSERT_TRUE(ParseFieldName(c.name, &field)) << c.name;
    EXPECT_EQ(field.kind, c.kind) << c.name;
    EXPECT_EQ(field.header_name, c.header) << c.name;
  }
  FieldRef field;
  EXPECT_FALSE(ParseFieldName("http.request.header.", &field));
  EXPECT_FALSE(ParseFieldName("http.request.header.bad name", &field));
  EXPECT_FALSE(ParseFieldName("url.fragment", &field));
}

TEST(RuleLoader, ReportsEveryError) {
  RuleLoadResult result = LoadRules(R"(
rules:
  - id: 1
    msg: ok
    field: url.path
    pattern: 'a'
    action: log
  - id: 1
    msg: duplicate
    field: url.path
    pattern: 'b'
    action: log
  - id: 2
    field: url.path
    pattern: 'c'
    action: log
  - id: 3
    msg: no field
    pattern: 'c'
    action: log
  - id: 4
    msg: unknown field
    field: url.fragment
    pattern: 'c'
    action: log
  - id: 5
    msg: bad action
    field: url.path
    pattern: 'c'
    action: drop
  - id: 6
    msg: bad severity
    field: url.path
    pattern: 'c'
    action: tag
    severity: urgent
  - id: 7
    msg: both forms
    field: url.path
    pattern: 'c'
    all: [{field: url.path, pattern: 'd'}]
    action: tag
  - id: 8
    msg: empty all
    all: []
    action: tag
  - id: 9
    msg: backreference
    field: url.path
    pattern: '(a)\1'
    action: tag
  - id: 10
    msg: unterminated class
    field: http.request.body
    pattern: '(?i)abc['
    action: tag
  - id: 11
    msg: missing pattern
    field: url.path
    action: tag
)");
  ASSERT_EQ(result.rule_set.rules.size(), 1u);
  EXPECT_EQ(result.rule_set.rules[0].id, 1u);

  struct Expected {
    uint32_t rule_id;
    const char* text;
  };
  const Expected expected[] = {
      {1, "duplicate id"},     {2, "missing 'msg'"},    {3, "missing 'field'"},
      {4, "unknown field"},    {5, "invalid action"},   {6, "invalid severity"},
      {7, "exactly one of"},   {8, "non-empty list"},   {9, "Back-references"},
      {10, "Unterminated"},    {11, "missing 'pattern'"},
  };
  ASSERT_EQ(result.errors.size(), std::size(expected));
  for (size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(result.errors[i].rule_id, expected[i].rule_id) << i;
    EXPECT_NE(result.errors[i].message.find(expected[i].text), std::string::npos)
        << result.errors[i].message;
    EXPECT_GT(result.errors[i].line, 0) << i;
  }
  // Hyperscan's position is mapped back through the moved "(?i)" prefix.
  EXPECT_EQ(result.errors[8].pattern, "(a)\\1");
  EXPECT_EQ(result.errors[9].pattern, "(?i)abc[");
  EXPECT_EQ(result.errors[9].position, 7);
}

TEST(RuleLoader, RejectsBadDocuments) {
  EXPECT_FALSE(LoadRules("rules: [").ok());
  EXPECT_FALSE(LoadRules("other: 1").ok());
  EXPECT_FALSE(LoadRules("rules:\n  - 5\n").ok());
  EXPECT_FALSE(LoadRules("rules:\n  - {id: abc, msg: m, field: url.path, pattern: a, action: log}\n")
                   .ok());
  EXPECT_FALSE(LoadRulesFile("/nonexistent/rules.yaml").ok());
}

TEST(Pattern, MovesLeadingFlagGroup) {
  HsPattern p = TranslatePattern("(?is)a.b", 0);
  EXPECT_EQ(p.expression, "a.b");
  EXPECT_EQ(p.flags, unsigned{HS_FLAG_CASELESS | HS_FLAG_DOTALL});
  EXPECT_EQ(TranslatePattern("(?i:a)b", 0).expression, "(?i:a)b");
  EXPECT_EQ(TranslatePattern("(?x)a b", 0).expression, "(?x)a b");
  EXPECT_EQ(TranslatePattern("a(?i)b", 0).expression, "a(?i)b");
  EXPECT_EQ(ErrorPosition("Unterminated character class starting at index 3."), 3);
  EXPECT_EQ(ErrorPosition("Back-references are unsupported."), -1);
}

TEST(CheckRules, AnchorRuleFileLoads) {
  CheckReport report = CheckRules(SLUICE_SOURCE_ROOT "/../shared/peers/anchor-rules.sluice.yaml");
  if (!report.ok && report.errors.size() == 1 &&
      report.errors[0].message.find("cannot open") != std::string::npos) {
    GTEST_SKIP() << "anchor rule file not present in this checkout";
  }
  EXPECT_TRUE(report.ok) << report.text;
  EXPECT_EQ(report.rule_count, 20u);
  EXPECT_EQ(report.pattern_count, 21u);
}

TEST(CheckRules, ReportsAllBadPatterns) {
  std::string path = ::testing::TempDir() + "/broken_rules.yaml";
  std::ofstream(path) << R"(rules:
  - {id: 1, msg: a, field: url.path, pattern: 'a++', action: log}
  - {id: 2, msg: b, field: url.path, pattern: 'fine', action: log}
  - {id: 3, msg: c, field: http.response.body, pattern: 'x(?=y)', action: block}
  - {id: 4, msg: d, field: url.query, pattern: '', action: tag}
)";
  CheckReport report = CheckRules(path);
  EXPECT_FALSE(report.ok);
  ASSERT_EQ(report.errors.size(), 3u) << report.text;
  EXPECT_EQ(report.errors[0].rule_id, 1u);
  EXPECT_EQ(report.errors[1].rule_id, 3u);
  EXPECT_EQ(report.errors[2].rule_id, 4u);
  EXPECT_NE(report.text.find("3 error(s)"), std::string::npos) << report.text;
}

}  // namespace
}  // namespace sluice::matchers
