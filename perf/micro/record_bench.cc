// RecordBuilder: FlatBuffers transaction and flow-summary records written into batches of 256,
// with batches returned to the free ring as soon as they are ready (no exporter).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "dataplane/export/batch_channel.h"
#include "dataplane/record/record_builder.h"
#include "perf/micro/bench_main.h"
#include "perf/micro/record_fixture.h"

namespace sluice::perf {
namespace {

constexpr uint32_t kFlows = 256;

// Returns every ready batch to the free ring and the bytes they carried.
uint64_t RecycleBatches(exporter::BatchChannel& channel) {
  uint64_t bytes = 0;
  while (exporter::ExportBatch* batch = channel.TakeReady()) {
    bytes += batch->builder.GetSize();
    channel.PutFree(batch);
  }
  return bytes;
}

// Arg: 0 transaction records, 1 flow summaries.
void BM_RecordBuild(benchmark::State& state) {
  static uint16_t worker_id = 0;
  exporter::BatchChannel channel;
  std::string error;
  if (!channel.Init(worker_id, 8, &error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  record::RecordBuilderOptions options;
  options.dataplane_id = "bench";
  options.worker_id = worker_id++;
  options.wait_for_buffers = false;
  record::RecordBuilder builder(&channel, options);

  std::vector<flow::Flow> flows(kFlows);
  std::vector<session::Transaction> transactions(kFlows);
  for (uint32_t i = 0; i < kFlows; ++i) {
    MakeRecordFlow(i, &flows[i]);
    MakeRecordTransaction(i, &transactions[i]);
  }
  const bool summaries = state.range(0) != 0;
  uint64_t bytes = 0;
  uint32_t next = 0;
  for (auto _ : state) {
    if (summaries) {
      builder.AddFlowSummary(flows[next], flow::FlowEnd::kFin);
    } else {
      builder.AddTransaction(flows[next], transactions[next]);
    }
    if (++next == kFlows) {  // one batch is full every kFlows records
      next = 0;
      bytes += RecycleBatches(channel);
    }
  }
  builder.Flush();
  bytes += RecycleBatches(channel);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));  // FlatBuffers bytes written
  state.counters["record_bytes"] =
      benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kAvgIterations);
  if (builder.counters().dropped != 0) state.SkipWithError("records dropped: no free batch");
}
BENCHMARK(BM_RecordBuild)->ArgName("flow_summary")->Arg(0)->Arg(1);

}  // namespace
}  // namespace sluice::perf

int main(int argc, char** argv) {
  return sluice::perf::RunBenchmarkMain(argc, argv, {.start_eal = true});
}
