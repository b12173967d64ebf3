// L2-L4 decode (DecodeFrame) over the frames of the sample capture, with and without IPv4 header
// and TCP checksum verification.
#include <benchmark/benchmark.h>

#include <vector>

#include "dataplane/decode/packet_decoder.h"
#include "perf/micro/bench_main.h"
#include "perf/micro/sample_capture.h"

namespace sluice::perf {
namespace {

struct FrameSet {
  std::vector<const std::vector<uint8_t>*> frames;
  uint64_t bytes = 0;
};

// Frames of the sample that decode as Ethernet + IPv4 + TCP (`ipv4_only`) or every frame.
const FrameSet& Frames(bool ipv4_only) {
  static FrameSet sets[2];
  FrameSet& set = sets[ipv4_only ? 1 : 0];
  if (!set.frames.empty()) return set;
  const SampleCapture& capture = LoadSampleCapture();
  for (const std::vector<uint8_t>& frame : capture.frames) {
    decode::DecodedPacket packet;
    const auto result = decode::DecodeFrame(capture.link_type, frame.data(),
                                            static_cast<uint32_t>(frame.size()), {}, &packet);
    if (ipv4_only && (result != decode::DecodeResult::kTcp || packet.ip_version != 4)) continue;
    set.frames.push_back(&frame);
    set.bytes += frame.size();
  }
  return set;
}

// Args: {verify checksums 0/1, IPv4 TCP only 0/1}.
void BM_DecodeFrame(benchmark::State& state) {
  const FrameSet& set = Frames(state.range(1) != 0);
  const uint32_t link_type = LoadSampleCapture().link_type;
  decode::DecodeOptions options;
  options.verify_checksums = state.range(0) != 0;
  uint64_t bad_checksums = 0;
  for (auto _ : state) {
    for (const std::vector<uint8_t>* frame : set.frames) {
      decode::DecodedPacket packet;
      const auto result = decode::DecodeFrame(link_type, frame->data(),
                                              static_cast<uint32_t>(frame->size()), options, &packet);
      benchmark::DoNotOptimize(result);
      benchmark::DoNotOptimize(packet);
      bad_checksums += !packet.ip_checksum_ok || !packet.l4_checksum_ok;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * set.frames.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * set.bytes));
  state.counters["frames"] = static_cast<double>(set.frames.size());
  state.counters["bad_checksums"] = static_cast<double>(bad_checksums);
}
BENCHMARK(BM_DecodeFrame)
    ->ArgNames({"verify", "ipv4_tcp_only"})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({0, 0})
    ->Args({1, 0});

// The software spreading hash the main lcore computes for every frame of a single-queue input.
void BM_SpreadHash(benchmark::State& state) {
  const FrameSet& set = Frames(false);
  const uint32_t link_type = LoadSampleCapture().link_type;
  for (auto _ : state) {
    for (const std::vector<uint8_t>* frame : set.frames) {
      benchmark::DoNotOptimize(
          decode::SpreadHash(link_type, frame->data(), static_cast<uint32_t>(frame->size())));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * set.frames.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * set.bytes));
}
BENCHMARK(BM_SpreadHash);

// Every sample frame must decode, and the generator writes valid checksums.
bool SelfCheck() {
  const SampleCapture& capture = LoadSampleCapture();
  decode::DecodeOptions options;
  options.verify_checksums = true;
  for (const std::vector<uint8_t>& frame : capture.frames) {
    decode::DecodedPacket packet;
    if (decode::DecodeFrame(capture.link_type, frame.data(), static_cast<uint32_t>(frame.size()),
                            options, &packet) != decode::DecodeResult::kTcp ||
        !packet.ip_checksum_ok || !packet.l4_checksum_ok) {
      return false;
    }
  }
  return Frames(true).frames.size() > 1000;
}

}  // namespace
}  // namespace sluice::perf

int main(int argc, char** argv) {
  return sluice::perf::RunBenchmarkMain(argc, argv, {.self_check = sluice::perf::SelfCheck});
}
