// sluicectl against a running sluice-control and a real sluice-dataplane replaying a capture:
// keys, authentication, every read verb, rule checks, live rule loads while records flow, the
// Prometheus endpoint and --help on every verb.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness/loopback.h"
#include "tests/integration/harness/process.h"
#include "tests/integration/harness/temp_dir.h"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string Endpoint(uint16_t port) { return "tcp://127.0.0.1:" + std::to_string(port); }

// Rule files of the live reload: both tag every GET, under different ids, so every GET record
// names the rule set it was inspected with.
constexpr char kRulesBefore[] =
    "rules:\n  - id: 9001\n    msg: \"GET before the reload\"\n    field: http.request.method\n"
    "    pattern: '^GET$'\n    action: tag\n    severity: low\n";
constexpr char kRulesAfter[] =
    "rules:\n  - id: 9002\n    msg: \"GET after the reload\"\n    field: http.request.method\n"
    "    pattern: '^GET$'\n    action: tag\n    severity: low\n";

// One sluice-control with a fresh key directory, on free loopback ports, for the whole suite.
class SluicectlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    directory_ = new TempDir("sluicectl-test");
    sluicectl_ = Env("SLUICECTL");
    control_ = Env("SLUICE_CONTROL");
    dataplane_ = Env("SLUICE_DATAPLANE");
    samples_ = Env("SLUICE_SAMPLES_DIR");
    keys_ = directory_->File("keys");
    const ProcessResult init = RunProcess({sluicectl_, "keys", "init", "--dir", keys_}, 30s);
    ASSERT_EQ(init.exit_code, 0) << init.Describe();
    StartControl();
  }

  static void TearDownTestSuite() {
    if (process_ != nullptr) {
      // A clean exit also means no sanitizer report in sanitizer builds.
      process_->Signal(SIGTERM);
      const ProcessResult result = process_->Wait(30s);
      EXPECT_EQ(result.exit_code, 0) << result.Describe() << "\n" << ControlLog();
    }
    delete process_;
    delete directory_;
    process_ = nullptr;
    directory_ = nullptr;
  }

  static void StartControl() {
    for (int attempt = 0; attempt < 3; ++attempt) {
      record_endpoint_ = Endpoint(FreeLoopbackPort());
      command_endpoint_ = Endpoint(FreeLoopbackPort());
      dataplane_endpoint_ = Endpoint(FreeLoopbackPort());
      metrics_port_ = FreeLoopbackPort();
      delete process_;
      process_ = new BackgroundProcess();
      const std::string log = directory_->File("control.log");
      const std::string started = process_->Start(
          {control_, "--listen", record_endpoint_, "--jsonl", directory_->File("records.jsonl"),
           "--store", directory_->File("store"), "--command-listen", command_endpoint_,
           "--dataplane-command-listen", dataplane_endpoint_, "--command-keys", keys_, "--metrics-listen",
           "127.0.0.1:" + std::to_string(metrics_port_)},
          log, log);
      ASSERT_TRUE(started.empty()) << started;
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (std::chrono::steady_clock::now() < deadline && process_->Running()) {
        if (Contains(ControlLog(), "serving Prometheus metrics")) return;
        std::this_thread::sleep_for(20ms);
      }
    }
    FAIL() << "sluice-control did not start; log:\n" << ControlLog();
  }

  static std::string ControlLog() {
    std::string text;
    ReadFile(directory_->File("control.log"), &text);
    return text;
  }

  static ProcessResult Ctl(std::vector<std::string> arguments, const std::string& keys = "") {
    std::vector<std::string> argv = {sluicectl_, "--connect", command_endpoint_, "--keys",
                                     keys.empty() ? keys_ : keys, "--connect-timeout", "5"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return RunProcess(argv, 60s);
  }

  static std::string WriteText(const std::string& name, const std::string& text) {
    const std::string path = directory_->File(name);
    EXPECT_TRUE(WriteFile(path, text));
    return path;
  }

  static inline TempDir* directory_ = nullptr;
  static inline BackgroundProcess* process_ = nullptr;
  static inline std::string sluicectl_, control_, dataplane_, samples_, keys_;
  static inline std::string record_endpoint_, command_endpoint_, dataplane_endpoint_;
  static inline uint16_t metrics_port_ = 0;
};

TEST_F(SluicectlTest, KeysInitWritesPrivateFiles) {
  for (const char* name : {"server.secret", "server.public", "client.secret", "client.public",
                           "allowed/client.public"}) {
    struct stat info {};
    ASSERT_EQ(stat((keys_ + "/" + name).c_str(), &info), 0) << name;
    EXPECT_EQ(info.st_mode & 0777, 0600u) << name;
  }
  std::string client;
  std::string allowed;
  ASSERT_TRUE(ReadFile(keys_ + "/client.public", &client));
  ASSERT_TRUE(ReadFile(keys_ + "/allowed/client.public", &allowed));
  EXPECT_EQ(client, allowed);
  EXPECT_EQ(client.size(), 41u);  // 40 Z85 characters and a newline

  const ProcessResult again = RunProcess({sluicectl_, "keys", "init", "--dir", keys_}, 30s);
  EXPECT_EQ(again.exit_code, 2) << "existing keys must not be replaced without --force";
}

TEST_F(SluicectlTest, UnknownKeyRejectedAndLogged) {
  const std::string other = directory_->File("other-keys");
  ASSERT_EQ(RunProcess({sluicectl_, "keys", "init", "--dir", other}, 30s).exit_code, 0);
  std::string server_public;
  ASSERT_TRUE(ReadFile(keys_ + "/server.public", &server_public));
  ASSERT_TRUE(WriteFile(other + "/server.public", server_public));
  std::string other_public;
  ASSERT_TRUE(ReadFile(other + "/client.public", &other_public));
  other_public.pop_back();  // newline

  const ProcessResult result = Ctl({"show", "status"}, other);
  EXPECT_EQ(result.exit_code, 3) << result.Describe();
  EXPECT_TRUE(Contains(result.stderr_text, "rejected this client's key")) << result.stderr_text;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!Contains(ControlLog(), other_public) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(Contains(ControlLog(), "rejected a client")) << ControlLog();
  EXPECT_TRUE(Contains(ControlLog(), other_public)) << "the rejected key must be logged";
}

TEST_F(SluicectlTest, WrongServerKeyExitsThree) {
  const std::string other = directory_->File("wrong-server-keys");
  ASSERT_EQ(RunProcess({sluicectl_, "keys", "init", "--dir", other}, 30s).exit_code, 0);
  const ProcessResult result = RunProcess({sluicectl_, "--connect", command_endpoint_, "--keys",
                                           other, "--connect-timeout", "2", "show", "status"},
                                          30s);
  EXPECT_EQ(result.exit_code, 3) << result.Describe();
}

TEST_F(SluicectlTest, UnreachableControlExitsThree) {
  const ProcessResult result = RunProcess(
      {sluicectl_, "--connect", Endpoint(FreeLoopbackPort()), "--keys", keys_,
       "--connect-timeout", "1", "show", "status", "--json"},
      30s);
  EXPECT_EQ(result.exit_code, 3) << result.Describe();
  rapidjson::Document json;
  json.Parse(result.stdout_text.c_str());
  ASSERT_TRUE(json.IsObject()) << result.stdout_text;
  EXPECT_FALSE(json["ok"].GetBool());
}

TEST_F(SluicectlTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunProcess({sluicectl_, "show", "nothing"}, 30s).exit_code, 2);
  EXPECT_EQ(RunProcess({sluicectl_}, 30s).exit_code, 2);
  EXPECT_EQ(Ctl({"rules", "load", directory_->File("missing.yaml")}).exit_code, 2);
  EXPECT_EQ(Ctl({"show", "status"}, directory_->File("no-such-keys")).exit_code, 2);
}

// A usage error names the command it belongs to, and a missing command lists the ones there.
TEST_F(SluicectlTest, UsageErrorsNameTheCommand) {
  const ProcessResult bare = RunProcess({sluicectl_}, 30s);
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_TRUE(Contains(bare.stderr_text, "sluicectl: missing command, one of: keys, show, rules")) << bare.stderr_text;
  EXPECT_TRUE(Contains(bare.stderr_text, "Run 'sluicectl --help'")) << bare.stderr_text;

  const ProcessResult show = RunProcess({sluicectl_, "show"}, 30s);
  EXPECT_EQ(show.exit_code, 2);
  EXPECT_TRUE(Contains(show.stderr_text, "sluicectl show: missing command, one of: status, stats")) << show.stderr_text;

  const ProcessResult limit = RunProcess({sluicectl_, "records", "query", "--limit", "abc"}, 30s);
  EXPECT_EQ(limit.exit_code, 2);
  EXPECT_TRUE(Contains(limit.stderr_text, "sluicectl records query: --limit: 'abc' is not a whole number"))
      << limit.stderr_text;
  const ProcessResult status = RunProcess({sluicectl_, "records", "query", "--status", "700"}, 30s);
  EXPECT_EQ(status.exit_code, 2);
  EXPECT_TRUE(Contains(status.stderr_text, "not in range 100 to 599")) << status.stderr_text;
}

TEST_F(SluicectlTest, HelpOnEveryVerb) {
  const std::vector<std::vector<std::string>> verbs = {
      {},         {"keys"},           {"keys", "init"},  {"show"},           {"show", "status"},
      {"show", "stats"}, {"show", "rules"}, {"rules"}, {"rules", "check"}, {"rules", "load"},
      {"set"},    {"set", "policy"}};
  for (const auto& verb : verbs) {
    std::vector<std::string> argv = {sluicectl_};
    argv.insert(argv.end(), verb.begin(), verb.end());
    argv.push_back("--help");
    const ProcessResult result = RunProcess(argv, 30s);
    const std::string name = verb.empty() ? "sluicectl" : verb.back();
    EXPECT_EQ(result.exit_code, 0) << name << ": " << result.Describe();
    EXPECT_TRUE(Contains(result.stdout_text, "Usage")) << name << ": " << result.stdout_text;
    EXPECT_TRUE(Contains(result.stdout_text, "--json")) << name << ": " << result.stdout_text;
  }
}

TEST_F(SluicectlTest, RulesCheckGoodAndBad) {
  const ProcessResult good = Ctl({"rules", "check", WriteText("good.yaml", kRulesBefore)});
  EXPECT_EQ(good.exit_code, 0) << good.Describe();
  EXPECT_TRUE(Contains(good.stdout_text, "OK, 1 rules")) << good.stdout_text;

  const std::string broken = samples_ + "/../tests/integration/rules_pii/broken_rules.yaml";
  const ProcessResult bad = Ctl({"rules", "check", broken, "--json"});
  EXPECT_EQ(bad.exit_code, 1) << bad.Describe();
  rapidjson::Document json;
  json.Parse(bad.stdout_text.c_str());
  ASSERT_TRUE(json.IsObject()) << bad.stdout_text;
  EXPECT_FALSE(json["ok"].GetBool());
  EXPECT_EQ(json["errors"].Size(), 10u) << "every bad rule of the file is listed";
}

TEST_F(SluicectlTest, StatusWithoutDataplanes) {
  const ProcessResult text = Ctl({"show", "status"});
  EXPECT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_TRUE(Contains(text.stdout_text, "sluice-control: up")) << text.stdout_text;

  const ProcessResult stats = Ctl({"show", "stats"});
  EXPECT_EQ(stats.exit_code, 0) << stats.Describe();
  EXPECT_TRUE(Contains(stats.stdout_text, "control.batches.received")) << stats.stdout_text;
  EXPECT_TRUE(Contains(stats.stdout_text, "MEANING")) << stats.stdout_text;

  const ProcessResult missing = Ctl({"show", "stats", "--dataplane", "no-such-dataplane"});
  EXPECT_EQ(missing.exit_code, 1) << missing.Describe();

  const ProcessResult load = Ctl({"rules", "load", WriteText("lonely.yaml", kRulesBefore)});
  EXPECT_EQ(load.exit_code, 1) << "a load that reaches no data plane changed nothing";
  EXPECT_TRUE(Contains(load.stderr_text, "no data plane")) << load.stderr_text;

  const ProcessResult policy = Ctl({"set", "policy", WriteText("policy.yaml", "detectors: {}\n")});
  EXPECT_EQ(policy.exit_code, 1) << policy.Describe();
}

// Where DPDK keeps the runtime files of `prefix`: /var/run for root, else $XDG_RUNTIME_DIR or /tmp.
std::string DpdkRuntimeDir(const std::string& prefix) {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  const std::string base = getuid() == 0 ? "/var/run" : (xdg != nullptr ? xdg : "/tmp");
  return base + "/dpdk/" + prefix;
}

std::string HttpGet(uint16_t port, const std::string& path) {
  const ProcessResult result = RunProcess(
      {"curl", "-s", "-S", "-w", "\nHTTP %{http_code}", "--max-time", "10",
       "http://127.0.0.1:" + std::to_string(port) + path},
      30s);
  return result.stdout_text;
}

TEST_F(SluicectlTest, MetricsServedOverHttp) {
  const std::string page = HttpGet(metrics_port_, "/metrics");
  EXPECT_TRUE(Contains(page, "HTTP 200")) << page;
  EXPECT_TRUE(Contains(page, "# TYPE sluice_control_batches_received counter")) << page;
  EXPECT_TRUE(Contains(page, "# HELP sluice_control_command_requests ")) << page;
  EXPECT_TRUE(Contains(HttpGet(metrics_port_, "/other"), "HTTP 404"));

  const ProcessResult large = RunProcess(
      {"curl", "-s", "-o", "/dev/null", "-w", "HTTP %{http_code}", "--max-time", "10", "-H",
       "X-Padding: " + std::string(10000, 'a'),
       "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics"},
      30s);
  EXPECT_TRUE(Contains(large.stdout_text, "HTTP 431")) << large.Describe();
  EXPECT_TRUE(Contains(HttpGet(metrics_port_, "/metrics"), "HTTP 200"))
      << "the endpoint serves on after a rejected request";
}

struct ReloadRecords {
  size_t total = 0;
  size_t requests = 0;  // transaction records with a request line
  size_t gets = 0;
  size_t before = 0;  // GET records tagged 9001
  size_t after = 0;   // GET records tagged 9002
  size_t untagged_or_both = 0;
  std::string last_before;  // largest @timestamp of a 9001 record
  std::string first_after;  // smallest @timestamp of a 9002 record
};

ReloadRecords ReadRecords(const std::string& path, const std::string& dataplane_id) {
  ReloadRecords out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    rapidjson::Document record;
    record.Parse(line.c_str());
    if (!record.IsObject() || !record.HasMember("sluice")) continue;
    const auto& sluice = record["sluice"];
    if (sluice["dataplane"].GetString() != dataplane_id) continue;
    ++out.total;
    if (std::string(sluice["record_type"].GetString()) != "transaction") continue;
    if (!record.HasMember("http") || !record["http"]["request"].HasMember("method")) continue;
    ++out.requests;
    if (std::string(record["http"]["request"]["method"].GetString()) != "GET") continue;
    ++out.gets;
    std::set<unsigned> ids;
    if (sluice.HasMember("rules")) {
      for (const auto& rule : sluice["rules"].GetArray()) ids.insert(rule["id"].GetUint());
    }
    const std::string timestamp = record["@timestamp"].GetString();
    if (ids.count(9001) == 1 && ids.count(9002) == 0) {
      ++out.before;
      if (timestamp > out.last_before) out.last_before = timestamp;
    } else if (ids.count(9002) == 1 && ids.count(9001) == 0) {
      ++out.after;
      if (out.first_after.empty() || timestamp < out.first_after) out.first_after = timestamp;
    } else {
      ++out.untagged_or_both;
    }
  }
  return out;
}

// The whole live path: a replaying data plane registers, shows up in every read verb and the
// metrics, takes a new rule set mid-run and rejects a broken one, and loses no record.
TEST_F(SluicectlTest, LiveReloadWhileRecordsFlow) {
  const std::string id = "ctl-" + std::to_string(getpid());
  const std::string stats_json = directory_->File("dataplane-stats.json");
  BackgroundProcess dataplane;
  const std::string started = dataplane.Start(
      {dataplane_, "--pcap", samples_ + "/api-sample.pcap", "--replay", "4", "--workers", "1",
       "--control", record_endpoint_, "--command", dataplane_endpoint_, "--id", id, "--progress",
       "off", "--rules", WriteText("before.yaml", kRulesBefore), "--stats-json", stats_json},
      directory_->File("dataplane.out"), directory_->File("dataplane.err"));
  ASSERT_TRUE(started.empty()) << started;

  // Registered, and its reports count records sent: the reload lands in the middle of the run.
  std::string status_text;
  bool flowing = false;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!flowing && std::chrono::steady_clock::now() < deadline && dataplane.Running()) {
    status_text = Ctl({"show", "status", "--json"}).stdout_text;
    rapidjson::Document status;
    status.Parse(status_text.c_str());
    if (status.IsObject() && status.HasMember("dataplanes")) {
      for (const auto& entry : status["dataplanes"].GetArray()) {
        flowing |= entry["id"].GetString() == id && entry["records_sent"].GetUint64() > 0;
      }
    }
    if (!flowing) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(flowing) << status_text << ControlLog();
  const std::string runtime_dir = DpdkRuntimeDir("sluice-" + std::to_string(dataplane.pid()));
  EXPECT_TRUE(std::filesystem::exists(runtime_dir)) << runtime_dir;
  const ProcessResult table = Ctl({"show", "status"});
  EXPECT_TRUE(Contains(table.stdout_text, id)) << table.stdout_text;
  EXPECT_TRUE(Contains(table.stdout_text, "offline-replay")) << table.stdout_text;

  const ProcessResult load = Ctl({"rules", "load", WriteText("after.yaml", kRulesAfter), "--json"});
  ASSERT_EQ(load.exit_code, 0) << load.Describe();
  rapidjson::Document loaded;
  loaded.Parse(load.stdout_text.c_str());
  ASSERT_TRUE(loaded.IsObject()) << load.stdout_text;
  ASSERT_EQ(loaded["results"].Size(), 1u);
  EXPECT_TRUE(loaded["results"][0]["applied"].GetBool());
  const std::string version = loaded["results"][0]["rules_version"].GetString();

  const std::string broken = samples_ + "/../tests/integration/rules_pii/broken_rules.yaml";
  const ProcessResult bad = Ctl({"rules", "load", broken});
  EXPECT_EQ(bad.exit_code, 1) << bad.Describe();
  EXPECT_TRUE(Contains(bad.stdout_text, "10 error(s)")) << bad.stdout_text;

  const ProcessResult rules = Ctl({"show", "rules", "--json"});
  ASSERT_EQ(rules.exit_code, 0) << rules.Describe();
  rapidjson::Document shown;
  shown.Parse(rules.stdout_text.c_str());
  ASSERT_TRUE(shown.IsObject()) << rules.stdout_text;
  ASSERT_EQ(shown["dataplanes"].Size(), 1u);
  EXPECT_EQ(std::string(shown["dataplanes"][0]["rules_version"].GetString()), version)
      << "the broken file must leave the loaded rules in force";
  EXPECT_EQ(shown["dataplanes"][0]["rule_ids"][0].GetUint(), 9002u);

  const ProcessResult text_rules = Ctl({"show", "rules"});
  EXPECT_TRUE(Contains(text_rules.stdout_text, "9002")) << text_rules.stdout_text;

  // Thresholds change at run time; table sizes only with a restart, and such a policy changes
  // nothing.
  const ProcessResult policy = Ctl({"set", "policy",
      WriteText("policy.yaml", "detectors:\n  auth_failures: {min_count: 5}\n")});
  EXPECT_EQ(policy.exit_code, 0) << policy.Describe() << ControlLog();
  const ProcessResult resized = Ctl({"set", "policy",
      WriteText("resized.yaml", "detectors:\n  tracked_per_worker: 64\n")});
  EXPECT_EQ(resized.exit_code, 1) << resized.Describe();
  EXPECT_TRUE(Contains(resized.stdout_text + resized.stderr_text, "changes only with a restart"))
      << resized.stdout_text << resized.stderr_text;
  // One update with two bad keys and a restart-only one: all reported, and counted.
  const ProcessResult two_errors = Ctl({"set", "policy",
      WriteText("two-errors.yaml", "detectors:\n  enumeration: {action: explode}\n  scraping: {window_s: -5}\n"
                                   "  tracked_per_worker: 128\n")});
  EXPECT_EQ(two_errors.exit_code, 1) << two_errors.Describe();
  EXPECT_TRUE(Contains(two_errors.stdout_text, "3 error(s)")) << two_errors.stdout_text;
  EXPECT_TRUE(Contains(two_errors.stdout_text, "'detectors.tracked_per_worker' changes only with a restart"))
      << two_errors.stdout_text;
  EXPECT_TRUE(Contains(two_errors.stdout_text, "'detectors.enumeration.action'")) << two_errors.stdout_text;
  EXPECT_TRUE(Contains(two_errors.stdout_text, "'detectors.scraping.window_s'")) << two_errors.stdout_text;

  const ProcessResult stats = Ctl({"show", "stats", "--dataplane", id, "--json"});
  ASSERT_EQ(stats.exit_code, 0) << stats.Describe();
  EXPECT_TRUE(Contains(stats.stdout_text, "\"export.records_sent\"")) << stats.stdout_text;
  EXPECT_TRUE(Contains(stats.stdout_text, "\"command.rule_updates_failed\"")) << stats.stdout_text;
  EXPECT_TRUE(Contains(stats.stdout_text, "\"inspect.rule_scans\"")) << stats.stdout_text;
  const ProcessResult status_json = Ctl({"show", "status", "--json"});
  EXPECT_TRUE(Contains(status_json.stdout_text, "\"mode\":\"offline-replay\"")) << status_json.stdout_text;

  const std::string metrics = HttpGet(metrics_port_, "/metrics");
  EXPECT_TRUE(Contains(metrics, "sluice_dataplane_export_records_sent{dataplane=\"" + id + "\"}"))
      << metrics;

  const ProcessResult finished = dataplane.Wait(120s);
  ASSERT_EQ(finished.exit_code, 0) << finished.Describe();
  // The data plane made up its file prefix, so it removed DPDK's runtime files when it stopped.
  EXPECT_FALSE(std::filesystem::exists(runtime_dir)) << runtime_dir;

  // No record lost: everything the data plane built reached the file.
  std::string summary_text;
  ASSERT_TRUE(ReadFile(stats_json, &summary_text));
  rapidjson::Document summary;
  summary.Parse(summary_text.c_str());
  ASSERT_TRUE(summary.IsObject()) << summary_text;
  EXPECT_EQ(summary["records_dropped"].GetUint64(), 0u);
  EXPECT_EQ(summary["packets"].GetUint64(), summary["frames_read"].GetUint64());
  const ReloadRecords records = ReadRecords(directory_->File("records.jsonl"), id);
  EXPECT_EQ(records.total, summary["records_built"].GetUint64());
  EXPECT_EQ(records.total, summary["records_acknowledged"].GetUint64());

  // Every GET was inspected by exactly one rule set, the old one up to a point in the traffic
  // and the new one from there on.
  EXPECT_GT(records.before, 0u);
  EXPECT_GT(records.after, 0u) << "the reload came after the replay ended";
  EXPECT_EQ(records.untagged_or_both, 0u);
  EXPECT_EQ(records.before + records.after, records.gets);
  // Both rule sets match the method alone: one scan per request, counted across the reload
  // (the old set's counters outlive it).
  EXPECT_EQ(summary["rule_scans"].GetUint64(), records.requests);
  EXPECT_EQ(summary["rule_scan_errors"].GetUint64(), 0u);
  EXPECT_EQ(summary["bodies_unscanned"].GetUint64(), 0u);
  EXPECT_LT(records.last_before, records.first_after)
      << "a GET that started after the first new-rule GET kept the old rules";

  // Every change is logged with the key that made it.
  EXPECT_TRUE(Contains(ControlLog(), "command: key client: rules load of")) << ControlLog();
  EXPECT_TRUE(Contains(ControlLog(), "applied on data plane " + id)) << ControlLog();
  EXPECT_TRUE(Contains(ControlLog(), "failed on data plane " + id)) << ControlLog();
}

}  // namespace
}  // namespace sluice::testing

namespace sluice::testing {
namespace {

// control.dataplane_curve: a data plane with the server key delivers every record; one without it
// cannot connect at all.
TEST(RecordChannelCurve, EncryptedDeliveryAndPlainPeerRejected) {
  TempDir directory("record-curve-test");
  const std::string sluicectl = Env("SLUICECTL");
  const std::string keys = directory.File("keys");
  ASSERT_EQ(RunProcess({sluicectl, "keys", "init", "--dir", keys}, 30s).exit_code, 0);

  const std::string record_endpoint = Endpoint(FreeLoopbackPort());
  const std::string config = directory.File("sluice.yaml");
  ASSERT_TRUE(WriteFile(config, "control:\n  listen: " + record_endpoint + "\n  jsonl: " +
                                    directory.File("records.jsonl") +
                                    "\n  store: {path: " + directory.File("store") + "}" +
                                    "\n  command_listen: off\n  dataplane_command_listen: off\n"
                                    "  metrics_listen: off\n  command_keys: " + keys +
                                    "\n  dataplane_curve: true\n"));
  BackgroundProcess control;
  const std::string log = directory.File("control.log");
  ASSERT_EQ(control.Start({Env("SLUICE_CONTROL"), "--config", config}, log, log), "");
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline && control.Running()) {
    ReadFile(log, &text);
    if (Contains(text, "(CURVE)")) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(Contains(text, "listening on " + record_endpoint + " (CURVE)")) << text;

  const std::string stats_json = directory.File("stats.json");
  const std::vector<std::string> common = {
      Env("SLUICE_DATAPLANE"), "--pcap", Env("SLUICE_SAMPLES_DIR") + "/api-sample.pcap",
      "--control", record_endpoint, "--command", "off", "--progress", "off", "--workers", "1"};
  std::vector<std::string> encrypted = common;
  encrypted.insert(encrypted.end(), {"--id", "curve-ok", "--control-server-key",
                                     keys + "/server.public", "--stats-json", stats_json});
  const ProcessResult delivered = RunProcess(encrypted, 120s);
  ASSERT_EQ(delivered.exit_code, 0) << delivered.Describe();

  std::string summary_text;
  ASSERT_TRUE(ReadFile(stats_json, &summary_text));
  rapidjson::Document summary;
  summary.Parse(summary_text.c_str());
  ASSERT_TRUE(summary.IsObject()) << summary_text;
  const uint64_t built = summary["records_built"].GetUint64();
  EXPECT_GT(built, 0u);
  EXPECT_EQ(summary["records_acknowledged"].GetUint64(), built);
  std::string records;
  ASSERT_TRUE(ReadFile(directory.File("records.jsonl"), &records));
  size_t lines = 0;
  for (char c : records) lines += c == '\n' ? 1 : 0;
  EXPECT_EQ(lines, built);

  std::vector<std::string> plain = common;
  plain.insert(plain.end(), {"--id", "curve-plain"});
  const ProcessResult rejected = RunProcess(plain, 60s);
  EXPECT_NE(rejected.exit_code, 0) << "a data plane without the server key must not connect";

  control.Signal(SIGTERM);
  EXPECT_EQ(control.Wait(30s).exit_code, 0);
}

}  // namespace
}  // namespace sluice::testing
