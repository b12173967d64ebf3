// The command channel of sluice-control: a CURVE-authenticated ROUTER for sluicectl and a ROUTER
// that data planes connect their command DEALER to. One thread owns both sockets, the data plane
// registry and the updates in flight; the metrics thread reads through RenderMetrics().
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "commands_generated.h"
#include "control/command/allow_list.h"
#include "control/command/counter_value.h"
#include "control/command/dataplane_registry.h"
#include "control/command/forensic_requests.h"
#include "control/command/zap_handler.h"

namespace sluice::control {

// Counters of sluice-control published by the ingest thread and read by the command and
// metrics threads.
class SharedCounters {
 public:
  void Publish(CounterList counters);
  CounterList Read() const;

 private:
  mutable std::mutex mutex_;
  CounterList counters_;
};

struct CommandServerOptions {
  bool operator_enabled = true;     // false: no sluicectl socket (no keys, or off)
  bool dataplane_enabled = true;    // false: no data plane socket (off)
  std::string operator_endpoint;    // control.command_listen
  std::string dataplane_endpoint;   // control.dataplane_command_listen
  std::string server_secret_path;   // DIR/server.secret
  std::string allowed_keys_dir;     // DIR/allowed
  // CURVE on the data plane command socket (with server_secret_path's key), as on the records.
  bool dataplane_curve = false;
  // How long a rules load or policy update waits for each data plane's result.
  uint32_t update_timeout_s = 60;
  // The forensic store the forensic verbs read; an empty directory: none.
  ForensicStoreInfo store;
};

class CommandServer {
 public:
  static constexpr int64_t kMaxMessageBytes = 16 << 20;  // rule files are far smaller
  static constexpr long kPollTimeoutMs = 100;

  explicit CommandServer(const SharedCounters& control_counters);
  ~CommandServer();
  CommandServer(const CommandServer&) = delete;
  CommandServer& operator=(const CommandServer&) = delete;

  // Loads the keys and binds the sockets `options` enables; requests wait in them until
  // StartServing. Returns an empty string on success, or an error naming the file or endpoint
  // and the fix.
  std::string Start(const CommandServerOptions& options);
  // Starts the thread that handles requests.
  void StartServing();
  void Stop();

  // The Prometheus page: sluice-control's counters and every data plane's. Thread-safe.
  std::string RenderMetrics() const;

 private:
  struct DataplaneOutcome {
    std::string id;
    bool applied = false;
    std::vector<std::string> errors;
    std::string rules_version;
    uint32_t rule_count = 0;
  };
  // A RulesLoad or SetPolicy waiting for the data planes' results.
  struct PendingUpdate {
    std::string operator_routing_id;
    uint64_t request_id = 0;
    command::Verb verb = command::Verb::RulesLoad;
    std::string key_name;
    std::string source_name;
    std::map<std::string, DataplaneOutcome> outcomes;  // by data plane routing id
    std::set<std::string> waiting;                     // routing ids without a result yet
    uint64_t deadline_ns = 0;
  };

  std::string BindOperatorSocket(const CommandServerOptions& options);
  std::string BindDataplaneSocket(const CommandServerOptions& options);
  void Serve();
  void DrainOperatorSocket();
  void DrainDataplaneSocket();
  // Reads one message of [routing id, payload]; returns false when none was queued.
  bool Receive(void* socket, std::string* routing_id, std::vector<uint8_t>* payload,
               std::string* user_id);
  void Send(void* socket, const std::string& routing_id, const flatbuffers::FlatBufferBuilder& fbb);

  void HandleRequest(const std::string& routing_id, const std::string& user_id,
                     const command::Request& request);
  void ReplyStatus(const std::string& routing_id, const std::string& user_id,
                   const command::Request& request);
  void ReplyStats(const std::string& routing_id, const std::string& user_id,
                  const command::Request& request);
  // Runs a forensic verb on this thread: bounded work (forensic_requests.h), so data plane
  // messages and other requests wait at most that long.
  void ReplyForensic(const std::string& routing_id, const std::string& user_id,
                     const command::Request& request);
  void StartUpdate(const std::string& routing_id, const std::string& user_id,
                   const command::Request& request);
  void ReplyError(const std::string& routing_id, const std::string& user_id, uint64_t request_id,
                  const std::string& error);
  void FinishUpdate(uint64_t update_id, PendingUpdate& update);
  void ExpireUpdates(uint64_t now_ns);

  void HandleDataplaneMessage(const std::string& routing_id, const command::DataplaneMessage& message);
  void HandleUpdateResult(const std::string& routing_id, const command::UpdateResult& result);

  CounterList ControlCounters() const;

  const SharedCounters& control_counters_;
  CommandServerOptions options_;
  AllowList allow_list_;
  void* operator_context_ = nullptr;   // has the ZAP handler; CURVE clients only
  void* dataplane_context_ = nullptr;  // no ZAP handler
  void* operator_socket_ = nullptr;
  void* dataplane_socket_ = nullptr;
  ZapHandler zap_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  uint64_t started_ns_ = 0;

  mutable std::mutex registry_mutex_;  // the command thread writes, the metrics thread reads
  DataplaneRegistry registry_;

  std::map<uint64_t, PendingUpdate> updates_;
  uint64_t next_update_id_ = 1;

  // Command thread counters; atomics because the metrics thread reads them.
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> requests_invalid_{0};
  std::atomic<uint64_t> forensic_requests_{0};
  std::atomic<uint64_t> forensic_failures_{0};
  std::atomic<uint64_t> updates_applied_{0};
  std::atomic<uint64_t> updates_failed_{0};
  std::atomic<uint64_t> dataplane_messages_invalid_{0};
};

}  // namespace sluice::control
