// The whole per-packet pipeline of one worker (Worker::ProcessFrame: decode, flow table,
// reassembly, HTTP parsing, sessions, record building) over the sample capture, without mbufs,
// rings or export: record batches are recycled as soon as they are ready. Each pass shifts the
// timestamps past the previous pass, so the capture's connections start again as new flows.
// This is the per-core ceiling the replay run is compared with.
//
// The `inspect` argument adds the matchers as the data plane runs them by default: 1 turns on PII
// detection on every field (the default configuration), 2 adds the rule file named by
// SLUICE_BENCH_RULES (run-all.sh passes the peers' 20 anchor rules); without that variable, 2 is
// not registered, so the smoke test runs without it.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "dataplane/export/batch_channel.h"
#include "dataplane/inspect/inspector.h"
#include "matchers/compile/check_rules.h"
#include "matchers/compile/compiled_rules.h"
#include "matchers/pii/pii_detectors.h"
#include "matchers/rules/loader.h"
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

// PII fields to scan: all five, as the data plane's default, or the comma-separated names in
// SLUICE_BENCH_PII_FIELDS (request_body, response_body, request_headers, response_headers,
// query), to see what each one costs.
uint32_t PiiFields() {
  const char* names = std::getenv("SLUICE_BENCH_PII_FIELDS");
  if (names == nullptr) {
    return matchers::kPiiRequestBody | matchers::kPiiResponseBody | matchers::kPiiRequestHeaders |
           matchers::kPiiResponseHeaders | matchers::kPiiQuery;
  }
  const std::string list = std::string(",") + names + ",";
  uint32_t fields = 0;
  if (list.find(",request_body,") != std::string::npos) fields |= matchers::kPiiRequestBody;
  if (list.find(",response_body,") != std::string::npos) fields |= matchers::kPiiResponseBody;
  if (list.find(",request_headers,") != std::string::npos) fields |= matchers::kPiiRequestHeaders;
  if (list.find(",response_headers,") != std::string::npos) fields |= matchers::kPiiResponseHeaders;
  if (list.find(",query,") != std::string::npos) fields |= matchers::kPiiQuery;
  return fields;
}

// The inspector of `level` (see the top of the file), or null for level 0. Sets *error on failure.
std::unique_ptr<inspect::Inspector> MakeInspector(int64_t level, std::string* error) {
  if (level == 0) return nullptr;
  std::unique_ptr<matchers::Scanner> rules;
  if (level >= 2) {
    const char* path = std::getenv("SLUICE_BENCH_RULES");
    if (path == nullptr || *path == '\0') {
      *error = "set SLUICE_BENCH_RULES to a rule file to run inspect:2";
      return nullptr;
    }
    const matchers::CheckReport report = matchers::CheckRules(path);
    if (!report.ok) {
      *error = report.text;
      return nullptr;
    }
    matchers::RuleLoadResult loaded = matchers::LoadRulesFile(path);
    std::vector<matchers::RuleError> errors = loaded.errors;
    std::shared_ptr<const matchers::CompiledRuleSet> compiled;
    if (errors.empty()) compiled = matchers::CompiledRuleSet::Compile(loaded.rule_set, &errors);
    if (compiled == nullptr || !errors.empty()) {
      *error = std::string("cannot compile the rules in ") + path;
      return nullptr;
    }
    rules = matchers::Scanner::Create(compiled, matchers::ScannerConfig{}, error);
    if (rules == nullptr) return nullptr;
  }
  matchers::PiiConfig pii_config;
  pii_config.hmac_key = "sluice-bench-fingerprint-key";
  pii_config.fields = PiiFields();
  auto detectors = matchers::PiiDetectorSet::Create(pii_config, error);
  if (detectors == nullptr) return nullptr;
  auto pii = matchers::PiiScanner::Create(detectors);
  return std::make_unique<inspect::Inspector>(std::move(rules), std::move(pii), inspect::InspectorConfig{});
}

void RunPipeline(benchmark::State& state, const detect::DetectorPolicy* detectors);

// Args: verify checksums 0/1 (the data plane verifies by default); inspect 0/1/2 (see the top).
void BM_WorkerPipeline(benchmark::State& state) { RunPipeline(state, nullptr); }
BENCHMARK(BM_WorkerPipeline)->ArgNames({"verify", "inspect"})->Args({1, 0})->Args({0, 0})->Args({1, 1});

// The same with the stateful detectors on (default policy, one worker: every call is local).
// With inspect 1 this is the data plane's default; with inspect 2, an offline run with rules.
void BM_WorkerPipelineDetectors(benchmark::State& state) {
  static const detect::DetectorPolicy policy = [] { detect::DetectorPolicy p; if (const char* t = std::getenv("SLUICE_BENCH_TRACKS")) p.tracked_per_worker = std::atoi(t); return p; }();
  RunPipeline(state, &policy);
}
BENCHMARK(BM_WorkerPipelineDetectors)->ArgNames({"verify", "inspect"})->Args({1, 0})->Args({1, 1});

const bool kRulesRegistered = [] {
  const char* path = std::getenv("SLUICE_BENCH_RULES");
  if (path == nullptr || *path == '\0') return false;
  benchmark::RegisterBenchmark("BM_WorkerPipeline", BM_WorkerPipeline)
      ->ArgNames({"verify", "inspect"})
      ->Args({1, 2});
  benchmark::RegisterBenchmark("BM_WorkerPipelineDetectors", BM_WorkerPipelineDetectors)
      ->ArgNames({"verify", "inspect"})
      ->Args({1, 2});
  return true;
}();

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
  std::unique_ptr<inspect::Inspector> inspector = MakeInspector(state.range(1), &error);
  if (state.range(1) != 0 && inspector == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  worker::Worker worker(config, &channel, std::move(inspector));
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
