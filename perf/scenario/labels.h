#pragma once

#include <string>

#include "perf/gen/gen_stats.h"
#include "perf/scenario/name_sets.h"
#include "perf/scenario/scenario.h"
#include "perf/scenario/scenario_population.h"

namespace sluice::scenario {

// Writes the labels JSON: the scenario's options, the capture totals, the name set's templates
// and one entry per labelled client. Returns false and fills `error` when `path` cannot be written.
bool WriteLabels(const std::string& path, const ScenarioOptions& options, const NameSet& names,
                 const gen::GenStats& stats, const ScenarioPopulation& population,
                 std::string* error);

}  // namespace sluice::scenario
