// FlowTable (rte_hash plus LRU list) at 10^3 to 10^6 tracked flows: lookup hit, lookup miss and
// insert. Keys are IPv4 client/server pairs as the worker builds them (MakeFlowKey); lookups run
// in shuffled order, as packets of many concurrent flows arrive.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "dataplane/flow/flow_key.h"
#include "dataplane/flow/flow_table.h"
#include "perf/micro/bench_main.h"

namespace sluice::perf {
namespace {

// `count` distinct keys; `salt` selects a disjoint client address range, so keys of two salts
// never collide.
std::vector<flow::FlowKey> MakeKeys(uint32_t count, uint32_t salt) {
  std::mt19937_64 rng(0x5eed + salt);
  std::vector<flow::FlowKey> keys;
  keys.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    decode::DecodedPacket packet;
    packet.ip_version = 4;
    packet.l4_protocol = 6;
    // Client 10.<salt>.x.y, distinct per i through the address and the port.
    packet.src_ip[0] = 10;
    packet.src_ip[1] = static_cast<uint8_t>(salt);
    packet.src_ip[2] = static_cast<uint8_t>(i >> 16);
    packet.src_ip[3] = static_cast<uint8_t>(i >> 8);
    packet.src_port = static_cast<uint16_t>(32768 + (i & 0xff) * 64 + rng() % 64);
    packet.dst_ip[0] = 198;
    packet.dst_ip[1] = 19;
    packet.dst_ip[2] = 0;
    packet.dst_ip[3] = static_cast<uint8_t>(1 + rng() % 8);
    packet.dst_port = 80;
    bool a_to_b = false;
    keys.push_back(flow::MakeFlowKey(packet, &a_to_b));
  }
  std::shuffle(keys.begin(), keys.end(), rng);
  return keys;
}

// A table of capacity `count`, optionally filled with `keys`. Names stay unique per process
// because rte_hash names are global.
bool MakeTable(flow::FlowTable* table, uint32_t count, const std::vector<flow::FlowKey>* keys,
               benchmark::State& state) {
  static int serial = 0;
  std::string error;
  if (!table->Init("bench_flows_" + std::to_string(serial++), count, &error)) {
    state.SkipWithError(error.c_str());
    return false;
  }
  if (keys == nullptr) return true;
  for (const flow::FlowKey& key : *keys) {
    if (table->Insert(key, table->Hash(key)) == flow::kNoIndex) {
      state.SkipWithError("table full before its capacity");
      return false;
    }
  }
  return true;
}

// Per packet of a known flow the worker hashes the key, looks it up and moves it to the LRU tail.
void BM_FlowLookupHit(benchmark::State& state) {
  const auto count = static_cast<uint32_t>(state.range(0));
  const std::vector<flow::FlowKey> keys = MakeKeys(count, 1);
  std::vector<flow::FlowKey> order = keys;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(7));
  flow::FlowTable table;
  if (!MakeTable(&table, count, &keys, state)) return;
  uint64_t misses = 0;
  for (auto _ : state) {
    for (const flow::FlowKey& key : order) {
      const uint32_t slot = table.Lookup(key, table.Hash(key));
      if (slot == flow::kNoIndex) {
        ++misses;
        continue;
      }
      table.Touch(slot);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * order.size()));
  state.counters["misses"] = static_cast<double>(misses);  // must stay 0
  if (misses != 0) state.SkipWithError("a stored key was not found");
}

// A packet of an untracked connection (a new SYN, or mid-stream traffic of an unknown flow).
void BM_FlowLookupMiss(benchmark::State& state) {
  const auto count = static_cast<uint32_t>(state.range(0));
  const std::vector<flow::FlowKey> keys = MakeKeys(count, 1);
  const std::vector<flow::FlowKey> absent = MakeKeys(std::min<uint32_t>(count, 65536), 2);
  flow::FlowTable table;
  if (!MakeTable(&table, count, &keys, state)) return;
  uint64_t hits = 0;
  for (auto _ : state) {
    for (const flow::FlowKey& key : absent) {
      hits += table.Lookup(key, table.Hash(key)) != flow::kNoIndex;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * absent.size()));
  if (hits != 0) state.SkipWithError("an absent key was found");
}

// Inserts every key into an empty table, value-initialising each Flow slot as a SYN does. The
// removal that empties the table again is not timed.
void BM_FlowInsert(benchmark::State& state) {
  const auto count = static_cast<uint32_t>(state.range(0));
  const std::vector<flow::FlowKey> keys = MakeKeys(count, 1);
  flow::FlowTable table;
  if (!MakeTable(&table, count, nullptr, state)) return;
  std::vector<uint32_t> slots(count);
  for (auto _ : state) {
    for (uint32_t i = 0; i < count; ++i) slots[i] = table.Insert(keys[i], table.Hash(keys[i]));
    state.PauseTiming();
    for (uint32_t slot : slots) {
      if (slot != flow::kNoIndex) table.Remove(slot);
    }
    state.ResumeTiming();
    if (std::count(slots.begin(), slots.end(), flow::kNoIndex) != 0) {
      state.SkipWithError("insert failed below capacity");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * count));
}

void FlowCounts(benchmark::internal::Benchmark* bench) {
  bench->ArgName("flows");
  for (int64_t flows : {1000, 10000, 100000, 1000000}) bench->Arg(flows);
}
BENCHMARK(BM_FlowLookupHit)->Apply(FlowCounts);
BENCHMARK(BM_FlowLookupMiss)->Apply(FlowCounts);
BENCHMARK(BM_FlowInsert)->Apply(FlowCounts)->Iterations(3);

}  // namespace
}  // namespace sluice::perf

int main(int argc, char** argv) {
  // 10^6 flows need about 100 MiB of rte_hash memory; the rest is headroom.
  return sluice::perf::RunBenchmarkMain(argc, argv, {.start_eal = true, .eal_memory_mb = 1024});
}
