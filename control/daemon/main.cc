// sluice-control: ingests record batches from data planes, writes ECS JSON lines and keeps the
// forensic store.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "control/command/command_service.h"
#include "control/daemon/config.h"
#include "control/forensics/scope_config.h"
#include "control/daemon/log.h"
#include "control/daemon/signals.h"
#include "control/daemon/stats.h"
#include "control/daemon/store_setup.h"
#include "control/sinks/jsonl_sink.h"
#include "control/transport/delivery_state.h"
#include "control/transport/ingest_server.h"

namespace sluice::control {
namespace {

// Exit status for configuration and setup errors: bad flags, bad config file, unbindable address,
// unwritable output file.
constexpr int kExitSetupError = 2;

struct CommandLine {
  ControlConfig config;
  ConfigOverrides overrides;
  std::string config_path;
  bool list_counters = false;
  std::string init_store_key;  // --init-store-key: create this key, then exit
  bool verify_store = false;
  // Command channel flags; empty when not given, and then the config file's value holds.
  std::string command_listen;
  std::string command_keys;
  std::string dataplane_command_listen;
  std::string metrics_listen;
};

// Parses argv. Returns -1 to continue, or the exit status after --help or a usage error.
int ParseCommandLine(int argc, char** argv, CommandLine& command_line) {
  CLI::App app{"sluice-control: receives record batches from sluice-dataplane over ZeroMQ and "
               "writes them as ECS JSON lines. Flags override the control: section of --config."};
  app.add_option("--listen", command_line.config.listen,
                 "ZeroMQ endpoint the ROUTER socket binds; data planes connect to it "
                 "(config: control.listen)")
      ->default_val(kDefaultListen);
  app.add_option("--jsonl", command_line.config.jsonl,
                 "JSON-lines file that records are appended to, created if missing "
                 "(config: control.jsonl)")
      ->default_val(kDefaultJsonl);
  app.add_option("--config", command_line.config_path,
                 "YAML file shared with sluice-dataplane; only its control: section is read "
                 "(default: none)");
  app.add_option("--command-listen", command_line.command_listen,
                 "ZeroMQ endpoint for sluicectl, CURVE-authenticated, or off "
                 "(config: control.command_listen; default: tcp://127.0.0.1:7751)");
  app.add_option("--dataplane-command-listen", command_line.dataplane_command_listen,
                 "ZeroMQ endpoint data planes connect their command socket to, or off "
                 "(config: control.dataplane_command_listen; default: tcp://127.0.0.1:7752)");
  app.add_option("--command-keys", command_line.command_keys,
                 "Directory with server.secret and allowed/*.public, made by `sluicectl keys "
                 "init` (config: control.command_keys; default: /etc/sluice/keys)");
  app.add_option("--metrics-listen", command_line.metrics_listen,
                 "IPv4:port for the Prometheus endpoint http://ADDRESS/metrics, or off "
                 "(config: control.metrics_listen; default: 127.0.0.1:9750)");
  app.add_flag("--list-counters", command_line.list_counters,
               "Print every counter name with its meaning, then exit");
  app.add_option("--store", command_line.config.store.path,
                 "Directory of the forensic store, created if missing (config: control.store.path)")
      ->default_val(kDefaultStorePath);
  app.add_flag("--no-store{false}", command_line.config.store.enabled,
               "Run without the forensic store (config: control.store.enabled: false)");
  app.add_option("--store-key", command_line.config.store.signing_key,
                 "Ed25519 PEM key that signs the store, created if missing (config: "
                 "control.store.signing_key; default: the store path followed by -signing.pem)");
  app.add_option("--init-store-key", command_line.init_store_key,
                 "Create an Ed25519 signing key at PATH (mode 0600) and its public key at "
                 "PATH.pub, then exit");
  app.add_flag("--verify-store", command_line.verify_store,
               "Check the integrity of the store (hash chain, signatures, chain ends) with the "
               "public half of --store-key, print each broken segment, then exit: 0 intact, "
               "1 broken");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return kExitSetupError;
  }
  command_line.overrides.listen = app.count("--listen") > 0;
  command_line.overrides.jsonl = app.count("--jsonl") > 0;
  command_line.overrides.store_enabled = app.count("--no-store") > 0;
  command_line.overrides.store_path = app.count("--store") > 0;
  command_line.overrides.store_key = app.count("--store-key") > 0;
  return -1;
}

void PrintCounterList() {
  ForEachCounter(ControlStats{}, [](std::string_view name, uint64_t, std::string_view meaning) {
    std::printf("%.*s\n    %.*s\n", static_cast<int>(name.size()), name.data(),
                static_cast<int>(meaning.size()), meaning.data());
  });
}

void LogShutdownCounts(const ControlStats& stats) {
  LogLine("stopped: batches received %llu, verified %llu, rejected %llu, written %llu; records "
          "received %llu, written %llu",
          static_cast<unsigned long long>(stats.batches_received),
          static_cast<unsigned long long>(stats.batches_verified),
          static_cast<unsigned long long>(stats.batches_rejected),
          static_cast<unsigned long long>(stats.batches_written),
          static_cast<unsigned long long>(stats.records_received),
          static_cast<unsigned long long>(stats.records_written));
  ForEachCounter(stats, [](std::string_view name, uint64_t value, std::string_view) {
    LogLine("counter %.*s %llu", static_cast<int>(name.size()), name.data(),
            static_cast<unsigned long long>(value));
  });
}

// Cuts the JSON-lines file back to its last group commit and reloads the sequence state, so that
// batches the data planes resend after a crash are written once. Returns false after logging an
// error that needs the operator.
bool RecoverDelivery(IngestServer& server, const std::string& jsonl_path) {
  const std::string state_path = DeliveryStatePath(jsonl_path);
  RecoveryReport report;
  if (std::string error = server.RecoverDelivery(state_path, report); !error.empty()) {
    LogLine("error: %s", error.c_str());
    return false;
  }
  if (!report.state_found) {
    LogLine("no delivery state file %s: starting with an empty delivery state", state_path.c_str());
  } else if (report.jsonl_shorter) {
    LogLine("warning: %s is shorter than the delivery state records (rotated or truncated by "
            "someone else); keeping it as it is", jsonl_path.c_str());
  } else if (report.bytes_cut > 0) {
    LogLine("cut %llu unacknowledged bytes from the end of %s; data planes resend those batches",
            static_cast<unsigned long long>(report.bytes_cut), jsonl_path.c_str());
  }
  LogLine("delivery state: %zu streams reloaded from %s", report.streams, state_path.c_str());
  return true;
}

// Binds every socket before it creates the JSON-lines file or the forensic store, so that a start
// that fails on an address in use or a bad endpoint leaves nothing behind. Requests are handled
// once the store is open.
int Run(const ControlConfig& config) {
  JsonlSink sink;
  ControlStats stats;
  IngestServer server(sink, stats);
  if (config.command.dataplane_curve) {
    std::string secret;
    if (std::string error = ReadRecordChannelSecret(config.command, &secret); !error.empty()) {
      LogLine("error: %s", error.c_str());
      return kExitSetupError;
    }
    server.SetCurveSecretKey(secret);
  }
  if (std::string error = server.Bind(config.listen); !error.empty()) {
    LogLine("error: %s", error.c_str());
    return kExitSetupError;
  }
  CommandService commands;
  ForensicStoreInfo store_info;
  if (config.store.enabled) store_info = {config.store.path, config.store.SigningKeyPath(), config.report};
  if (std::string error = commands.Start(config.command, store_info); !error.empty()) {
    LogLine("error: %s", error.c_str());
    return kExitSetupError;
  }

  // A start that fails after this point removes the records file when it created it.
  const bool had_jsonl = access(config.jsonl.c_str(), F_OK) == 0;
  const auto setup_failed = [&](const std::string& error) {
    if (!error.empty()) LogLine("error: %s", error.c_str());
    commands.Stop();
    if (!had_jsonl && sink.size() == 0) unlink(config.jsonl.c_str());
    return kExitSetupError;
  };
  if (std::string error = sink.Open(config.jsonl); !error.empty()) return setup_failed(error);
  std::unique_ptr<store::Store> forensic_store;
  if (std::string error = OpenStore(config.store, forensic_store); !error.empty()) {
    return setup_failed(error);
  }
  server.AttachStore(forensic_store.get());
  if (!RecoverDelivery(server, config.jsonl)) return setup_failed({});
  if (!InstallStopHandlers()) return setup_failed("cannot install SIGINT/SIGTERM handlers");
  LogLine("listening on %s%s, writing records to %s", config.listen.c_str(),
          config.command.dataplane_curve ? " (CURVE)" : "", config.jsonl.c_str());

  server.SetPollHook([&commands, &stats] { commands.MaybePublish(stats); });
  commands.StartServing();

  const bool clean = server.Run(g_stop_requested);
  commands.Stop();
  if (!sink.Flush()) LogLine("error: final flush of %s failed", config.jsonl.c_str());
  CloseStore(forensic_store);
  LogShutdownCounts(stats);
  return clean ? 0 : 1;
}

}  // namespace
}  // namespace sluice::control

int main(int argc, char** argv) {
  using namespace sluice::control;

  CommandLine command_line;
  if (const int status = ParseCommandLine(argc, argv, command_line); status >= 0) return status;
  if (command_line.list_counters) {
    PrintCounterList();
    return 0;
  }
  if (!command_line.init_store_key.empty()) return InitStoreKey(command_line.init_store_key);
  if (!command_line.config_path.empty()) {
    const std::string error = LoadConfigFile(command_line.config_path, command_line.overrides,
                                             command_line.config);
    if (!error.empty()) {
      LogLine("error: %s", error.c_str());
      return kExitSetupError;
    }
  }
  if (!command_line.config_path.empty()) {
    const std::string error =
        forensics::LoadReportConfigFile(command_line.config_path, command_line.config.report);
    if (!error.empty()) {
      LogLine("error: %s", error.c_str());
      return kExitSetupError;
    }
  }
  if (command_line.verify_store) return VerifyStoreCommand(command_line.config.store);
  CommandConfig& command = command_line.config.command;
  if (!command_line.command_listen.empty()) command.command_listen = command_line.command_listen;
  if (!command_line.command_keys.empty()) command.command_keys = command_line.command_keys;
  if (!command_line.dataplane_command_listen.empty()) {
    command.dataplane_command_listen = command_line.dataplane_command_listen;
  }
  if (!command_line.metrics_listen.empty()) command.metrics_listen = command_line.metrics_listen;
  return Run(command_line.config);
}
