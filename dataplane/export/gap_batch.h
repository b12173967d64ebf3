// Gap records: the data plane's report of batches it gave up because its spool overflowed.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/export/batch_channel.h"
#include "dataplane/export/spool.h"

namespace sluice::exporter {

// Worker id in the header of batches that carry Gap records. They form a stream of their own, with
// their own sequence numbers, so that worker streams keep exactly the numbers their workers gave.
// The Gap record names the worker whose batches were lost.
inline constexpr uint16_t kGapStreamWorker = 0xFFFF;

// Fills `batch` (cleared first) with one Batch message holding a Gap record per range.
void BuildGapBatch(const std::string& dataplane_id, uint64_t run_id, uint64_t sequence,
                   const std::vector<std::pair<uint16_t, LostRange>>& ranges, ExportBatch* batch);

}  // namespace sluice::exporter
