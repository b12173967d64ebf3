#include "control/command/dataplane_registry.h"

namespace sluice::control {

namespace {

std::string Text(const flatbuffers::String* text) { return text == nullptr ? "" : text->str(); }

double RatePerSecond(uint64_t before, uint64_t after, uint64_t elapsed_ns) {
  if (elapsed_ns == 0 || after < before) return 0;
  return static_cast<double>(after - before) * 1e9 / static_cast<double>(elapsed_ns);
}

}  // namespace

uint64_t DataplaneState::CounterOr(std::string_view name, uint64_t fallback) const {
  for (const CounterValue& counter : counters) {
    if (counter.name == name) return counter.value;
  }
  return fallback;
}

DataplaneState& DataplaneRegistry::ApplyRegister(const std::string& routing_id,
                                                 const command::Register& message,
                                                 uint64_t now_ns, bool* is_new) {
  const std::string id = Text(message.dataplane_id());
  for (auto it = by_routing_id_.begin(); it != by_routing_id_.end();) {
    it = (it->first != routing_id && it->second.id == id) ? by_routing_id_.erase(it) : std::next(it);
  }
  auto [found, inserted] = by_routing_id_.try_emplace(routing_id);
  *is_new = inserted;
  DataplaneState& state = found->second;
  state.routing_id = routing_id;
  state.id = id;
  state.run_id = message.run_id();
  state.mode = Text(message.mode());
  state.ports.clear();
  if (message.ports() != nullptr) {
    for (const auto* port : *message.ports()) state.ports.push_back(port->str());
  }
  state.workers = message.workers();
  state.rules_version = Text(message.rules_version());
  state.rule_count = message.rule_count();
  state.rule_ids.clear();
  if (message.rule_ids() != nullptr) {
    state.rule_ids.assign(message.rule_ids()->begin(), message.rule_ids()->end());
  }
  state.uptime_s = message.uptime_s();
  state.last_message_ns = now_ns;
  return state;
}

DataplaneState* DataplaneRegistry::ApplyReport(const std::string& routing_id,
                                               const command::Report& message, uint64_t now_ns) {
  DataplaneState* state = Find(routing_id);
  if (state == nullptr) return nullptr;
  const uint64_t records_before = state->CounterOr(kRecordsSentCounter, 0);
  const uint64_t packets_before = state->CounterOr(kPacketsCounter, 0);
  // Rates span two Reports: a Register in between must not shorten the interval.
  const uint64_t elapsed_ns = now_ns - state->last_report_ns;
  const bool had_counters = !state->counters.empty();

  state->counters.clear();
  if (message.counters() != nullptr) {
    for (const auto* counter : *message.counters()) {
      state->counters.push_back(
          {Text(counter->name()), counter->value(), Text(counter->meaning()), counter->gauge()});
    }
  }
  if (had_counters) {
    state->records_per_s =
        RatePerSecond(records_before, state->CounterOr(kRecordsSentCounter, 0), elapsed_ns);
    state->packets_per_s =
        RatePerSecond(packets_before, state->CounterOr(kPacketsCounter, 0), elapsed_ns);
  }
  state->uptime_s = message.uptime_s();
  state->rules_version = Text(message.rules_version());
  state->rule_count = message.rule_count();
  state->last_message_ns = now_ns;
  state->last_report_ns = now_ns;
  return state;
}

DataplaneState* DataplaneRegistry::Find(const std::string& routing_id) {
  const auto found = by_routing_id_.find(routing_id);
  return found == by_routing_id_.end() ? nullptr : &found->second;
}

std::vector<std::string> DataplaneRegistry::ForgetSilent(uint64_t now_ns) {
  std::vector<std::string> forgotten;
  for (auto it = by_routing_id_.begin(); it != by_routing_id_.end();) {
    if (now_ns - it->second.last_message_ns > kForgetAfterNs) {
      forgotten.push_back(it->second.id);
      it = by_routing_id_.erase(it);
    } else {
      ++it;
    }
  }
  return forgotten;
}

void DataplaneRegistry::AddMetrics(PrometheusWriter& writer, uint64_t now_ns) const {
  using Type = PrometheusWriter::Type;
  writer.AddInteger("sluice_dataplanes_connected",
                    "Data planes that reported on the command channel in the last 15 s.",
                    Type::kGauge, {}, by_routing_id_.size());
  for (const auto& [routing_id, state] : by_routing_id_) {
    const MetricLabels labels = {{"dataplane", state.id}};
    writer.AddReal("sluice_dataplane_uptime_seconds", "Seconds since the data plane started.",
                   Type::kGauge, labels, state.uptime_s);
    writer.AddReal("sluice_dataplane_last_report_age_seconds",
                   "Seconds since the data plane's last report; above a few means it is stuck.",
                   Type::kGauge, labels,
                   static_cast<double>(now_ns - state.last_message_ns) / 1e9);
    writer.AddInteger("sluice_dataplane_rules", "Rules in force on the data plane.", Type::kGauge,
                      labels, state.rule_count);
    writer.AddInteger("sluice_dataplane_rules_info",
                      "Always 1; the labels name the rule set version and mode in force.",
                      Type::kGauge,
                      {{"dataplane", state.id}, {"version", state.rules_version},
                       {"mode", state.mode}},
                      1);
    for (const CounterValue& counter : state.counters) {
      writer.AddInteger(PrometheusName("sluice_dataplane", counter.name), counter.meaning,
                        counter.gauge ? Type::kGauge : Type::kCounter, labels, counter.value);
    }
  }
}

}  // namespace sluice::control
