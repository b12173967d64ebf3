#include "control/forensics/scope.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/control/forensics/scope_fixtures.h"

namespace sluice::control::forensics {
namespace {

using testing::Call;
using testing::Fingerprints;
using testing::kBaseNs;
using testing::kSecondNs;

ScopeReport Analyze(const std::vector<TransactionRow>& rows, ScopeRequest request = {},
                    const std::vector<FindingRow>& findings = {}) {
  return AnalyzeScope(request, rows, findings);
}

struct DepthCase {
  const char* name;
  TransactionRow row;
  const char* depth;
};

TEST(ScopeDepth, ResponseAtAndAroundThresholds) {
  // Defaults: deep_min_pii_types 2, deep_min_bytes_per_object 128, deep_min_responses 1.
  const DepthCase cases[] = {
      {"two types, 128 bytes, one object",
       Call(1).Bytes(128).Pii("email", 1, {"e1"}).Pii("phone", 1, {"p1"}), "deep"},
      {"two types, 127 bytes, one object",
       Call(1).Bytes(127).Pii("email", 1, {"e1"}).Pii("phone", 1, {"p1"}), "shallow"},
      {"one type, large body",
       Call(1).Bytes(100000).Pii("email", 1, {"e1"}), "shallow"},
      {"list of 10 at 128 bytes each",
       Call(1).Bytes(1280).Pii("email", 10, Fingerprints("e", 8)).Pii("phone", 10, Fingerprints("p", 8)),
       "deep"},
      {"list of 10 at 127.9 bytes each",
       Call(1).Bytes(1279).Pii("email", 10, Fingerprints("e", 8)).Pii("phone", 10, Fingerprints("p", 8)),
       "shallow"},
      {"deep body with status 404",
       Call(1).Status(404).Bytes(1000).Pii("email", 1, {"e1"}).Pii("phone", 1, {"p1"}), "shallow"},
      {"deep body with status 299",
       Call(1).Status(299).Bytes(1000).Pii("email", 1, {"e1"}).Pii("phone", 1, {"p1"}), "deep"},
      {"deep body with status 300",
       Call(1).Status(300).Bytes(1000).Pii("email", 1, {"e1"}).Pii("phone", 1, {"p1"}), "shallow"},
      {"no PII, large body", Call(1).Bytes(100000), "shallow"},
      {"no response", Call(1).NoResponse().Bytes(1000).Pii("email", 1, {"e1"}).Pii("phone", 1, {"p1"}),
       "shallow"},
      {"type listed twice counts once",
       Call(1).Bytes(1000).Pii("email", 1, {"e1"}).Pii("email", 1, {"e2"}), "shallow"},
      {"type with count 0 does not count",
       Call(1).Bytes(1000).Pii("email", 1, {"e1"}).Pii("phone", 0, {}), "shallow"},
  };
  for (const DepthCase& c : cases) {
    const ScopeReport report = Analyze({c.row});
    EXPECT_EQ(report.classification.depth, c.depth) << c.name;
  }
}

TEST(ScopeDepth, MinResponsesThreshold) {
  ScopeRequest request;
  request.thresholds.deep_min_responses = 2;
  const TransactionRow deep = Call(1).Bytes(500).Pii("email", 1, {"e1"}).Pii("phone", 1, {"p1"});
  const TransactionRow shallow = Call(2).Bytes(10);

  const ScopeReport one = Analyze({deep, shallow}, request);
  EXPECT_EQ(one.classification.deep_responses, 1u);
  EXPECT_EQ(one.classification.successful_responses, 2u);
  EXPECT_EQ(one.classification.depth, "shallow");

  const ScopeReport two = Analyze({deep, deep, shallow}, request);
  EXPECT_EQ(two.classification.deep_responses, 2u);
  EXPECT_EQ(two.classification.depth, "deep");
  ASSERT_EQ(two.classification.depth_reasons.size(), 1u);
  EXPECT_TRUE(two.classification.depth_reasons[0].met);
  EXPECT_EQ(two.classification.depth_reasons[0].threshold, 2u);
}

TEST(ScopeDepth, MeasuresReturnedObjects) {
  const ScopeReport report =
      Analyze({Call(1).Bytes(3000).Pii("email", 10, Fingerprints("e", 8)).Pii("phone", 3, {"p"}),
               Call(2).Bytes(50), Call(3).Status(500).Bytes(7000)});
  // 10 objects (largest type count) + 1 (no PII) from the 2xx responses; the 500 is ignored.
  EXPECT_EQ(report.classification.returned_objects, 11u);
  EXPECT_EQ(report.classification.max_pii_types, 2u);
  EXPECT_EQ(report.classification.max_bytes_per_object, 300u);
}

struct BreadthCase {
  const char* name;
  size_t templates;
  size_t objects;
  size_t subjects;
  const char* breadth;
};

// Builds calls naming `templates` templates, `objects` distinct objects in total (each template
// gets at least one) and `subjects` distinct email fingerprints.
std::vector<TransactionRow> BreadthRows(const BreadthCase& c) {
  std::vector<TransactionRow> rows;
  const size_t calls = std::max({c.templates, c.objects, c.subjects, size_t{1}});
  for (size_t i = 0; i < calls; ++i) {
    const size_t t = i % c.templates;
    const size_t object = i < c.objects ? i : 0;
    Call call(i);
    call.Path("/t" + std::to_string(t) + "/{id}", "/t" + std::to_string(t) + "/" +
                                                      std::to_string(object));
    if (i < c.subjects) call.Pii("email", 1, {"e" + std::to_string(i)});
    rows.push_back(call);
  }
  return rows;
}

TEST(ScopeBreadth, AtAndAroundThresholds) {
  // Defaults: narrow_max_templates 1, narrow_max_objects 10, narrow_max_subjects 10.
  const BreadthCase cases[] = {
      {"one template, one object", 1, 1, 0, "narrow"},
      {"one template, 10 objects", 1, 10, 0, "narrow"},
      {"one template, 11 objects", 1, 11, 0, "broad"},
      {"two templates, two objects", 2, 2, 0, "broad"},
      {"one template, 10 subjects", 1, 1, 10, "narrow"},
      {"one template, 11 subjects", 1, 1, 11, "broad"},
      {"one template, 10 objects, 10 subjects", 1, 10, 10, "narrow"},
  };
  for (const BreadthCase& c : cases) {
    const ScopeReport report = Analyze(BreadthRows(c));
    EXPECT_EQ(report.templates, c.templates) << c.name;
    EXPECT_EQ(report.objects, c.objects) << c.name;
    EXPECT_EQ(report.subjects, c.subjects) << c.name;
    EXPECT_EQ(report.classification.breadth, c.breadth) << c.name;
  }
}

TEST(ScopeBreadth, ReasonsNameTheMeasureThatWasMet) {
  const ScopeReport report = Analyze(BreadthRows({"", 1, 11, 0, ""}));
  ASSERT_EQ(report.classification.breadth_reasons.size(), 3u);
  EXPECT_EQ(report.classification.breadth_reasons[0].measure, "templates");
  EXPECT_FALSE(report.classification.breadth_reasons[0].met);
  EXPECT_EQ(report.classification.breadth_reasons[1].measure, "objects");
  EXPECT_TRUE(report.classification.breadth_reasons[1].met);
  EXPECT_EQ(report.classification.breadth_reasons[1].value, 11u);
  EXPECT_EQ(report.classification.breadth_reasons[1].comparison, ">");
  EXPECT_FALSE(report.classification.breadth_reasons[2].met);
}

TEST(ScopeBreadth, ConfiguredThresholdsApply) {
  ScopeRequest request;
  request.thresholds.narrow_max_templates = 2;
  request.thresholds.narrow_max_objects = 20;
  EXPECT_EQ(Analyze(BreadthRows({"", 2, 20, 0, ""}), request).classification.breadth, "narrow");
  EXPECT_EQ(Analyze(BreadthRows({"", 3, 3, 0, ""}), request).classification.breadth, "broad");
  EXPECT_EQ(Analyze(BreadthRows({"", 1, 21, 0, ""}), request).classification.breadth, "broad");
}

TEST(ScopeBreadth, SameTemplateOnTwoHostsIsTwoTemplates) {
  const ScopeReport report = Analyze({Call(1), Call(2).Host("other.example.com")});
  EXPECT_EQ(report.templates, 2u);
  EXPECT_EQ(report.objects, 2u);
  EXPECT_EQ(report.classification.breadth, "broad");
}

TEST(ScopeItems, DistinctFingerprintCounting) {
  const ScopeReport report = Analyze({
      Call(1).Pii("email", 2, {"a", "b"}),
      Call(2).Pii("email", 3, {"a", "b", "c"}),
      Call(3).Pii("phone", 1, {"a"}),  // the same fingerprint under another type
      Call(4).Pii("jwt", 1, {"j"}),
  });
  EXPECT_EQ(report.distinct_items, 5u);
  EXPECT_FALSE(report.items_lower_bound);
  EXPECT_EQ(report.subjects, 4u);  // email a, b, c and phone a; jwt is not identifying
  ASSERT_EQ(report.pii_types.size(), 3u);
  EXPECT_EQ(report.pii_types[0].type, "email");
  EXPECT_EQ(report.pii_types[0].distinct_items, 3u);
  EXPECT_EQ(report.pii_types[0].occurrences, 5u);
  EXPECT_EQ(report.pii_types[0].calls, 2u);
  EXPECT_TRUE(report.pii_types[0].identifying);
}

TEST(ScopeItems, LowerBoundOnlyWhenFingerprintsRanOut) {
  struct Case {
    uint64_t count;
    size_t fingerprints;
    bool lower_bound;
  };
  const Case cases[] = {
      {8, 8, false},  // every value named
      {9, 8, true},   // the ninth value may be new
      {5, 3, false},  // repeats of three values
      {3, 3, false},
  };
  for (const Case& c : cases) {
    const ScopeReport report = Analyze({Call(1).Pii("email", c.count, Fingerprints("e", c.fingerprints))});
    EXPECT_EQ(report.items_lower_bound, c.lower_bound) << c.count << "/" << c.fingerprints;
    EXPECT_EQ(report.subjects_lower_bound, c.lower_bound) << c.count << "/" << c.fingerprints;
    EXPECT_EQ(report.pii_types.at(0).lower_bound, c.lower_bound);
    EXPECT_EQ(report.distinct_items, c.fingerprints);
  }
}

TEST(ScopeItems, RequestPiiIsNotExposure) {
  TransactionRow row = Call(1);
  row.pii_request.push_back({"email", 1, {"sent"}});
  const ScopeReport report = Analyze({row});
  EXPECT_EQ(report.distinct_items, 0u);
  EXPECT_TRUE(report.pii_types.empty());
}

TEST(ScopeObjects, ObjectKeyFromTemplate) {
  struct Case {
    const char* endpoint;
    const char* path;
    bool has_object;
  };
  const Case cases[] = {
      {"/accounts/{id}", "/accounts/42", true},
      {"/accounts/{id}/cards/{id}", "/accounts/42/cards/7", true},
      {"/accounts", "/accounts", false},
      {"/accounts/{id}", "/accounts/42/extra", false},
      {"/accounts/{id}", "", false},
      {"", "", false},
  };
  for (const Case& c : cases) {
    const std::string key = ObjectKey(Call(1).Path(c.endpoint, c.path));
    EXPECT_EQ(!key.empty(), c.has_object) << c.endpoint << " " << c.path;
  }
  EXPECT_NE(ObjectKey(Call(1).Path("/a/{id}/b/{id}", "/a/1/b/2")),
            ObjectKey(Call(1).Path("/a/{id}/b/{id}", "/a/2/b/1")));
  EXPECT_NE(ObjectKey(Call(1).Path("/a/{id}", "/a/1")), ObjectKey(Call(1).Path("/b/{id}", "/b/1")));
}

TEST(ScopeObjects, RepeatedObjectCountsOnce) {
  const ScopeReport report = Analyze({Call(1).Path("/accounts/{id}", "/accounts/1"),
                                      Call(2).Path("/accounts/{id}", "/accounts/1"),
                                      Call(3).Path("/accounts/{id}", "/accounts/2")});
  EXPECT_EQ(report.objects, 2u);
  EXPECT_EQ(report.objects_requested, 2u);
  ASSERT_EQ(report.functions.size(), 1u);
  EXPECT_EQ(report.functions[0].objects, 2u);
  EXPECT_EQ(report.functions[0].calls, 3u);
}

TEST(ScopeObjects, OnlySuccessfulCallsReturnObjects) {
  const ScopeReport report = Analyze({Call(1).Path("/accounts/{id}", "/accounts/1"),
                                      Call(2).Path("/accounts/{id}", "/accounts/2").Status(404),
                                      Call(3).Path("/accounts/{id}", "/accounts/3").NoResponse(),
                                      Call(4).Path("/accounts/{id}", "/accounts/1").Status(500)});
  EXPECT_EQ(report.objects, 1u);
  EXPECT_EQ(report.objects_requested, 3u);
  ASSERT_EQ(report.functions.size(), 1u);
  EXPECT_EQ(report.functions[0].objects, 1u);
  EXPECT_EQ(report.functions[0].objects_requested, 3u);
}

std::vector<TransactionRow> SelectorRows() {
  return {
      Call(0).Client("api_key", "k-alice", "10.0.0.1").Path("/accounts/{id}", "/accounts/1"),
      Call(10).Client("api_key", "k-alice", "10.0.0.2").Path("/accounts/{id}", "/accounts/2"),
      Call(20).Client("api_key", "k-alice", "10.0.0.2").Path("/accounts/{id}", "/accounts/3").Finding(9),
      Call(30).Client("api_key", "k-bob", "10.0.0.3").Path("/orders/{id}", "/orders/1"),
      Call(40).Client("api_key", "k-alice", "10.0.0.1").Path("/orders/{id}", "/orders/2"),
  };
}

size_t Selected(const ScopeSelector& selector, const std::vector<FindingRow>& findings = {}) {
  ScopeRequest request;
  request.selector = selector;
  return Analyze(SelectorRows(), request, findings).calls;
}

TEST(ScopeSelector, ClientEndpointAndTime) {
  EXPECT_EQ(Selected({}), 5u);
  EXPECT_EQ(Selected({.client = "k-alice"}), 4u);
  EXPECT_EQ(Selected({.client = "10.0.0.2"}), 2u);  // by address
  EXPECT_EQ(Selected({.client = "k-carol"}), 0u);
  EXPECT_EQ(Selected({.endpoint = "/orders/{id}"}), 2u);
  EXPECT_EQ(Selected({.endpoint = "/orders/2"}), 0u);  // templates only, not paths
  EXPECT_EQ(Selected({.since_ns = kBaseNs + 10 * kSecondNs}), 4u);  // since is inclusive
  EXPECT_EQ(Selected({.until_ns = kBaseNs + 10 * kSecondNs}), 1u);  // until is exclusive
  EXPECT_EQ(Selected({.since_ns = kBaseNs + 10 * kSecondNs, .until_ns = kBaseNs + 30 * kSecondNs}),
            2u);
  EXPECT_EQ(Selected({.client = "k-alice", .endpoint = "/orders/{id}"}), 1u);
}

TEST(ScopeSelector, FindingCoversTaggedCallsAndItsWindow) {
  FindingRow finding;
  finding.finding_id = 9;
  finding.run_id = 7;  // the run of Call()'s records
  finding.detector = "enumeration";
  finding.client_kind = "api_key";
  finding.client_id = "k-alice";
  finding.first_ts_ns = kBaseNs + 10 * kSecondNs;
  finding.last_ts_ns = kBaseNs + 20 * kSecondNs;

  // Without a finding row, only the call that carries the id.
  EXPECT_EQ(Selected({.finding_id = 9}), 1u);
  // With it, alice's calls from 10 s to 20 s (inclusive) too, but not bob's or alice's at 40 s.
  EXPECT_EQ(Selected({.finding_id = 9}, {finding}), 2u);
  finding.last_ts_ns = kBaseNs + 40 * kSecondNs;
  EXPECT_EQ(Selected({.finding_id = 9}, {finding}), 3u);
  // Other criteria still narrow it.
  EXPECT_EQ(Selected({.finding_id = 9, .endpoint = "/orders/{id}"}, {finding}), 1u);
  // Finding ids restart with every run: finding 9 of another run claims none of these calls,
  // neither the one that carries id 9 nor alice's calls in its window.
  finding.run_id = 8;
  EXPECT_EQ(Selected({.finding_id = 9, .run_id = 8}, {finding}), 0u);
  EXPECT_EQ(Selected({.run_id = 7}), 5u);
}

TEST(ScopeSelector, UnknownFindingIsReported) {
  ScopeRequest request;
  request.selector.finding_id = 77;
  const ScopeReport report = Analyze(SelectorRows(), request);
  EXPECT_TRUE(report.finding_not_found);
  EXPECT_EQ(report.calls, 0u);
  EXPECT_EQ(report.classification.depth, "none");
  EXPECT_EQ(report.classification.breadth, "none");

  request.selector.finding_id = 9;
  EXPECT_FALSE(Analyze(SelectorRows(), request).finding_not_found);
}

TEST(ScopeFindings, ListedWithStubsForUnknownIds) {
  FindingRow known;
  known.finding_id = 9;
  known.run_id = 7;  // the run of Call()'s records
  known.detector = "enumeration";
  FindingRow other_run = known;
  other_run.run_id = 8;
  other_run.detector = "scraping";
  const ScopeReport report = Analyze({Call(1).Finding(9).Finding(12), Call(2)}, {}, {other_run, known});
  ASSERT_EQ(report.findings.size(), 2u);
  EXPECT_EQ(report.findings[0].finding_id, 9u);
  EXPECT_EQ(report.findings[0].detector, "enumeration");
  EXPECT_EQ(report.findings[1].finding_id, 12u);
  EXPECT_TRUE(report.findings[1].detector.empty());
}

TEST(ScopeClients, GroupedByIdentityWithAddresses) {
  const ScopeReport report = Analyze(SelectorRows());
  ASSERT_EQ(report.clients.size(), 2u);
  EXPECT_EQ(report.clients[0].id, "k-alice");
  EXPECT_EQ(report.clients[0].calls, 4u);
  EXPECT_EQ(report.clients[0].addresses, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(report.clients[0].first_ts_ns, kBaseNs);
  EXPECT_EQ(report.clients[0].last_ts_ns, kBaseNs + 40 * kSecondNs);
  EXPECT_EQ(report.clients[1].id, "k-bob");
}

TEST(ScopeClients, RowsWithoutIdentityUseTheAddress) {
  const ScopeReport report = Analyze({Call(1).Client("", "", "192.0.2.9")});
  ASSERT_EQ(report.clients.size(), 1u);
  EXPECT_EQ(report.clients[0].kind, "ip");
  EXPECT_EQ(report.clients[0].id, "192.0.2.9");
}

TEST(ScopeSummary, FunctionsStatusAndTimes) {
  const ScopeReport report = Analyze({
      Call(5).Status(404),
      Call(1).Bytes(10),
      Call(3).Method("DELETE").Status(500),
      Call(4).NoResponse(),
      Call(2).Status(302),
  });
  EXPECT_EQ(report.calls, 5u);
  EXPECT_EQ(report.first_ts_ns, kBaseNs + 1 * kSecondNs);
  EXPECT_EQ(report.last_ts_ns, kBaseNs + 5 * kSecondNs);
  EXPECT_EQ(report.status.success, 1u);
  EXPECT_EQ(report.status.redirection, 1u);
  EXPECT_EQ(report.status.client_error, 1u);
  EXPECT_EQ(report.status.server_error, 1u);
  EXPECT_EQ(report.status.none, 1u);
  ASSERT_EQ(report.functions.size(), 2u);
  EXPECT_EQ(report.functions[0].method, "GET");
  EXPECT_EQ(report.functions[0].calls, 4u);
  EXPECT_EQ(report.functions[1].method, "DELETE");
  EXPECT_EQ(report.templates, 1u);  // both methods on one template
}

TEST(ScopeEvidence, BoundedInTimeOrder) {
  ScopeRequest request;
  request.thresholds.evidence_limit = 3;
  const ScopeReport report =
      Analyze({Call(5), Call(1), Call(4), Call(2).Ref("dp2", 1, 0), Call(2).Ref("dp1", 9, 3)},
              request);
  ASSERT_EQ(report.evidence.size(), 3u);
  EXPECT_EQ(report.evidence_omitted, 2u);
  EXPECT_EQ(report.evidence[0].ts_ns, kBaseNs + 1 * kSecondNs);
  EXPECT_EQ(report.evidence[1].ref.dataplane_id, "dp1");  // ties broken by record reference
  EXPECT_EQ(report.evidence[2].ref.dataplane_id, "dp2");
}

TEST(ScopeTimeline, BucketsHoldEveryCall) {
  const uint64_t spans_s[] = {0, 1, 59, 60, 3600, 86400, 30 * 86400, 400 * 86400};
  for (uint64_t span : spans_s) {
    std::vector<TransactionRow> rows;
    for (uint64_t i = 0; i <= 20; ++i) rows.push_back(Call(0).AtNs(kBaseNs + 7 + span * kSecondNs * i / 20));
    const ScopeReport report = Analyze(rows);
    ASSERT_FALSE(report.timeline.empty()) << span;
    EXPECT_LE(report.timeline.size(), kMaxTimelineBuckets) << span;
    uint64_t total = 0;
    for (const TimelineBucket& bucket : report.timeline) total += bucket.calls.success;
    EXPECT_EQ(total, rows.size()) << span;
    EXPECT_LE(report.timeline.front().start_ns, report.first_ts_ns) << span;
    EXPECT_GT(report.timeline.back().start_ns + report.timeline_bucket_ns, report.last_ts_ns)
        << span;
  }
}

TEST(ScopeTimeline, BucketWidthLadder) {
  EXPECT_EQ(ChooseBucketWidth(0), 1'000'000u);
  EXPECT_EQ(ChooseBucketWidth(58 * kSecondNs), kSecondNs);
  EXPECT_EQ(ChooseBucketWidth(59 * kSecondNs), 2 * kSecondNs);
  EXPECT_EQ(ChooseBucketWidth(3600 * kSecondNs), 2 * 60 * kSecondNs);
  const uint64_t year = 365 * 86400 * kSecondNs;
  EXPECT_LE(year / ChooseBucketWidth(year) + 2, kMaxTimelineBuckets);
}

TEST(ScopeTimeline, EmptyScopeHasNoBuckets) {
  const ScopeReport report = Analyze({});
  EXPECT_TRUE(report.timeline.empty());
  EXPECT_EQ(report.calls, 0u);
  EXPECT_EQ(report.classification.depth, "none");
}

}  // namespace
}  // namespace sluice::control::forensics
