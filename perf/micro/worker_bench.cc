// The whole per-packet pipeline of one worker (Worker::ProcessFrame: decode, flow table,
// reassembly, HTTP parsing, sessions, record building) over the sample capture, without mbufs,
// rings or export: record batches are recycled as soon as they are ready. Each pass shifts the
// timestamps past the previous pass, so the capture's connections start again as new flows.
// This is the per-core ceiling the replay run is compared with.
#include <benchmark/benchmark.h>

#include <string>

#include "dataplane/export/batch_channel.h"
#include "dataplane/worker/worker.h"
#include "perf/micro/bench_main.h"
#include "perf/micro/sample_capture.h"

namespace sluice::perf {
namespace {

// Frames between two recycles of the record batches. 4,096 frames of the sample yield about
// 1,300 records (6 batches of 256), well below the channel's 64 buffers.
constexpr size_t kRecycleEvery = 4096;

void RecycleBatches(exporter::BatchChannel& channel) {
  while (exporter::ExportBatch* batch = channel.TakeReady()) channel.PutFree(batch);
}

void RunPipeline(benchmark::State& state, const detect::DetectorPolicy* detectors);

// Arg: verify checksums 0/1 (the data plane verifies by default).
void BM_WorkerPipeline(benchmark::State& state) { RunPipeline(state, nullptr); }
BENCHMARK(BM_WorkerPipeline)->ArgName("verify")->Arg(1)->Arg(0);

// The same with the stateful detectors on (default policy, one worker: every call is local).
void BM_WorkerPipelineDetectors(benchmark::State& state) {
  static const detect::DetectorPolicy policy;
  RunPipeline(state, &policy);
}
BENCHMARK(BM_WorkerPipelineDetectors)->ArgName("verify")->Arg(1);

void RunPipeline(benchmark::State& state, const detect::DetectorPolicy* detectors) {
  static uint16_t worker_id = 0;
  const SampleCapture& capture = LoadSampleCapture();
  exporter::BatchChannel channel;
  std::string error;
  worker::WorkerConfig config;
  config.worker_id = worker_id++;
  config.link_type = capture.link_type;
  config.verify_checksums = state.range(0) != 0;
  config.records.dataplane_id = "bench";
  config.records.worker_id = config.worker_id;
  config.records.wait_for_buffers = false;
  config.detect_policy = detectors;
  config.detect_key = "benchmark key of 32 bytes 012345";

  if (!channel.Init(config.worker_id, 64, &error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  worker::Worker worker(config, &channel);
  if (!worker.Init(&error)) {
    state.SkipWithError(error.c_str());
    return;
  }

  const uint64_t span_ns = capture.timestamps_ns.back() - capture.timestamps_ns.front() + 1000000000ull;
  uint64_t shift_ns = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < capture.frames.size(); ++i) {
      worker.ProcessFrame(capture.frames[i].data(), static_cast<uint32_t>(capture.frames[i].size()),
                          capture.timestamps_ns[i] + shift_ns);
      if (i % kRecycleEvery == 0) RecycleBatches(channel);
    }
    // Connections still open at the end of the capture expire before the next pass reuses them.
    worker.ExpireIdle(capture.timestamps_ns.back() + shift_ns + config.idle_timeout_ns + 1,
                      UINT32_MAX);
    RecycleBatches(channel);
    shift_ns += span_ns + config.idle_timeout_ns;
  }
  worker.CloseAll();
  RecycleBatches(channel);

  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * capture.frames.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * capture.frame_bytes));
  const auto& records = worker.record_counters();
  state.counters["transactions"] = benchmark::Counter(
      static_cast<double>(records.transactions), benchmark::Counter::kIsRate);
  state.counters["records_dropped"] = static_cast<double>(records.dropped);
  if (records.dropped != 0) state.SkipWithError("records dropped: batches not recycled in time");
  if (worker.counters().flow_table_full != 0) state.SkipWithError("flow table full");
  if (worker.detector() != nullptr) {
    state.counters["calls_analysed"] = static_cast<double>(worker.detector()->engine().counters().calls);
  }
}

}  // namespace
}  // namespace sluice::perf

int main(int argc, char** argv) {
  return sluice::perf::RunBenchmarkMain(argc, argv, {.start_eal = true});
}
