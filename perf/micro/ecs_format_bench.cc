// sluice-control's ECS formatter alone: 256 transaction records of one batch (IPv4 and IPv6,
// a rule match, PII counts, escaped strings) formatted into JSON lines, without ZeroMQ or a file.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "control/sinks/ecs_json.h"
#include "perf/micro/bench_main.h"
#include "tests/unit/control/wire_fixtures.h"

namespace sluice::perf {
namespace {

constexpr uint32_t kRecords = 256;

std::vector<uint8_t> BuildBenchBatch() {
  control::testing::BatchSpec spec;
  spec.dataplane_id = "bench-dp-01";
  for (uint32_t i = 0; i < kRecords; ++i) {
    control::testing::TransactionSpec transaction;
    transaction.flow_id = 1000 + i;
    transaction.index = i % 4;
    transaction.client_port = static_cast<uint16_t>(40000 + i);
    transaction.request_ts_ns += i * 1'000'000ULL;
    transaction.response_end_ts_ns += i * 1'000'000ULL;
    if (i % 8 == 7) {
      transaction.ip_version = wire::IpVersion::V6;
      transaction.client_ip = control::testing::Ip("2001:db8::10");
      transaction.server_ip = control::testing::Ip("2001:db8:0:1::20");
    }
    transaction.url_original = "/api/v1/users/" + std::to_string(i) + "?fields=\"name\"";
    transaction.user_agent = "Mozilla/5.0 (X11; Linux x86_64) bench";
    transaction.verdict = wire::Verdict::Tag;
    transaction.rules = {control::testing::RuleSpec{1001, "user enumeration", "url.path", "tag",
                                                    "medium"}};
    transaction.pii_response = {control::testing::PiiSpec{"email", 3, {"a1b2c3d4"}}};
    spec.records.push_back(transaction);
  }
  return control::testing::BuildBatchFrame(spec);
}

// One batch formatted into one buffer, as BatchProcessor does before its single write.
void BM_EcsFormatBatch(benchmark::State& state) {
  const std::vector<uint8_t> frame = BuildBenchBatch();
  const wire::Batch& batch = *wire::GetMessage(frame.data())->body_as_Batch();
  const control::BatchContext context{batch.dataplane_id()->string_view(), batch.run_id(),
                                      batch.worker_id(), batch.sequence()};
  control::EcsFormatter formatter;
  uint64_t bytes = 0;
  for (auto _ : state) {
    formatter.BeginBatch(context);
    for (const wire::Record* record : *batch.records()) formatter.Append(*record);
    bytes += formatter.lines().size();
    benchmark::DoNotOptimize(formatter.lines().data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecords);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EcsFormatBatch);

}  // namespace
}  // namespace sluice::perf

int main(int argc, char** argv) { return sluice::perf::RunBenchmarkMain(argc, argv, {}); }
