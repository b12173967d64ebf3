// The data plane's side of the command channel: a ZeroMQ DEALER socket to sluice-control that
// registers this data plane, reports its counters every second and takes rule and policy
// updates. Runs on the main lcore only, polled from the loops that poll the exporter; every
// socket call uses ZMQ_DONTWAIT.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::command_channel {

struct NamedCounter {
  std::string name;
  uint64_t value = 0;
  std::string meaning;
  bool gauge = false;
};

struct RuleSetState {
  std::string version = "none";
  std::vector<uint32_t> ids;
};

struct UpdateOutcome {
  uint64_t update_id = 0;
  bool applied = false;
  std::vector<std::string> errors;
};

// The operations the command channel performs, implemented by the data plane over its Pipeline.
class CommandTarget {
 public:
  virtual ~CommandTarget() = default;
  virtual RuleSetState Rules() const = 0;
  virtual void CollectCounters(std::vector<NamedCounter>* counters) = 0;
  // Starts compiling `text` off the workers. Returns false with the reasons when it cannot
  // start (another update is compiling).
  virtual bool StartRulesUpdate(uint64_t update_id, const std::string& version,
                                const std::string& text, std::vector<std::string>* errors) = 0;
  // Finishes a started update whose compile is done. Returns true with the outcome once.
  virtual bool PollRulesUpdate(UpdateOutcome* outcome) = 0;
  virtual bool ApplyPolicy(const std::string& text, std::string* error) = 0;
};

struct CommandClientOptions {
  std::string endpoint;         // sluice-control's dataplane_command_listen
  std::string server_key_z85;   // non-empty: CURVE with this server public key
  std::string dataplane_id;
  uint64_t run_id = 0;
  std::string mode;
  std::vector<std::string> ports;
  uint16_t workers = 1;
  std::chrono::milliseconds report_interval{1000};
  // Register is repeated every this many reports, so a restarted sluice-control relearns us.
  uint32_t register_every = 5;
};

struct CommandClientCounters {
  uint64_t reports_sent = 0;
  uint64_t sends_failed = 0;       // the socket could not take a message (sluice-control away)
  uint64_t messages_invalid = 0;   // from sluice-control, failed verification
  uint64_t rule_updates_applied = 0;
  uint64_t rule_updates_failed = 0;
  uint64_t policy_updates_failed = 0;
};

class CommandClient {
 public:
  // Minimum interval between two socket checks; Poll() is called far more often.
  static constexpr std::chrono::microseconds kPollInterval{1000};

  CommandClient() = default;
  ~CommandClient();
  CommandClient(const CommandClient&) = delete;
  CommandClient& operator=(const CommandClient&) = delete;

  // Connects (ZeroMQ connects in the background, so sluice-control need not be up yet) and
  // queues the Register. `target` must outlive the client.
  bool Start(const CommandClientOptions& options, CommandTarget* target, std::string* error);
  // Main lcore: reads commands, finishes updates, sends a report when one is due.
  void Poll();

  const CommandClientCounters& counters() const { return counters_; }

 private:
  void ReadMessages();
  void HandleMessage(const uint8_t* data, size_t size);
  void SendRegister();
  void SendReport();
  void SendResult(const UpdateOutcome& outcome);
  void SendBuffer(const uint8_t* data, size_t size);

  CommandClientOptions options_;
  CommandTarget* target_ = nullptr;
  void* context_ = nullptr;
  void* socket_ = nullptr;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point next_check_;
  std::chrono::steady_clock::time_point next_report_;
  uint32_t reports_since_register_ = 0;
  CommandClientCounters counters_;
  std::vector<uint8_t> receive_buffer_;
};

}  // namespace sluice::command_channel
