#pragma once

#include <cstdint>
#include <memory>

#include "perf/gen/population.h"
#include "perf/gen/rng.h"
#include "perf/scenario/call_spec.h"
#include "perf/scenario/name_sets.h"
#include "perf/scenario/roles.h"

namespace sluice::scenario {

// Server indexes in CallSpec::server.
inline constexpr int kApiServer = 0;
inline constexpr int kAuthServer = 1;

// What every behaviour needs to know about the whole scenario.
struct ScenarioContext {
  const NameSet* names = nullptr;
  int64_t start_ns = 0;  // First connection may start here.
  int64_t end_ns = 0;    // No connection starts after this.
  double attack_rate = 1;   // Multiplies how fast attacks send calls.
  double attack_scale = 1;  // Multiplies how many calls an attack sends.
  double normal_rate = 1;   // Multiplies how often benign clients open sessions.
  bool identity_in_header = false;  // The identity is a header: logins and scans send it too.
};

// Scripts the connections of one client, one at a time, so the generator keeps only the next
// connection of each client in memory.
class Behaviour {
 public:
  virtual ~Behaviour() = default;
  // Fills `session` with the client's next connection, starting no earlier than `not_before_ns`
  // (the end of its previous connection). Returns false when the client has nothing more to send.
  virtual bool NextSession(int64_t not_before_ns, gen::Rng& rng, Session* session) = 0;
};

// HTTP software and pace of a role's client.
struct RoleProfile {
  gen::ClientKind kind = gen::ClientKind::kPythonRequests;
  double think_median_ms = 200;  // Pause between calls on one connection.
};

// Creates the behaviour of `role` (kNatAddress users behave as kNormal) and fills `profile`.
std::unique_ptr<Behaviour> MakeBehaviour(Role role, const ScenarioContext& context, gen::Rng& rng,
                                         RoleProfile* profile);

// Builders shared by the behaviours.
CallSpec GetCall(const std::string& path_template, const std::string& id, int status,
                 BodyKind body);
int64_t SecondsToNs(double seconds);

std::unique_ptr<Behaviour> MakeAttackBehaviour(Role role, const ScenarioContext& context,
                                               gen::Rng& rng, RoleProfile* profile);
std::unique_ptr<Behaviour> MakeBenignBehaviour(Role role, const ScenarioContext& context,
                                               gen::Rng& rng, RoleProfile* profile);

}  // namespace sluice::scenario
