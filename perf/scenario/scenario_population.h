#pragma once

#include <memory>
#include <string>
#include <vector>

#include "perf/gen/population.h"
#include "perf/gen/rng.h"
#include "perf/scenario/behaviour.h"
#include "perf/scenario/scenario.h"
#include "perf/scenario/session_exchanges.h"

namespace sluice::scenario {

// One entry of the labels file: a client as the detectors see it under the scenario's identity
// kind. With kIp, the users behind a NAT address share one entry.
struct LabelEntry {
  std::string ip;
  std::string identity_kind;  // "ip", "api_key", "bearer" or "jwt_sub".
  std::string identity;       // Raw key, token or sub claim; "" for ip.
  std::string user_agent_kind;
  Role role = Role::kNormal;
  int users = 1;
  ClientTally tally;
};

// A simulated client host or user with its script.
struct ScenarioClient {
  gen::Client client;
  std::unique_ptr<Behaviour> behaviour;
  gen::Rng rng{0};
  size_t label = 0;       // Index into ScenarioPopulation::labels.
  size_t address = 0;     // Index into ScenarioPopulation::next_ports: clients sharing an address
                          // share its ephemeral port counter, so their connections never collide.
};

struct ScenarioPopulation {
  std::vector<gen::Server> servers;  // kApiServer, kAuthServer.
  std::vector<ScenarioClient> clients;
  std::vector<LabelEntry> labels;
  std::vector<uint16_t> next_ports;
};

// Builds the servers and clients of `options` with their behaviours. False with `error` on an
// unknown shape or name set.
bool BuildScenarioPopulation(const ScenarioOptions& options, const ScenarioContext& context,
                             gen::Rng& rng, ScenarioPopulation* population, std::string* error);

}  // namespace sluice::scenario
