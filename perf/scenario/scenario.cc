#include "perf/scenario/scenario.h"

#include <memory>
#include <queue>
#include <vector>

#include "perf/gen/connection_simulator.h"
#include "perf/gen/pcap_file_writer.h"
#include "perf/gen/traffic_generator.h"
#include "perf/scenario/labels.h"
#include "perf/scenario/scenario_population.h"

namespace sluice::scenario {
namespace {

// A connection whose frames are waiting to be written.
struct ActiveConnection {
  std::unique_ptr<gen::ConnectionTrace> trace;
};

struct FrameEntry {
  int64_t timestamp_ns;
  uint64_t connection;  // Creation order, the tie-breaker for equal timestamps.
  size_t slot;
  bool operator>(const FrameEntry& other) const {
    if (timestamp_ns != other.timestamp_ns) return timestamp_ns > other.timestamp_ns;
    return connection > other.connection;
  }
};

struct SessionEntry {
  int64_t start_ns;
  size_t client;
  bool operator>(const SessionEntry& other) const {
    if (start_ns != other.start_ns) return start_ns > other.start_ns;
    return client > other.client;
  }
};

template <typename T>
using MinHeap = std::priority_queue<T, std::vector<T>, std::greater<T>>;

// Interleaves the clients' connections in time order and streams their frames to the pcap.
// Memory contains one scripted session per client plus the traces of connections still open.
class ScenarioWriter {
 public:
  ScenarioWriter(ScenarioPopulation* population, gen::GenStats* stats)
      : population_(population), stats_(stats), pending_(population->clients.size()) {}

  void Run(int64_t start_ns, gen::PcapFileWriter& writer) {
    for (size_t i = 0; i < population_->clients.size(); ++i) PlanNext(i, start_ns);
    while (!sessions_.empty() || !frames_.empty()) {
      if (!sessions_.empty() &&
          (frames_.empty() || sessions_.top().start_ns <= frames_.top().timestamp_ns)) {
        StartSession();
      } else {
        WriteNextFrame(writer);
      }
    }
  }

 private:
  void PlanNext(size_t index, int64_t not_before_ns) {
    ScenarioClient& client = population_->clients[index];
    if (client.behaviour->NextSession(not_before_ns, client.rng, &pending_[index])) {
      sessions_.push({pending_[index].start_ns, index});
    }
  }

  void StartSession() {
    const size_t index = sessions_.top().client;
    sessions_.pop();
    ScenarioClient& client = population_->clients[index];
    const Session& session = pending_[index];

    gen::ConnectionPlan plan;
    plan.client = &client.client;
    plan.server = &population_->servers[static_cast<size_t>(session.calls.front().server)];
    plan.start_ns = session.start_ns;
    plan.calls = static_cast<int>(session.calls.size());
    plan.close = session.close;
    SessionExchanges exchanges(session, &population_->labels[client.label].tally);
    plan.exchanges = &exchanges;

    // Clients behind one address draw their source ports from one counter.
    uint16_t& next_port = population_->next_ports[client.address];
    client.client.next_port = next_port;
    auto trace = std::make_unique<gen::ConnectionTrace>();
    gen::ConnectionSimulator(plan, client.rng.Fork(), trace.get(), stats_).Run();
    next_port = client.client.next_port;
    trace->SortByTime();
    const int64_t end_ns = trace->frames.back().timestamp_ns;

    const size_t slot = AcquireSlot();
    frames_.push({trace->frames.front().timestamp_ns, next_connection_++, slot});
    active_[slot].trace = std::move(trace);
    PlanNext(index, end_ns);
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

  void WriteNextFrame(gen::PcapFileWriter& writer) {
    const FrameEntry entry = frames_.top();
    frames_.pop();
    gen::ConnectionTrace& trace = *active_[entry.slot].trace;
    const gen::TraceFrame& frame = trace.frames[trace.cursor++];
    writer.Write(frame.timestamp_ns, {trace.bytes.data() + frame.offset, frame.length});
    if (stats_->packets == 0) stats_->first_timestamp_ns = frame.timestamp_ns;
    stats_->last_timestamp_ns = frame.timestamp_ns;
    ++stats_->packets;
    stats_->frame_bytes += frame.length;
    if (trace.cursor < trace.frames.size()) {
      frames_.push({trace.frames[trace.cursor].timestamp_ns, entry.connection, entry.slot});
    } else {
      active_[entry.slot].trace.reset();
      free_slots_.push_back(entry.slot);
    }
  }

  ScenarioPopulation* population_;
  gen::GenStats* stats_;
  std::vector<Session> pending_;  // The next session of each client.
  MinHeap<SessionEntry> sessions_;
  MinHeap<FrameEntry> frames_;
  std::vector<ActiveConnection> active_;
  std::vector<size_t> free_slots_;
  uint64_t next_connection_ = 0;
};

bool CheckOptions(const ScenarioOptions& options, std::string* error) {
  if (options.out_path.empty()) *error = "no capture path given";
  else if (options.labels_path.empty()) *error = "no labels path given";
  else if (!(options.minutes > 0)) *error = "minutes must be greater than 0";
  else if (options.normal_clients < 0) *error = "normal clients must not be negative";
  else if (options.nat_users < 1) *error = "nat users must be at least 1";
  else if (options.shared_addresses < 1) *error = "shared addresses must be at least 1";
  else if (!(options.attack_rate > 0 && options.attack_scale > 0 && options.normal_rate > 0)) {
    *error = "rates and scales must be greater than 0";
  }
  return error->empty();
}

}  // namespace

const char* IdentityKindName(IdentityKind kind) {
  switch (kind) {
    case IdentityKind::kIp:
      return "ip";
    case IdentityKind::kApiKey:
      return "api_key";
    case IdentityKind::kBearer:
      return "bearer";
    case IdentityKind::kJwtSub:
      return "jwt_sub";
  }
  return "ip";
}

bool ParseIdentityKind(const std::string& name, IdentityKind* kind) {
  for (IdentityKind candidate : {IdentityKind::kIp, IdentityKind::kApiKey, IdentityKind::kBearer,
                                 IdentityKind::kJwtSub}) {
    if (name == IdentityKindName(candidate)) {
      *kind = candidate;
      return true;
    }
  }
  return false;
}

bool GenerateScenario(const ScenarioOptions& options, gen::GenStats* stats, std::string* error) {
  error->clear();
  if (!CheckOptions(options, error)) return false;
  const NameSet* names = FindNameSet(options.endpoint_names);
  if (names == nullptr) {
    *error = "unknown endpoint name set '" + options.endpoint_names + "'";
    return false;
  }
  ScenarioContext context;
  context.names = names;
  context.start_ns = gen::kCaptureStartNs;
  context.end_ns = gen::kCaptureStartNs + static_cast<int64_t>(options.minutes * 60e9);
  context.attack_rate = options.attack_rate;
  context.attack_scale = options.attack_scale;
  context.normal_rate = options.normal_rate;
  context.identity_in_header = options.identity != IdentityKind::kIp;

  gen::Rng rng(options.seed);
  ScenarioPopulation population;
  if (!BuildScenarioPopulation(options, context, rng, &population, error)) return false;

  gen::PcapFileWriter writer;
  if (!writer.Open(options.out_path, error)) return false;
  ScenarioWriter(&population, stats).Run(context.start_ns, writer);
  const bool closed = writer.Close(error);
  stats->file_bytes = writer.bytes_written();
  if (!closed) return false;
  return WriteLabels(options.labels_path, options, *names, *stats, population, error);
}

}  // namespace sluice::scenario
