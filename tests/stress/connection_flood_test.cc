// One worker flooded in memory: a million half-open connections, then out-of-order segments on
// connections that exist and on new ones. The test checks that resident memory stays within what
// the configuration preallocates, and that every flow, segment and record is accounted for by a
// counter.
//
// Frames are built one at a time into a reused buffer, so the test itself adds no memory that
// grows with the flood.
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/app/eal_cleanup.h"
#include "dataplane/export/batch_channel.h"
#include "dataplane/worker/worker.h"
#include "perf/gen/frame_builder.h"
#include "records_generated.h"

namespace sluice::worker {
namespace {

using flow::FlowEnd;
using reassembly::ReassemblyCounters;

// --- Flood shape ---------------------------------------------------------------------------------

constexpr uint32_t kMaxFlows = 65536;
constexpr uint32_t kSegmentChunks = 8192;  // 16 MiB of out-of-order data
constexpr uint32_t kMaxHeldBytes = 64 * 1024;
// A stream may use ceil(max_held_bytes / chunk) chunks; each segment below takes a chunk of its own.
constexpr uint32_t kMaxChunksPerStream = kMaxHeldBytes / reassembly::SegmentPool::kChunkBytes;

constexpr uint32_t kSynConnections = 1'000'000;
// Ids from kFirstTracked up are still in the table after the SYN flood (the newest ones); lower
// ids were evicted.
constexpr uint32_t kFirstTracked = kSynConnections - kMaxFlows;

// Heavy phase: a few tracked connections each send more than one stream may hold.
constexpr uint32_t kHeavyConnections = 128;
constexpr uint32_t kHeavySegments = kMaxChunksPerStream + 16;
constexpr uint32_t kFirstHeavy = kSynConnections - kHeavyConnections;

// Wide phase: many connections get a few out-of-order segments each, interleaved. Half are
// tracked SYN connections, half were evicted and come back with data (new flows).
constexpr uint32_t kWideConnections = 16384;
constexpr uint32_t kWideRounds = 3;
constexpr uint32_t kFirstWideEvicted = 0;

// Churn phase: fresh connections, each with one in-order and one out-of-order segment, enough to
// evict every earlier flow (and the oldest churn flows) while their held chunks are reused.
constexpr uint32_t kChurnConnections = kMaxFlows + 16384;
constexpr uint32_t kFirstChurn = 2'000'000;

// Probe after CloseAll: fills exactly the whole segment pool on fresh connections.
constexpr uint32_t kProbeConnections = kSegmentChunks / kMaxChunksPerStream;
constexpr uint32_t kFirstProbe = 3'000'000;

constexpr uint32_t kSegmentBytes = 1460;
constexpr uint32_t kHoleBytes = 100;  // between held segments, so none can share a chunk
constexpr uint16_t kServerPort = 8080;
constexpr uint32_t kChannelBuffers = 64;  // the data plane's default batch_buffers_per_worker
constexpr uint32_t kRecordsPerBatch = 256;
// Often enough that the channel never fills: an eviction that flushes 32 held requests gives about
// 50 records, so 16 frames fill at most 4 of the 64 batches.
constexpr uint32_t kDrainEveryFrames = 16;
constexpr uint64_t kRssSampleFrames = 16384;

// --- Memory budget -------------------------------------------------------------------------------

// AddressSanitizer's shadow memory and quarantine make resident memory meaningless: under it only
// the counters are checked.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kResidentMemoryChecked = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kResidentMemoryChecked = false;
#else
constexpr bool kResidentMemoryChecked = true;
#endif
#else
constexpr bool kResidentMemoryChecked = true;
#endif

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
// Buffers every worker allocates whatever its configuration, about 660 KiB. They are the 256 KiB
// copy of a chained frame, the record builder's redaction scratch (384 KiB) and the session's path
// scratch and port table (about 20 KiB).
constexpr uint64_t kFixedScratchBytes = 1 * kMiB;
// Room for what the formula leaves out: allocator overhead (blocks a batch buffer outgrew),
// GoogleTest and the test's frame buffer.
// NOTE: sized with transparent huge pages in madvise mode. With THP "always", 2 MiB pages of
// partly touched regions count as resident and may exceed this margin.
constexpr uint64_t kMarginBytes = 4 * kMiB;
// Resident memory may still grow this much between 2 * max_flows connections and the end of the
// SYN flood: every table slot, hash bucket and batch buffer is in use well before then.
constexpr uint64_t kGrowthSlackBytes = 4 * kMiB;

uint64_t Pow2AtLeast(uint64_t value) {
  uint64_t power = 1;
  while (power < value) power <<= 1;
  return power;
}

// Estimates what Worker::Init takes from the DPDK heap, from the layouts of DPDK 22.11's
// rte_hash (cuckoo hash with RTE_HASH_EXTRA_FLAGS_EXT_TABLE) and rte_ip_frag table:
//   buckets of 8 entries (64 B each), main and extendable:  2 * pow2(max_flows) / 8 * 64
//   key store, one 16-byte aligned slot per key id:         (max_flows + 1) * align16(8 + 40)
//   ring of free key ids (4 B per entry):                    4 * pow2(max_flows + 1)
//   ring of free extendable buckets and their free list:     4 * pow2(buckets + 1) + 4 * (max_flows + 1)
//   fragment table entries, 512 B each (ip_frag_pkt):        pow2(datagrams / 16) * 16 * 512
uint64_t DpdkHeapEstimate(const WorkerConfig& config) {
  const uint64_t buckets = Pow2AtLeast(config.max_flows) / 8;
  const uint64_t key_slots = uint64_t{config.max_flows} + 1;
  const uint64_t key_entry = (8 + sizeof(flow::FlowKey) + 15) / 16 * 16;
  const uint64_t hash = 2 * buckets * 64 + key_slots * key_entry + 4 * Pow2AtLeast(key_slots) +
                        4 * Pow2AtLeast(buckets + 1) + 4 * key_slots;
  const uint64_t fragments = Pow2AtLeast((config.fragment_datagrams + 15) / 16) * 16 * 512;
  return hash + fragments;
}

// Computes what a worker configured with `config` and its batch channel preallocate. Heap vectors
// are zero-filled at construction, so they are resident at once:
//   flow slots     (max_flows + 1) * sizeof(Flow)            rte_hash key ids run 1..max_flows
//   segment pool   segment_chunks * (2048 + 12)              chunk bytes plus chunk bookkeeping
//   transactions   transaction_slots * (sizeof(Transaction) + 4)   slot plus free-list entry
//   line buffers   line_buffers * (line_bytes + 4)
//   batch buffers  channel buffers * 64 KiB                  FlatBufferBuilder's first block
//   fixed scratch  kFixedScratchBytes
// plus DpdkHeapEstimate(config), resident once touched. Batch buffers may grow past their first
// block: GrownBatchBytes() adds that.
uint64_t PreallocatedBytes(const WorkerConfig& config, uint32_t channel_buffers) {
  const uint64_t flows = (uint64_t{config.max_flows} + 1) * sizeof(flow::Flow);
  const uint64_t chunks = uint64_t{config.segment_chunks} * (reassembly::SegmentPool::kChunkBytes + 12);
  const uint64_t transactions = uint64_t{config.transaction_slots} * (sizeof(session::Transaction) + 4);
  const uint64_t lines = uint64_t{config.line_buffers} * (config.line_bytes + 4);
  const uint64_t batches = uint64_t{channel_buffers} * 64 * kKiB;
  return flows + chunks + transactions + lines + batches + kFixedScratchBytes + DpdkHeapEstimate(config);
}

// Computes the capacity a FlatBufferBuilder reaches to hold `batch_bytes`. Flatbuffers 2.0.8
// starts at the initial 64 KiB and grows the buffer by half its size each time it runs out.
uint64_t BuilderCapacity(uint64_t batch_bytes) {
  uint64_t capacity = 64 * kKiB;
  while (capacity < batch_bytes) capacity += capacity / 2;
  return capacity;
}

// Computes what a batch buffer adds beyond its first block once its largest batch was
// `batch_bytes`.
// NOTE: no configuration value bounds this. A batch contains records_per_batch records whatever
// their size, and a transaction record carries its URL twice (original and path, up to 4 KiB each).
uint64_t GrownBatchBytes(uint64_t batch_bytes) { return BuilderCapacity(batch_bytes) - 64 * kKiB; }

uint64_t ResidentBytes() {
  std::FILE* file = std::fopen("/proc/self/statm", "r");
  if (file == nullptr) return 0;
  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  const int read = std::fscanf(file, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(file);
  if (read != 2) return 0;
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t DpdkHeapAllocatedBytes() {
  rte_malloc_socket_stats stats{};
  if (rte_malloc_get_socket_stats(0, &stats) != 0) return 0;
  return stats.heap_allocsz_bytes;
}

double Mib(uint64_t bytes) { return static_cast<double>(bytes) / kMiB; }

WorkerConfig FloodConfig() {
  WorkerConfig config;
  config.worker_id = 701;
  config.max_flows = kMaxFlows;
  config.segment_chunks = kSegmentChunks;
  config.transaction_slots = 4096;
  config.line_buffers = 1024;
  config.line_bytes = 8192;
  config.limits.stream.max_held_bytes = kMaxHeldBytes;
  config.records.worker_id = config.worker_id;
  config.records.records_per_batch = kRecordsPerBatch;
  // Live-mode policy: a record with no free batch buffer is counted as dropped, never waited for.
  config.records.wait_for_buffers = false;
  return config;
}

// --- Traffic -------------------------------------------------------------------------------------

// One complete request per segment, so that whatever the worker delivers after a hole parses as a
// request, and the flows stay HTTP (a flow judged not HTTP stops being reassembled).
std::string SegmentPayload() {
  const std::string head = "GET /flood/";
  const std::string tail = " HTTP/1.1\r\nHost: flood.test\r\n\r\n";
  return head + std::string(kSegmentBytes - head.size() - tail.size(), 'a') + tail;
}

// Client `id`: address 100.64.0.0 + id / 64, port 32768 + id % 64, so ids up to 2^22 * 64 differ.
gen::FrameSource Client(uint32_t id) {
  gen::FrameSource client;
  client.mac = {0x02, 0, 0, 0, 0, 1};
  const uint32_t address = 0x64400000u + (id >> 6);
  client.ip.bytes = {static_cast<uint8_t>(address >> 24), static_cast<uint8_t>(address >> 16),
                     static_cast<uint8_t>(address >> 8), static_cast<uint8_t>(address)};
  client.port = static_cast<uint16_t>(32768 + (id & 63));
  return client;
}

gen::FrameSource Server() {
  gen::FrameSource server;
  server.mac = {0x02, 0, 0, 0, 0, 2};
  server.ip.bytes = {198, 19, 0, 1};
  server.port = kServerPort;
  return server;
}

uint32_t InitialSequence(uint32_t id) { return id * 2654435761u; }

// Sequence number of the in-order first data segment of connection `id`.
uint32_t FirstDataSeq(uint32_t id) { return InitialSequence(id) + 1; }

// Sequence number of out-of-order segment `k`: every one leaves a hole before it, so it is held,
// and the first data segment's range stays a hole.
uint32_t OutOfOrderSeq(uint32_t id, uint32_t k) {
  return FirstDataSeq(id) + kSegmentBytes + kHoleBytes + k * (kSegmentBytes + kHoleBytes);
}

// What one data segment did to the reassembly counters.
struct SegmentTally {
  uint64_t in_order = 0;        // in_order_segments + 1
  uint64_t held = 0;            // out_of_order_segments + 1
  uint64_t pool_exhausted = 0;  // pool_exhausted + 1: dropped from reassembly, counted
  uint64_t limit_skips = 0;     // held_limit_hits moved (a hole skipped to make room)
  uint64_t unaccounted = 0;     // no outcome counter moved, or more than one did
  uint64_t flows_created = 0;

  uint64_t segments() const { return in_order + held + pool_exhausted + unaccounted; }
};

// Records read back from the batch channel.
struct RecordTally {
  uint64_t batches = 0;
  uint64_t invalid_batches = 0;
  uint64_t max_batch_bytes = 0;
  std::map<const exporter::ExportBatch*, uint64_t> largest_batch;  // per buffer, one per channel buffer
  uint64_t flows = 0;
  uint64_t flows_by_end[flow::kFlowEndCount] = {};
  uint64_t transactions = 0;
  uint64_t other = 0;
};

// Runs frames through one worker and keeps the tallies. Owned by the test thread.
class Flood {
 public:
  explicit Flood(WorkerConfig config) : config_(config), worker_(config, &channel_) {}

  bool Init(std::string* error) {
    return channel_.Init(config_.worker_id, kChannelBuffers, error) && worker_.Init(error);
  }

  void Syn(uint32_t id) {
    gen::TcpSegmentFields syn;
    syn.seq = InitialSequence(id);
    syn.flags = gen::kSyn;
    syn.window = 65535;
    frame_.clear();
    gen::AppendTcpFrame(Client(id), server_, syn, frame_);
    Process();
  }

  // Sends a data segment from client `id` at `seq` and classifies what reassembly did with it.
  void Data(uint32_t id, uint32_t seq, SegmentTally* tally) {
    gen::TcpSegmentFields segment;
    segment.seq = seq;
    segment.ack = 1;  // the server's stream is never started: nothing to skip there
    segment.flags = gen::kAck | gen::kPsh;
    segment.window = 65535;
    segment.payload =
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload_.data()), payload_.size());
    frame_.clear();
    gen::AppendTcpFrame(Client(id), server_, segment, frame_);
    const ReassemblyCounters before = worker_.reassembly_counters();
    const uint64_t created_before = worker_.counters().flows_created;
    Process();
    Classify(before, worker_.reassembly_counters(), tally);
    tally->flows_created += worker_.counters().flows_created - created_before;
  }

  void CloseAll() {
    worker_.CloseAll();
    Drain();
  }

  void SampleResidentMemory() {
    const uint64_t resident = ResidentBytes();
    if (resident > max_resident_) max_resident_ = resident;
  }

  Worker& worker() { return worker_; }
  const RecordTally& records() const { return records_; }
  uint64_t frames() const { return frames_; }
  uint64_t max_resident() const { return max_resident_; }
  uint32_t max_flows_seen() const { return max_flows_seen_; }

  // Reads every ready batch back, as the exporter would, and returns its buffer.
  void Drain() {
    while (exporter::ExportBatch* batch = channel_.TakeReady()) {
      ++records_.batches;
      const uint64_t size = batch->builder.GetSize();
      if (size > records_.max_batch_bytes) records_.max_batch_bytes = size;
      uint64_t& largest = records_.largest_batch[batch];
      if (size > largest) largest = size;
      const uint8_t* buffer = batch->builder.GetBufferPointer();
      flatbuffers::Verifier verifier(buffer, batch->builder.GetSize());
      if (!wire::VerifyMessageBuffer(verifier)) {
        ++records_.invalid_batches;
      } else {
        CountRecords(*wire::GetMessage(buffer)->body_as_Batch());
      }
      channel_.PutFree(batch);
    }
  }
 private:
  void Process() {
    worker_.ProcessFrame(frame_.data(), static_cast<uint32_t>(frame_.size()), ts_ns_);
    ts_ns_ += 1000;
    ++frames_;
    if (worker_.flows().size() > max_flows_seen_) max_flows_seen_ = worker_.flows().size();
    if (frames_ % kDrainEveryFrames == 0) Drain();
    if (frames_ % kRssSampleFrames == 0) SampleResidentMemory();
  }

  static void Classify(const ReassemblyCounters& before, const ReassemblyCounters& after,
                       SegmentTally* tally) {
    const uint64_t in_order = after.in_order_segments - before.in_order_segments;
    const uint64_t held = after.out_of_order_segments - before.out_of_order_segments;
    const uint64_t exhausted = after.pool_exhausted - before.pool_exhausted;
    const uint64_t skips = after.held_limit_hits - before.held_limit_hits;
    const uint64_t others = (after.retransmitted_segments - before.retransmitted_segments) +
                            (after.out_of_window_segments - before.out_of_window_segments) +
                            (after.overlap_conflicts - before.overlap_conflicts);
    tally->limit_skips += skips;
    if (in_order + held + exhausted != 1 || others != 0 || skips > 1) {
      ++tally->unaccounted;
    } else if (in_order == 1) {
      ++tally->in_order;
    } else if (held == 1) {
      ++tally->held;
    } else {
      ++tally->pool_exhausted;
    }
  }



  void CountRecords(const wire::Batch& batch) {
    for (const auto* record : *batch.records()) {
      if (const auto* summary = record->body_as_FlowSummary()) {
        ++records_.flows;
        const auto end = static_cast<int>(summary->end());
        if (end >= 0 && end < flow::kFlowEndCount) ++records_.flows_by_end[end];
      } else if (record->body_as_Transaction() != nullptr) {
        ++records_.transactions;
      } else {
        ++records_.other;
      }
    }
  }

  WorkerConfig config_;
  exporter::BatchChannel channel_;
  Worker worker_;
  const gen::FrameSource server_ = Server();
  const std::string payload_ = SegmentPayload();
  std::vector<uint8_t> frame_ = std::vector<uint8_t>(2048);
  uint64_t ts_ns_ = 1'700'000'000'000'000'000ull;
  uint64_t frames_ = 0;
  uint64_t max_resident_ = 0;
  uint32_t max_flows_seen_ = 0;
  RecordTally records_;
};

uint64_t Ended(const WorkerCounters& counters, FlowEnd end) {
  return counters.flows_ended[static_cast<int>(end)];
}

uint64_t EndedTotal(const WorkerCounters& counters) {
  uint64_t total = 0;
  for (const uint64_t ended : counters.flows_ended) total += ended;
  return total;
}

// Every flow created is either still in the table or ended, with its end counted.
void ExpectFlowsAddUp(Flood& flood) {
  const WorkerCounters& counters = flood.worker().counters();
  EXPECT_EQ(counters.flows_created, EndedTotal(counters) + flood.worker().flows().size());
  EXPECT_EQ(counters.flow_table_full, 0u);
  EXPECT_EQ(counters.tcp_without_flow, 0u);
  EXPECT_LE(flood.max_flows_seen(), kMaxFlows);
}

void Report(const char* phase, uint64_t frames, std::chrono::steady_clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::printf("[flood] %-34s %9llu frames %7.2f s %10.0f frames/s  rss %.1f MiB\n", phase,
              static_cast<unsigned long long>(frames), seconds, frames / seconds, Mib(ResidentBytes()));
}

template <typename Body>
void RunPhase(const char* phase, Flood& flood, Body body) {
  const uint64_t frames_before = flood.frames();
  const auto start = std::chrono::steady_clock::now();
  body();
  Report(phase, flood.frames() - frames_before, std::chrono::steady_clock::now() - start);
  flood.SampleResidentMemory();
}

// --- The flood -----------------------------------------------------------------------------------

TEST(ConnectionFlood, MemoryBoundedAndCountersAddUp) {
  const WorkerConfig config = FloodConfig();
  const uint64_t preallocated = PreallocatedBytes(config, kChannelBuffers);
  const uint64_t resident_base = ResidentBytes();
  const uint64_t dpdk_base = DpdkHeapAllocatedBytes();
  ASSERT_GT(resident_base, 0u) << "cannot read /proc/self/statm";
  const uint64_t init_budget = resident_base + preallocated + kMarginBytes;

  auto flood = std::make_unique<Flood>(config);
  std::string error;
  ASSERT_TRUE(flood->Init(&error)) << error;
  const uint64_t resident_init = ResidentBytes();
  const uint64_t dpdk_init = DpdkHeapAllocatedBytes() - dpdk_base;
  std::printf(
      "[flood] base rss %.1f MiB, preallocated by formula %.1f MiB (sizeof(Flow) %zu, "
      "sizeof(Transaction) %zu, DPDK part %.1f MiB, measured %.1f MiB), budget %.1f MiB, "
      "rss after Init %.1f MiB\n",
      Mib(resident_base), Mib(preallocated), sizeof(flow::Flow), sizeof(session::Transaction),
      Mib(DpdkHeapEstimate(config)), Mib(dpdk_init), Mib(init_budget), Mib(resident_init));
  EXPECT_LE(dpdk_init, DpdkHeapEstimate(config)) << "the DPDK part of the formula is too low";
  if (kResidentMemoryChecked) {
    EXPECT_LE(resident_init, init_budget);
  }
  Worker& worker = flood->worker();

  // 1. Half-open connections: a SYN from each of a million clients, with no reply.
  uint64_t resident_after_two_tables = 0;
  RunPhase("SYN flood", *flood, [&] {
    for (uint32_t id = 0; id < kSynConnections; ++id) {
      flood->Syn(id);
      if (id + 1 == 2 * kMaxFlows) resident_after_two_tables = ResidentBytes();
    }
  });
  const uint64_t resident_after_syn = ResidentBytes();
  if (kResidentMemoryChecked) {
    EXPECT_LE(resident_after_syn, resident_after_two_tables + kGrowthSlackBytes)
        << "resident memory grows with the number of connections";
  }
  EXPECT_EQ(worker.counters().flows_created, kSynConnections);
  EXPECT_EQ(Ended(worker.counters(), FlowEnd::kEvicted), kSynConnections - kMaxFlows);
  EXPECT_EQ(worker.flows().size(), kMaxFlows);
  EXPECT_EQ(worker.counters().decode[static_cast<int>(decode::DecodeResult::kTcp)], kSynConnections);
  ExpectFlowsAddUp(*flood);

  // 2. Heavy: tracked connections each send more than a stream may hold. The first
  // kMaxChunksPerStream segments are held; every later one first skips the oldest hole.
  SegmentTally heavy;
  RunPhase("out of order, heavy streams", *flood, [&] {
    for (uint32_t id = kFirstHeavy; id < kSynConnections; ++id) {
      for (uint32_t k = 0; k < kHeavySegments; ++k) flood->Data(id, OutOfOrderSeq(id, k), &heavy);
    }
  });
  EXPECT_EQ(heavy.held, uint64_t{kHeavyConnections} * kHeavySegments);
  EXPECT_EQ(heavy.limit_skips, uint64_t{kHeavyConnections} * (kHeavySegments - kMaxChunksPerStream));
  EXPECT_EQ(heavy.pool_exhausted, 0u);
  EXPECT_EQ(heavy.unaccounted, 0u);
  EXPECT_EQ(heavy.flows_created, 0u);
  const uint64_t chunks_left = kSegmentChunks - uint64_t{kHeavyConnections} * kMaxChunksPerStream;

  // 3. Wide: out-of-order segments interleaved over tracked SYN connections and over evicted ones
  // that come back with data (new flows, started by an in-order segment). The tracked ones are
  // touched first, so the new flows evict only untouched SYN flows, which hold nothing: the pool
  // has exactly `chunks_left` chunks for the whole phase.
  SegmentTally wide;
  RunPhase("out of order, wide", *flood, [&] {
    for (uint32_t round = 0; round < kWideRounds; ++round) {
      for (uint32_t i = 0; i < kWideConnections; ++i) {
        const uint32_t id = kFirstTracked + i;
        flood->Data(id, OutOfOrderSeq(id, round), &wide);
      }
      for (uint32_t i = 0; i < kWideConnections; ++i) {
        const uint32_t id = kFirstWideEvicted + i;
        if (round == 0) flood->Data(id, FirstDataSeq(id), &wide);
        flood->Data(id, OutOfOrderSeq(id, round), &wide);
      }
    }
  });
  const uint64_t wide_out_of_order = 2ull * kWideConnections * kWideRounds;
  EXPECT_EQ(wide.flows_created, kWideConnections);
  EXPECT_EQ(wide.in_order, kWideConnections);
  EXPECT_EQ(wide.held, chunks_left);
  EXPECT_EQ(wide.pool_exhausted, wide_out_of_order - chunks_left);
  EXPECT_EQ(wide.limit_skips, 0u);
  EXPECT_EQ(wide.unaccounted, 0u);
  ExpectFlowsAddUp(*flood);

  // 4. Churn: fresh connections evict every earlier flow. Evicted flows return their chunks, which
  // the churn's own out-of-order segments then take, so at least the whole pool is reused.
  SegmentTally churn;
  RunPhase("out of order, churn", *flood, [&] {
    for (uint32_t i = 0; i < kChurnConnections; ++i) {
      const uint32_t id = kFirstChurn + i;
      flood->Data(id, FirstDataSeq(id), &churn);
      flood->Data(id, OutOfOrderSeq(id, 0), &churn);
    }
  });
  EXPECT_EQ(churn.flows_created, kChurnConnections);
  EXPECT_EQ(churn.in_order, kChurnConnections);
  EXPECT_EQ(churn.held + churn.pool_exhausted, kChurnConnections);
  EXPECT_GE(churn.held, kSegmentChunks);
  EXPECT_EQ(churn.limit_skips, 0u);
  EXPECT_EQ(churn.unaccounted, 0u);
  ExpectFlowsAddUp(*flood);

  // 5. End of input: every flow still tracked closes as open, and every held chunk is flushed.
  // Up to here the channel was drained every kDrainEveryFrames frames, so no record was dropped.
  EXPECT_EQ(worker.record_counters().dropped, 0u);
  EXPECT_EQ(worker.record_counters().buffer_waits, 0u);
  const uint32_t open_at_end = worker.flows().size();
  EXPECT_EQ(open_at_end, kMaxFlows);
  RunPhase("CloseAll", *flood, [&] { flood->CloseAll(); });
  EXPECT_EQ(worker.flows().size(), 0u);
  EXPECT_EQ(Ended(worker.counters(), FlowEnd::kOpen), open_at_end);
  ExpectFlowsAddUp(*flood);
  // NOTE: CloseAll builds the records of every open flow in one call, and nothing drains the channel
  // meanwhile here, so with the live policy (wait_for_buffers false) all that do not fit in the
  // channel's buffers are dropped and counted; the data plane's own shutdown waits instead. The
  // checks below allow for that.
  const uint64_t dropped_at_close = worker.record_counters().dropped;
  EXPECT_GT(dropped_at_close, 0u);
  flood->Drain();  // the batches CloseAll filled, so the probe's records fit again

  // 6. Every chunk is back in the pool: fresh connections can hold exactly kSegmentChunks
  // segments again, and one more is dropped as pool_exhausted.
  SegmentTally probe;
  RunPhase("pool probe", *flood, [&] {
    for (uint32_t i = 0; i < kProbeConnections; ++i) {
      const uint32_t id = kFirstProbe + i;
      flood->Data(id, FirstDataSeq(id), &probe);
      for (uint32_t k = 0; k < kMaxChunksPerStream; ++k) flood->Data(id, OutOfOrderSeq(id, k), &probe);
    }
  });
  EXPECT_EQ(probe.held, kSegmentChunks) << "chunks missing from the pool after CloseAll";
  EXPECT_EQ(probe.pool_exhausted, 0u);
  EXPECT_EQ(probe.limit_skips, 0u);
  EXPECT_EQ(probe.unaccounted, 0u);
  SegmentTally overflow;
  const uint32_t overflow_id = kFirstProbe + kProbeConnections;
  flood->Data(overflow_id, FirstDataSeq(overflow_id), &overflow);
  flood->Data(overflow_id, OutOfOrderSeq(overflow_id, 0), &overflow);
  EXPECT_EQ(overflow.pool_exhausted, 1u) << "the pool holds more than kSegmentChunks chunks";
  // With the batch byte cap, the probe's long-URL transaction records need more batches than the
  // channel holds, so this close may drop some too; the totals below still have to add up.
  flood->Drain();
  flood->CloseAll();
  EXPECT_GE(worker.record_counters().dropped, dropped_at_close);
  EXPECT_EQ(worker.flows().size(), 0u);
  ExpectFlowsAddUp(*flood);

  // Reassembly counters equal the sum of the per-segment outcomes: no segment went uncounted.
  const ReassemblyCounters& reassembly = worker.reassembly_counters();
  const SegmentTally* phases[] = {&heavy, &wide, &churn, &probe, &overflow};
  uint64_t held = 0, exhausted = 0, skips = 0, in_order = 0;
  for (const SegmentTally* phase : phases) {
    held += phase->held;
    exhausted += phase->pool_exhausted;
    skips += phase->limit_skips;
    in_order += phase->in_order;
  }
  EXPECT_EQ(reassembly.out_of_order_segments, held);
  EXPECT_EQ(reassembly.pool_exhausted, exhausted);
  EXPECT_EQ(reassembly.held_limit_hits, skips);
  EXPECT_EQ(reassembly.in_order_segments, in_order);
  EXPECT_EQ(reassembly.retransmitted_segments, 0u);
  EXPECT_EQ(reassembly.out_of_window_segments, 0u);
  EXPECT_EQ(reassembly.overlap_conflicts, 0u);
  // Held segments never touch, so each one was delivered after exactly one skipped hole.
  EXPECT_EQ(reassembly.gaps, held);

  // Every segment that reached the parser, in order or after being held, was one request, so held
  // bytes were all delivered in the end (by a skip, an eviction or CloseAll), none lost.
  const session::SessionCounters& session = worker.session_counters();
  EXPECT_EQ(session.requests, in_order + held);
  EXPECT_EQ(session.requests, session.transactions + session.transaction_pool_exhausted);
  EXPECT_EQ(session.non_http_flows, 0u);

  // Every flow and every transaction gave one record, built or counted as dropped, and every built
  // record came out of the channel.
  const uint64_t created = worker.counters().flows_created;
  const record::RecordCounters& built = worker.record_counters();
  const RecordTally& read = flood->records();
  EXPECT_EQ(created, kSynConnections + kWideConnections + kChurnConnections + kProbeConnections + 1);
  EXPECT_EQ(built.flows + built.transactions + built.dropped, created + session.transactions);
  EXPECT_EQ(read.invalid_batches, 0u);
  EXPECT_EQ(read.batches, built.batches);
  EXPECT_EQ(read.flows, built.flows);
  EXPECT_EQ(read.transactions, built.transactions);
  EXPECT_EQ(read.other, 0u);
  for (int end = 0; end < flow::kFlowEndCount; ++end) {
    if (end == static_cast<int>(FlowEnd::kOpen)) continue;
    EXPECT_EQ(read.flows_by_end[end], worker.counters().flows_ended[end]) << "flow end " << end;
  }
  const uint64_t open_records = read.flows_by_end[static_cast<int>(FlowEnd::kOpen)];
  EXPECT_LE(open_records, Ended(worker.counters(), FlowEnd::kOpen));
  EXPECT_GE(open_records + built.dropped, Ended(worker.counters(), FlowEnd::kOpen));

  // Resident memory stayed within what the configuration preallocates, plus what the batch
  // buffers grew to hold the largest batch.
  flood->SampleResidentMemory();
  const uint64_t resident_end = ResidentBytes();
  EXPECT_LE(read.largest_batch.size(), kChannelBuffers);
  uint64_t grown_batches = 0;
  for (const auto& [batch, largest] : read.largest_batch) grown_batches += GrownBatchBytes(largest);
  const uint64_t budget = init_budget + grown_batches;
  std::printf(
      "[flood] rss: base %.1f MiB, after Init %.1f, after %u SYNs %.1f, after the SYN flood %.1f, "
      "max %.1f, end %.1f; largest batch %llu bytes, batch buffers grew %.1f MiB; budget %.1f MiB\n",
      Mib(resident_base), Mib(resident_init), 2 * kMaxFlows, Mib(resident_after_two_tables),
      Mib(resident_after_syn), Mib(flood->max_resident()), Mib(resident_end),
      static_cast<unsigned long long>(read.max_batch_bytes), Mib(grown_batches), Mib(budget));
  std::printf(
      "[flood] flows created %llu, evicted %llu, open at end %llu; segments in order %llu, "
      "held %llu, pool_exhausted %llu, held_limit_hits %llu, gaps %llu; requests %llu, "
      "transactions %llu, transaction_pool_exhausted %llu; records %llu flows + %llu "
      "transactions in %llu batches, %llu dropped\n",
      static_cast<unsigned long long>(created),
      static_cast<unsigned long long>(Ended(worker.counters(), FlowEnd::kEvicted)),
      static_cast<unsigned long long>(Ended(worker.counters(), FlowEnd::kOpen)),
      static_cast<unsigned long long>(in_order), static_cast<unsigned long long>(held),
      static_cast<unsigned long long>(exhausted), static_cast<unsigned long long>(skips),
      static_cast<unsigned long long>(reassembly.gaps), static_cast<unsigned long long>(session.requests),
      static_cast<unsigned long long>(session.transactions),
      static_cast<unsigned long long>(session.transaction_pool_exhausted),
      static_cast<unsigned long long>(read.flows), static_cast<unsigned long long>(read.transactions),
      static_cast<unsigned long long>(read.batches), static_cast<unsigned long long>(built.dropped));
  if (!kResidentMemoryChecked) GTEST_SKIP() << "resident memory not checked under AddressSanitizer";
  EXPECT_LE(flood->max_resident(), budget);
  EXPECT_LE(resident_end, budget);
  // After the SYN flood every table is in use: what follows adds only grown batch buffers.
  EXPECT_LE(flood->max_resident(), resident_after_syn + grown_batches + kGrowthSlackBytes);
}

}  // namespace
}  // namespace sluice::worker

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string prefix = "--file-prefix=sluice-stress-flood-" + std::to_string(getpid());
  std::vector<std::string> arguments = {
      "stress_connection_flood_test", "--no-huge", "--no-pci", "-m", "512", prefix,
      "--log-level=lib.eal:error",    "-l",        "0"};
  std::vector<char*> argv_eal;
  for (auto& argument : arguments) argv_eal.push_back(argument.data());
  if (rte_eal_init(static_cast<int>(argv_eal.size()), argv_eal.data()) < 0) {
    std::fprintf(stderr, "cannot start DPDK for the test\n");
    return 1;
  }
  const int rc = RUN_ALL_TESTS();
  sluice::app::StopEalAndRemoveRuntimeDir();
  return rc;
}
