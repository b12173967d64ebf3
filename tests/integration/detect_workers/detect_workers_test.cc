// End to end: the detectors find the same attackers, on the same templates, with one and with two
// workers, where the client's calls are parsed on one worker and judged on the other. Also checks
// that benign clients stay unflagged, that later calls carry the finding, and that an API key
// identity is pseudonymised.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "perf/gen/frame_builder.h"
#include "perf/gen/pcap_file_writer.h"
#include "tests/integration/harness/sluice_runner.h"
#include "tests/integration/harness/temp_dir.h"

namespace sluice::testing {
namespace {

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kStart = 1700000000 * kSecond;

// Writes one HTTP call per connection: handshake, request, response, FIN both ways.
class CaptureWriter {
 public:
  bool Open(const std::string& path, std::string* error) { return writer_.Open(path, error); }
  bool Close(std::string* error) { return writer_.Close(error); }

  void Call(int64_t ts, const char* client_ip, const std::string& path, int status,
            const std::string& extra_headers = "") {
    gen::FrameSource client = Source(client_ip, static_cast<uint16_t>(20000 + (next_port_++ % 40000)));
    gen::FrameSource server = Source("10.9.0.1", 80);
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: api.example\r\n" + extra_headers + "\r\n";
    const std::string body = "{\"ok\":true}";
    const std::string response = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body;
    const uint32_t c = 1000;
    const uint32_t s = 5000;
    const auto req_len = static_cast<uint32_t>(request.size());
    const auto resp_len = static_cast<uint32_t>(response.size());
    Frame(ts, client, server, c, 0, gen::kSyn, "");
    Frame(ts + 100000, server, client, s, c + 1, gen::kSyn | gen::kAck, "");
    Frame(ts + 200000, client, server, c + 1, s + 1, gen::kAck | gen::kPsh, request);
    Frame(ts + 300000, server, client, s + 1, c + 1 + req_len, gen::kAck | gen::kPsh, response);
    Frame(ts + 400000, client, server, c + 1 + req_len, s + 1 + resp_len, gen::kAck | gen::kFin, "");
    Frame(ts + 500000, server, client, s + 1 + resp_len, c + 2 + req_len, gen::kAck | gen::kFin, "");
  }

 private:
  static gen::FrameSource Source(const char* ip, uint16_t port) {
    gen::FrameSource source;
    unsigned a = 0, b = 0, c = 0, d = 0;
    std::sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d);
    source.ip.bytes = {static_cast<uint8_t>(a), static_cast<uint8_t>(b), static_cast<uint8_t>(c),
                       static_cast<uint8_t>(d)};
    source.mac = {2, 0, 0, 0, 0, static_cast<uint8_t>(d)};
    source.port = port;
    return source;
  }
  void Frame(int64_t ts, const gen::FrameSource& from, const gen::FrameSource& to, uint32_t seq, uint32_t ack,
             uint8_t flags, const std::string& payload) {
    gen::TcpSegmentFields fields;
    fields.seq = seq;
    fields.ack = ack;
    fields.flags = flags;
    fields.window = 65535;
    fields.payload = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
    frame_.clear();
    gen::AppendTcpFrame(from, to, fields, frame_);
    writer_.Write(ts, frame_);
  }

  gen::PcapFileWriter writer_;
  std::vector<uint8_t> frame_;
  uint32_t next_port_ = 0;
};

// Attackers: sequential enumeration (10.1.0.5), large-page scraping (10.1.0.6), credential
// stuffing (10.1.0.7), and an API key walking ids behind a NAT address (10.1.0.30) that benign
// key holders share. Benign: a health checker, an app re-reading a few related objects, many
// clients each reading one profile.
std::string WriteScenario(const TempDir& directory) {
  const std::string path = directory.File("scenario.pcap");
  CaptureWriter capture;
  std::string error;
  if (!capture.Open(path, &error)) return error;
  int64_t t = kStart;
  for (int i = 0; i < 60; ++i) {
    t += kSecond;
    capture.Call(t, "10.1.0.5", "/accounts/" + std::to_string(1000 + i) + "/related", 200);
    capture.Call(t + 10000000, "10.1.0.6", "/customers?page=" + std::to_string(i) + "&per_page=500", 200);
    capture.Call(t + 20000000, "10.1.0.7", "/login", 401);
    capture.Call(t + 30000000, "10.1.0.8", "/health", 200);
    capture.Call(t + 40000000, "10.1.0.9", "/orders/" + std::to_string(7 + i % 3), 200);
    capture.Call(t + 50000000, ("10.1.1." + std::to_string(i + 1)).c_str(), "/users/" + std::to_string(500 + i * 13), 200);
    capture.Call(t + 60000000, "10.1.0.30", "/invoices/" + std::to_string(300 + i), 200, "X-Api-Key: attacker-key\r\n");
    capture.Call(t + 70000000, "10.1.0.30", "/invoices/" + std::to_string(40 + i % 2), 200,
                 "X-Api-Key: user-" + std::to_string(i % 5) + "\r\n");
  }
  return capture.Close(&error) ? "" : error;
}

using Key = std::tuple<std::string, std::string, std::string>;  // detector, client id, endpoint

std::set<Key> Findings(const DataplaneRun& run) {
  std::set<Key> keys;
  for (const rapidjson::Document* record : run.RecordsOfType("finding")) {
    keys.emplace(FindString(*record, "sluice.finding.detector").value_or(""),
                 FindString(*record, "sluice.client.id").value_or(""),
                 FindString(*record, "sluice.finding.endpoint").value_or(""));
    EXPECT_EQ(FindString(*record, "event.kind").value_or(""), "alert");
  }
  return keys;
}

class DetectWorkers : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(SluicePaths::FromEnvironment(&paths_), "");
    control_ = std::make_unique<ControlServer>(paths_);
    ASSERT_EQ(control_->Start(), "");
    ASSERT_EQ(WriteScenario(directory_), "");
  }
  void TearDown() override {
    if (control_ != nullptr) EXPECT_EQ(control_->Stop(), "");
  }
  std::string Config(const std::string& detectors) {
    const std::string path = directory_.File("detect.yaml");
    std::ofstream(path) << "dataplane:\n  detectors:\n" << detectors;
    return path;
  }

  SluicePaths paths_;
  TempDir directory_{"sluice-detect-"};
  std::unique_ptr<ControlServer> control_;
};

TEST_F(DetectWorkers, SameFindingsWithOneAndTwo) {
  const std::string capture = directory_.File("scenario.pcap");
  DataplaneRun one = control_->RunDataplane(capture, 1);
  ASSERT_EQ(one.process.exit_code, 0) << one.process.Describe();
  DataplaneRun two = control_->RunDataplane(capture, 2);
  ASSERT_EQ(two.process.exit_code, 0) << two.process.Describe();

  const std::set<Key> expected = {
      {"enumeration", "10.1.0.5", "/accounts/{id}/related"},
      {"scraping", "10.1.0.6", "/customers"},
      {"auth_failures", "10.1.0.7", "/login"},
      {"enumeration", "10.1.0.30", "/invoices/{id}"},
  };
  EXPECT_EQ(Findings(one), expected);
  EXPECT_EQ(Findings(two), expected);
  EXPECT_GT(two.SummaryCounter("events sent to owner"), 0) << "two workers must exchange call events";
  EXPECT_EQ(two.SummaryCounter("events dropped (ring full)"), 0);

  // Later calls of a flagged client carry the finding; the health checker never does.
  size_t flagged_later = 0;
  for (const rapidjson::Document* record : one.RecordsOfType("transaction")) {
    const std::string client = FindString(*record, "sluice.client.id").value_or("");
    EXPECT_EQ(FindString(*record, "sluice.client.kind").value_or(""), "ip");
    const bool has_findings = record->HasMember("sluice") && (*record)["sluice"].HasMember("findings");
    if (client == "10.1.0.8") EXPECT_FALSE(has_findings);
    if (client == "10.1.0.5" && has_findings) ++flagged_later;
    if (client == "10.1.0.5") EXPECT_EQ(FindString(*record, "sluice.endpoint").value_or(""), "/accounts/{id}/related");
  }
  EXPECT_GT(flagged_later, 10u);
  EXPECT_FALSE(one.RecordsOfType("inventory").empty());
}

TEST_F(DetectWorkers, ApiKeyIdentityPseudonymised) {
  const std::string config = Config("    identity: {kind: api_key, header: X-Api-Key}\n");
  const std::string capture = directory_.File("scenario.pcap");
  for (unsigned workers : {1u, 2u}) {
    DataplaneRun run = control_->RunDataplane(capture, workers, {"--config", config});
    ASSERT_EQ(run.process.exit_code, 0) << run.process.Describe();
    std::set<std::string> enumerating;
    for (const rapidjson::Document* record : run.RecordsOfType("finding")) {
      if (FindString(*record, "sluice.finding.detector") != "enumeration") continue;
      enumerating.insert(FindString(*record, "sluice.client.kind").value_or("") + " " +
                         FindString(*record, "sluice.finding.endpoint").value_or(""));
      if (FindString(*record, "sluice.client.kind") != "api_key") continue;
      const std::string id = FindString(*record, "sluice.client.id").value_or("");
      EXPECT_EQ(id.size(), 32u) << id;
      EXPECT_EQ(id.find("attacker"), std::string::npos);
    }
    // Calls without the header fall back to the address; the key holders behind the NAT
    // address are not flagged, only the enumerating key.
    EXPECT_EQ(enumerating, (std::set<std::string>{"api_key /invoices/{id}", "ip_fallback /accounts/{id}/related"}))
        << workers << " worker(s)";
  }
}

TEST_F(DetectWorkers, BlockActionGivesWouldBlockOffline) {
  const std::string config = Config("    auth_failures: {action: block}\n");
  DataplaneRun run = control_->RunDataplane(directory_.File("scenario.pcap"), 1, {"--config", config});
  ASSERT_EQ(run.process.exit_code, 0) << run.process.Describe();
  size_t would_block = 0;
  for (const rapidjson::Document* record : run.RecordsOfType("transaction")) {
    if (FindString(*record, "sluice.client.id") != "10.1.0.7") continue;
    would_block += FindString(*record, "sluice.verdict") == "would_block";
  }
  EXPECT_GT(would_block, 10u);
  for (const rapidjson::Document* record : run.RecordsOfType("finding")) {
    if (FindString(*record, "sluice.finding.detector") == "auth_failures") {
      EXPECT_EQ(FindString(*record, "sluice.verdict").value_or(""), "would_block");
    }
  }
}

TEST_F(DetectWorkers, BadPolicyRejectedAtStart) {
  const std::string config = Config("    enumeration: {min_distinct_ids: lots}\n");
  DataplaneRun run = control_->RunDataplane(directory_.File("scenario.pcap"), 1, {"--config", config});
  EXPECT_EQ(run.process.exit_code, 2) << run.process.Describe();
  EXPECT_NE(run.process.Describe().find("dataplane.detectors.enumeration.min_distinct_ids"), std::string::npos)
      << run.process.Describe();
}

}  // namespace
}  // namespace sluice::testing
