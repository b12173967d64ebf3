#include "dataplane/detect/policy.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <string>

namespace sluice::detect {
namespace {

TEST(DetectorPolicy, ParsesEveryDetector) {
  DetectorPolicy policy;
  std::string error;
  const char* text = R"(
detectors:
  identity: {kind: api_key, header: X-Client-Key}
  finding_ttl_s: 120
  enumeration: {min_distinct_ids: 10, action: block, window_s: 30, allow: [10.0.0.0/8, svc-a]}
  scraping: {min_advances: 5, large_page_size: 100, large_page_weight: 4}
  exfiltration: {min_response_bytes: 1000, min_pii_items: 3}
  auth_failures: {min_count: 4, action: log}
  forced_browsing: {enabled: false}
  baseline_deviation: {learning_calls: 10, learning_s: 0}
)";
  ASSERT_TRUE(ParsePolicyText(text, &policy, &error)) << error;
  EXPECT_EQ(policy.identity.kind, ClientKind::kApiKey);
  EXPECT_EQ(policy.identity.header, "x-client-key");
  EXPECT_EQ(policy.finding_ttl_s, 120u);
  EXPECT_EQ(policy.enumeration.min_distinct_ids, 10u);
  EXPECT_EQ(policy.enumeration.common.action, Action::kBlock);
  EXPECT_EQ(policy.enumeration.common.window_s, 30u);
  ASSERT_EQ(policy.enumeration.common.allow.networks.size(), 1u);
  ASSERT_EQ(policy.enumeration.common.allow.identities.size(), 1u);
  EXPECT_EQ(policy.scraping.large_page_weight, 4u);
  EXPECT_EQ(policy.exfiltration.min_pii_items, 3u);
  EXPECT_EQ(policy.auth_failures.common.action, Action::kLog);
  EXPECT_FALSE(policy.forced_browsing.common.enabled);
  EXPECT_EQ(policy.baseline.learning_calls, 10u);
}

TEST(DetectorPolicy, BareMappingAccepted) {
  DetectorPolicy policy;
  std::string error;
  ASSERT_TRUE(ParsePolicyText("scraping: {min_advances: 7}", &policy, &error)) << error;
  EXPECT_EQ(policy.scraping.min_advances, 7u);
}

struct BadPolicy {
  const char* text;
  const char* message;
};

TEST(DetectorPolicy, ErrorsNameTheKey) {
  const BadPolicy cases[] = {
      {"enumeration: {min_distinct_id: 3}", "unknown key 'detectors.enumeration.min_distinct_id'"},
      {"enumeration: {action: drop}", "'detectors.enumeration.action' must be log, tag or block"},
      {"scraping: {window_s: 0}", "'detectors.scraping.window_s' is 0"},
      {"scraping: {window_s: soon}", "'detectors.scraping.window_s' must be a number"},
      {"identity: {kind: cookie}", "'detectors.identity.kind' is 'cookie'"},
      {"auth_failures: {allow: 10.0.0.0/33}", "must be a list"},
      {"auth_failures: {allow: [10.0.0.0/33]}", "not a valid network"},
      {"enumeration: [1, 2]", "'detectors.enumeration' must be a mapping"},
      {"detectors: {scraping: {", "invalid YAML in detector policy at line"},
  };
  for (const BadPolicy& c : cases) {
    DetectorPolicy policy;
    std::string error;
    EXPECT_FALSE(ParsePolicyText(c.text, &policy, &error)) << c.text;
    EXPECT_NE(error.find(c.message), std::string::npos) << c.text << " gave: " << error;
  }
}

// Every bad key of one policy is reported, one per line, nested sections included.
TEST(DetectorPolicy, EveryErrorReported) {
  DetectorPolicy policy;
  std::string error;
  EXPECT_FALSE(ParsePolicyText("enumeration: {action: explode, window_s: -5}\nscrape: {}\n", &policy, &error));
  EXPECT_EQ(error,
            "'detectors.enumeration.action' must be log, tag or block, got 'explode'\n"
            "'detectors.enumeration.window_s' is -5, outside 1 to 604800\n"
            "unknown key 'detectors.scrape'");

  // A key given twice is an error, whichever value would win.
  error.clear();
  EXPECT_FALSE(ParsePolicyText("enumeration: {action: tag, action: block}\n", &policy, &error));
  EXPECT_EQ(error, "'detectors.enumeration.action' is given twice");
}

TEST(DetectorPolicy, SameShapeRejectsCapacityChange) {
  DetectorPolicy current;
  DetectorPolicy next;
  std::string why;
  next.enumeration.min_distinct_ids = 3;
  EXPECT_TRUE(SameShape(current, next, &why));
  next.tracked_per_worker = 10;
  next.enabled = !current.enabled;
  EXPECT_FALSE(SameShape(current, next, &why));
  EXPECT_EQ(why,
            "'detectors.tracked_per_worker' changes only with a restart\n"
            "'detectors.enabled' changes only with a restart");
}

TEST(AllowList, NetworksAndIdentities) {
  DetectorPolicy policy;
  std::string error;
  ASSERT_TRUE(ParsePolicyText("enumeration: {allow: [192.0.2.0/25, '2001:db8::/32', abc123]}", &policy, &error))
      << error;
  const AllowList& list = policy.enumeration.common.allow;
  uint8_t ip[16] = {};
  inet_pton(AF_INET, "192.0.2.100", ip);
  EXPECT_TRUE(Allowed(list, 4, ip, "", 0));
  inet_pton(AF_INET, "192.0.2.200", ip);
  EXPECT_FALSE(Allowed(list, 4, ip, "", 0));
  inet_pton(AF_INET6, "2001:db8:1::5", ip);
  EXPECT_TRUE(Allowed(list, 6, ip, "", 0));
  inet_pton(AF_INET, "198.51.100.1", ip);
  EXPECT_TRUE(Allowed(list, 4, ip, "abc123", 6));
  EXPECT_FALSE(Allowed(list, 4, ip, "abc12", 5));
}

}  // namespace
}  // namespace sluice::detect
