// Starts the command channel and the metrics endpoint of sluice-control from its settings, and
// publishes the ingest thread's counters to them.
#pragma once

#include <memory>
#include <string>

#include "control/command/command_config.h"
#include "control/command/command_server.h"
#include "control/command/metrics_server.h"
#include "control/daemon/stats.h"

namespace sluice::control {

class CommandService {
 public:
  // Minimum interval between two counter snapshots of the ingest thread.
  static constexpr uint64_t kPublishIntervalNs = 250'000'000ull;

  CommandService();
  ~CommandService();

  // Binds the sockets `config` enables and serves metrics. A setting left at its default that
  // cannot be used (no key directory, address in use) is logged and skipped, so that a bare
  // sluice-control still ingests. A setting given explicitly that fails returns the error.
  // sluicectl and data plane requests wait in their sockets until StartServing.
  std::string Start(const CommandConfig& config, const ForensicStoreInfo& store = {});
  void StartServing();
  void Stop();

  // Ingest thread: copies `stats` for the other threads, at most every kPublishIntervalNs.
  void MaybePublish(const ControlStats& stats);

 private:
  SharedCounters counters_;
  std::unique_ptr<CommandServer> commands_;
  std::unique_ptr<MetricsServer> metrics_;
  uint64_t next_publish_ns_ = 0;
};

// Reads the server's secret key for the record channel when control.dataplane_curve is set.
// Returns an empty string on success.
std::string ReadRecordChannelSecret(const CommandConfig& config, std::string* secret);

}  // namespace sluice::control
