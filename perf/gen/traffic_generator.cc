#include "perf/gen/traffic_generator.h"

#include <algorithm>
#include <memory>
#include <queue>
#include <vector>

#include "perf/gen/connection_simulator.h"
#include "perf/gen/pcap_file_writer.h"
#include "perf/gen/population.h"
#include "perf/gen/rng.h"

namespace sluice::gen {
namespace {

// Mean calls per connection for each ClientKind; the count is capped at kMaxCallsPerConnection.
constexpr double kMeanCalls[] = {1.3, 6, 6, 8, 8, 5, 5, 5, 1, 1};
static_assert(std::size(kMeanCalls) == static_cast<size_t>(ClientKind::kCount));
constexpr int kMaxCallsPerConnection = 20;

int DrawCalls(ClientKind kind, Rng& rng) {
  const double mean = kMeanCalls[static_cast<int>(kind)];
  if (mean <= 1) return 1;
  // Geometric on 1, 2, 3, ... with the given mean.
  const double continue_probability = 1.0 - 1.0 / mean;
  int calls = 1;
  while (calls < kMaxCallsPerConnection && rng.Chance(continue_probability)) ++calls;
  return calls;
}

CloseKind DrawClose(const Client& client, bool http10, Rng& rng) {
  if (http10 || client.kind == ClientKind::kKubeProbe) return CloseKind::kServerFin;
  static constexpr double kWeights[] = {74, 6, 8, 9, 3};
  return static_cast<CloseKind>(rng.Pick(kWeights, 5));
}

// A connection whose frames are waiting to be written.
struct ActiveConnection {
  std::unique_ptr<ConnectionTrace> trace;
  uint64_t id;
};

struct HeapEntry {
  int64_t timestamp_ns;
  uint64_t id;
  size_t slot;
  bool operator>(const HeapEntry& other) const {
    if (timestamp_ns != other.timestamp_ns) return timestamp_ns > other.timestamp_ns;
    return id > other.id;
  }
};

class CaptureBuilder {
 public:
  CaptureBuilder(const GeneratorOptions& options, GenStats* stats)
      : options_(options),
        stats_(stats),
        rng_(options.seed),
        population_(BuildPopulation(options.clients, options.ipv6_share, rng_)),
        next_start_ns_(kCaptureStartNs) {}

  bool Run(PcapFileWriter& writer) {
    while (calls_planned_ < options_.calls || !heap_.empty()) {
      const bool more_connections = calls_planned_ < options_.calls;
      if (more_connections && (heap_.empty() || next_start_ns_ <= heap_.top().timestamp_ns)) {
        StartConnection();
        continue;
      }
      WriteNextFrame(writer);
    }
    return true;
  }

 private:
  void StartConnection() {
    ConnectionPlan plan;
    const int client_index = rng_.Pick(population_.client_weights.data(),
                                       static_cast<int>(population_.client_weights.size()));
    plan.client = &population_.clients[client_index];
    // Clients mostly stay with one service; one connection in five goes elsewhere.
    int server_index = plan.client->favorite_server;
    if (rng_.Chance(0.2)) {
      server_index = rng_.Pick(population_.server_weights.data(),
                               static_cast<int>(population_.server_weights.size()));
    }
    plan.server = &population_.servers[server_index];
    plan.start_ns = next_start_ns_;
    plan.http10 = plan.client->kind == ClientKind::kApacheBench;
    plan.calls = static_cast<int>(
        std::min<uint64_t>(DrawCalls(plan.client->kind, rng_), options_.calls - calls_planned_));
    plan.close = DrawClose(*plan.client, plan.http10, rng_);
    calls_planned_ += plan.calls;

    auto trace = std::make_unique<ConnectionTrace>();
    ConnectionSimulator(plan, rng_.Fork(), trace.get(), stats_).Run();
    trace->SortByTime();

    const size_t slot = AcquireSlot();
    heap_.push({trace->frames.front().timestamp_ns, next_id_, slot});
    active_[slot] = {std::move(trace), next_id_++};
    next_start_ns_ += static_cast<int64_t>(rng_.Exponential(1e9 / options_.connection_rate)) + 1;
  }

  size_t AcquireSlot() {
    if (!free_slots_.empty()) {
      const size_t slot = free_slots_.back();
      free_slots_.pop_back();
      return slot;
    }
    active_.emplace_back();
    return active_.size() - 1;
  }

  void WriteNextFrame(PcapFileWriter& writer) {
    const HeapEntry entry = heap_.top();
    heap_.pop();
    ActiveConnection& connection = active_[entry.slot];
    ConnectionTrace& trace = *connection.trace;
    const TraceFrame& frame = trace.frames[trace.cursor++];
    writer.Write(frame.timestamp_ns, {trace.bytes.data() + frame.offset, frame.length});

    if (stats_->packets == 0) stats_->first_timestamp_ns = frame.timestamp_ns;
    stats_->last_timestamp_ns = frame.timestamp_ns;
    ++stats_->packets;
    stats_->frame_bytes += frame.length;

    if (trace.cursor < trace.frames.size()) {
      heap_.push({trace.frames[trace.cursor].timestamp_ns, entry.id, entry.slot});
    } else {
      connection.trace.reset();
      free_slots_.push_back(entry.slot);
    }
  }

  const GeneratorOptions& options_;
  GenStats* stats_;
  Rng rng_;
  Population population_;
  int64_t next_start_ns_;
  uint64_t calls_planned_ = 0;
  uint64_t next_id_ = 0;
  std::vector<ActiveConnection> active_;
  std::vector<size_t> free_slots_;
  std::priority_queue<HeapEntry, std::vector<HeapEntry>, std::greater<HeapEntry>> heap_;
};

}  // namespace

bool GenerateCapture(const GeneratorOptions& options, GenStats* stats, std::string* error) {
  PcapFileWriter writer;
  if (!writer.Open(options.out_path, error)) return false;
  CaptureBuilder(options, stats).Run(writer);
  const bool closed = writer.Close(error);
  stats->file_bytes = writer.bytes_written();
  return closed;
}

}  // namespace sluice::gen
