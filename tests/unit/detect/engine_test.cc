#include "dataplane/detect/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <tuple>
#include <string>
#include <vector>

#include "dataplane/detect/flagged_clients.h"

namespace sluice::detect {
namespace {

constexpr uint64_t kSecond = 1000000000ull;
constexpr uint64_t kStart = 1700000000ull * kSecond;

struct Recorded {
  Detector detector;
  std::string client_id;
  std::string endpoint;
  uint64_t calls;
  std::vector<std::string> samples;
  uint32_t records;
};

class Collect : public FindingSink {
 public:
  void OnFinding(const Finding& finding) override {
    Recorded recorded{finding.detector, std::string(finding.client_id, finding.client_id_length),
                      std::string(finding.endpoint, finding.endpoint_length), finding.calls, {}, finding.record_count};
    for (uint32_t i = 0; i < finding.sample_count; ++i) {
      recorded.samples.emplace_back(finding.sample_ids[i], finding.sample_lengths[i]);
    }
    found.push_back(recorded);
  }
  size_t Count(Detector detector) const {
    size_t count = 0;
    for (const Recorded& r : found) count += r.detector == detector;
    return count;
  }
  std::vector<Recorded> found;
};

// A call as the agent would send it: client `client` (an address-like id) on `endpoint`.
CallEvent Call(uint64_t ts_ns, uint32_t client, const std::string& endpoint, uint16_t status = 200) {
  CallEvent call;
  std::memset(&call, 0, sizeof(call));
  call.ts_ns = ts_ns;
  call.client_hash = 0x1000 + client;
  call.endpoint_hash = std::hash<std::string>()(endpoint) | 1;
  call.status = status;
  call.ip_version = 4;
  call.client_ip[0] = 10;
  call.client_ip[3] = static_cast<uint8_t>(client);
  const std::string id = "10.0.0." + std::to_string(client);
  std::memcpy(call.client_id, id.data(), id.size());
  call.client_id_length = static_cast<uint8_t>(id.size());
  std::memcpy(call.method, "GET", 3);
  call.method_length = 3;
  std::memcpy(call.host, "api", 3);
  call.host_length = 3;
  std::memcpy(call.endpoint, endpoint.data(), endpoint.size());
  call.endpoint_length = static_cast<uint8_t>(endpoint.size());
  call.flow_id = ts_ns;
  return call;
}

// The agent hashes ids with a mixing hash; std::hash of an integer is the integer itself.
uint64_t Mixed(uint64_t value) {
  value ^= value >> 33;
  value *= 0xff51afd7ed558ccdull;
  value ^= value >> 33;
  return value | 1;
}

void WithObject(CallEvent* call, uint64_t number) {
  call->object_hash = Mixed(number + 1);
  call->object_number = number;
  call->flags |= kObjectIsNumber;
  const std::string text = std::to_string(number);
  std::memcpy(call->sample, text.data(), text.size());
  call->sample_length = static_cast<uint8_t>(text.size());
}

void WithPage(CallEvent* call, uint64_t page, uint32_t size) {
  call->page_hash = Mixed(page + 1);
  call->page_number = page;
  call->flags |= kPageIsNumber;
  call->page_size = size;
}

TEST(Enumeration, SequentialIdsFire) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 40; ++i) {
    CallEvent call = Call(kStart + i * kSecond, 5, "/accounts/{id}/related");
    WithObject(&call, 1000 + i);
    engine.Process(call, &sink);
  }
  ASSERT_EQ(sink.Count(Detector::kEnumeration), 1u);
  const Recorded& found = sink.found[0];
  EXPECT_EQ(found.client_id, "10.0.0.5");
  EXPECT_EQ(found.endpoint, "/accounts/{id}/related");
  EXPECT_EQ(found.calls, policy.enumeration.min_distinct_ids);  // fires on the threshold call
  ASSERT_EQ(found.samples.size(), kMaxSampleIds);
  EXPECT_EQ(found.samples.back(), "1024");
  EXPECT_EQ(found.records, kMaxRecordRefs);
}

TEST(Enumeration, GuessedIdsWithFailuresFire) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 40; ++i) {
    CallEvent call = Call(kStart + i * kSecond, 6, "/orders/{id}", i % 4 == 0 ? 200 : 404);
    WithObject(&call, (i * 7919 + 13) % 100000);  // scattered, not neighbours
    engine.Process(call, &sink);
  }
  EXPECT_EQ(sink.Count(Detector::kEnumeration), 1u);
}

TEST(Enumeration, RelatedObjectsRepeatedStayQuiet) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 500; ++i) {
    CallEvent call = Call(kStart + i * kSecond, 7, "/orders/{id}");
    WithObject(&call, 7 + i % 5);
    engine.Process(call, &sink);
  }
  EXPECT_EQ(sink.Count(Detector::kEnumeration), 0u);
}

TEST(Enumeration, ListingFetchOfRandomIdsStaysQuiet) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  // 40 successful fetches of unrelated ids (as taken from a listing), below any_pattern_distinct_ids.
  for (uint64_t i = 0; i < 40; ++i) {
    CallEvent call = Call(kStart + i * kSecond, 8, "/items/{id}");
    WithObject(&call, (i * 104729 + 17) % 1000000);
    engine.Process(call, &sink);
  }
  EXPECT_EQ(sink.Count(Detector::kEnumeration), 0u);
}

TEST(Enumeration, SlowWalkInsideWindowFires) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 30; ++i) {  // one id every 20 s: 600 s for 30 ids
    CallEvent call = Call(kStart + i * 20 * kSecond, 9, "/accounts/{id}");
    WithObject(&call, 50 + i);
    engine.Process(call, &sink);
  }
  EXPECT_EQ(sink.Count(Detector::kEnumeration), 1u);
}

TEST(Enumeration, WalkSlowerThanWindowStaysQuiet) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 60; ++i) {  // one id every 60 s: at most 10 in a 600 s window
    CallEvent call = Call(kStart + i * 60 * kSecond, 9, "/accounts/{id}");
    WithObject(&call, 50 + i);
    engine.Process(call, &sink);
  }
  EXPECT_EQ(sink.Count(Detector::kEnumeration), 0u);
}

TEST(Enumeration, AllowListSuppresses) {
  DetectorPolicy policy;
  policy.enumeration.common.allow.identities.push_back("10.0.0.5");
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 40; ++i) {
    CallEvent call = Call(kStart + i * kSecond, 5, "/accounts/{id}");
    WithObject(&call, 1000 + i);
    engine.Process(call, &sink);
  }
  EXPECT_EQ(sink.Count(Detector::kEnumeration), 0u);
  EXPECT_EQ(engine.counters().allowed, 1u);
}

TEST(Scraping, AdvancingLargePagesFire) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  uint32_t calls_before = 0;
  for (uint64_t page = 1; page <= 40 && sink.found.empty(); ++page) {
    CallEvent call = Call(kStart + page * kSecond, 3, "/customers");
    WithPage(&call, page, 500);
    engine.Process(call, &sink);
    ++calls_before;
  }
  ASSERT_EQ(sink.Count(Detector::kScraping), 1u);
  // 3 per advance with the default weight: the 14th advance (15th call) reaches 40.
  EXPECT_EQ(calls_before, 15u);
}

TEST(Scraping, SlowBatchJobStaysQuiet) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t page = 1; page <= 100; ++page) {  // one page a minute: 10 per window
    CallEvent call = Call(kStart + page * 60 * kSecond, 4, "/exports");
    WithPage(&call, page, 50);
    engine.Process(call, &sink);
  }
  EXPECT_EQ(sink.Count(Detector::kScraping), 0u);
}

TEST(Scraping, RepeatedFirstPageStaysQuiet) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 200; ++i) {
    CallEvent call = Call(kStart + i * kSecond, 4, "/feed");
    WithPage(&call, 1, 500);
    engine.Process(call, &sink);
  }
  EXPECT_EQ(sink.Count(Detector::kScraping), 0u);
}

TEST(Bursts, AuthFailuresAndNotFound) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 25; ++i) engine.Process(Call(kStart + i * kSecond, 1, "/login", 401), &sink);
  for (uint64_t i = 0; i < 45; ++i) engine.Process(Call(kStart + i * kSecond, 2, "/x" + std::to_string(i), 404), &sink);
  EXPECT_EQ(sink.Count(Detector::kAuthFailures), 1u);
  EXPECT_EQ(sink.Count(Detector::kForcedBrowsing), 1u);
  EXPECT_EQ(sink.found[0].client_id, "10.0.0.1");
  EXPECT_EQ(sink.found[0].endpoint, "/login");
}

TEST(Bursts, FindingNamesTheBusiestTemplate) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  // 19 failures on /login, then the 20th on /token crosses the threshold.
  for (uint64_t i = 0; i < 19; ++i) engine.Process(Call(kStart + i * kSecond, 1, "/login", 401), &sink);
  engine.Process(Call(kStart + 19 * kSecond, 1, "/token", 403), &sink);
  ASSERT_EQ(sink.Count(Detector::kAuthFailures), 1u);
  EXPECT_EQ(sink.found[0].endpoint, "/login");
}

TEST(Bursts, SpreadFailuresStayQuiet) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 100; ++i) engine.Process(Call(kStart + i * 10 * kSecond, 1, "/login", 401), &sink);
  EXPECT_EQ(sink.Count(Detector::kAuthFailures), 0u);
}

TEST(Bursts, HealthCheckerStaysQuiet) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 5000; ++i) engine.Process(Call(kStart + i * kSecond, 1, "/health"), &sink);
  EXPECT_TRUE(sink.found.empty());
}

TEST(Exfiltration, BytesAndPii) {
  DetectorPolicy policy;
  policy.baseline.common.enabled = false;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 30; ++i) {
    CallEvent call = Call(kStart + i * kSecond, 1, "/export");
    call.response_bytes = 1024 * 1024;
    engine.Process(call, &sink);
  }
  EXPECT_EQ(sink.Count(Detector::kExfiltration), 1u);
  for (uint64_t i = 0; i < 30; ++i) {
    CallEvent call = Call(kStart + i * kSecond, 2, "/people");
    call.response_bytes = 2000;
    call.pii_items = 200;  // 6000 in the window, over the default 5000
    engine.Process(call, &sink);
  }
  EXPECT_EQ(sink.Count(Detector::kExfiltration), 2u);
}

TEST(Exfiltration, LargePagesAgainstEndpointMean) {
  DetectorPolicy policy;
  policy.baseline.common.enabled = false;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 200; ++i) {  // many clients, 2 KB pages
    CallEvent call = Call(kStart + i * kSecond, static_cast<uint32_t>(10 + i % 40), "/customers");
    call.response_bytes = 2000;
    engine.Process(call, &sink);
  }
  EXPECT_TRUE(sink.found.empty());
  for (uint64_t i = 0; i < 6; ++i) {  // one client, 500 KB pages: 3 MB, far above 6 x 2 KB
    CallEvent call = Call(kStart + (200 + i) * kSecond, 3, "/customers");
    call.response_bytes = 500000;
    engine.Process(call, &sink);
  }
  ASSERT_EQ(sink.Count(Detector::kExfiltration), 1u);
  EXPECT_EQ(sink.found[0].client_id, "10.0.0.3");
  EXPECT_EQ(sink.found[0].endpoint, "/customers");
}

// A call that arrives after a later one (another worker's ring is behind) must not make the
// estimate wrap around: it used to read as ~1.8e19 bytes and flag a benign client.
TEST(SlidingCountTest, LateEventAfterBucketAdvanceStaysBounded) {
  const uint64_t window = 300 * kSecond;
  SlidingCount count;
  count.Add(kStart, window, 100);
  count.Add(kStart + 301 * kSecond, window, 10);  // advances the bucket
  const uint64_t late = count.Value(kStart + 290 * kSecond, window);
  EXPECT_EQ(late, 110u);
  EXPECT_EQ(count.Value(kStart + 301 * kSecond, window), 10u + 99u);
}

TEST(Exfiltration, LateCallDoesNotFire) {
  DetectorPolicy policy;
  policy.baseline.common.enabled = false;
  Engine engine(0, policy);
  Collect sink;
  CallEvent first = Call(kStart, 1, "/people");
  first.response_bytes = 2000;
  first.pii_items = 10;
  engine.Process(first, &sink);
  CallEvent later = Call(kStart + 400 * kSecond, 1, "/people");
  later.response_bytes = 2000;
  later.pii_items = 10;
  engine.Process(later, &sink);
  CallEvent late = Call(kStart + 299 * kSecond, 1, "/people");  // before the current bucket
  late.response_bytes = 2000;
  late.pii_items = 10;
  engine.Process(late, &sink);
  EXPECT_TRUE(sink.found.empty());
}

// Two engines, each given the client part of the calls of the clients it owns and the endpoint
// part of the calls of the endpoints it owns, find what one engine finds.
TEST(Engine, SplitPartsFindWhatOneEngineFinds) {
  DetectorPolicy policy;
  policy.baseline.learning_calls = 50;
  policy.baseline.learning_s = 10;
  std::vector<CallEvent> calls;
  for (uint64_t i = 0; i < 400; ++i) {
    const char* endpoint = i % 2 == 0 ? "/customers" : "/invoices";
    CallEvent call = Call(kStart + i * kSecond, static_cast<uint32_t>(10 + i % 40), endpoint);
    call.response_bytes = 2000 + i % 7;
    calls.push_back(call);
  }
  for (uint64_t i = 0; i < 12; ++i) {  // large pages on both templates: 3 MB on each
    CallEvent call = Call(kStart + (400 + i) * kSecond, 3, i % 2 == 0 ? "/customers" : "/invoices");
    call.response_bytes = 500000;
    calls.push_back(call);
  }
  Engine one(0, policy);
  Collect one_sink;
  for (const CallEvent& call : calls) one.Process(call, &one_sink);

  Engine a(0, policy);
  Engine b(1, policy);
  Collect split_sink;
  Engine* engines[2] = {&a, &b};
  for (const CallEvent& call : calls) {
    const uint32_t client_owner = OwnerOf(call.client_hash, 2);
    const uint32_t endpoint_owner = OwnerOf(call.endpoint_hash, 2);
    if (client_owner == endpoint_owner) {
      engines[client_owner]->Process(call, kBothParts, &split_sink);
    } else {
      engines[client_owner]->Process(call, kClientPart, &split_sink);
      engines[endpoint_owner]->Process(call, kEndpointPart, &split_sink);
    }
  }
  const auto keys = [](const Collect& sink) {
    std::set<std::tuple<int, std::string, std::string>> set;
    for (const Recorded& r : sink.found) set.insert({static_cast<int>(r.detector), r.client_id, r.endpoint});
    return set;
  };
  EXPECT_FALSE(one_sink.found.empty());
  EXPECT_EQ(keys(one_sink), keys(split_sink));
  // The inventory of every endpoint is on one engine only, with all its calls.
  EXPECT_EQ(a.counters().calls + b.counters().calls, calls.size() + calls.size() -
                                                         std::count_if(calls.begin(), calls.end(), [](const CallEvent& c) {
                                                           return OwnerOf(c.client_hash, 2) == OwnerOf(c.endpoint_hash, 2);
                                                         }));
}

TEST(Baseline, LargeResponsesAfterLearning) {
  DetectorPolicy policy;
  policy.baseline.learning_calls = 50;
  policy.baseline.learning_s = 10;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 100; ++i) {
    CallEvent call = Call(kStart + i * kSecond, static_cast<uint32_t>(i % 10), "/profile");
    call.response_bytes = 800 + i % 100;
    engine.Process(call, &sink);
  }
  EXPECT_TRUE(sink.found.empty());
  for (uint64_t i = 0; i < 6; ++i) {
    CallEvent call = Call(kStart + (200 + i) * kSecond, 42, "/profile");
    call.response_bytes = 500000;
    engine.Process(call, &sink);
  }
  EXPECT_EQ(sink.Count(Detector::kBaselineDeviation), 1u);
}

// Calls older than the moment the profile was learned (late over a ring) are not judged by it.
TEST(Baseline, LateCallsBeforeLearningStayQuiet) {
  DetectorPolicy policy;
  policy.baseline.learning_calls = 50;
  policy.baseline.learning_s = 10;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 100; ++i) {
    CallEvent call = Call(kStart + (100 + i) * kSecond, static_cast<uint32_t>(i % 10), "/profile");
    call.response_bytes = 800 + i % 100;
    engine.Process(call, &sink);
  }
  for (uint64_t i = 0; i < 6; ++i) {
    CallEvent call = Call(kStart + (10 + i) * kSecond, 42, "/profile");
    call.response_bytes = 500000;
    engine.Process(call, &sink);
  }
  EXPECT_EQ(sink.Count(Detector::kBaselineDeviation), 0u);
  for (uint64_t i = 0; i < 6; ++i) {
    CallEvent call = Call(kStart + (300 + i) * kSecond, 42, "/profile");
    call.response_bytes = 500000;
    engine.Process(call, &sink);
  }
  EXPECT_EQ(sink.Count(Detector::kBaselineDeviation), 1u);
}

TEST(Engine, EvictionCounted) {
  DetectorPolicy policy;
  policy.tracked_per_worker = 64;
  Engine engine(0, policy);
  Collect sink;
  for (uint32_t client = 0; client < 100; ++client) engine.Process(Call(kStart, client, "/a"), &sink);
  EXPECT_EQ(engine.tracked(), 64u);
  // Each call makes three entries: the client, its template (client part) and its template
  // (endpoint part).
  EXPECT_EQ(engine.counters().tracks_evicted, 3u * 100 - 64);
}

TEST(Engine, ThresholdSwapKeepsState) {
  DetectorPolicy policy;
  Engine engine(0, policy);
  Collect sink;
  for (uint64_t i = 0; i < 15; ++i) {
    CallEvent call = Call(kStart + i * kSecond, 5, "/accounts/{id}");
    WithObject(&call, 1000 + i);
    engine.Process(call, &sink);
  }
  EXPECT_TRUE(sink.found.empty());
  DetectorPolicy stricter = policy;
  stricter.enumeration.min_distinct_ids = 16;
  engine.SetPolicy(&stricter);
  CallEvent call = Call(kStart + 16 * kSecond, 5, "/accounts/{id}");
  WithObject(&call, 1015);
  engine.Process(call, &sink);
  EXPECT_EQ(sink.Count(Detector::kEnumeration), 1u) << "ids seen before the swap must still count";
}

TEST(Engine, InventoryExport) {
  DetectorPolicy policy;
  policy.inventory_interval_s = 60;
  Engine engine(0, policy);
  Collect sink;
  struct Inventory : InventorySink {
    void OnEndpoint(const EndpointStats& stats, uint64_t, uint64_t, uint64_t p99, uint32_t clients) override {
      endpoints.emplace_back(stats.endpoint, stats.endpoint_length);
      last_p99 = p99;
      last_clients = clients;
    }
    void OnInventoryEnd(uint64_t, uint64_t) override { ++exports; }
    std::vector<std::string> endpoints;
    uint64_t last_p99 = 0;
    uint32_t last_clients = 0;
    int exports = 0;
  } inventory;
  for (uint32_t i = 0; i < 20; ++i) {
    CallEvent call = Call(kStart + i * kSecond, i, "/users/{id}");
    call.response_bytes = 1000;
    engine.Process(call, &sink);
  }
  engine.MaybeExportInventory(kStart + 30 * kSecond, false, &inventory);
  EXPECT_EQ(inventory.exports, 0);
  engine.MaybeExportInventory(kStart + 61 * kSecond, false, &inventory);
  ASSERT_EQ(inventory.exports, 1);
  ASSERT_EQ(inventory.endpoints.size(), 1u);
  EXPECT_EQ(inventory.endpoints[0], "/users/{id}");
  EXPECT_EQ(inventory.last_p99, 1023u);
  EXPECT_GE(inventory.last_clients, 16u);
  EXPECT_LE(inventory.last_clients, 24u);
}

TEST(FlaggedClients, KeepsNewestAndExpires) {
  FlaggedClients flagged(16);
  for (uint64_t id = 1; id <= 6; ++id) {
    flagged.Add(FindingNotice{77, id, kStart + id * kSecond, static_cast<uint8_t>(Action::kTag), 0});
  }
  const FlaggedClient* entry = flagged.Find(77, kStart);
  ASSERT_NE(entry, nullptr);
  ASSERT_EQ(entry->finding_count, FlaggedClient::kMaxFindings);
  EXPECT_EQ(entry->findings[0], 3u);
  EXPECT_EQ(entry->findings[3], 6u);
  EXPECT_EQ(flagged.Find(77, kStart + 7 * kSecond), nullptr);
  EXPECT_EQ(flagged.Find(78, kStart), nullptr);
}

TEST(FlaggedClients, FullProbeEvicts) {
  FlaggedClients flagged(16);
  for (uint64_t i = 0; i < 40; ++i) flagged.Add(FindingNotice{i * 16 + 1, i + 1, kStart + i, 1, 0});
  EXPECT_GT(flagged.evictions(), 0u);
  EXPECT_NE(flagged.Find(39 * 16 + 1, kStart), nullptr);
}

}  // namespace
}  // namespace sluice::detect
