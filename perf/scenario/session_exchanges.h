#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "perf/gen/connection_simulator.h"
#include "perf/scenario/call_spec.h"

namespace sluice::scenario {

// What one labelled client sent, counted as the calls are written.
struct ClientTally {
  uint64_t calls = 0;
  uint64_t attack_calls = 0;
  int64_t first_attack_index = -1;  // 0-based index among the client's calls; -1: none.
  int64_t first_attack_ns = -1;     // Request time of that call.
  int64_t first_call_ns = -1;
  int64_t last_call_ns = -1;
  std::map<std::string, uint64_t> calls_by_endpoint;
  std::map<int, uint64_t> statuses;
};

// Turns the scripted calls of one session into the bytes of each exchange, for
// gen::ConnectionSimulator, and counts them in `tally`.
class SessionExchanges : public gen::ExchangeSource {
 public:
  SessionExchanges(const Session& session, ClientTally* tally)
      : session_(session), tally_(tally) {}

  gen::HttpExchange MakeCall(const gen::ExchangeContext& context, int index,
                             gen::Rng& rng) override;

 private:
  void Count(const CallSpec& call, int64_t timestamp_ns);

  const Session& session_;
  ClientTally* tally_;
};

}  // namespace sluice::scenario
