// Starts the real sluice-control binary and talks to it over a real ZeroMQ DEALER on loopback.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "records_generated.h"
#include "tests/unit/control/ecs_schema_check.h"
#include "tests/unit/control/wire_fixtures.h"

namespace sluice::control {
namespace {

using testing::BatchSpec;
using testing::FlowSpec;
using testing::TransactionSpec;

// SLUICE_CONTROL_BINARY is set by the meson file of this test.
const char* Binary() { return SLUICE_CONTROL_BINARY; }

// Returns a loopback TCP port that was free a moment ago.
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "sluice_control_" + std::to_string(getpid()) + "_" + name;
}

// One sluice-control process with stderr captured in a file.
class ControlProcess {
 public:
  explicit ControlProcess(std::vector<std::string> arguments) {
    // The forensic store has its own integration test; here it stays off unless a test asks.
    if (std::find(arguments.begin(), arguments.end(), "--store") == arguments.end()) {
      arguments.push_back("--no-store");
    }
    stderr_path_ = TempPath("stderr.log");
    unlink(stderr_path_.c_str());
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDERR_FILENO);
      std::vector<char*> argv{const_cast<char*>(Binary())};
      for (std::string& argument : arguments) argv.push_back(argument.data());
      argv.push_back(nullptr);
      execv(Binary(), argv.data());
      _exit(127);
    }
  }
  ~ControlProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // Waits until stderr contains `text`, for at most `timeout`.
  bool WaitForLog(const std::string& text, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Waits for the process to exit and returns its exit status, or -1 after a timeout or a signal.
  int WaitForExit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  void Signal(int signal_number) const { kill(pid_, signal_number); }
  std::string Log() const { return ReadFile(stderr_path_); }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string stderr_path_;
};

// A DEALER socket as a data plane would use it.
class Dealer {
 public:
  explicit Dealer(const std::string& endpoint) {
    context_ = zmq_ctx_new();
    socket_ = zmq_socket(context_, ZMQ_DEALER);
    const int timeout_ms = 3000;
    zmq_setsockopt(socket_, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
    const int linger_ms = 0;
    zmq_setsockopt(socket_, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
    zmq_connect(socket_, endpoint.c_str());
  }
  ~Dealer() {
    zmq_close(socket_);
    zmq_ctx_term(context_);
  }

  void Send(const std::vector<uint8_t>& frame) {
    ASSERT_GE(zmq_send(socket_, frame.data(), frame.size(), 0), 0);
  }
  void SendMultipart(const std::vector<std::vector<uint8_t>>& parts) {
    for (size_t i = 0; i < parts.size(); ++i) {
      const int flags = i + 1 < parts.size() ? ZMQ_SNDMORE : 0;
      ASSERT_GE(zmq_send(socket_, parts[i].data(), parts[i].size(), flags), 0);
    }
  }

  // Receives one reply frame; empty after the receive timeout.
  std::vector<uint8_t> Receive() {
    std::vector<uint8_t> buffer(4096);
    const int size = zmq_recv(socket_, buffer.data(), buffer.size(), 0);
    if (size < 0) return {};
    buffer.resize(static_cast<size_t>(size));
    return buffer;
  }

  // Receives one reply, verifies it and returns its message, or nullptr. `storage` keeps the bytes.
  const wire::Message* ReceiveMessage(std::vector<uint8_t>& storage) {
    storage = Receive();
    if (storage.empty()) return nullptr;
    flatbuffers::Verifier verifier(storage.data(), storage.size());
    if (!wire::VerifyMessageBuffer(verifier)) return nullptr;
    return wire::GetMessage(storage.data());
  }

 private:
  void* context_ = nullptr;
  void* socket_ = nullptr;
};

BatchSpec MakeBatch(uint64_t sequence, size_t transactions) {
  BatchSpec spec;
  spec.dataplane_id = "dp-integration";
  spec.run_id = 0xfeedfacecafebeefULL;
  spec.worker_id = 3;
  spec.sequence = sequence;
  for (size_t i = 0; i < transactions; ++i) {
    TransactionSpec transaction;
    transaction.index = static_cast<uint32_t>(i);
    transaction.flow_id = sequence * 100 + i;
    if (i == 0) {
      // The first transaction of each batch carries every inspection field, the others none.
      transaction.verdict = wire::Verdict::Block;
      transaction.rules = {{1001, "token in query", "query", "block", "high"}};
      transaction.pii_request = {{"jwt", 1, {"00112233445566778899aabbccddeeff"}}};
      transaction.block = testing::BlockSpec{3, "request", 120, "rule 1001", true};
    }
    spec.records.push_back(transaction);
  }
  FlowSpec flow;
  flow.flow_id = sequence * 100;
  spec.records.push_back(flow);
  return spec;
}

void ExpectBatchAck(Dealer& dealer, uint64_t sequence, uint32_t records) {
  std::vector<uint8_t> storage;
  const wire::Message* reply = dealer.ReceiveMessage(storage);
  ASSERT_NE(reply, nullptr) << "no reply for batch " << sequence;
  const wire::BatchAck* ack = reply->body_as_BatchAck();
  ASSERT_NE(ack, nullptr) << "expected BatchAck for batch " << sequence;
  EXPECT_EQ(ack->sequence(), sequence);
  EXPECT_EQ(ack->records(), records);
  EXPECT_EQ(ack->worker_id(), 3);
  EXPECT_EQ(ack->run_id(), 0xfeedfacecafebeefULL);
}

void ExpectBatchReject(Dealer& dealer, const std::string& reason) {
  std::vector<uint8_t> storage;
  const wire::Message* reply = dealer.ReceiveMessage(storage);
  ASSERT_NE(reply, nullptr) << "no reply, expected BatchReject " << reason;
  const wire::BatchReject* reject = reply->body_as_BatchReject();
  ASSERT_NE(reject, nullptr) << "expected BatchReject " << reason;
  ASSERT_NE(reject->reason(), nullptr);
  EXPECT_EQ(reject->reason()->str(), reason);
}

uint64_t CounterFromLog(const std::string& log, const std::string& name) {
  const std::string key = "counter " + name + " ";
  const size_t at = log.find(key);
  if (at == std::string::npos) return UINT64_MAX;
  return std::stoull(log.substr(at + key.size()));
}

TEST(SluiceControl, IngestsBatchesAndShutsDownCleanly) {
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort());
  const std::string jsonl = TempPath("records.jsonl");
  unlink(jsonl.c_str());
  ControlProcess control({"--listen", endpoint, "--jsonl", jsonl});
  ASSERT_TRUE(control.WaitForLog("listening on " + endpoint, std::chrono::seconds(10)))
      << control.Log();

  Dealer dealer(endpoint);
  dealer.Send(testing::BuildHelloFrame("dp-integration", 0xfeedfacecafebeefULL, 4));
  std::vector<uint8_t> storage;
  const wire::Message* hello_reply = dealer.ReceiveMessage(storage);
  ASSERT_NE(hello_reply, nullptr);
  ASSERT_NE(hello_reply->body_as_HelloAck(), nullptr);
  EXPECT_NE(hello_reply->body_as_HelloAck()->control_version(), nullptr);

  // In order (0, 1), ahead of a missing batch (3 after 1: batch 2 may still come, so no gap is
  // counted), a duplicate (1 again).
  dealer.Send(testing::BuildBatchFrame(MakeBatch(0, 2)));
  ExpectBatchAck(dealer, 0, 3);
  dealer.Send(testing::BuildBatchFrame(MakeBatch(1, 1)));
  ExpectBatchAck(dealer, 1, 2);
  dealer.Send(testing::BuildBatchFrame(MakeBatch(3, 2)));
  ExpectBatchAck(dealer, 3, 3);
  dealer.Send(testing::BuildBatchFrame(MakeBatch(1, 1)));
  ExpectBatchAck(dealer, 1, 2);

  // Hostile frames: sluice-control replies to each with a BatchReject naming the reason.
  dealer.Send({'g', 'a', 'r', 'b', 'a', 'g', 'e', '!', '!'});
  ExpectBatchReject(dealer, "bad_identifier");
  std::vector<uint8_t> truncated = testing::BuildBatchFrame(MakeBatch(4, 1));
  truncated.resize(truncated.size() / 2);
  dealer.Send(truncated);
  ExpectBatchReject(dealer, "verify_failed");
  dealer.Send({});
  ExpectBatchReject(dealer, "empty");
  dealer.Send({1, 2, 3});
  ExpectBatchReject(dealer, "too_short");
  dealer.SendMultipart({testing::BuildBatchFrame(MakeBatch(4, 1)), {1, 2}});
  ExpectBatchReject(dealer, "multipart");
  BatchSpec no_id = MakeBatch(4, 1);
  no_id.dataplane_id.clear();
  dealer.Send(testing::BuildBatchFrame(no_id));
  ExpectBatchReject(dealer, "missing_dataplane_id");

  // A message only sluice-control sends is counted and gets no reply. Replies arrive in order,
  // so the next reply being the BatchAck of batch 4 proves it.
  dealer.Send(testing::BuildBatchAckFrame());
  dealer.Send(testing::BuildBatchFrame(MakeBatch(4, 1)));
  ExpectBatchAck(dealer, 4, 2);

  control.Signal(SIGTERM);
  ASSERT_EQ(control.WaitForExit(std::chrono::seconds(10)), 0) << control.Log();
  const std::string log = control.Log();

  EXPECT_NE(log.find("data plane dp-integration (run feedfacecafebeef, 4 workers) connected"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("sequence gap"), std::string::npos) << "batch 2 was never given up\n" << log;
  const std::pair<const char*, uint64_t> kCounters[] = {
      {"control.frames.received", 13},
      {"control.hellos.received", 1},
      {"control.messages.unexpected", 1},
      {"control.batches.received", 11},
      {"control.batches.verified", 5},
      {"control.batches.rejected", 6},
      {"control.batches.duplicates", 1},
      {"control.batches.sequence_gaps", 0},
      {"control.batches.written", 4},
      {"control.batches.invalid.missing_dataplane_id", 1},
      {"control.frames.invalid.bad_identifier", 1},
      {"control.frames.invalid.verify_failed", 1},
      {"control.frames.invalid.empty", 1},
      {"control.frames.invalid.too_short", 1},
      {"control.frames.invalid.multipart", 1},
      {"control.records.received", 12},
      {"control.records.written", 10},
      {"control.records.duplicate", 2},
  };
  for (const auto& [name, expected] : kCounters) {
    EXPECT_EQ(CounterFromLog(log, name), expected) << name << "\n" << log;
  }
  EXPECT_NE(log.find("batches received 11, verified 5, rejected 6, written 4; records received "
                     "12, written 10"),
            std::string::npos)
      << log;

  // Every line: valid JSON, schema-valid, from the written batches only, in order.
  std::ifstream file(jsonl);
  const testing::EcsSchemaCheck schema;
  std::vector<uint64_t> sequences;
  size_t transactions = 0;
  size_t flows = 0;
  size_t inspected_transactions = 0;
  for (std::string line; std::getline(file, line);) {
    EXPECT_EQ(schema.Check(line), "");
    rapidjson::Document document;
    document.Parse(line.c_str());
    ASSERT_FALSE(document.HasParseError()) << line;
    const rapidjson::Value* sequence = rapidjson::Pointer("/sluice/batch/sequence").Get(document);
    ASSERT_NE(sequence, nullptr);
    sequences.push_back(sequence->GetUint64());
    const std::string record_type = rapidjson::Pointer("/sluice/record_type").Get(document)->GetString();
    transactions += record_type == "transaction";
    flows += record_type == "flow";
    if (record_type == "transaction") {
      const rapidjson::Value* verdict = rapidjson::Pointer("/sluice/verdict").Get(document);
      ASSERT_NE(verdict, nullptr) << line;
      const rapidjson::Value* index = rapidjson::Pointer("/sluice/transaction").Get(document);
      const bool inspected = index->GetUint() == 0;
      EXPECT_STREQ(verdict->GetString(), inspected ? "block" : "pass") << line;
      EXPECT_EQ(rapidjson::Pointer("/sluice/rules/0/id").Get(document) != nullptr, inspected);
      EXPECT_EQ(rapidjson::Pointer("/sluice/pii/request/jwt/count").Get(document) != nullptr,
                inspected);
      EXPECT_EQ(rapidjson::Pointer("/sluice/block/reset").Get(document) != nullptr, inspected);
      inspected_transactions += inspected;
    }
    EXPECT_STREQ(rapidjson::Pointer("/sluice/dataplane").Get(document)->GetString(),
                 "dp-integration");
    EXPECT_STREQ(rapidjson::Pointer("/sluice/run_id").Get(document)->GetString(),
                 "feedfacecafebeef");
    EXPECT_EQ(rapidjson::Pointer("/sluice/worker").Get(document)->GetUint(), 3u);
  }
  const std::vector<uint64_t> expected_sequences = {0, 0, 0, 1, 1, 3, 3, 3, 4, 4};
  EXPECT_EQ(sequences, expected_sequences);
  EXPECT_EQ(transactions, 6u);
  EXPECT_EQ(flows, 4u);
  EXPECT_EQ(inspected_transactions, 4u);
  unlink(jsonl.c_str());
}

TEST(SluiceControl, SigintAlsoStopsCleanly) {
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort());
  const std::string jsonl = TempPath("sigint.jsonl");
  ControlProcess control({"--listen", endpoint, "--jsonl", jsonl});
  ASSERT_TRUE(control.WaitForLog("listening on", std::chrono::seconds(10))) << control.Log();
  control.Signal(SIGINT);
  EXPECT_EQ(control.WaitForExit(std::chrono::seconds(10)), 0) << control.Log();
  EXPECT_NE(control.Log().find("counter control.batches.received 0"), std::string::npos);
  unlink(jsonl.c_str());
}

TEST(SluiceControl, ConfigFileSetsListenAndJsonl) {
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort());
  const std::string jsonl = TempPath("from_config.jsonl");
  const std::string config = TempPath("good.yaml");
  std::ofstream(config) << "dataplane:\n  id: x\ncontrol:\n  listen: " << endpoint
                        << "\n  jsonl: " << jsonl << "\n";
  ControlProcess control({"--config", config});
  ASSERT_TRUE(control.WaitForLog("listening on " + endpoint + ", writing records to " + jsonl,
                                 std::chrono::seconds(10)))
      << control.Log();
  control.Signal(SIGTERM);
  EXPECT_EQ(control.WaitForExit(std::chrono::seconds(10)), 0);
  unlink(config.c_str());
  unlink(jsonl.c_str());
}

struct SetupErrorCase {
  const char* name;
  const char* yaml;  // nullptr: no config file
  std::vector<std::string> extra_arguments;
  std::vector<std::string> expected_parts;
};

TEST(SluiceControl, SetupErrorsExitTwo) {
  const std::string jsonl = TempPath("setup.jsonl");
  const SetupErrorCase kCases[] = {
      {"missing_config", nullptr, {"--config", "/nonexistent/sluice.yaml"},
       {"/nonexistent/sluice.yaml", "cannot open"}},
      {"yaml_error", "control: [\n", {}, {"invalid YAML"}},
      {"unknown_key", "control:\n  listne: x\n", {}, {"control.listne"}},
      {"wrong_type", "control:\n  listen: [1, 2]\n", {}, {"control.listen", "a list"}},
      {"bad_endpoint", nullptr, {"--listen", "nonsense"}, {"cannot listen on nonsense"}},
      {"unwritable_jsonl", nullptr, {"--jsonl", "/nonexistent/dir/out.jsonl"},
       {"/nonexistent/dir/out.jsonl"}},
      {"unknown_flag", nullptr, {"--bogus"}, {"--bogus"}},
  };
  for (const SetupErrorCase& test_case : kCases) {
    // Defaults for the flags a case does not set itself; CLI11 rejects a repeated option.
    const auto& extra = test_case.extra_arguments;
    std::vector<std::string> arguments;
    if (std::find(extra.begin(), extra.end(), "--listen") == extra.end()) {
      arguments.insert(arguments.end(),
                       {"--listen", "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort())});
    }
    if (std::find(extra.begin(), extra.end(), "--jsonl") == extra.end()) {
      arguments.insert(arguments.end(), {"--jsonl", jsonl});
    }
    std::string config;
    if (test_case.yaml != nullptr) {
      config = TempPath(std::string(test_case.name) + ".yaml");
      std::ofstream(config) << test_case.yaml;
      arguments.insert(arguments.end(), {"--config", config});
    }
    arguments.insert(arguments.end(), test_case.extra_arguments.begin(),
                     test_case.extra_arguments.end());
    ControlProcess control(arguments);
    EXPECT_EQ(control.WaitForExit(std::chrono::seconds(10)), 2) << test_case.name;
    const std::string log = control.Log();
    for (const std::string& part : test_case.expected_parts) {
      EXPECT_NE(log.find(part), std::string::npos) << test_case.name << ": " << log;
    }
    if (!config.empty()) {
      EXPECT_NE(log.find(config), std::string::npos) << test_case.name << ": " << log;
      unlink(config.c_str());
    }
  }
  unlink(jsonl.c_str());
}

TEST(SluiceControl, AddressInUseExitsTwo) {
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort());
  void* context = zmq_ctx_new();
  void* holder = zmq_socket(context, ZMQ_ROUTER);
  ASSERT_EQ(zmq_bind(holder, endpoint.c_str()), 0);

  // A failed start leaves nothing behind: no records file, no store, no signing key.
  const std::string jsonl = TempPath("in_use.jsonl");
  const std::string store = TempPath("in_use_store");
  ControlProcess control({"--listen", endpoint, "--jsonl", jsonl, "--store", store});
  EXPECT_EQ(control.WaitForExit(std::chrono::seconds(10)), 2);
  const std::string log = control.Log();
  EXPECT_NE(log.find("cannot listen on " + endpoint), std::string::npos) << log;
  EXPECT_NE(log.find("Address already in use"), std::string::npos) << log;
  EXPECT_NE(access(jsonl.c_str(), F_OK), 0) << "created " << jsonl;
  EXPECT_NE(access(store.c_str(), F_OK), 0) << "created " << store;

  zmq_close(holder);
  zmq_ctx_term(context);
  unlink(jsonl.c_str());
}

// The same when the address in use is the metrics listener's, bound after the record channel.
TEST(SluiceControl, MetricsAddressInUseCreatesNothing) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string metrics = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  const std::string jsonl = TempPath("metrics_in_use.jsonl");
  const std::string store = TempPath("metrics_in_use_store");
  ControlProcess control({"--listen", "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort()), "--jsonl",
                          jsonl, "--store", store, "--metrics-listen", metrics});
  EXPECT_EQ(control.WaitForExit(std::chrono::seconds(10)), 2);
  const std::string log = control.Log();
  EXPECT_NE(log.find(metrics), std::string::npos) << log;
  EXPECT_NE(access(jsonl.c_str(), F_OK), 0) << "created " << jsonl;
  EXPECT_NE(access(store.c_str(), F_OK), 0) << "created " << store;
  close(listener);
  unlink(jsonl.c_str());
}

// A store that cannot be opened leaves nothing behind either: here the signing key cannot be
// written, after the store's folders were made.
TEST(SluiceControl, FailedStoreOpenCreatesNothing) {
  const std::string top = TempPath("store_fails");
  const std::string jsonl = TempPath("store_fails.jsonl");
  ControlProcess control({"--listen", "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort()), "--jsonl", jsonl,
                          "--store", top + "/a/store", "--store-key", "/proc/no-such-dir/key.pem"});
  EXPECT_EQ(control.WaitForExit(std::chrono::seconds(10)), 2);
  EXPECT_NE(control.Log().find("/proc/no-such-dir/key.pem"), std::string::npos) << control.Log();
  EXPECT_FALSE(std::filesystem::exists(top)) << "created " << top;
  EXPECT_FALSE(std::filesystem::exists(jsonl)) << "created " << jsonl;
}

// The signing key of a store that contains data is not replaced by a new one: that would break the
// chain of what is stored. The start fails and creates no key.
TEST(SluiceControl, MissingKeyOfUsedStoreRejected) {
  const std::string store = TempPath("keyless_store");
  const std::string key = store + "-signing.pem";
  const std::string jsonl = TempPath("keyless.jsonl");
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort());
  {
    ControlProcess first({"--listen", endpoint, "--jsonl", jsonl, "--store", store});
    ASSERT_TRUE(first.WaitForLog("listening on " + endpoint, std::chrono::seconds(10))) << first.Log();
    first.Signal(SIGTERM);
    ASSERT_EQ(first.WaitForExit(std::chrono::seconds(10)), 0) << first.Log();
  }
  ASSERT_TRUE(std::filesystem::exists(key));
  std::filesystem::remove(key);
  std::filesystem::remove(key + ".pub");

  ControlProcess second({"--listen", endpoint, "--jsonl", jsonl, "--store", store});
  EXPECT_EQ(second.WaitForExit(std::chrono::seconds(10)), 2);
  EXPECT_NE(second.Log().find("is missing, but the store contains data"), std::string::npos) << second.Log();
  EXPECT_FALSE(std::filesystem::exists(key)) << "a new key was made";
  std::filesystem::remove_all(store);
  unlink(jsonl.c_str());
}

// libzmq would bind port 99999 as 34463: the port is checked first.
TEST(SluiceControl, PortOutOfRangeRejected) {
  const std::string jsonl = TempPath("port_range.jsonl");
  ControlProcess control({"--listen", "tcp://127.0.0.1:99999", "--jsonl", jsonl});
  EXPECT_EQ(control.WaitForExit(std::chrono::seconds(10)), 2);
  EXPECT_NE(control.Log().find("invalid port in tcp://127.0.0.1:99999"), std::string::npos) << control.Log();
  EXPECT_FALSE(std::filesystem::exists(jsonl));
}

}  // namespace
}  // namespace sluice::control
