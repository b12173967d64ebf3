#include "control/command/command_service.h"

#include <sys/stat.h>

#include "control/command/curve_keys.h"
#include "control/daemon/log.h"
#include "control/transport/endpoint_port.h"

namespace sluice::control {

namespace {

CounterList SnapshotCounters(const ControlStats& stats) {
  CounterList list;
  ForEachCounter(stats, [&list](std::string_view name, uint64_t value, std::string_view meaning) {
    list.push_back({std::string(name), value, std::string(meaning), false});
  });
  return list;
}

bool FileExists(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0;
}

}  // namespace

CommandService::CommandService() = default;
CommandService::~CommandService() { Stop(); }

std::string CommandService::Start(const CommandConfig& config, const ForensicStoreInfo& store) {
  // Checked even when a socket stays off for want of keys, so that a wrong setting is named now.
  if (std::string error = CheckEndpointPort(config.command_listen, "--command-listen or control.command_listen");
      !error.empty()) {
    return error;
  }
  if (std::string error = CheckEndpointPort(config.dataplane_command_listen,
                                            "--dataplane-command-listen or control.dataplane_command_listen");
      !error.empty()) {
    return error;
  }
  counters_.Publish(SnapshotCounters(ControlStats{}));

  CommandServerOptions options;
  options.operator_endpoint = config.command_listen;
  options.dataplane_endpoint = config.dataplane_command_listen;
  options.server_secret_path = config.ServerSecretPath();
  options.allowed_keys_dir = config.AllowedKeysDirectory();
  options.dataplane_curve = config.dataplane_curve;
  options.update_timeout_s = config.update_timeout_s;
  options.store = store;
  options.operator_enabled = config.command_listen != "off";
  options.dataplane_enabled = config.dataplane_command_listen != "off";
  const bool default_keys = config.command_keys == kDefaultKeyDirectory &&
                            config.command_allowed_keys.empty();
  if (options.operator_enabled && default_keys && !FileExists(options.server_secret_path)) {
    LogLine("warning: no server key at %s: sluicectl cannot connect; create keys with "
            "`sluicectl keys init --dir %s` and restart",
            options.server_secret_path.c_str(), config.command_keys.c_str());
    options.operator_enabled = false;
  }

  if (options.operator_enabled || options.dataplane_enabled) {
    commands_ = std::make_unique<CommandServer>(counters_);
    if (std::string error = commands_->Start(options); !error.empty()) {
      commands_.reset();
      const bool defaults = config.dataplane_command_listen == kDefaultDataplaneCommandListen &&
                            config.command_listen == kDefaultCommandListen;
      if (!defaults || !default_keys) return error;
      LogLine("warning: command channel not started: %s", error.c_str());
    }
  }

  if (config.metrics_listen != "off") {
    metrics_ = std::make_unique<MetricsServer>();
    CommandServer* commands = commands_.get();
    const SharedCounters* counters = &counters_;
    MetricsServer::Render render = [commands, counters]() {
      if (commands != nullptr) return commands->RenderMetrics();
      PrometheusWriter writer;
      for (const CounterValue& counter : counters->Read()) {
        writer.AddInteger(PrometheusName("sluice", counter.name), counter.meaning,
                          PrometheusWriter::Type::kCounter, {}, counter.value);
      }
      return writer.Render();
    };
    std::string error;
    if (!metrics_->Start(config.metrics_listen, std::move(render), &error)) {
      metrics_.reset();
      if (config.metrics_listen != kDefaultMetricsListen) return error;
      LogLine("warning: metrics not served: %s", error.c_str());
    } else {
      LogLine("serving Prometheus metrics on http://%s/metrics", config.metrics_listen.c_str());
    }
  }
  return {};
}

void CommandService::StartServing() {
  if (commands_) commands_->StartServing();
}

void CommandService::Stop() {
  if (metrics_) metrics_->Stop();
  if (commands_) commands_->Stop();
  metrics_.reset();
  commands_.reset();
}

void CommandService::MaybePublish(const ControlStats& stats) {
  const uint64_t now = MonotonicNanos();
  if (now < next_publish_ns_) return;
  next_publish_ns_ = now + kPublishIntervalNs;
  counters_.Publish(SnapshotCounters(stats));
}

std::string ReadRecordChannelSecret(const CommandConfig& config, std::string* secret) {
  std::string error;
  if (!ReadKeyFile(config.ServerSecretPath(), secret, &error)) {
    return "control.dataplane_curve is on but " + error;
  }
  return {};
}

}  // namespace sluice::control
