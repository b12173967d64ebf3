// TCP reassembly (TcpStream) of every direction of every connection in the sample capture, with
// segments in capture order and with each adjacent pair of segments swapped.
#include <benchmark/benchmark.h>

#include <utility>
#include <vector>

#include "dataplane/reassembly/tcp_reassembler.h"
#include "perf/micro/bench_main.h"
#include "perf/micro/sample_capture.h"

namespace sluice::perf {
namespace {

struct SegmentRef {
  uint32_t seq;
  const uint8_t* data;
  uint32_t length;
};

struct StreamInput {
  uint32_t start_seq;
  std::vector<SegmentRef> segments;
};

struct Workload {
  std::vector<StreamInput> streams;
  uint64_t bytes = 0;
  uint64_t segments = 0;
};

// Sums what the reassembler delivers, so the benchmark can check nothing was lost.
class CountingSink : public reassembly::StreamSink {
 public:
  void OnData(const uint8_t* data, uint32_t length) override {
    benchmark::DoNotOptimize(data);
    bytes += length;
  }
  void OnGap(uint32_t length) override { gap_bytes += length; }
  uint64_t bytes = 0;
  uint64_t gap_bytes = 0;
};

// Segments 2k+1 and 2k of each stream trade places when `swap_pairs` is set: the later one is held
// out of order and delivered together with the earlier one.
Workload MakeWorkload(bool swap_pairs) {
  Workload workload;
  for (const SampleStream& stream : LoadSampleCapture().streams) {
    StreamInput input;
    input.start_seq = stream.segments.front().seq;
    for (const SampleSegment& segment : stream.segments) {
      input.segments.push_back({segment.seq, segment.payload.data(),
                                static_cast<uint32_t>(segment.payload.size())});
      workload.bytes += segment.payload.size();
    }
    if (swap_pairs) {
      for (size_t i = 0; i + 1 < input.segments.size(); i += 2) {
        std::swap(input.segments[i], input.segments[i + 1]);
      }
    }
    workload.segments += input.segments.size();
    workload.streams.push_back(std::move(input));
  }
  return workload;
}

// Arg: 0 in order, 1 adjacent pairs swapped.
void BM_Reassembly(benchmark::State& state) {
  const Workload workload = MakeWorkload(state.range(0) != 0);
  reassembly::SegmentPool pool(4096);
  const reassembly::StreamLimits limits;
  reassembly::ReassemblyCounters counters;
  CountingSink sink;
  for (auto _ : state) {
    for (const StreamInput& input : workload.streams) {
      reassembly::TcpStream stream{};
      stream.StartAt(input.start_seq);
      for (const SegmentRef& segment : input.segments) {
        stream.AddSegment(segment.seq, segment.data, segment.length, pool, limits, sink, counters);
      }
      stream.Flush(pool, sink, counters);
      stream.Release(pool);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * workload.segments));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * workload.bytes));
  state.counters["out_of_order"] =
      benchmark::Counter(static_cast<double>(counters.out_of_order_segments),
                         benchmark::Counter::kAvgIterations);
  if (sink.bytes != state.iterations() * workload.bytes || sink.gap_bytes != 0) {
    state.SkipWithError("delivered bytes differ from the capture's payload bytes");
  }
}
BENCHMARK(BM_Reassembly)->ArgName("swapped_pairs")->Arg(0)->Arg(1);

}  // namespace
}  // namespace sluice::perf

int main(int argc, char** argv) { return sluice::perf::RunBenchmarkMain(argc, argv, {}); }
