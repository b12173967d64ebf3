#include "perf/scenario/behaviour.h"

#include <cmath>

namespace sluice::scenario {

CallSpec GetCall(const std::string& path_template, const std::string& id, int status,
                 BodyKind body) {
  CallSpec call;
  call.endpoint = path_template;
  call.target = FillTemplate(path_template, id);
  call.status = status;
  call.body = status >= 400 ? BodyKind::kError : body;
  return call;
}

int64_t SecondsToNs(double seconds) { return static_cast<int64_t>(std::llround(seconds * 1e9)); }

std::unique_ptr<Behaviour> MakeBehaviour(Role role, const ScenarioContext& context, gen::Rng& rng,
                                         RoleProfile* profile) {
  if (IsAttack(role)) return MakeAttackBehaviour(role, context, rng, profile);
  return MakeBenignBehaviour(role, context, rng, profile);
}

}  // namespace sluice::scenario
