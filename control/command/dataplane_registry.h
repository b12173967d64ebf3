// The state sluice-control keeps for each data plane on the command channel: identity, mode, ports,
// rule set and the counters of its last report.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "commands_generated.h"
#include "control/command/counter_value.h"
#include "control/command/prometheus.h"

namespace sluice::control {

// Names of data plane counters the registry derives status figures from.
inline constexpr char kRecordsSentCounter[] = "export.records_sent";
inline constexpr char kPacketsCounter[] = "worker.packets";
inline constexpr char kDropsCounter[] = "dropped.total";

struct DataplaneState {
  std::string routing_id;  // ZeroMQ routing id of its command connection
  std::string id;
  uint64_t run_id = 0;
  std::string mode;
  std::vector<std::string> ports;
  uint16_t workers = 0;
  std::string rules_version = "none";
  uint32_t rule_count = 0;
  std::vector<uint32_t> rule_ids;
  double uptime_s = 0;           // as of its last message
  uint64_t last_message_ns = 0;  // CLOCK_MONOTONIC, any message
  uint64_t last_report_ns = 0;   // CLOCK_MONOTONIC, the last Report: the base of the rates
  CounterList counters;
  double records_per_s = 0;
  double packets_per_s = 0;
  bool pending_update = false;

  uint64_t CounterOr(std::string_view name, uint64_t fallback) const;
};

// Owned by the command thread; the metrics thread reads it under the CommandServer's mutex.
class DataplaneRegistry {
 public:
  // A data plane silent for this long is forgotten; it reports every second.
  static constexpr uint64_t kForgetAfterNs = 15'000'000'000ull;

  // Applies a Register. Returns the state, and sets `*is_new` when this routing id was unknown.
  // An entry of the same data plane id on another connection (a restart) is replaced.
  DataplaneState& ApplyRegister(const std::string& routing_id, const command::Register& message,
                                uint64_t now_ns, bool* is_new);
  // Applies a Report; returns nullptr when the routing id never registered.
  DataplaneState* ApplyReport(const std::string& routing_id, const command::Report& message,
                              uint64_t now_ns);
  DataplaneState* Find(const std::string& routing_id);

  // Forgets silent data planes and returns their ids for the log.
  std::vector<std::string> ForgetSilent(uint64_t now_ns);

  const std::map<std::string, DataplaneState>& all() const { return by_routing_id_; }

  // Adds every data plane's counters and status gauges, labelled with dataplane="ID".
  void AddMetrics(PrometheusWriter& writer, uint64_t now_ns) const;

 private:
  std::map<std::string, DataplaneState> by_routing_id_;
};

}  // namespace sluice::control
