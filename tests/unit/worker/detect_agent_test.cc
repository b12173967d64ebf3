// The detectors inside one worker: calls parsed from frames reach the engine, findings become
// records, later calls of the flagged client carry the finding and, inline, are blocked, and a
// new policy is adopted without losing per-client state.
#include <gtest/gtest.h>
#include <rte_eal.h>

#include <memory>
#include <string>
#include <vector>

#include "dataplane/app/eal_cleanup.h"
#include "dataplane/export/batch_channel.h"
#include "dataplane/inspect/inspector.h"
#include "dataplane/worker/worker.h"
#include "matchers/pii/pii_detectors.h"
#include "matchers/pii/pii_scanner.h"
#include "perf/gen/frame_builder.h"
#include "records_generated.h"

namespace sluice::worker {
namespace {

constexpr uint64_t kSecond = 1000000000ull;

struct Seen {
  std::vector<std::string> findings;            // detector names
  std::vector<std::string> finding_endpoints;
  std::vector<std::string> sample_ids;          // of every finding, in order
  std::vector<wire::Verdict> verdicts;          // per transaction, in order
  std::vector<std::string> block_reasons;
  std::vector<size_t> finding_counts;           // sluice.findings size per transaction
  std::vector<std::string> endpoints;
};

// An inspector with PII detection on every field and no rules, as the data plane runs by default.
std::unique_ptr<inspect::Inspector> PiiInspector() {
  matchers::PiiConfig config;
  config.hmac_key = "unit test key for PII fingerprints";
  config.fields = matchers::kPiiRequestBody | matchers::kPiiResponseBody | matchers::kPiiRequestHeaders |
                  matchers::kPiiResponseHeaders | matchers::kPiiQuery;
  std::string error;
  auto detectors = matchers::PiiDetectorSet::Create(config, &error);
  EXPECT_NE(detectors, nullptr) << error;
  return std::make_unique<inspect::Inspector>(nullptr, matchers::PiiScanner::Create(detectors),
                                              inspect::InspectorConfig{});
}

class DetectorRig {
 public:
  explicit DetectorRig(const detect::DetectorPolicy* policy, bool inline_mode, bool with_pii = false) {
    static uint16_t next_id = 0;
    std::string error;
    config_.worker_id = next_id++;
    config_.records.records_per_batch = 8;
    config_.records.wait_for_buffers = false;
    config_.max_flows = 1024;
    config_.transaction_slots = 256;
    config_.segment_chunks = 256;
    config_.line_buffers = 16;
    config_.inline_mode = inline_mode;
    config_.detect_policy = policy;
    config_.detect_key = "unit test key for client pseudonyms";
    EXPECT_TRUE(channel_.Init(config_.worker_id, 64, &error)) << error;
    worker_ = with_pii ? std::make_unique<Worker>(config_, &channel_, PiiInspector())
                       : std::make_unique<Worker>(config_, &channel_);
    EXPECT_TRUE(worker_->Init(&error)) << error;
  }

  // One connection from `client_last_octet` carrying one GET of `path`, answered with `status`.
  void Call(uint8_t client_last_octet, const std::string& path, int status = 200) {
    gen::FrameSource client;
    gen::FrameSource server;
    client.mac = {2, 0, 0, 0, 0, 1};
    server.mac = {2, 0, 0, 0, 0, 2};
    client.ip.bytes = {198, 18, 0, client_last_octet};
    server.ip.bytes = {198, 19, 0, 1};
    client.port = static_cast<uint16_t>(30000 + port_++);
    server.port = 80;
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: api.test\r\n\r\n";
    const std::string response = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 2\r\n\r\n{}";
    uint32_t c = 100;
    uint32_t s = 900;
    Frame(client, server, c++, 0, gen::kSyn, "");
    Frame(server, client, s++, c, gen::kSyn | gen::kAck, "");
    Frame(client, server, c, s, gen::kAck | gen::kPsh, request);
    c += static_cast<uint32_t>(request.size());
    Frame(server, client, s, c, gen::kAck | gen::kPsh, response);
    s += static_cast<uint32_t>(response.size());
    Frame(client, server, c++, s, gen::kAck | gen::kFin, "");
    Frame(server, client, s++, c, gen::kAck | gen::kFin, "");
    ts_ += kSecond;
    Drain();
  }

  Worker& worker() { return *worker_; }
  const Seen& Finish() {
    worker_->CloseAll();
    worker_->FinishDetection();
    Drain();
    return seen_;
  }

 private:
  void Frame(const gen::FrameSource& from, const gen::FrameSource& to, uint32_t seq, uint32_t ack, uint8_t flags,
             const std::string& payload) {
    gen::TcpSegmentFields segment;
    segment.seq = seq;
    segment.ack = ack;
    segment.flags = flags;
    segment.window = 1024;
    segment.payload = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
    std::vector<uint8_t> frame;
    gen::AppendTcpFrame(from, to, segment, frame);
    worker_->ProcessFrame(frame.data(), static_cast<uint32_t>(frame.size()), ts_);
    ts_ += 1000;
  }

  void Drain() {
    worker_->FlushRecords();
    while (exporter::ExportBatch* batch = channel_.TakeReady()) {
      flatbuffers::Verifier verifier(batch->builder.GetBufferPointer(), batch->builder.GetSize());
      EXPECT_TRUE(wire::VerifyMessageBuffer(verifier));
      const auto* message = wire::GetMessage(batch->builder.GetBufferPointer());
      for (const auto* record : *message->body_as_Batch()->records()) {
        if (const auto* finding = record->body_as_Finding()) {
          seen_.findings.push_back(finding->detector()->str());
          seen_.finding_endpoints.push_back(finding->endpoint()->str());
          if (finding->sample_ids() != nullptr) {
            for (const auto* id : *finding->sample_ids()) seen_.sample_ids.push_back(id->str());
          }
        } else if (const auto* txn = record->body_as_Transaction()) {
          seen_.verdicts.push_back(txn->verdict());
          seen_.block_reasons.push_back(txn->block() != nullptr ? txn->block()->reason()->str() : "");
          seen_.finding_counts.push_back(txn->findings() != nullptr ? txn->findings()->size() : 0);
          seen_.endpoints.push_back(txn->endpoint() != nullptr ? txn->endpoint()->str() : "");
        }
      }
      channel_.PutFree(batch);
    }
  }

  WorkerConfig config_;
  exporter::BatchChannel channel_;
  std::unique_ptr<Worker> worker_;
  uint64_t ts_ = 1700000000ull * kSecond;
  uint32_t port_ = 0;
  Seen seen_;
};

TEST(DetectAgent, EnumerationFindingTagsLaterCalls) {
  const detect::DetectorPolicy policy;
  DetectorRig rig(&policy, /*inline_mode=*/false);
  for (int i = 0; i < 30; ++i) rig.Call(5, "/accounts/" + std::to_string(100 + i) + "/related");
  rig.Call(6, "/accounts/7/related");  // another client: never flagged
  const Seen& seen = rig.Finish();
  ASSERT_EQ(seen.findings, std::vector<std::string>{"enumeration"});
  EXPECT_EQ(seen.finding_endpoints[0], "/accounts/{id}/related");
  ASSERT_EQ(seen.verdicts.size(), 31u);
  EXPECT_EQ(seen.endpoints[0], "/accounts/{id}/related");
  // The 25th distinct id fires; the finding is in force from the next call on.
  EXPECT_EQ(seen.finding_counts[24], 0u);
  EXPECT_EQ(seen.finding_counts[25], 1u);
  EXPECT_EQ(seen.verdicts[25], wire::Verdict::Tag);
  EXPECT_EQ(seen.finding_counts[30], 0u);
  EXPECT_EQ(seen.verdicts[30], wire::Verdict::Pass);
}

// Ids that are personal data (US social security numbers here) become {id} in the template, like
// any id, and findings carry their pseudonyms, never the numbers.
TEST(DetectAgent, PersonalIdsNeverLeaveRaw) {
  const detect::DetectorPolicy policy;
  DetectorRig rig(&policy, /*inline_mode=*/false, /*with_pii=*/true);
  std::vector<std::string> ssns;
  for (int i = 0; i < 70; ++i) {
    ssns.push_back("123-45-" + std::to_string(6700 + i));
    rig.Call(5, "/people/" + ssns.back() + "/profile");
  }
  const Seen& seen = rig.Finish();
  ASSERT_EQ(seen.endpoints.size(), 70u);
  EXPECT_EQ(seen.endpoints[0], "/people/{id}/profile");
  ASSERT_FALSE(seen.findings.empty());
  EXPECT_EQ(seen.finding_endpoints[0], "/people/{id}/profile");
  ASSERT_FALSE(seen.sample_ids.empty());
  for (const std::string& sample : seen.sample_ids) {
    EXPECT_EQ(sample.size(), 32u) << sample;
    EXPECT_EQ(sample.find_first_not_of("0123456789abcdef"), std::string::npos) << sample;
  }
}

// A target longer than the 4096 bytes a record keeps, cut inside its last segment: that segment
// may hold part of a value no scan can find, so it is an id, whatever it looks like.
TEST(DetectAgent, CutLastSegmentIsId) {
  const detect::DetectorPolicy policy;
  DetectorRig rig(&policy, /*inline_mode=*/false, /*with_pii=*/true);
  const std::string first = "T0" + std::string(4060, 'x');  // 4062 bytes: an opaque token
  const std::string last = "s!" + std::string(58, 'Q');     // not an id; the cut falls at its 31st byte
  rig.Call(5, "/a/" + first + "/" + last);
  const Seen& seen = rig.Finish();
  ASSERT_EQ(seen.endpoints.size(), 1u);
  EXPECT_EQ(seen.endpoints[0], "/a/{id}/{id}");
}

// Without PII detection the same path keeps the number: the test above fails if the scanner is
// not asked.
TEST(DetectAgent, PersonalIdsNeedPiiDetection) {
  const detect::DetectorPolicy policy;
  DetectorRig rig(&policy, /*inline_mode=*/false);
  rig.Call(5, "/people/123-45-6789/profile");
  const Seen& seen = rig.Finish();
  ASSERT_EQ(seen.endpoints.size(), 1u);
  EXPECT_EQ(seen.endpoints[0], "/people/123-45-6789/profile");
}

TEST(DetectAgent, BlockActionBlocksInline) {
  detect::DetectorPolicy policy;
  policy.auth_failures.common.action = detect::Action::kBlock;
  DetectorRig rig(&policy, /*inline_mode=*/true);
  for (int i = 0; i < 25; ++i) rig.Call(7, "/login", 401);
  const Seen& seen = rig.Finish();
  ASSERT_EQ(seen.findings, std::vector<std::string>{"auth_failures"});
  ASSERT_EQ(seen.verdicts.size(), 25u);
  EXPECT_EQ(seen.verdicts[19], wire::Verdict::Pass);
  EXPECT_EQ(seen.verdicts[20], wire::Verdict::Block);
  EXPECT_EQ(seen.block_reasons[20], "detector auth_failures");
  EXPECT_GT(rig.worker().counters().blocked_flows, 0u);
  EXPECT_EQ(rig.worker().detector()->counters().blocked_calls, 5u);
}

TEST(DetectAgent, BlockActionWouldBlockOffline) {
  detect::DetectorPolicy policy;
  policy.auth_failures.common.action = detect::Action::kBlock;
  DetectorRig rig(&policy, /*inline_mode=*/false);
  for (int i = 0; i < 25; ++i) rig.Call(7, "/login", 401);
  const Seen& seen = rig.Finish();
  EXPECT_EQ(seen.verdicts[20], wire::Verdict::WouldBlock);
  EXPECT_EQ(seen.block_reasons[20], "");
  EXPECT_EQ(rig.worker().counters().blocked_flows, 0u);
}

TEST(DetectAgent, PolicySwapKeepsState) {
  const detect::DetectorPolicy policy;
  detect::DetectorPolicy stricter;
  stricter.enumeration.min_distinct_ids = 12;
  DetectorRig rig(&policy, /*inline_mode=*/false);
  for (int i = 0; i < 10; ++i) rig.Call(5, "/items/" + std::to_string(100 + i));
  rig.worker().detector()->OfferPolicy(&stricter);
  EXPECT_TRUE(rig.worker().detector()->AdoptPendingPolicy());
  EXPECT_FALSE(rig.worker().detector()->AdoptPendingPolicy());
  for (int i = 10; i < 13; ++i) rig.Call(5, "/items/" + std::to_string(100 + i));
  const Seen& seen = rig.Finish();
  ASSERT_EQ(seen.findings, std::vector<std::string>{"enumeration"});
  EXPECT_EQ(seen.finding_counts[12], 1u) << "ids seen before the swap count toward the new threshold";
  EXPECT_EQ(rig.worker().detector()->counters().policy_swaps, 1u);
}

TEST(DetectAgent, InventoryAtFinish) {
  const detect::DetectorPolicy policy;
  DetectorRig rig(&policy, /*inline_mode=*/false);
  rig.Call(5, "/a/1");
  rig.Call(6, "/a/2");
  rig.Finish();
  EXPECT_EQ(rig.worker().record_counters().inventories, 1u);
}

}  // namespace
}  // namespace sluice::worker

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string prefix = "--file-prefix=sluice-unit-detect-agent-" + std::to_string(getpid());
  std::string error;
  std::vector<std::string> arguments = {"unit_detect_agent_test", "--no-huge", "--no-pci", "-m", "512",
                                        prefix, "--log-level=lib.eal:error", "-l", "0"};
  std::vector<char*> argv_eal;
  for (auto& argument : arguments) argv_eal.push_back(argument.data());
  if (rte_eal_init(static_cast<int>(argv_eal.size()), argv_eal.data()) < 0) {
    std::fprintf(stderr, "cannot start DPDK for the test\n");
    return 1;
  }
  if (!sluice::worker::RegisterTimestampField(&error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const int rc = RUN_ALL_TESTS();
  sluice::app::StopEalAndRemoveRuntimeDir();
  return rc;
}
