// sluicectl's forensic verbs end to end: a real sluice-dataplane replays samples/api-sample.pcap
// into a real sluice-control with a forensic store, and a fake data plane adds findings, an
// inventory and transactions that carry an endpoint template and a finding id (fields the data
// plane does not fill yet). Every count is checked against the JSON-lines file the same
// sluice-control wrote, or against another verb.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <zmq.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "records_generated.h"
#include "tests/integration/harness/loopback.h"
#include "tests/integration/harness/process.h"
#include "tests/integration/harness/temp_dir.h"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kDataplaneId[] = "forensic-dp";
constexpr char kFakeDataplaneId[] = "fake-detectors";
constexpr uint64_t kFindingId = 77;
constexpr char kFakeClient[] = "198.51.100.77";
constexpr char kFakeTemplate[] = "/users/{id}";
// Tags every GET, so that --rule has records to select.
constexpr char kRules[] =
    "rules:\n  - id: 9001\n    msg: \"GET\"\n    field: http.request.method\n"
    "    pattern: '^GET$'\n    action: tag\n    severity: low\n";

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string Endpoint(uint16_t port) { return "tcp://127.0.0.1:" + std::to_string(port); }

// The value at a dotted path ("source.ip"), or nullptr.
const rapidjson::Value* Find(const rapidjson::Value& root, const std::string& path) {
  const rapidjson::Value* value = &root;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!value->IsObject() || !value->HasMember(key.c_str())) return nullptr;
    value = &(*value)[key.c_str()];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return value;
}

std::string StringAt(const rapidjson::Value& root, const std::string& path) {
  const rapidjson::Value* value = Find(root, path);
  return value != nullptr && value->IsString() ? value->GetString() : "";
}

// A Message frame with one Batch of the fake data plane.
std::vector<uint8_t> FakeBatchFrame() {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<wire::Record>> records;

  const auto finding = wire::CreateFindingDirect(fbb, kFindingId, "enumeration", "ip", kFakeClient);
  records.push_back(wire::CreateRecord(fbb, wire::RecordBody::Finding, finding.Union()));
  const auto inventory = wire::CreateInventory(fbb, 1710234000000000000ull, 1710234060000000000ull);
  records.push_back(wire::CreateRecord(fbb, wire::RecordBody::Inventory, inventory.Union()));

  std::array<uint8_t, 16> client_ip{198, 51, 100, 77};
  std::array<uint8_t, 16> server_ip{198, 51, 100, 1};
  for (uint32_t i = 0; i < 2; ++i) {
    const wire::Endpoint client(flatbuffers::span<const uint8_t, 16>(client_ip), 40000 + i);
    const wire::Endpoint server(flatbuffers::span<const uint8_t, 16>(server_ip), 80);
    const std::vector<std::string> fingerprints = {std::string(64, 'a' + i)};
    std::vector<flatbuffers::Offset<wire::PiiCount>> pii = {
        wire::CreatePiiCountDirect(fbb, "email", 1, &fingerprints)};
    const auto pii_vector = fbb.CreateVector(pii);
    const std::vector<uint64_t> findings = {kFindingId};
    const auto findings_vector = fbb.CreateVector(findings);
    const std::string path = "/users/" + std::to_string(100 + i);
    const auto transaction = wire::CreateTransaction(
        fbb, 900 + i, 0, wire::IpVersion::V4, &client, &server,
        1710234030000000000ull + i * 1'000'000'000ull, 1710234030100000000ull + i * 1'000'000'000ull,
        fbb.CreateString("1.1"), fbb.CreateString("GET"), fbb.CreateString(path),
        fbb.CreateString(path), 0, fbb.CreateString("api.example.com"), 0, 0, 0, 0, true, 200,
        2048, fbb.CreateString("application/json"), 0, 0, wire::Verdict::Pass, 0, pii_vector, 0,
        fbb.CreateString(kFakeTemplate), fbb.CreateString("ip"), fbb.CreateString(kFakeClient),
        findings_vector);
    records.push_back(wire::CreateRecord(fbb, wire::RecordBody::Transaction, transaction.Union()));
  }
  const auto batch = wire::CreateBatch(fbb, fbb.CreateString(kFakeDataplaneId), 5, 0, 0,
                                       fbb.CreateVector(records));
  fbb.Finish(wire::CreateMessage(fbb, wire::MessageBody::Batch, batch.Union()),
             wire::MessageIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

std::vector<uint8_t> HelloFrame() {
  flatbuffers::FlatBufferBuilder fbb;
  const auto hello = wire::CreateHelloDirect(fbb, kFakeDataplaneId, 5, 1, "0.1.0");
  fbb.Finish(wire::CreateMessage(fbb, wire::MessageBody::Hello, hello.Union()),
             wire::MessageIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// Sends the fake batch as a data plane does and waits for its acknowledgement. Returns an empty
// string on success.
std::string SendFakeBatch(const std::string& endpoint) {
  void* context = zmq_ctx_new();
  void* dealer = zmq_socket(context, ZMQ_DEALER);
  const int linger = 0;
  const int timeout_ms = 10000;
  zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof(linger));
  zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
  std::string error;
  if (zmq_connect(dealer, endpoint.c_str()) != 0) error = "cannot connect";
  for (const std::vector<uint8_t>& frame : {HelloFrame(), FakeBatchFrame()}) {
    if (!error.empty()) break;
    zmq_send(dealer, frame.data(), frame.size(), 0);
    zmq_msg_t reply;
    zmq_msg_init(&reply);
    if (zmq_msg_recv(&reply, dealer, 0) < 0) {
      error = "no reply from sluice-control";
    } else {
      const auto* message = wire::GetMessage(zmq_msg_data(&reply));
      if (frame.size() > 200 && message->body_as_BatchAck() == nullptr) error = "batch not acknowledged";
    }
    zmq_msg_close(&reply);
  }
  zmq_close(dealer);
  zmq_ctx_term(context);
  return error;
}

class ForensicVerbsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    directory_ = new TempDir("sluicectl-forensic");
    sluicectl_ = Env("SLUICECTL");
    keys_ = directory_->File("keys");
    const ProcessResult init = RunProcess({sluicectl_, "keys", "init", "--dir", keys_}, 30s);
    ASSERT_EQ(init.exit_code, 0) << init.Describe();
    StartControl();
    if (HasFatalFailure()) return;

    // Before any finding or inventory arrived.
    endpoints_before_ = new ProcessResult(Ctl({"show", "endpoints"}));
    findings_before_ = new ProcessResult(Ctl({"show", "findings"}));

    const std::string rules = directory_->File("rules.yaml");
    ASSERT_TRUE(WriteFile(rules, kRules));
    const ProcessResult replay = RunProcess(
        {Env("SLUICE_DATAPLANE"), "--pcap", Env("SLUICE_SAMPLES_DIR") + "/api-sample.pcap",
         "--control", record_endpoint_, "--command", "off", "--id", kDataplaneId, "--workers", "1",
         "--progress", "off", "--rules", rules},
        120s);
    ASSERT_EQ(replay.exit_code, 0) << replay.Describe();
    const std::string sent = SendFakeBatch(record_endpoint_);
    ASSERT_TRUE(sent.empty()) << sent << "\n" << ControlLog();

    std::ifstream in(directory_->File("records.jsonl"));
    std::string line;
    while (std::getline(in, line)) {
      auto* record = new rapidjson::Document();
      record->Parse(line.c_str());
      if (record->IsObject()) {
        records_.push_back(record);
      } else {
        delete record;
      }
    }
  }

  static void TearDownTestSuite() {
    if (process_ != nullptr) {
      process_->Signal(SIGTERM);
      const ProcessResult result = process_->Wait(30s);
      EXPECT_EQ(result.exit_code, 0) << result.Describe() << "\n" << ControlLog();
    }
    for (rapidjson::Document* record : records_) delete record;
    records_.clear();
    delete process_;
    delete endpoints_before_;
    delete findings_before_;
    delete directory_;
    process_ = nullptr;
    directory_ = nullptr;
  }

  static void StartControl() {
    for (int attempt = 0; attempt < 3; ++attempt) {
      record_endpoint_ = Endpoint(FreeLoopbackPort());
      command_endpoint_ = Endpoint(FreeLoopbackPort());
      delete process_;
      process_ = new BackgroundProcess();
      const std::string log = directory_->File("control.log");
      const std::string started = process_->Start(
          {Env("SLUICE_CONTROL"), "--listen", record_endpoint_, "--jsonl",
           directory_->File("records.jsonl"), "--store", directory_->File("store"),
           "--command-listen", command_endpoint_, "--dataplane-command-listen",
           Endpoint(FreeLoopbackPort()), "--command-keys", keys_, "--metrics-listen", "off"},
          log, log);
      ASSERT_TRUE(started.empty()) << started;
      const auto deadline = std::chrono::steady_clock::now() + 15s;
      while (std::chrono::steady_clock::now() < deadline && process_->Running()) {
        const ProcessResult status = Ctl({"show", "status"});
        if (status.exit_code == 0) return;
        std::this_thread::sleep_for(50ms);
      }
    }
    FAIL() << "sluice-control did not start; log:\n" << ControlLog();
  }

  static std::string ControlLog() {
    std::string text;
    ReadFile(directory_->File("control.log"), &text);
    return text;
  }

  static ProcessResult Ctl(std::vector<std::string> arguments) {
    std::vector<std::string> argv = {sluicectl_, "--connect", command_endpoint_, "--keys", keys_,
                                     "--connect-timeout", "5"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return RunProcess(argv, 60s);
  }

  // Runs a verb with --json and parses its output; fails the test on a non-JSON answer.
  static rapidjson::Document CtlJson(std::vector<std::string> arguments, int expected_exit = 0) {
    arguments.push_back("--json");
    const ProcessResult result = Ctl(arguments);
    EXPECT_EQ(result.exit_code, expected_exit) << result.Describe();
    rapidjson::Document json;
    json.Parse(result.stdout_text.c_str());
    EXPECT_TRUE(json.IsObject()) << result.stdout_text;
    return json;
  }

  static size_t QueryCount(std::vector<std::string> filters) {
    filters.insert(filters.begin(), {"records", "query", "--limit", "1000000"});
    const rapidjson::Document json = CtlJson(filters, -2);
    if (!json.IsObject() || !json.HasMember("records")) return SIZE_MAX;
    return json["records"].Size();
  }

  // Records of the JSON-lines file for which `keep` holds.
  template <typename Keep>
  static size_t JsonlCount(Keep keep) {
    size_t count = 0;
    for (const rapidjson::Document* record : records_) count += keep(*record) ? 1 : 0;
    return count;
  }

  static bool IsTransaction(const rapidjson::Value& record) {
    return StringAt(record, "sluice.record_type") == "transaction";
  }

  static inline TempDir* directory_ = nullptr;
  static inline BackgroundProcess* process_ = nullptr;
  static inline std::string sluicectl_, keys_, record_endpoint_, command_endpoint_;
  static inline std::vector<rapidjson::Document*> records_;
  static inline ProcessResult* endpoints_before_ = nullptr;
  static inline ProcessResult* findings_before_ = nullptr;
};

