#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "control/forensics/scope_format.h"
#include "control/forensics/scope_render.h"
#include "tests/unit/control/forensics/scope_fixtures.h"

namespace sluice::control::forensics {
namespace {

using testing::Call;
using testing::Fingerprints;

// Strings an attacker can put into records through paths, hosts and headers.
constexpr char kHostilePath[] = "/a/<script>alert(1)</script>\"'&x";
constexpr char kHostileHost[] = "<img src=x onerror=alert(2)>.example";
constexpr char kHostileClient[] = "\x1b[31mred\x1b]0;title\x07";

std::vector<TransactionRow> SampleRows() {
  return {
      Call(1).Bytes(400).Pii("email", 2, {"e1", "e2"}).Pii("phone", 1, {"p1"}).Finding(5),
      Call(2).Path("/accounts/{id}", "/accounts/2").Bytes(90).Status(404),
      Call(3).Path(kHostilePath, kHostilePath).Host(kHostileHost).Client("api_key", kHostileClient,
                                                                          "10.0.0.9"),
      Call(4).Path("/orders/{id}", "/orders/\xff\xfe").NoResponse(),
  };
}

std::vector<FindingRow> SampleFindings() {
  FindingRow finding;
  finding.finding_id = 5;
  finding.run_id = 7;  // the run of Call()'s records
  finding.detector = "enumeration</td><script>";
  finding.client_kind = "ip";
  finding.client_id = "10.0.0.1";
  return {finding};
}

IntegrityStatus Broken() {
  IntegrityStatus integrity;
  integrity.state = IntegrityStatus::State::kBroken;
  integrity.segments_checked = 12;
  integrity.broken_segments = {{"seg-000007.zst<b>", "hash chain mismatch"}};
  return integrity;
}

std::string RenderSample(OutputFormat format, const ScopeRequest& request = {},
                const IntegrityStatus& integrity = {}, int* exit_code = nullptr) {
  std::ostringstream out;
  const int code = RunScopeCommand(request, SampleRows(), SampleFindings(), integrity, format, out);
  if (exit_code != nullptr) *exit_code = code;
  return out.str();
}

TEST(ScopeJson, ParsesWithStableFields) {
  rapidjson::Document doc;
  const std::string json = RenderSample(OutputFormat::kJson, {}, Broken());
  ASSERT_FALSE(doc.Parse(json.c_str()).HasParseError()) << json;

  EXPECT_STREQ(doc["schema"].GetString(), kScopeJsonSchema);
  EXPECT_TRUE(doc["generated_at"].IsNull());
  EXPECT_TRUE(doc["selector"]["finding_id"].IsNull());
  EXPECT_EQ(doc["thresholds"]["deep_min_pii_types"].GetUint64(), 2u);
  EXPECT_EQ(doc["thresholds"]["subject_types"].Size(), 5u);
  EXPECT_STREQ(doc["integrity"]["state"].GetString(), "broken");
  EXPECT_STREQ(doc["integrity"]["broken_segments"][0]["segment"].GetString(), "seg-000007.zst<b>");

  const auto& summary = doc["summary"];
  EXPECT_EQ(summary["calls"].GetUint64(), 4u);
  EXPECT_EQ(summary["transactions_examined"].GetUint64(), 4u);
  EXPECT_STREQ(summary["first_call"].GetString(), "2026-01-01T00:00:01.000000000Z");
  EXPECT_STREQ(summary["last_call"].GetString(), "2026-01-01T00:00:04.000000000Z");
  EXPECT_EQ(summary["status"]["2xx"].GetUint64(), 2u);
  EXPECT_EQ(summary["status"]["4xx"].GetUint64(), 1u);
  EXPECT_EQ(summary["status"]["none"].GetUint64(), 1u);
  EXPECT_EQ(summary["templates"].GetUint64(), 3u);
  EXPECT_EQ(summary["distinct_items"].GetUint64(), 3u);
  EXPECT_EQ(summary["subjects"].GetUint64(), 3u);
  EXPECT_FALSE(summary["subjects_lower_bound"].GetBool());

  const auto& classification = doc["classification"];
  EXPECT_STREQ(classification["depth"].GetString(), "deep");
  EXPECT_STREQ(classification["breadth"].GetString(), "broad");
  EXPECT_STREQ(classification["breadth_rules"][0]["measure"].GetString(), "templates");
  EXPECT_TRUE(classification["breadth_rules"][0]["met"].GetBool());

  EXPECT_EQ(doc["functions"].Size(), 3u);
  EXPECT_EQ(doc["pii_types"].Size(), 2u);
  EXPECT_EQ(doc["clients"].Size(), 2u);
  ASSERT_EQ(doc["findings"].Size(), 1u);
  EXPECT_EQ(doc["findings"][0]["id"].GetUint64(), 5u);
  EXPECT_TRUE(doc["findings"][0]["known"].GetBool());
  EXPECT_GE(doc["timeline"]["buckets"].Size(), 4u);
  EXPECT_EQ(doc["evidence"]["listed"].GetUint64(), 4u);
  EXPECT_EQ(doc["evidence"]["omitted"].GetUint64(), 0u);
}

TEST(ScopeJson, KeepsHostileStringsAsData) {
  rapidjson::Document doc;
  const std::string json = RenderSample(OutputFormat::kJson);
  ASSERT_FALSE(doc.Parse(json.c_str()).HasParseError());
  const auto& records = doc["evidence"]["records"];
  ASSERT_EQ(records.Size(), 4u);
  EXPECT_STREQ(records[2]["url_path"].GetString(), kHostilePath);
  EXPECT_STREQ(records[2]["host"].GetString(), kHostileHost);
  EXPECT_STREQ(records[2]["client_id"].GetString(), kHostileClient);
  // Invalid UTF-8 is repaired, so the document stays valid JSON.
  EXPECT_STREQ(records[3]["url_path"].GetString(), "/orders/\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(records[3]["status_code"].IsNull());
  EXPECT_EQ(records[0]["record"]["sequence"].GetUint64(), 1u);
  EXPECT_EQ(records[0]["pii_response"][0]["fingerprints"].Size(), 2u);
  EXPECT_EQ(records[0]["finding_ids"][0].GetUint64(), 5u);
}

TEST(ScopeJson, SelectorAndGeneratedTime) {
  ScopeRequest request;
  request.selector.finding_id = 5;
  request.selector.client = "10.0.0.1";
  request.selector.since_ns = testing::kBaseNs;
  request.generated_at_ns = testing::kBaseNs + 3600 * testing::kSecondNs;
  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse(RenderSample(OutputFormat::kJson, request).c_str()).HasParseError());
  EXPECT_EQ(doc["selector"]["finding_id"].GetUint64(), 5u);
  EXPECT_STREQ(doc["selector"]["client"].GetString(), "10.0.0.1");
  EXPECT_TRUE(doc["selector"]["endpoint"].IsNull());
  EXPECT_STREQ(doc["selector"]["since"].GetString(), "2026-01-01T00:00:00.000000000Z");
  EXPECT_TRUE(doc["selector"]["until"].IsNull());
  EXPECT_STREQ(doc["generated_at"].GetString(), "2026-01-01T01:00:00.000000000Z");
  EXPECT_EQ(doc["summary"]["calls"].GetUint64(), 1u);
}

TEST(ScopeCommand, ExitCodes) {
  int code = -1;
  RenderSample(OutputFormat::kText, {}, {}, &code);
  EXPECT_EQ(code, kScopeExitOk);

  ScopeRequest none;
  none.selector.client = "nobody";
  const std::string empty = RenderSample(OutputFormat::kText, none, {}, &code);
  EXPECT_EQ(code, kScopeExitNoCalls);
  EXPECT_NE(empty.find("(none)"), std::string::npos);

  ScopeRequest unknown;
  unknown.selector.finding_id = 999;
  const std::string error = RenderSample(OutputFormat::kText, unknown, {}, &code);
  EXPECT_EQ(code, kScopeExitNotFound);
  EXPECT_EQ(error.rfind("error: finding 999 not found", 0), 0u) << error;

  ScopeRequest reversed;
  reversed.selector.since_ns = 20;
  reversed.selector.until_ns = 10;
  RenderSample(OutputFormat::kText, reversed, {}, &code);
  EXPECT_EQ(code, kScopeExitInvalid);

  ScopeRequest bad;
  bad.thresholds.deep_min_pii_types = 0;
  rapidjson::Document doc;
  const std::string json_error = RenderSample(OutputFormat::kJson, bad, {}, &code);
  EXPECT_EQ(code, kScopeExitInvalid);
  ASSERT_FALSE(doc.Parse(json_error.c_str()).HasParseError()) << json_error;
  EXPECT_NE(std::string(doc["error"].GetString()).find("deep_min_pii_types"), std::string::npos);
}

TEST(ScopeText, TablesAndThresholds) {
  const std::string text = RenderSample(OutputFormat::kText, {}, Broken());
  for (const char* expected :
       {"Scope report", "Selector        all records", "BROKEN: 1 of 12 segments",
        "Calls           4 of 4 examined", "Depth    deep", "Breadth  broad",
        "templates 3 > 1: yes", "deep_min_bytes_per_object  128", "Evidence (4 listed, 0 more",
        "METHOD", "/accounts/{id}", "email"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
}

TEST(ScopeText, ControlCharactersAreEscaped) {
  const std::string text = RenderSample(OutputFormat::kText);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\x07'), std::string::npos);
  EXPECT_NE(text.find("\\x1B[31mred"), std::string::npos) << text;
}

TEST(ScopeText, LongCellsAreCut) {
  const std::string long_path = "/" + std::string(500, 'a');
  std::ostringstream out;
  RunScopeCommand({}, {Call(1).Path(long_path, long_path)}, {}, {}, OutputFormat::kText, out);
  EXPECT_EQ(out.str().find(long_path), std::string::npos);
  EXPECT_NE(out.str().find(std::string(60, 'a') + "..."), std::string::npos);
}

TEST(HtmlEscape, EscapesMarkupAndControls) {
  EXPECT_EQ(HtmlEscape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
  EXPECT_EQ(HtmlEscape("a\x01z"), "a\xEF\xBF\xBDz");
  EXPECT_EQ(HtmlEscape("\xC2\x85"), "\xEF\xBF\xBD");  // C1 control NEL
  EXPECT_EQ(HtmlEscape("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(HtmlEscape("\xff<"), "\xEF\xBF\xBD&lt;");
}

TEST(ScopeHtml, HostileStringsAreEscaped) {
  const std::string html = RenderSample(OutputFormat::kHtml, {}, Broken());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find('\x1b'), std::string::npos);
  EXPECT_NE(html.find("/a/&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;x"),
            std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(2)&gt;.example"), std::string::npos);
  EXPECT_NE(html.find("enumeration&lt;/td&gt;&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("seg-000007.zst&lt;b&gt;"), std::string::npos);
}

TEST(ScopeHtml, SelfContained) {
  const std::string html = RenderSample(OutputFormat::kHtml);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  // Every attribute this renderer writes is quoted; the hostile host's "src=x" is escaped text.
  EXPECT_EQ(html.find(" src=\""), std::string::npos);
  EXPECT_EQ(html.find(" href=\""), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  // The only URL is the SVG namespace name, which is never fetched.
  size_t urls = 0;
  for (size_t at = html.find("://"); at != std::string::npos; at = html.find("://", at + 1)) {
    EXPECT_EQ(html.compare(at - 4, 26, "http://www.w3.org/2000/svg"), 0) << html.substr(at, 40);
    ++urls;
  }
  EXPECT_EQ(urls, 3u);  // one per chart
}

TEST(ScopeHtml, ChartsCarryTheFigures) {
  const std::string html = RenderSample(OutputFormat::kHtml);
  EXPECT_NE(html.find("id=\"chart-timeline\""), std::string::npos);
  EXPECT_NE(html.find("data-total=\"4\""), std::string::npos);
  EXPECT_NE(html.find("id=\"chart-endpoints\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\""
                      " viewBox=\"0 0 960 88.0\" width=\"960\" height=\"88.0\" role=\"img\""
                      " data-bars=\"3\""),
            std::string::npos);
  EXPECT_NE(html.find("<span id=\"depth\" class=\"badge deep\">deep</span>"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"n\" id=\"total-calls\">4</div>"), std::string::npos);
  EXPECT_NE(html.find("data-state=\"not_checked\""), std::string::npos);
}

// One call whose every string field is `text`, with a finding and a broken segment named `text`.
std::string RenderWithStrings(const std::string& text, OutputFormat format) {
  TransactionRow row = Call(1).Client(text, text, text).Host(text).Method(text).Path(text, text)
                           .Pii(text, 1, {text}).Finding(3);
  row.ref.dataplane_id = text;
  FindingRow finding;
  finding.finding_id = 3;
  finding.detector = text;
  finding.client_kind = text;
  finding.client_id = text;
  finding.endpoint = text;
  finding.verdict = text;
  IntegrityStatus integrity;
  integrity.state = IntegrityStatus::State::kBroken;
  integrity.broken_segments = {{text, text}};
  ScopeRequest request;
  request.thresholds.subject_types = {text};
  std::ostringstream out;
  RunScopeCommand(request, {row}, {finding}, integrity, format, out);
  return out.str();
}

TEST(ScopeOutput, RandomBytesNeverBreakMarkupOrJson) {
  // Markup characters, quotes, NUL, ESC, a lone continuation byte and a truncated sequence.
  const std::string alphabet = std::string("<>&\"'/=a \x1b\x80\xc3\xff", 13) + std::string(1, '\0');
  std::mt19937 random(7);
  const std::string benign = RenderWithStrings("x", OutputFormat::kHtml);
  const auto tags = [](const std::string& html) { return std::count(html.begin(), html.end(), '<'); };
  for (int round = 0; round < 200; ++round) {
    std::string text;
    const size_t length = 1 + random() % 24;
    for (size_t i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];

    const std::string html = RenderWithStrings(text, OutputFormat::kHtml);
    EXPECT_EQ(tags(html), tags(benign)) << "round " << round;
    EXPECT_EQ(html.find('\0'), std::string::npos) << "round " << round;
    EXPECT_EQ(html.find('\x1b'), std::string::npos) << "round " << round;

    const std::string json = RenderWithStrings(text, OutputFormat::kJson);
    rapidjson::Document doc;
    EXPECT_FALSE(doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.c_str(), json.size())
                     .HasParseError())
        << "round " << round;

    const std::string plain = RenderWithStrings(text, OutputFormat::kText);
    EXPECT_EQ(plain.find('\x1b'), std::string::npos) << "round " << round;
    EXPECT_EQ(plain.find('\0'), std::string::npos) << "round " << round;
  }
}

TEST(ScopeHtml, ManyFunctionsAreCapped) {
  std::vector<TransactionRow> rows;
  for (size_t i = 0; i < 45; ++i) {
    rows.push_back(Call(i).Path("/f" + std::to_string(i), "/f" + std::to_string(i)));
  }
  std::ostringstream out;
  RunScopeCommand({}, rows, {}, {}, OutputFormat::kHtml, out);
  EXPECT_NE(out.str().find("data-bars=\"30\" data-total=\"0\" data-omitted=\"15\""),
            std::string::npos);
}

}  // namespace
}  // namespace sluice::control::forensics
