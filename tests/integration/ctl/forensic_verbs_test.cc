// sluicectl's forensic verbs end to end. A real sluice-dataplane replays samples/api-sample.pcap
// into a real sluice-control with a forensic store. A fake data plane then adds a finding, an
// inventory and two transactions that carry an endpoint template and a finding id, fields the
// data plane does not fill yet. Every count is checked against the JSON-lines file the same
// sluice-control wrote, or against another verb.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <zmq.h>

#include <algorithm>
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

// A run of the fake data plane and the one client its finding is about.
struct FakeRun {
  uint64_t run_id = 5;
  uint8_t client_octet = 77;  // the client is 198.51.100.<octet>
  std::string client = kFakeClient;
};

// A Message frame of one Batch of the fake data plane: batch `sequence` of `worker`.
std::vector<uint8_t> BatchMessage(flatbuffers::FlatBufferBuilder& fbb, const FakeRun& run, uint16_t worker,
                                  uint64_t sequence, const std::vector<flatbuffers::Offset<wire::Record>>& records) {
  const auto batch = wire::CreateBatch(fbb, fbb.CreateString(kFakeDataplaneId), run.run_id, worker, sequence,
                                       fbb.CreateVector(records));
  fbb.Finish(wire::CreateMessage(fbb, wire::MessageBody::Batch, batch.Union()),
             wire::MessageIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// An inventory window of the fake data plane, as its two workers send it: each ends the window
// at its own packet time and lists the endpoints it owns, and /users/{id} is in both lists.
std::vector<uint8_t> InventoryFrame(const FakeRun& run, uint16_t worker) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto entry = [&fbb](const char* method, const char* endpoint, uint64_t calls,
                            std::vector<uint64_t> status) {
    return wire::CreateInventoryEntry(fbb, fbb.CreateString("api.example.com"), fbb.CreateString(method),
                                      fbb.CreateString(endpoint), calls, fbb.CreateVector(status), 1000 * calls,
                                      512, 2048, 4096, 1, 1710234001000000000ull, 1710234050000000000ull, false);
  };
  std::vector<flatbuffers::Offset<wire::InventoryEntry>> entries;
  if (worker == 0) {
    entries = {entry("GET", kFakeTemplate, 3, {0, 0, 3, 0, 0, 0})};
  } else {
    entries = {entry("GET", kFakeTemplate, 2, {0, 0, 1, 0, 1, 0}), entry("POST", "/orders", 4, {0, 0, 4, 0, 0, 0})};
  }
  const uint64_t window_end = 1710234060000000000ull + worker * 30'000'000ull;
  const auto inventory = wire::CreateInventory(fbb, 1710234000000000000ull, window_end, fbb.CreateVector(entries));
  // Worker 0's batch 0 contains the finding and the calls (FakeBatchFrame).
  const uint64_t sequence = worker == 0 ? 1 : 0;
  return BatchMessage(fbb, run, worker, sequence,
                      {wire::CreateRecord(fbb, wire::RecordBody::Inventory, inventory.Union())});
}

// A Message frame with one Batch of the fake data plane's worker 0: a finding and two calls.
std::vector<uint8_t> FakeBatchFrame(const FakeRun& run) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<wire::Record>> records;

  std::array<uint8_t, 16> finding_ip{198, 51, 100, run.client_octet};
  const wire::Endpoint finding_client(flatbuffers::span<const uint8_t, 16>(finding_ip), 0);
  const auto finding = wire::CreateFindingDirect(
      fbb, kFindingId, "enumeration", "ip", run.client.c_str(), wire::IpVersion::V4, &finding_client,
      "api.example.com", "GET", kFakeTemplate, 1710234030000000000ull, 1710234032000000000ull, 2);
  records.push_back(wire::CreateRecord(fbb, wire::RecordBody::Finding, finding.Union()));

  std::array<uint8_t, 16> client_ip{198, 51, 100, run.client_octet};
  std::array<uint8_t, 16> server_ip{198, 51, 100, 1};
  for (uint32_t i = 0; i < 2; ++i) {
    const wire::Endpoint client(flatbuffers::span<const uint8_t, 16>(client_ip), 40000 + i);
    const wire::Endpoint server(flatbuffers::span<const uint8_t, 16>(server_ip), 80);
    const auto fingerprints = fbb.CreateVectorOfStrings({std::string(64, 'a' + i)});
    std::vector<flatbuffers::Offset<wire::PiiCount>> pii = {
        wire::CreatePiiCount(fbb, fbb.CreateString("email"), 1, fingerprints)};
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
        fbb.CreateString(kFakeTemplate), fbb.CreateString("ip"), fbb.CreateString(run.client),
        findings_vector);
    records.push_back(wire::CreateRecord(fbb, wire::RecordBody::Transaction, transaction.Union()));
  }
  return BatchMessage(fbb, run, 0, 0, records);
}

std::vector<uint8_t> HelloFrame(const FakeRun& run) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto hello = wire::CreateHelloDirect(fbb, kFakeDataplaneId, run.run_id, 2, "0.1.0");
  fbb.Finish(wire::CreateMessage(fbb, wire::MessageBody::Hello, hello.Union()),
             wire::MessageIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// Sends the fake batch as a data plane does and waits for its acknowledgement. Returns an empty
// string on success.
std::string SendFakeBatch(const std::string& endpoint, const FakeRun& run = FakeRun{}) {
  void* context = zmq_ctx_new();
  void* dealer = zmq_socket(context, ZMQ_DEALER);
  const int linger = 0;
  const int timeout_ms = 10000;
  zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof(linger));
  zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
  std::string error;
  if (zmq_connect(dealer, endpoint.c_str()) != 0) error = "cannot connect";
  for (const std::vector<uint8_t>& frame :
       {HelloFrame(run), FakeBatchFrame(run), InventoryFrame(run, 0), InventoryFrame(run, 1)}) {
    if (!error.empty()) break;
    zmq_send(dealer, frame.data(), frame.size(), 0);
    zmq_msg_t reply;
    zmq_msg_init(&reply);
    if (zmq_msg_recv(&reply, dealer, 0) < 0) {
      error = "no reply from sluice-control";
    } else {
      // ZeroMQ gives no alignment guarantee; FlatBuffers reads need 4-byte alignment.
      const auto* bytes = static_cast<const uint8_t*>(zmq_msg_data(&reply));
      const std::vector<uint8_t> aligned(bytes, bytes + zmq_msg_size(&reply));
      const auto* message = wire::GetMessage(aligned.data());
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
    // The detectors stay off: the only finding and inventory are the fake data plane's, so the
    // checks below know exactly which ones the store holds.
    const std::string config = directory_->File("dataplane.yaml");
    ASSERT_TRUE(WriteFile(config, "dataplane:\n  detectors:\n    enabled: false\n"));
    const ProcessResult replay = RunProcess(
        {Env("SLUICE_DATAPLANE"), "--config", config, "--pcap",
         Env("SLUICE_SAMPLES_DIR") + "/api-sample.pcap", "--control", record_endpoint_,
         "--command", "off", "--id", kDataplaneId, "--workers", "1", "--progress", "off",
         "--rules", rules},
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
      // The report thresholds come from the config file; the flags set the rest. The forensic
      // verbs read the store only, so the data plane socket is off, which leaves sluicectl's.
      const std::string config = directory_->File("control.yaml");
      ASSERT_TRUE(WriteFile(config, "control:\n  report:\n    evidence_limit: 7\n"));
      const std::string started = process_->Start(
          {Env("SLUICE_CONTROL"), "--config", config, "--listen", record_endpoint_, "--jsonl",
           directory_->File("records.jsonl"), "--store", directory_->File("store"),
           "--command-listen", command_endpoint_, "--dataplane-command-listen", "off",
           "--command-keys", keys_, "--metrics-listen", "off"},
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

  // Runs a verb with --json and parses its output; fails the test when the output is not JSON.
  static rapidjson::Document CtlJson(std::vector<std::string> arguments, int expected_exit = 0) {
    arguments.push_back("--json");
    const ProcessResult result = Ctl(arguments);
    EXPECT_EQ(result.exit_code, expected_exit) << result.Describe();
    rapidjson::Document json;
    json.Parse(result.stdout_text.c_str());
    EXPECT_TRUE(json.IsObject()) << result.stdout_text;
    return json;
  }

  // Rows of `records query --json` with `filters`; no match (exit 1) counts 0.
  static size_t QueryCount(std::vector<std::string> filters) {
    filters.insert(filters.begin(), {"records", "query", "--limit", "1000000", "--json"});
    const ProcessResult result = Ctl(filters);
    EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.Describe();
    rapidjson::Document json;
    json.Parse(result.stdout_text.c_str());
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
  static inline size_t later_records_ = 0;  // sent after records_ was read
  static inline ProcessResult* endpoints_before_ = nullptr;
  static inline ProcessResult* findings_before_ = nullptr;
};

TEST_F(ForensicVerbsTest, NothingReceivedYetSaidClearly) {
  ASSERT_NE(endpoints_before_, nullptr);
  EXPECT_EQ(endpoints_before_->exit_code, 0) << endpoints_before_->Describe();
  EXPECT_TRUE(Contains(endpoints_before_->stdout_text, "no endpoint inventory received yet"))
      << endpoints_before_->stdout_text;
  EXPECT_EQ(findings_before_->exit_code, 0) << findings_before_->Describe();
  EXPECT_TRUE(Contains(findings_before_->stdout_text, "no findings in the store"))
      << findings_before_->stdout_text;
}

TEST_F(ForensicVerbsTest, EachFilterMatchesJsonl) {
  ASSERT_GT(records_.size(), 14000u);
  const std::string client = StringAt(*records_[0], "source.ip");
  ASSERT_FALSE(client.empty());

  // The store and the JSON-lines sink hold the same records, the fake finding and inventory too.
  const size_t all = QueryCount({});
  EXPECT_EQ(all, records_.size());

  const size_t by_client = QueryCount({"--client", client});
  EXPECT_EQ(by_client, JsonlCount([&](const rapidjson::Value& r) {
              return StringAt(r, "source.ip") == client;
            }));
  EXPECT_GT(by_client, 0u);
  EXPECT_LT(by_client, all);

  auto status_of = [](const rapidjson::Value& r) {
    const rapidjson::Value* status = Find(r, "http.response.status_code");
    return status != nullptr && status->IsUint() ? status->GetUint() : 0u;
  };
  const size_t ok = QueryCount({"--status", "200"});
  EXPECT_EQ(ok, JsonlCount([&](const rapidjson::Value& r) { return status_of(r) == 200; }));
  EXPECT_EQ(QueryCount({"--status", "404"}),
            JsonlCount([&](const rapidjson::Value& r) { return status_of(r) == 404; }));
  EXPECT_EQ(QueryCount({"--client", client, "--status", "200"}),
            JsonlCount([&](const rapidjson::Value& r) {
              return StringAt(r, "source.ip") == client && status_of(r) == 200;
            }));

  const size_t tagged = QueryCount({"--rule", "9001"});
  EXPECT_EQ(tagged, JsonlCount([](const rapidjson::Value& r) {
              const rapidjson::Value* rules = Find(r, "sluice.rules");
              if (rules == nullptr || !rules->IsArray()) return false;
              for (const auto& rule : rules->GetArray()) {
                if (rule["id"].GetUint() == 9001) return true;
              }
              return false;
            }));
  EXPECT_GT(tagged, 0u);

  const size_t email = QueryCount({"--pii-type", "email"});
  EXPECT_EQ(email, JsonlCount([](const rapidjson::Value& r) {
              return Find(r, "sluice.pii.request.email") != nullptr ||
                     Find(r, "sluice.pii.response.email") != nullptr;
            }));
  EXPECT_GT(email, 0u);

  const std::string since = "2024-03-12T09:00:30Z";
  const std::string until = "2024-03-12T09:01:00Z";
  const size_t window = QueryCount({"--since", since, "--until", until});
  EXPECT_EQ(window, JsonlCount([&](const rapidjson::Value& r) {
              const std::string ts = StringAt(r, "@timestamp");
              return ts >= "2024-03-12T09:00:30.000000000Z" && ts < "2024-03-12T09:01:00.000000000Z";
            }));
  EXPECT_GT(window, 0u);
  EXPECT_LT(window, all);
  EXPECT_EQ(QueryCount({"--since", "2024-03-12T10:00:30+01:00", "--until", until}), window)
      << "an offset names the same instant";

  // Fields only the fake detector batch fills.
  // The two calls and the finding, which names the template too.
  EXPECT_EQ(QueryCount({"--endpoint", kFakeTemplate}), 3u);
  // The finding's own record and the two calls that carry its id.
  EXPECT_EQ(QueryCount({"--finding", std::to_string(kFindingId)}), 3u);
  EXPECT_EQ(QueryCount({"--finding", std::to_string(kFindingId), "--status", "404"}), 0u);
}

TEST_F(ForensicVerbsTest, QueryPagesWithContinuation) {
  const rapidjson::Document first = CtlJson({"records", "query", "--status", "200", "--limit", "7"});
  ASSERT_TRUE(first.HasMember("records"));
  ASSERT_EQ(first["records"].Size(), 7u);
  const std::string token = first["continuation"].GetString();
  ASSERT_FALSE(token.empty());
  const rapidjson::Document second =
      CtlJson({"records", "query", "--status", "200", "--limit", "7", "--continue", token});
  const rapidjson::Document both = CtlJson({"records", "query", "--status", "200", "--limit", "14"});
  ASSERT_EQ(second["records"].Size(), 7u);
  ASSERT_EQ(both["records"].Size(), 14u);
  for (unsigned i = 0; i < 7; ++i) {
    EXPECT_EQ(first["records"][i]["id"].GetUint64(), both["records"][i]["id"].GetUint64());
    EXPECT_EQ(second["records"][i]["id"].GetUint64(), both["records"][7 + i]["id"].GetUint64());
  }

  const ProcessResult table = Ctl({"records", "query", "--status", "200", "--limit", "3"});
  EXPECT_EQ(table.exit_code, 0) << table.Describe();
  EXPECT_TRUE(Contains(table.stdout_text, "ENDPOINT/PATH")) << table.stdout_text;
  EXPECT_TRUE(Contains(table.stdout_text, "3 record(s)")) << table.stdout_text;
  EXPECT_TRUE(Contains(table.stdout_text, "--continue ")) << table.stdout_text;
}

TEST_F(ForensicVerbsTest, QueryWithoutMatchExitsOne) {
  const ProcessResult none = Ctl({"records", "query", "--client", "203.0.113.250"});
  EXPECT_EQ(none.exit_code, 1) << none.Describe();
  EXPECT_TRUE(Contains(none.stdout_text, "no records match")) << none.stdout_text;
}

TEST_F(ForensicVerbsTest, TimelineInOrderWithWhatClientReceived) {
  const std::string client = StringAt(*records_[0], "source.ip");
  const rapidjson::Document timeline =
      CtlJson({"records", "timeline", "--client", client, "--limit", "100000"});
  ASSERT_TRUE(timeline.HasMember("records"));
  const auto& rows = timeline["records"];
  EXPECT_EQ(rows.Size(), QueryCount({"--client", client}));
  uint64_t previous = 0;
  size_t transactions = 0;
  for (const auto& row : rows.GetArray()) {
    EXPECT_GE(row["ts_ns"].GetUint64(), previous);
    previous = row["ts_ns"].GetUint64();
    EXPECT_EQ(std::string(row["client_ip"].GetString()), client);
    if (std::string(row["type"].GetString()) == "transaction") {
      ++transactions;
      EXPECT_GT(row["status"].GetUint(), 0u);
      EXPECT_TRUE(row.HasMember("response_bytes"));
      EXPECT_TRUE(row.HasMember("pii"));
      EXPECT_TRUE(row.HasMember("rule_ids"));
      EXPECT_TRUE(row.HasMember("finding_ids"));
    }
  }
  EXPECT_GT(transactions, 0u);

  const ProcessResult text = Ctl({"records", "timeline", "--client", client, "--limit", "5"});
  EXPECT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_TRUE(Contains(text.stdout_text, "client " + client + ": 5 record(s)")) << text.stdout_text;

  // The two calls, then the finding, indexed at the last call it counted (a second later).
  const rapidjson::Document fake = CtlJson({"records", "timeline", "--client", kFakeClient});
  ASSERT_EQ(fake["records"].Size(), 3u);
  EXPECT_EQ(std::string(fake["records"][2]["type"].GetString()), "finding");
  EXPECT_EQ(std::string(fake["records"][0]["endpoint"].GetString()), kFakeTemplate);
  EXPECT_EQ(fake["records"][0]["finding_ids"][0].GetUint64(), kFindingId);
  EXPECT_EQ(std::string(fake["records"][0]["pii"][0]["type"].GetString()), "email");
  EXPECT_EQ(fake["records"][0]["response_bytes"].GetUint64(), 2048u);

  EXPECT_EQ(Ctl({"records", "timeline"}).exit_code, 2) << "--client is required";
}

size_t CountLines(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) ++lines;
  return lines;
}

TEST_F(ForensicVerbsTest, ExportCountsMatchQuery) {
  const size_t ok = QueryCount({"--status", "200"});
  const std::string csv = directory_->File("ok.csv");
  const ProcessResult exported =
      Ctl({"records", "export", "--format", "csv", "--status", "200", "--output", csv});
  ASSERT_EQ(exported.exit_code, 0) << exported.Describe();
  EXPECT_TRUE(Contains(exported.stdout_text, "wrote " + std::to_string(ok) + " record(s)"))
      << exported.stdout_text;
  EXPECT_EQ(CountLines(csv), ok + 1) << "a header line, then one line per record";
  std::string text;
  ASSERT_TRUE(ReadFile(csv, &text));
  EXPECT_EQ(text.rfind("timestamp,record_type,", 0), 0u) << text.substr(0, 200);
  EXPECT_EQ(text.find("timestamp,record_type,", 10), std::string::npos) << "one header only";

  // Every record, more than one page of 1000, to standard output.
  const ProcessResult all = Ctl({"records", "export", "--format", "jsonl"});
  ASSERT_EQ(all.exit_code, 0) << all.Describe();
  size_t lines = 0;
  size_t start = 0;
  while (start < all.stdout_text.size()) {
    const size_t end = all.stdout_text.find('\n', start);
    rapidjson::Document line;
    line.Parse(all.stdout_text.substr(start, end - start).c_str());
    EXPECT_TRUE(line.IsObject());
    ++lines;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  EXPECT_EQ(lines, records_.size()) << "the same lines as the JSON-lines sink";

  const std::string jsonl = directory_->File("client.jsonl");
  const std::string client = StringAt(*records_[0], "source.ip");
  const rapidjson::Document summary = CtlJson(
      {"records", "export", "--format", "jsonl", "--client", client, "--output", jsonl});
  EXPECT_EQ(summary["records"].GetUint64(), QueryCount({"--client", client}));
  EXPECT_EQ(CountLines(jsonl), QueryCount({"--client", client}));

  EXPECT_EQ(Ctl({"records", "export", "--format", "xml"}).exit_code, 2);
}

TEST_F(ForensicVerbsTest, ReportScopeFromStore) {
  const rapidjson::Document finding =
      CtlJson({"report", "scope", "--finding", std::to_string(kFindingId)});
  ASSERT_TRUE(finding.HasMember("summary")) << "scope JSON";
  EXPECT_EQ(finding["summary"]["calls"].GetUint64(), 2u);

  const std::string client = StringAt(*records_[0], "source.ip");
  const size_t calls = JsonlCount([&](const rapidjson::Value& r) {
    return IsTransaction(r) && StringAt(r, "source.ip") == client;
  });
  ASSERT_GT(calls, 0u);
  ASSERT_LT(calls, 1000u) << "the HTML check below expects no digit grouping";
  const rapidjson::Document by_client = CtlJson({"report", "scope", "--client", client});
  ASSERT_TRUE(by_client.HasMember("summary"));
  EXPECT_EQ(by_client["summary"]["calls"].GetUint64(), calls);
  EXPECT_EQ(by_client["evidence"]["listed"].GetUint64(), std::min<uint64_t>(calls, 7))
      << "control.report.evidence_limit from the config file";

  const std::string html = directory_->File("scope.html");
  const ProcessResult written = Ctl({"report", "scope", "--client", client, "--format", "html",
                                     "--output", html});
  ASSERT_EQ(written.exit_code, 0) << written.Describe();
  std::string page;
  ASSERT_TRUE(ReadFile(html, &page));
  EXPECT_TRUE(Contains(page, "<html")) << page.substr(0, 200);
  EXPECT_TRUE(Contains(page, "id=\"total-calls\">" + std::to_string(calls) + "<"));
  EXPECT_TRUE(Contains(page, "data-state=\"verified\"")) << "the integrity status of the store";
  EXPECT_TRUE(Contains(page, client));

  const ProcessResult text = Ctl({"report", "scope", "--endpoint", kFakeTemplate});
  EXPECT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_TRUE(Contains(text.stdout_text, kFakeTemplate)) << text.stdout_text;

  const ProcessResult unknown = Ctl({"report", "scope", "--finding", "999999"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.Describe();
  EXPECT_TRUE(Contains(unknown.stderr_text, "finding 999999 not found")) << unknown.stderr_text;

  const ProcessResult empty = Ctl({"report", "scope", "--client", "203.0.113.250"});
  EXPECT_EQ(empty.exit_code, 1) << "no call matched: " << empty.Describe();
  EXPECT_EQ(Ctl({"report", "scope"}).exit_code, 2) << "a selector is required";
}

TEST_F(ForensicVerbsTest, ShowFindingsAndEndpoints) {
  const rapidjson::Document findings = CtlJson({"show", "findings"});
  ASSERT_TRUE(findings.HasMember("findings"));
  ASSERT_EQ(findings["findings"].Size(), 1u);
  EXPECT_EQ(findings["findings"][0]["finding_id"].GetUint64(), kFindingId);
  EXPECT_EQ(std::string(findings["findings"][0]["detector"].GetString()), "enumeration");
  EXPECT_EQ(std::string(findings["findings"][0]["client_id"].GetString()), kFakeClient);
  const ProcessResult table = Ctl({"show", "findings"});
  EXPECT_TRUE(Contains(table.stdout_text, "enumeration")) << table.stdout_text;
  // Findings are indexed at the time sluice-control stored them: none lies in the future.
  const ProcessResult future = Ctl({"show", "findings", "--since", "2099-01-01"});
  EXPECT_TRUE(Contains(future.stdout_text, "no findings")) << future.stdout_text;

  const rapidjson::Document endpoints = CtlJson({"show", "endpoints"});
  ASSERT_EQ(endpoints["inventories"].Size(), 1u);
  EXPECT_EQ(std::string(endpoints["inventories"][0]["dataplane"].GetString()), kFakeDataplaneId);
  EXPECT_EQ(std::string(endpoints["inventories"][0]["window_start"].GetString()),
            "2024-03-12T09:00:00.000000000Z");
  // The window's two records merged, the busiest endpoint first.
  const rapidjson::Value& listed = endpoints["inventories"][0]["endpoints"];
  ASSERT_EQ(listed.Size(), 2u);
  EXPECT_EQ(std::string(listed[0]["endpoint"].GetString()), kFakeTemplate);
  EXPECT_EQ(listed[0]["calls"].GetUint64(), 5u);
  EXPECT_EQ(listed[0]["status_classes"]["2xx"].GetUint64(), 4u);
  EXPECT_EQ(listed[0]["status_classes"]["4xx"].GetUint64(), 1u);
  EXPECT_EQ(listed[0]["distinct_clients"].GetUint64(), 2u);
  EXPECT_EQ(std::string(listed[1]["endpoint"].GetString()), "/orders");
  EXPECT_EQ(listed[1]["calls"].GetUint64(), 4u);
  EXPECT_EQ(endpoints["inventories"][0]["endpoints_omitted"].GetUint64(), 0u);
  const ProcessResult endpoint_table = Ctl({"show", "endpoints"});
  EXPECT_EQ(endpoint_table.exit_code, 0) << endpoint_table.Describe();
  EXPECT_TRUE(Contains(endpoint_table.stdout_text, "/orders")) << endpoint_table.stdout_text;
  EXPECT_TRUE(Contains(endpoint_table.stdout_text, "learning")) << endpoint_table.stdout_text;
}

// Finding ids restart with every run. A second run of the fake data plane raises finding 77
// again, about another client: the report rejects the mix of the two and names the runs, and --run
// selects one. This test adds that run, so it comes after the tests that count findings.
TEST_F(ForensicVerbsTest, FindingIdOfTwoRunsNeedsRun) {
  FakeRun second;
  second.run_id = 6;
  second.client_octet = 78;
  second.client = "198.51.100.78";
  const std::string sent = SendFakeBatch(record_endpoint_, second);
  ASSERT_TRUE(sent.empty()) << sent << "\n" << ControlLog();
  later_records_ += 5;  // a finding, two inventory records and two transactions

  const std::string id = std::to_string(kFindingId);
  const rapidjson::Document findings = CtlJson({"show", "findings"});
  ASSERT_EQ(findings["findings"].Size(), 2u);
  EXPECT_EQ(std::string(findings["findings"][0]["run_id"].GetString()), "0000000000000005");
  EXPECT_EQ(std::string(findings["findings"][1]["run_id"].GetString()), "0000000000000006");

  const ProcessResult mixed = Ctl({"report", "scope", "--finding", id});
  EXPECT_EQ(mixed.exit_code, 2) << mixed.Describe();
  EXPECT_TRUE(Contains(mixed.stderr_text, "finding " + id + " names findings of 2 data plane runs"))
      << mixed.stderr_text;
  EXPECT_TRUE(Contains(mixed.stderr_text, "run 0000000000000005")) << mixed.stderr_text;
  EXPECT_TRUE(Contains(mixed.stderr_text, "run 0000000000000006")) << mixed.stderr_text;

  const rapidjson::Document scope = CtlJson({"report", "scope", "--finding", id, "--run", "0000000000000006"});
  ASSERT_TRUE(scope.HasMember("summary")) << "scope JSON";
  EXPECT_EQ(scope["summary"]["calls"].GetUint64(), 2u);
  ASSERT_EQ(scope["findings"].Size(), 1u);
  EXPECT_TRUE(scope["findings"][0]["known"].GetBool());
  EXPECT_EQ(std::string(scope["findings"][0]["client_id"].GetString()), second.client);
  EXPECT_EQ(std::string(scope["findings"][0]["run_id"].GetString()), "0000000000000006");
  EXPECT_EQ(scope["findings"][0]["calls"].GetUint64(), 2u) << "the finding record's own count";
  ASSERT_EQ(scope["clients"].Size(), 1u);
  EXPECT_EQ(std::string(scope["clients"][0]["id"].GetString()), second.client);

  EXPECT_EQ(QueryCount({"--finding", id, "--run", "0000000000000005"}), 3u);
  const ProcessResult query = Ctl({"records", "query", "--finding", id});
  EXPECT_EQ(query.exit_code, 2) << query.Describe();
  EXPECT_TRUE(Contains(query.stderr_text, "Add --run")) << query.stderr_text;
  const ProcessResult bad = Ctl({"records", "query", "--run", "5x"});
  EXPECT_EQ(bad.exit_code, 2) << bad.Describe();
  EXPECT_TRUE(Contains(bad.stderr_text, "--run 5x is not a run id")) << bad.stderr_text;
  const ProcessResult short_id = Ctl({"records", "query", "--run", "000000000000006"});
  EXPECT_EQ(short_id.exit_code, 2) << "15 hex digits: " << short_id.Describe();

  // --run alone selects every call of the run.
  const rapidjson::Document run = CtlJson({"report", "scope", "--run", "0000000000000006"});
  ASSERT_TRUE(run.HasMember("summary")) << "scope JSON";
  EXPECT_EQ(run["summary"]["calls"].GetUint64(), 2u);
}

// This sluice-control runs with the data plane command socket off: status and updates report it.
TEST_F(ForensicVerbsTest, DataplaneSocketOffReported) {
  const ProcessResult status = Ctl({"show", "status"});
  EXPECT_EQ(status.exit_code, 0) << status.Describe();
  EXPECT_TRUE(Contains(status.stdout_text, "the data plane command socket is off")) << status.stdout_text;
  const rapidjson::Document json = CtlJson({"show", "status"});
  ASSERT_TRUE(json.HasMember("dataplane_command_socket"));
  EXPECT_EQ(std::string(json["dataplane_command_socket"].GetString()), "off");
  const ProcessResult policy =
      Ctl({"set", "policy", directory_->File("control.yaml")});
  EXPECT_EQ(policy.exit_code, 1) << policy.Describe();
  EXPECT_TRUE(Contains(policy.stdout_text + policy.stderr_text, "the data plane command socket is off"))
      << policy.stdout_text << policy.stderr_text;
}

TEST_F(ForensicVerbsTest, HelpAndUsageErrors) {
  const std::vector<std::vector<std::string>> verbs = {
      {"records"},          {"records", "query"}, {"records", "timeline"}, {"records", "export"},
      {"report"},           {"report", "scope"},  {"verify"},              {"show", "endpoints"},
      {"show", "findings"}};
  for (const auto& verb : verbs) {
    std::vector<std::string> argv = {sluicectl_};
    argv.insert(argv.end(), verb.begin(), verb.end());
    argv.push_back("--help");
    const ProcessResult help = RunProcess(argv, 30s);
    EXPECT_EQ(help.exit_code, 0) << verb.back() << ": " << help.Describe();
    EXPECT_TRUE(Contains(help.stdout_text, "Usage")) << help.stdout_text;
  }
  EXPECT_EQ(Ctl({"records", "query", "--since", "yesterday"}).exit_code, 2);
  EXPECT_EQ(Ctl({"records", "query", "--since", "2h", "--until", "3h"}).exit_code, 2);
  EXPECT_EQ(Ctl({"records", "query", "--status", "7"}).exit_code, 2);
  const ProcessResult unreachable = RunProcess(
      {sluicectl_, "--connect", Endpoint(FreeLoopbackPort()), "--keys", keys_,
       "--connect-timeout", "1", "verify", "--json"},
      30s);
  EXPECT_EQ(unreachable.exit_code, 3) << unreachable.Describe();
  EXPECT_TRUE(Contains(unreachable.stdout_text, "\"ok\":false")) << unreachable.stdout_text;
}

// Runs last: it restarts sluice-control, which seals the segment the replay filled.
TEST_F(ForensicVerbsTest, VerifyNamesFlippedSegment) {
  const rapidjson::Document live = CtlJson({"verify"});
  EXPECT_TRUE(live["verify"]["intact"].GetBool());

  process_->Signal(SIGTERM);
  const ProcessResult stopped = process_->Wait(30s);
  ASSERT_EQ(stopped.exit_code, 0) << stopped.Describe() << ControlLog();
  StartControl();
  ASSERT_FALSE(HasFatalFailure());

  const ProcessResult intact = Ctl({"verify"});
  EXPECT_EQ(intact.exit_code, 0) << intact.Describe();
  EXPECT_TRUE(Contains(intact.stdout_text, "intact")) << intact.stdout_text;
  EXPECT_TRUE(Contains(intact.stdout_text, "1 sealed")) << intact.stdout_text;
  EXPECT_EQ(QueryCount({}), records_.size() + later_records_)
      << "the restarted sluice-control reads the same store";

  const std::string segment = directory_->File("store") + "/segment-0000000000000001.sls";
  std::string bytes;
  ASSERT_TRUE(ReadFile(segment, &bytes));
  ASSERT_GT(bytes.size(), 4096u);
  bytes[bytes.size() / 2] ^= 0x01;
  ASSERT_TRUE(WriteFile(segment, bytes));

  const ProcessResult broken = Ctl({"verify"});
  EXPECT_EQ(broken.exit_code, 1) << broken.Describe();
  EXPECT_TRUE(Contains(broken.stdout_text, "BROKEN segment-0000000000000001.sls"))
      << broken.stdout_text;
  const rapidjson::Document json = CtlJson({"verify"}, 1);
  ASSERT_TRUE(json.HasMember("verify"));
  EXPECT_FALSE(json["verify"]["intact"].GetBool());
  ASSERT_GE(json["verify"]["problems"].Size(), 1u);
  EXPECT_EQ(json["verify"]["problems"][0]["segment"].GetUint64(), 1u);

  const std::string html = directory_->File("broken.html");
  ASSERT_EQ(Ctl({"report", "scope", "--endpoint", kFakeTemplate, "--format", "html", "--output",
                 html}).exit_code,
            0);
  std::string page;
  ASSERT_TRUE(ReadFile(html, &page));
  EXPECT_TRUE(Contains(page, "data-state=\"broken\"")) << "the report shows the broken store";
}

}  // namespace
}  // namespace sluice::testing
