// The end-of-run summary: counters of every worker summed, printed for a person.
#pragma once

#include <cstdio>
#include <string>

#include "dataplane/app/offline_reader.h"
#include "dataplane/app/pipeline.h"

namespace sluice::app {

void PrintSummary(FILE* out, Pipeline& pipeline, const ReaderCounters* reader, double seconds);
// Writes the same figures as one JSON object, for scripts and benchmarks. Returns false when the
// file cannot be written.
bool WriteSummaryJson(const std::string& path, Pipeline& pipeline, const ReaderCounters* reader,
                      double seconds, uint64_t replay_loops);

}  // namespace sluice::app
