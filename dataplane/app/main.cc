// sluice-dataplane: the DPDK primary process. The main lcore reads captures (offline), exports
// record batches to sluice-control and prints the summary; worker lcores run the pipeline.
#include <rte_eal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <csignal>
#include <cstdio>
#include <thread>

#include "dataplane/app/config.h"
#include "dataplane/app/eal.h"
#include "dataplane/app/offline_reader.h"
#include "dataplane/app/pipeline.h"
#include "dataplane/app/ports.h"
#include "dataplane/app/replay_reader.h"
#include "dataplane/app/stats_report.h"
#include "dataplane/capture/pcap_reader.h"
#include "dataplane/command/command_client.h"
#include "dataplane/command/pipeline_commands.h"
#include "dataplane/decode/packet_decoder.h"
#include "matchers/compile/check_rules.h"

namespace {

using sluice::app::DataplaneConfig;
using sluice::app::Pipeline;

constexpr int kExitInvalid = 2;
constexpr int kExitUndelivered = 3;
constexpr uint64_t kMaxReplayBytes = 2ull << 30;

volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_reload = 0;

void OnSignal(int signal) { g_signal = signal; }
void OnReload(int) { g_reload = 1; }

// SIGHUP: recompile the rule file and hand it to the workers; a bad file keeps the old rules.
void ReloadRules(Pipeline& pipeline, const DataplaneConfig& config) {
  g_reload = 0;
  if (config.rules.empty()) {
    std::fprintf(stderr, "sluice-dataplane: SIGHUP ignored: no rule file configured (--rules)\n");
    return;
  }
  std::string error;
  if (pipeline.ReloadRules(config.rules, &error)) {
    std::fprintf(stderr, "sluice-dataplane: reloaded %zu rule(s) from %s; new transactions "
                         "use them, open ones finish on the old rules\n",
                 pipeline.rule_count(), config.rules.c_str());
  } else {
    std::fprintf(stderr, "sluice-dataplane: error: reload of %s failed, old rules stay in force:\n%s\n",
                 config.rules.c_str(), error.c_str());
  }
}

// The command channel to sluice-control, served from the pipeline's exporter polls. Declare it
// after the Pipeline so that it is destroyed first.
class CommandChannel {
 public:
  explicit CommandChannel(Pipeline& pipeline) : pipeline_(pipeline) {}
  ~CommandChannel() { pipeline_.SetCommandPoller(nullptr); }

  bool Start(const DataplaneConfig& config, std::string* error) {
    if (config.command == "off") return true;
    sluice::command_channel::CommandClientOptions options;
    options.endpoint = config.command;
    options.server_key_z85 = config.control_server_key;
    options.dataplane_id = config.id;
    options.run_id = pipeline_.run_id();
    options.workers = static_cast<uint16_t>(config.workers);
    switch (config.mode) {
      case sluice::app::Mode::kOffline:
        options.mode = config.replay_seconds > 0 ? "offline-replay" : "offline";
        options.ports = {"pcap:" + config.pcap};
        break;
      case sluice::app::Mode::kPassive:
        options.mode = "passive";
        options.ports = config.ports;
        break;
      case sluice::app::Mode::kInline:
        options.mode = "inline";
        options.ports = config.ports;
        break;
    }
    target_ = std::make_unique<sluice::command_channel::PipelineCommands>(pipeline_, config);
    client_ = std::make_unique<sluice::command_channel::CommandClient>();
    if (!client_->Start(options, target_.get(), error)) return false;
    auto* client = client_.get();
    pipeline_.SetCommandPoller([client] { client->Poll(); });
    return true;
  }

 private:
  Pipeline& pipeline_;
  std::unique_ptr<sluice::command_channel::PipelineCommands> target_;
  std::unique_ptr<sluice::command_channel::CommandClient> client_;
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "sluice-dataplane: error: %s\n", message.c_str());
  return kExitInvalid;
}

bool ShowProgress(const DataplaneConfig& config) {
  if (config.progress == "on") return true;
  if (config.progress == "off") return false;
  return isatty(STDERR_FILENO) != 0;
}

int Finish(Pipeline& pipeline, const DataplaneConfig& config, const sluice::app::ReaderCounters* reader,
           std::chrono::steady_clock::time_point start, const std::string& read_error,
           uint64_t replay_loops = 0) {
  const bool delivered = pipeline.Drain(config.ack_timeout_s);
  pipeline.JoinWorkers();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sluice::app::PrintSummary(stdout, pipeline, reader, seconds);
  std::fflush(stdout);
  if (!config.stats_json.empty() &&
      !sluice::app::WriteSummaryJson(config.stats_json, pipeline, reader, seconds, replay_loops)) {
    std::fprintf(stderr, "sluice-dataplane: error: cannot write --stats-json file '%s'\n",
                 config.stats_json.c_str());
  }
  if (!read_error.empty()) return Fail(read_error);
  if (!delivered) {
    std::fprintf(stderr,
                 "sluice-dataplane: error: sluice-control at %s acknowledged no batch for %u s; "
                 "%lu batches are unconfirmed\n",
                 config.control.c_str(), config.ack_timeout_s,
                 static_cast<unsigned long>(pipeline.exporter().in_flight()));
    return kExitUndelivered;
  }
  return 0;
}

int RunOffline(const DataplaneConfig& config) {
  sluice::capture::PcapReader reader;
  std::string error;
  if (!reader.Open(config.pcap, &error)) return Fail(error);
  std::vector<std::string> notes;
  const auto arguments = sluice::app::BuildEalArguments(config, &notes);
  for (const std::string& note : notes) std::fprintf(stderr, "sluice-dataplane: %s\n", note.c_str());
  sluice::app::EalSession eal;
  if (!eal.Start(arguments, &error)) return Fail(error);
  int rc = 0;
  {
    Pipeline pipeline;
    if (!pipeline.Build(config, reader.link_type(), true, &error)) return Fail(error);
    if (!pipeline.Connect(config, &error)) return Fail(error);
    CommandChannel commands(pipeline);
    if (!commands.Start(config, &error)) return Fail(error);
    if (!pipeline.Launch(&error)) return Fail(error);
    sluice::app::ReaderCounters counters;
    std::string read_error;
    if (config.replay_seconds > 0) {
      sluice::app::ReplayReader replay;
      if (!replay.Load(reader, kMaxReplayBytes, &error)) return Fail(error);
      const auto start = std::chrono::steady_clock::now();
      replay.Run(pipeline, config.replay_seconds, &counters);
      rc = Finish(pipeline, config, &counters, start, read_error, replay.loops());
    } else {
      const auto start = std::chrono::steady_clock::now();
      sluice::app::ReadCapture(reader, pipeline, ShowProgress(config), &counters, &read_error);
      rc = Finish(pipeline, config, &counters, start, read_error);
    }
  }
  return rc;
}

// Passive and inline modes: DPDK ports until SIGINT or SIGTERM.
int RunLive(const DataplaneConfig& config) {
  std::vector<std::string> notes;
  const auto arguments = sluice::app::BuildEalArguments(config, &notes);
  for (const std::string& note : notes) std::fprintf(stderr, "sluice-dataplane: %s\n", note.c_str());
  std::string error;
  sluice::app::EalSession eal;
  if (!eal.Start(arguments, &error)) return Fail(error);
  int rc = 0;
  {
    Pipeline pipeline;
    if (!pipeline.Build(config, sluice::decode::kLinkEthernet, false, &error)) return Fail(error);
    if (!sluice::app::SetUpPorts(pipeline, config.mode == sluice::app::Mode::kInline, &error)) return Fail(error);
    if (!pipeline.Connect(config, &error)) return Fail(error);
    CommandChannel commands(pipeline);
    if (!commands.Start(config, &error)) return Fail(error);
    if (!pipeline.Launch(&error)) return Fail(error);
    std::fprintf(stderr, "sluice-dataplane: %s on %zu port(s) with %u worker(s), %zu rule(s); stop with SIGINT\n",
                 config.mode == sluice::app::Mode::kInline ? "forwarding inline" : "receiving passively",
                 config.ports.size(), config.workers, pipeline.rule_count());
    const auto start = std::chrono::steady_clock::now();
    while (g_signal == 0) {
      if (g_reload != 0) ReloadRules(pipeline, config);
      pipeline.PollExporter();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::fprintf(stderr, "sluice-dataplane: signal %d: stopping\n", static_cast<int>(g_signal));
    pipeline.stop.store(true);
    rc = Finish(pipeline, config, nullptr, start, "");
    sluice::app::StopPorts();
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  DataplaneConfig config;
  std::string message;
  int exit_code = 0;
  if (!sluice::app::ParseCommandLine(argc, argv, &config, &message, &exit_code)) {
    std::fprintf(exit_code == 0 ? stdout : stderr, "%s%s\n", exit_code == 0 ? "" : "sluice-dataplane: error: ",
                 message.c_str());
    return exit_code;
  }
  if (!config.check_rules.empty()) {
    const sluice::matchers::CheckReport report = sluice::matchers::CheckRules(config.check_rules);
    std::string text = report.text;
    if (!text.empty() && text.back() != '\n') text += '\n';
    std::fputs(text.c_str(), report.ok ? stdout : stderr);
    return report.ok ? 0 : kExitInvalid;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGHUP, OnReload);
  return config.mode == sluice::app::Mode::kOffline ? RunOffline(config) : RunLive(config);
}
