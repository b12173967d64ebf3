// The forensic store inside the real sluice-control: batches sent over a real ZeroMQ DEALER are
// acknowledged, stored once, queryable and verifiable; --verify-store and --init-store-key work
// from the command line and tampering makes --verify-store fail.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "control/store/query.h"
#include "control/store/verify.h"
#include "perf/store/synthetic_batches.h"
#include "records_generated.h"

namespace sluice::control::store {
namespace {

// SLUICE_CONTROL_BINARY is set by the meson file of this test.
const char* Binary() { return SLUICE_CONTROL_BINARY; }

uint16_t FreeLoopbackPort() {
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

// Runs sluice-control with `arguments`, stderr and stdout in `log_path`.
class Control {
 public:
  Control(std::vector<std::string> arguments, const std::string& log_path) : log_path_(log_path) {
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDERR_FILENO);
      dup2(fd, STDOUT_FILENO);
      std::vector<char*> argv{const_cast<char*>(Binary())};
      for (std::string& argument : arguments) argv.push_back(argument.data());
      argv.push_back(nullptr);
      execv(Binary(), argv.data());
      _exit(127);
    }
  }
  ~Control() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string Log() const {
    std::ifstream file(log_path_);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }
  bool WaitForLog(const std::string& text) const {
    for (int i = 0; i < 500; ++i) {
      if (Log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  int Wait() {
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  void Signal(int signal) { kill(pid_, signal); }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

// Runs a one-shot command of sluice-control and returns its exit status and output.
int RunOnce(const std::vector<std::string>& arguments, const std::string& log_path,
            std::string& output) {
  Control control(arguments, log_path);
  const int status = control.Wait();
  output = control.Log();
  return status;
}

class StoreIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/sluice-store-integration-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    store_ = root_ + "/store";
    key_ = root_ + "/store.pem";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::string root_;
  std::string store_;
  std::string key_;
};

// Sends `message` on a DEALER and waits for a BatchAck of `sequence`.
bool SendAndAwaitAck(void* socket, const std::vector<uint8_t>& message, uint64_t sequence) {
  if (zmq_send(socket, message.data(), message.size(), 0) < 0) return false;
  std::vector<uint8_t> reply(4096);
  const int size = zmq_recv(socket, reply.data(), reply.size(), 0);
  if (size <= 0) return false;
  flatbuffers::Verifier verifier(reply.data(), static_cast<size_t>(size));
  if (!wire::VerifyMessageBuffer(verifier)) return false;
  const wire::BatchAck* ack = wire::GetMessage(reply.data())->body_as_BatchAck();
  return ack != nullptr && ack->sequence() == sequence;
}

TEST_F(StoreIntegration, AcknowledgedBatchesAreStoredOnceAndVerify) {
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort());
  Control control({"--listen", endpoint, "--jsonl", root_ + "/records.jsonl", "--store", store_,
                   "--store-key", key_},
                  root_ + "/control.log");
  ASSERT_TRUE(control.WaitForLog("listening on")) << control.Log();
  EXPECT_NE(control.Log().find("created store signing key " + key_), std::string::npos);

  void* context = zmq_ctx_new();
  void* socket = zmq_socket(context, ZMQ_DEALER);
  const int timeout_ms = 10000;
  zmq_setsockopt(socket, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
  const int linger_ms = 0;
  zmq_setsockopt(socket, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
  ASSERT_EQ(zmq_connect(socket, endpoint.c_str()), 0);

  perf::SyntheticTraffic traffic(3, 20, 5);
  constexpr int kBatches = 8;
  constexpr int kRecords = 50;
  std::vector<std::vector<uint8_t>> sent;
  for (int sequence = 0; sequence < kBatches; ++sequence) {
    perf::SyntheticBatch batch;
    batch.dataplane_id = "dp-store";
    batch.run_id = 99;
    batch.sequence = static_cast<uint64_t>(sequence);
    for (int i = 0; i < kRecords; ++i) {
      batch.transactions.push_back(traffic.Next(1'000'000'000ull * (sequence * kRecords + i + 1)));
    }
    sent.push_back(perf::BuildBatchMessage(batch));
    ASSERT_TRUE(SendAndAwaitAck(socket, sent.back(), static_cast<uint64_t>(sequence)))
        << control.Log();
  }

  // Acknowledged means durable: a reader sees every record while sluice-control still runs.
  StoreReader reader;
  ASSERT_EQ(reader.Open(store_), "");
  RecordQuery query;
  query.limit = kMaxQueryLimit;
  QueryPage page;
  ASSERT_EQ(reader.Query(query, page), "");
  EXPECT_EQ(page.rows.size(), static_cast<size_t>(kBatches * kRecords));

  zmq_close(socket);
  zmq_ctx_term(context);
  control.Signal(SIGTERM);
  ASSERT_EQ(control.Wait(), 0) << control.Log();
  EXPECT_NE(control.Log().find("batches stored 8, duplicate 0, records stored 400"),
            std::string::npos)
      << control.Log();

  // After a restart, a resent batch (its data plane missed the ack) is acknowledged again and
  // kept once. sluice-control's delivery state already knows it, so the store never sees it.
  {
    Control restarted({"--listen", endpoint, "--jsonl", root_ + "/records.jsonl", "--store",
                       store_, "--store-key", key_},
                      root_ + "/control2.log");
    ASSERT_TRUE(restarted.WaitForLog("listening on")) << restarted.Log();
    void* context2 = zmq_ctx_new();
    void* socket2 = zmq_socket(context2, ZMQ_DEALER);
    zmq_setsockopt(socket2, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
    zmq_setsockopt(socket2, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
    ASSERT_EQ(zmq_connect(socket2, endpoint.c_str()), 0);
    EXPECT_TRUE(SendAndAwaitAck(socket2, sent[3], 3)) << restarted.Log();
    zmq_close(socket2);
    zmq_ctx_term(context2);
    restarted.Signal(SIGTERM);
    ASSERT_EQ(restarted.Wait(), 0) << restarted.Log();
    EXPECT_NE(restarted.Log().find("batches stored 0, duplicate 0, records stored 0"),
              std::string::npos)
        << restarted.Log();
  }
  ASSERT_EQ(reader.Query(query, page), "");
  EXPECT_EQ(page.rows.size(), static_cast<size_t>(kBatches * kRecords));

  // The timeline of one client lists its calls in order.
  const std::string client = perf::Ipv4Text(traffic.ClientAddress(0));
  ASSERT_EQ(reader.Timeline(client, 0, INT64_MAX, 1000, "", page), "");
  ASSERT_FALSE(page.rows.empty());
  for (size_t i = 1; i < page.rows.size(); ++i) {
    EXPECT_LE(page.rows[i - 1].ts_ns, page.rows[i].ts_ns);
    EXPECT_EQ(page.rows[i].client_ip, client);
  }

  std::string output;
  EXPECT_EQ(RunOnce({"--verify-store", "--store", store_, "--store-key", key_},
                    root_ + "/verify.log", output),
            0)
      << output;
  EXPECT_NE(output.find("intact: 2 segments checked (1 sealed, 1 open), 8 batches"), std::string::npos) << output;

  // Tampering: one flipped byte in the sealed segment.
  const std::string segment = store_ + "/segment-0000000000000001.sls";
  {
    std::fstream file(segment, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(40);  // inside the previous-hash field of the header
    file.put('\x7f');
  }
  EXPECT_EQ(RunOnce({"--verify-store", "--store", store_, "--store-key", key_},
                    root_ + "/verify2.log", output),
            1)
      << output;
  EXPECT_NE(output.find("BROKEN segment-0000000000000001.sls"), std::string::npos) << output;

  // A wrong store path is named as such, before the key is looked for.
  EXPECT_EQ(RunOnce({"--verify-store", "--store", root_ + "/no-such-store"}, root_ + "/verify3.log", output), 2)
      << output;
  EXPECT_NE(output.find("no store directory at " + root_ + "/no-such-store"), std::string::npos) << output;
}

TEST_F(StoreIntegration, InitStoreKeyCreatesOnce) {
  std::string output;
  ASSERT_EQ(RunOnce({"--init-store-key", key_}, root_ + "/init.log", output), 0) << output;
  EXPECT_TRUE(std::filesystem::exists(key_));
  EXPECT_TRUE(std::filesystem::exists(key_ + ".pub"));
  EXPECT_EQ(RunOnce({"--init-store-key", key_}, root_ + "/init2.log", output), 2);
  EXPECT_NE(output.find("already exists"), std::string::npos) << output;
}

TEST_F(StoreIntegration, UnusableStoreDirectoryExitsTwo) {
  // A regular file where a parent directory should be: not even root can create the store.
  const std::string blocker = root_ + "/not-a-directory";
  { std::ofstream(blocker) << "x"; }
  const std::string store = blocker + "/store";
  std::string output;
  const int status = RunOnce({"--listen", "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort()),
                              "--jsonl", root_ + "/records.jsonl", "--store", store},
                             root_ + "/bad.log", output);
  EXPECT_EQ(status, 2) << output;
  EXPECT_NE(output.find("cannot open the forensic store"), std::string::npos) << output;
  EXPECT_NE(output.find(store), std::string::npos) << output;
}

TEST_F(StoreIntegration, MissingParentsAreCreated) {
  const std::string store = root_ + "/var/lib/sluice/store";
  Control control({"--listen", "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort()), "--jsonl",
                   root_ + "/records.jsonl", "--store", store},
                  root_ + "/parents.log");
  ASSERT_TRUE(control.WaitForLog("listening on")) << control.Log();
  control.Signal(SIGTERM);
  EXPECT_EQ(control.Wait(), 0) << control.Log();
  struct stat info = {};
  ASSERT_EQ(stat(store.c_str(), &info), 0) << store;
  EXPECT_TRUE(S_ISDIR(info.st_mode));

  // The check of a closed store adds no file to it: its index is read without SQLite's -wal and
  // -shm files.
  ASSERT_NE(access((store + "/index.sqlite-wal").c_str(), F_OK), 0) << "the closed store has a -wal file";
  std::string output;
  EXPECT_EQ(RunOnce({"--verify-store", "--store", store}, root_ + "/verify-closed.log", output), 0) << output;
  EXPECT_NE(access((store + "/index.sqlite-wal").c_str(), F_OK), 0) << "verification created a -wal file";
  EXPECT_NE(access((store + "/index.sqlite-shm").c_str(), F_OK), 0) << "verification created a -shm file";
}

TEST_F(StoreIntegration, KillNineKeepsEveryAcknowledgedBatch) {
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort());
  const std::vector<std::string> arguments = {"--listen", endpoint, "--jsonl",
                                              root_ + "/records.jsonl", "--store", store_,
                                              "--store-key", key_};
  perf::SyntheticTraffic traffic(5, 20, 5);
  std::vector<std::vector<uint8_t>> batches;
  for (int sequence = 0; sequence < 40; ++sequence) {
    perf::SyntheticBatch batch;
    batch.dataplane_id = "dp-kill";
    batch.sequence = static_cast<uint64_t>(sequence);
    for (int i = 0; i < 100; ++i) {
      batch.transactions.push_back(traffic.Next(1'000'000ull * (sequence * 100 + i + 1)));
    }
    batches.push_back(perf::BuildBatchMessage(batch));
  }

  uint64_t acknowledged = 0;
  {
    Control control(arguments, root_ + "/control.log");
    ASSERT_TRUE(control.WaitForLog("listening on")) << control.Log();
    void* context = zmq_ctx_new();
    void* socket = zmq_socket(context, ZMQ_DEALER);
    const int timeout_ms = 10000;
    zmq_setsockopt(socket, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
    const int linger_ms = 0;
    zmq_setsockopt(socket, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
    ASSERT_EQ(zmq_connect(socket, endpoint.c_str()), 0);
    // Twenty batches acknowledged one by one, then twenty more sent without waiting, and the
    // process killed while it works through them.
    for (; acknowledged < 20; ++acknowledged) {
      ASSERT_TRUE(SendAndAwaitAck(socket, batches[acknowledged], acknowledged)) << control.Log();
    }
    for (size_t i = 20; i < batches.size(); ++i) {
      zmq_send(socket, batches[i].data(), batches[i].size(), 0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    control.Signal(SIGKILL);
    EXPECT_EQ(control.Wait(), -1);
    // Acknowledgements that arrived before the kill count as acknowledged too.
    std::vector<uint8_t> reply(4096);
    const int no_wait = 0;
    zmq_setsockopt(socket, ZMQ_RCVTIMEO, &no_wait, sizeof(no_wait));
    while (zmq_recv(socket, reply.data(), reply.size(), 0) > 0) ++acknowledged;
    zmq_close(socket);
    zmq_ctx_term(context);
  }

  // The restart recovers the open segment; every acknowledged batch is there, in one copy.
  Control restarted(arguments, root_ + "/restart.log");
  ASSERT_TRUE(restarted.WaitForLog("listening on")) << restarted.Log();
  restarted.Signal(SIGTERM);
  ASSERT_EQ(restarted.Wait(), 0) << restarted.Log();

  StoreReader reader;
  ASSERT_EQ(reader.Open(store_), "");
  RecordQuery query;
  query.limit = kMaxQueryLimit;
  QueryPage page;
  ASSERT_EQ(reader.Query(query, page), "");
  EXPECT_GE(page.rows.size(), acknowledged * 100) << "acknowledged " << acknowledged;
  EXPECT_LE(page.rows.size(), batches.size() * 100);
  std::vector<int> copies(batches.size(), 0);
  for (const RecordRow& row : page.rows) {
    if (row.location.record_index == 0) ++copies[row.sequence];
  }
  for (size_t sequence = 0; sequence < batches.size(); ++sequence) {
    EXPECT_LE(copies[sequence], 1) << sequence;
    if (sequence < acknowledged) EXPECT_EQ(copies[sequence], 1) << sequence;
  }

  std::string output;
  EXPECT_EQ(RunOnce({"--verify-store", "--store", store_, "--store-key", key_},
                    root_ + "/verify.log", output),
            0)
      << output;
}

}  // namespace
}  // namespace sluice::control::store
