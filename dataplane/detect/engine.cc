#include "dataplane/detect/engine.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace sluice::detect {

namespace {

constexpr uint64_t kNsPerSecond = 1000000000ull;

uint64_t WindowNs(const DetectorCommon& common) { return static_cast<uint64_t>(common.window_s) * kNsPerSecond; }

int StatusClass(uint16_t status) { return status >= 100 && status < 600 ? status / 100 : 0; }

template <size_t N>
void CopyText(char (&to)[N], uint8_t* to_length, const char* from, uint8_t length) {
  const uint8_t kept = length < N ? length : static_cast<uint8_t>(N);
  std::memcpy(to, from, kept);
  *to_length = kept;
}

uint32_t Log2Bucket(uint64_t bytes) {
  uint32_t bucket = 0;
  while (bytes > 0 && bucket + 1 < kSizeBuckets) {
    bytes >>= 1;
    ++bucket;
  }
  return bucket;
}

// Position of the first set bit of the remaining hash bits: the HyperLogLog register value.
uint8_t Rank(uint64_t bits) {
  uint8_t rank = 1;
  while ((bits & 1) == 0 && rank < 58) {
    bits >>= 1;
    ++rank;
  }
  return rank;
}

}  // namespace

Engine::Engine(uint16_t worker_id, const DetectorPolicy& policy)
    : worker_id_(worker_id),
      policy_(&policy),
      tracks_(policy.tracked_per_worker),
      endpoints_(policy.endpoints_per_worker) {}

EngineCounters Engine::counters() const {
  EngineCounters counters = counters_;
  counters.tracks_evicted = tracks_.evictions();
  counters.endpoints_evicted = endpoints_.evictions();
  return counters;
}

Track& Engine::TrackFor(uint64_t client, uint64_t endpoint, const CallEvent& call) {
  bool created = false;
  Track& track = tracks_.FindOrInsert(client, endpoint, &created);
  if (created) {
    track.first_ts_ns = call.ts_ns;
    track.client_kind = call.client_kind;
    track.ip_version = call.ip_version;
    std::memcpy(track.client_ip, call.client_ip, sizeof(track.client_ip));
    CopyText(track.client_id, &track.client_id_length, call.client_id, call.client_id_length);
    CopyText(track.host, &track.host_length, call.host, call.host_length);
    CopyText(track.method, &track.method_length, call.method, call.method_length);
    CopyText(track.endpoint, &track.endpoint_length, call.endpoint, call.endpoint_length);
  }
  return track;
}

EndpointStats& Engine::EndpointFor(const CallEvent& call) {
  bool created = false;
  EndpointStats& stats = endpoints_.FindOrInsert(call.endpoint_hash, 0, &created);
  if (created) {
    stats.first_ts_ns = call.ts_ns;
    CopyText(stats.host, &stats.host_length, call.host, call.host_length);
    CopyText(stats.method, &stats.method_length, call.method, call.method_length);
    CopyText(stats.endpoint, &stats.endpoint_length, call.endpoint, call.endpoint_length);
  }
  return stats;
}

void Engine::Remember(Track& track, const CallEvent& call) {
  if (call.ts_ns < track.first_ts_ns) track.first_ts_ns = call.ts_ns;
  if (call.ts_ns > track.last_ts_ns) track.last_ts_ns = call.ts_ns;
  ++track.calls;
  track.records[track.record_count % kMaxRecordRefs] = RecordRef{call.flow_id, call.index};
  ++track.record_count;
  if (call.sample_length > 0) {
    const uint32_t at = track.sample_count % kMaxSampleIds;
    const uint8_t length = call.sample_length < kSampleIdBytes ? call.sample_length : kSampleIdBytes;
    std::memcpy(track.samples[at], call.sample, length);
    track.sample_lengths[at] = length;
    ++track.sample_count;
  }
}

void Engine::Process(const CallEvent& call, uint32_t parts, FindingSink* sink) {
  ++counters_.calls;
  if (call.ts_ns > last_ts_ns_) last_ts_ns_ = call.ts_ns;
  if (parts & kClientPart) ProcessClient(call, sink);
  if (parts & kEndpointPart) ProcessEndpoint(call, sink);
}

void Engine::ProcessClient(const CallEvent& call, FindingSink* sink) {
  Track& client = TrackFor(call.client_hash, 0, call);
  Remember(client, call);
  // The client entry was used last, so making the template entry never evicts it.
  Track& track = TrackFor(call.client_hash, call.endpoint_hash == 0 ? 1 : call.endpoint_hash, call);
  Remember(track, call);
  UpdateLeads(client, track, call);
  CheckClientWide(client, call, sink);
  if (call.object_hash != 0) CheckEnumeration(track, call, sink);
  if (call.page_hash != 0) CheckScraping(track, call, sink);
}

// The endpoint's owner receives every call of the endpoint, so its inventory entry and baseline
// do not depend on the number of workers. The checks against them run here, on a per client and
// template entry of their own.
void Engine::ProcessEndpoint(const CallEvent& call, FindingSink* sink) {
  if (inventory_start_ns_ == 0) inventory_start_ns_ = call.ts_ns;
  EndpointStats& endpoint = EndpointFor(call);
  const uint64_t key = (call.endpoint_hash ^ kEndpointSideKey) | 1;
  Track& track = TrackFor(call.client_hash, key, call);
  Remember(track, call);
  CheckVolumeAgainstEndpoint(track, endpoint, call, sink);
  CheckBaseline(track, endpoint, call, sink);
  Learn(endpoint, call);
}

bool Engine::CanFire(Track& track, Detector detector, const CallEvent& call) {
  const DetectorCommon& common = policy_->common(detector);
  if (!common.enabled) return false;
  return call.ts_ns >= track.fired_until_ns[static_cast<int>(detector)];
}

void Engine::UpdateLeads(Track& client, Track& track, const CallEvent& call) {
  const auto update = [&](int lead, SlidingCount& count, uint64_t window, uint64_t amount) {
    count.Add(call.ts_ns, window, amount);
    const uint64_t value = count.Value(call.ts_ns, window);
    if (client.lead_endpoint[lead] == track.key_b || value > client.lead_amount[lead]) {
      client.lead_endpoint[lead] = track.key_b;
      client.lead_amount[lead] = value;
    }
  };
  if (call.status == 401 || call.status == 403) {
    update(0, track.auth_failures, WindowNs(policy_->auth_failures.common), 1);
  } else if (call.status == 404) {
    update(1, track.not_found, WindowNs(policy_->forced_browsing.common), 1);
  }
  if (call.response_bytes > 0) update(2, track.bytes, WindowNs(policy_->exfiltration.common), call.response_bytes);
}

const Track* Engine::LeadTrack(const Track& client, int lead) {
  if (client.lead_endpoint[lead] == 0) return nullptr;
  return tracks_.Find(client.key_a, client.lead_endpoint[lead]);
}

void Engine::Fire(Track& track, Detector detector, const CallEvent& call, const Evidence* evidence, uint32_t count,
                  FindingSink* sink, const Track* named) {
  const DetectorCommon& common = policy_->common(detector);
  // Whatever the outcome, the detector rests on this entry for a TTL: an allowed client is not
  // re-examined on every call, and a flagged one yields one finding, not one per call.
  track.fired_until_ns[static_cast<int>(detector)] =
      call.ts_ns + static_cast<uint64_t>(policy_->finding_ttl_s) * kNsPerSecond;
  if (Allowed(common.allow, track.ip_version, track.client_ip, track.client_id, track.client_id_length)) {
    ++counters_.allowed;
    return;
  }
  Finding finding{};
  finding.finding_id = (static_cast<uint64_t>(worker_id_) << 48) | next_finding_++;
  finding.client_hash = track.key_a;
  finding.detector = detector;
  finding.action = common.action;
  finding.client_kind = static_cast<ClientKind>(track.client_kind);
  finding.ip_version = track.ip_version;
  std::memcpy(finding.client_ip, track.client_ip, sizeof(finding.client_ip));
  finding.client_id = track.client_id;
  finding.client_id_length = track.client_id_length;
  if (named != nullptr) {
    finding.host = named->host;
    finding.host_length = named->host_length;
    finding.method = named->method;
    finding.method_length = named->method_length;
    finding.endpoint = named->endpoint;
    finding.endpoint_length = named->endpoint_length;
  } else {
    finding.host = call.host;
    finding.host_length = call.host_length;
    finding.method = call.method;
    finding.method_length = call.method_length;
    finding.endpoint = call.endpoint;
    finding.endpoint_length = call.endpoint_length;
  }
  finding.first_ts_ns = track.first_ts_ns;
  finding.last_ts_ns = track.last_ts_ns;
  finding.calls = track.calls;
  finding.evidence_count = std::min(count, kMaxEvidence);
  std::copy(evidence, evidence + finding.evidence_count, finding.evidence);
  finding.sample_count = std::min(track.sample_count, kMaxSampleIds);
  for (uint32_t i = 0; i < finding.sample_count; ++i) {
    const uint32_t at = (track.sample_count - finding.sample_count + i) % kMaxSampleIds;  // oldest first
    finding.sample_ids[i] = track.samples[at];
    finding.sample_lengths[i] = track.sample_lengths[at];
  }
  finding.record_count = std::min(track.record_count, kMaxRecordRefs);
  for (uint32_t i = 0; i < finding.record_count; ++i) {
    const uint32_t back = track.record_count - finding.record_count + i;
    finding.records[i] = track.records[back % kMaxRecordRefs];
  }
  ++counters_.findings[static_cast<int>(detector)];
  sink->OnFinding(finding);
}

// Counts distinct object ids in the window, how sequential their numbers are, and the share of
// successful responses. Guessing ids gives many failures, and walking them a sequence.
// Cost: one pass over the 64 remembered ids per call. The exact distinct count (quadratic) runs
// only when the one-pass estimate shows that the detector is about to fire.
void Engine::CheckEnumeration(Track& track, const CallEvent& call, FindingSink* sink) {
  const EnumerationSettings& settings = policy_->enumeration;
  const uint64_t window_ms = static_cast<uint64_t>(settings.common.window_s) * 1000;
  const uint32_t now_ms = static_cast<uint32_t>((call.ts_ns - std::min(call.ts_ns, track.first_ts_ns)) / 1000000);
  const auto live = [&](const IdSample& sample) { return now_ms < sample.ts_ms || now_ms - sample.ts_ms < window_ms; };
  const auto id_hash = static_cast<uint32_t>(call.object_hash ^ (call.object_hash >> 32));
  const bool is_number = (call.flags & kObjectIsNumber) != 0;
  const auto number = static_cast<uint32_t>(call.object_number);

  // First pass, on every call: is the id new, and has it a numeric neighbour (1 to 3 apart).
  bool novel = true;
  bool neighbour = false;
  for (uint32_t i = 0; i < track.id_count; ++i) {
    IdSample& sample = track.ids[(track.id_head + i) % kIdRing];
    if (!live(sample)) continue;
    if (sample.id_hash == id_hash) novel = false;
    if (is_number && sample.is_number && sample.number != number &&
        (sample.number > number ? sample.number - number : number - sample.number) <= 3) {
      neighbour = true;
      sample.has_neighbour = 1;  // the older id has a neighbour now, too
    }
  }
  IdSample added{now_ms, id_hash, number, call.status, static_cast<uint8_t>(is_number), static_cast<uint8_t>(neighbour)};
  // A full ring drops its oldest id for the new one, but the statistics below still count it.
  const bool full = track.id_count == kIdRing;
  const IdSample dropped = track.ids[track.id_head];
  if (full) {
    track.ids[track.id_head] = added;
    track.id_head = (track.id_head + 1) % kIdRing;
  } else {
    track.ids[(track.id_head + track.id_count) % kIdRing] = added;
    ++track.id_count;
  }
  if (!novel || !CanFire(track, Detector::kEnumeration, call)) return;

  // Second pass, only for a new id that may fire: the statistics of the live ids, the new one and
  // the one it dropped included.
  uint64_t seen[16] = {};  // 1024-bit set of id hashes, for a linear-counting estimate
  uint32_t numeric = 0;
  uint32_t sequential = 0;
  uint32_t answered = 0;
  uint32_t succeeded = 0;
  const auto count = [&](const IdSample& sample) {
    const uint32_t bit = (sample.id_hash * 0x9e3779b1u) >> 22;
    seen[bit / 64] |= 1ull << (bit % 64);
    numeric += sample.is_number;
    sequential += sample.is_number && sample.has_neighbour;
    if (sample.status != 0) {
      ++answered;
      succeeded += sample.status >= 200 && sample.status < 300;
    }
  };
  if (full && live(dropped)) count(dropped);
  for (uint32_t i = 0; i < track.id_count; ++i) {
    const IdSample& sample = track.ids[(track.id_head + i) % kIdRing];
    if (live(sample)) count(sample);
  }
  uint32_t zeros = 0;
  for (const uint64_t word : seen) zeros += static_cast<uint32_t>(64 - __builtin_popcountll(word));
  const double estimate = zeros == 0 ? 1024.0 : 1024.0 * std::log(1024.0 / zeros);
  if (estimate + 1.0 < settings.min_distinct_ids) return;
  const double sequential_share = numeric > 1 ? static_cast<double>(sequential) / numeric : 0.0;
  const double success = answered > 0 ? static_cast<double>(succeeded) / answered : 0.0;
  const bool pattern = sequential_share >= settings.min_sequential_share ||
                       (answered > 0 && 1.0 - success >= settings.min_failure_share);
  if (!pattern && estimate + 1.0 < settings.any_pattern_distinct_ids) return;

  uint32_t hashes[kIdRing];
  uint32_t distinct = 0;
  for (uint32_t i = 0; i < track.id_count; ++i) {
    const IdSample& sample = track.ids[(track.id_head + i) % kIdRing];
    if (!live(sample) || std::find(hashes, hashes + distinct, sample.id_hash) != hashes + distinct) continue;
    hashes[distinct++] = sample.id_hash;
  }
  if (distinct < settings.min_distinct_ids) return;
  if (!pattern && distinct < settings.any_pattern_distinct_ids) return;
  const Evidence evidence[] = {
      {"distinct_ids", static_cast<double>(distinct)},
      {"sequential_share", sequential_share},
      {"success_share", success},
      {"window_s", static_cast<double>(settings.common.window_s)},
      {"threshold", static_cast<double>(settings.min_distinct_ids)},
  };
  Fire(track, Detector::kEnumeration, call, evidence, 5, sink);
}

// Page, offset or cursor values that keep moving forward. A numeric value advances when it
// grows; a cursor advances when it is new among the last few.
void Engine::CheckScraping(Track& track, const CallEvent& call, FindingSink* sink) {
  const ScrapingSettings& settings = policy_->scraping;
  bool advanced = false;
  if (call.flags & kPageIsNumber) {
    advanced = track.has_page && call.page_number > track.last_page_number;
    track.last_page_number = call.page_number;
  } else {
    const auto hash = static_cast<uint32_t>(call.page_hash ^ (call.page_hash >> 32));
    advanced = track.has_page && std::find(track.recent_pages, track.recent_pages + kPageMemory, hash) ==
                                     track.recent_pages + kPageMemory;
    track.recent_pages[track.page_next++ % kPageMemory] = hash;
  }
  track.has_page = true;
  if (!advanced) return;
  const uint64_t window = WindowNs(settings.common);
  const uint64_t weight = call.page_size >= settings.large_page_size ? settings.large_page_weight : 1;
  track.advances.Add(call.ts_ns, window, weight);
  if (!CanFire(track, Detector::kScraping, call)) return;
  const uint64_t advances = track.advances.Value(call.ts_ns, window);
  if (advances < settings.min_advances) return;
  const Evidence evidence[] = {
      {"weighted_advances", static_cast<double>(advances)},
      {"page_size", static_cast<double>(call.page_size)},
      {"last_page", static_cast<double>(call.page_number)},
      {"window_s", static_cast<double>(settings.common.window_s)},
      {"threshold", static_cast<double>(settings.min_advances)},
  };
  Fire(track, Detector::kScraping, call, evidence, 5, sink);
}

void Engine::CheckClientWide(Track& client, const CallEvent& call, FindingSink* sink) {
  const auto burst = [&](const BurstSettings& settings, SlidingCount& count, Detector detector, const char* key,
                         int lead) {
    const uint64_t window = WindowNs(settings.common);
    count.Add(call.ts_ns, window, 1);
    if (!CanFire(client, detector, call)) return;
    const uint64_t value = count.Value(call.ts_ns, window);
    if (value < settings.min_count) return;
    const Evidence evidence[] = {
        {key, static_cast<double>(value)},
        {"window_s", static_cast<double>(settings.common.window_s)},
        {"threshold", static_cast<double>(settings.min_count)},
    };
    Fire(client, detector, call, evidence, 3, sink, LeadTrack(client, lead));
  };
  if (call.status == 401 || call.status == 403) {
    burst(policy_->auth_failures, client.auth_failures, Detector::kAuthFailures, "failures", 0);
  } else if (call.status == 404) {
    burst(policy_->forced_browsing, client.not_found, Detector::kForcedBrowsing, "not_found", 1);
  }

  const ExfiltrationSettings& settings = policy_->exfiltration;
  const uint64_t window = WindowNs(settings.common);
  client.bytes.Add(call.ts_ns, window, call.response_bytes);
  client.pii.Add(call.ts_ns, window, call.pii_items);
  if (call.response_bytes == 0 && call.pii_items == 0) return;
  if (!CanFire(client, Detector::kExfiltration, call)) return;
  const uint64_t bytes = client.bytes.Value(call.ts_ns, window);
  const uint64_t pii = client.pii.Value(call.ts_ns, window);
  if (bytes < settings.min_response_bytes && pii < settings.min_pii_items) return;
  const Evidence evidence[] = {
      {"bytes", static_cast<double>(bytes)},
      {"pii_items", static_cast<double>(pii)},
      {"window_s", static_cast<double>(settings.common.window_s)},
      {"threshold_bytes", static_cast<double>(settings.min_response_bytes)},
      {"threshold_pii_items", static_cast<double>(settings.min_pii_items)},
  };
  Fire(client, Detector::kExfiltration, call, evidence, 5, sink, LeadTrack(client, 2));
}

// Large pages: the client's response bytes on one template in the window, against what the
// endpoint's mean response size predicts for that many calls. The endpoint needs
// kMinEndpointCalls calls first so that one client's first calls are not its own baseline.
void Engine::CheckVolumeAgainstEndpoint(Track& track, const EndpointStats& endpoint, const CallEvent& call,
                                        FindingSink* sink) {
  constexpr uint64_t kMinEndpointCalls = 50;
  const ExfiltrationSettings& settings = policy_->exfiltration;
  const uint64_t window = WindowNs(settings.common);
  track.window_calls.Add(call.ts_ns, window, 1);
  track.bytes.Add(call.ts_ns, window, call.response_bytes);
  if (endpoint.calls < kMinEndpointCalls || call.response_bytes == 0) return;
  if (!CanFire(track, Detector::kExfiltration, call)) return;
  const uint64_t bytes = track.bytes.Value(call.ts_ns, window);
  if (bytes < settings.min_baseline_bytes) return;
  const uint64_t calls = std::max<uint64_t>(track.window_calls.Value(call.ts_ns, window), 1);
  const double mean = static_cast<double>(endpoint.response_bytes) / static_cast<double>(endpoint.calls);
  const double expected = mean * static_cast<double>(calls);
  if (static_cast<double>(bytes) < settings.baseline_factor * expected) return;
  const Evidence evidence[] = {
      {"bytes", static_cast<double>(bytes)},
      {"calls", static_cast<double>(calls)},
      {"endpoint_mean_bytes", mean},
      {"baseline_factor", settings.baseline_factor},
      {"window_s", static_cast<double>(settings.common.window_s)},
      {"threshold_bytes", static_cast<double>(settings.min_baseline_bytes)},
  };
  Fire(track, Detector::kExfiltration, call, evidence, 6, sink);
}

// After learning, a call is an outlier when its response is far above the learned p99 size or
// its status class was (almost) never seen while learning.
void Engine::CheckBaseline(Track& track, EndpointStats& endpoint, const CallEvent& call, FindingSink* sink) {
  const BaselineSettings& settings = policy_->baseline;
  if (!endpoint.learned || call.ts_ns < endpoint.learned_at_ns || !settings.common.enabled) return;
  const uint64_t size_limit =
      static_cast<uint64_t>(settings.size_factor * static_cast<double>(std::max<uint64_t>(endpoint.learned_p99_bytes, 1024)));
  const bool too_large = call.response_bytes > size_limit;
  const bool rare_status = endpoint.learned_status_share[StatusClass(call.status)] < 0.001;
  if (!too_large && !rare_status) return;
  const uint64_t window = WindowNs(settings.common);
  track.outliers.Add(call.ts_ns, window, 1);
  if (!CanFire(track, Detector::kBaselineDeviation, call)) return;
  const uint64_t outliers = track.outliers.Value(call.ts_ns, window);
  if (outliers < settings.min_outliers) return;
  const Evidence evidence[] = {
      {"outliers", static_cast<double>(outliers)},
      {"bytes", static_cast<double>(call.response_bytes)},
      {"learned_p99_bytes", static_cast<double>(endpoint.learned_p99_bytes)},
      {"status", static_cast<double>(call.status)},
      {"window_s", static_cast<double>(settings.common.window_s)},
      {"threshold", static_cast<double>(settings.min_outliers)},
  };
  Fire(track, Detector::kBaselineDeviation, call, evidence, 6, sink);
}

void Engine::Learn(EndpointStats& endpoint, const CallEvent& call) {
  if (call.ts_ns < endpoint.first_ts_ns) endpoint.first_ts_ns = call.ts_ns;
  if (call.ts_ns > endpoint.last_ts_ns) endpoint.last_ts_ns = call.ts_ns;
  ++endpoint.calls;
  ++endpoint.status_classes[StatusClass(call.status)];
  endpoint.response_bytes += call.response_bytes;
  ++endpoint.size_buckets[Log2Bucket(call.response_bytes)];
  const uint64_t mixed = call.client_hash * 0x9e3779b97f4a7c15ull;
  uint8_t& reg = endpoint.client_registers[mixed >> 58];
  reg = std::max(reg, Rank(mixed));
  const BaselineSettings& settings = policy_->baseline;
  if (endpoint.learned || endpoint.calls < settings.learning_calls ||
      endpoint.last_ts_ns - endpoint.first_ts_ns < static_cast<uint64_t>(settings.learning_s) * kNsPerSecond) {
    return;
  }
  endpoint.learned = true;
  endpoint.learned_at_ns = endpoint.last_ts_ns;
  endpoint.learned_p99_bytes = Quantile(endpoint, 0.99);
  for (int i = 0; i < 6; ++i) {
    endpoint.learned_status_share[i] = static_cast<double>(endpoint.status_classes[i]) / endpoint.calls;
  }
}

// Returns the upper bound of the log2 bucket that contains quantile `q`.
uint64_t Engine::Quantile(const EndpointStats& stats, double q) {
  if (stats.calls == 0) return 0;
  const auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(stats.calls)));
  uint64_t seen = 0;
  for (uint32_t bucket = 0; bucket < kSizeBuckets; ++bucket) {
    seen += stats.size_buckets[bucket];
    if (seen >= rank) return bucket == 0 ? 0 : (1ull << bucket) - 1;
  }
  return (1ull << (kSizeBuckets - 1)) - 1;
}

// HyperLogLog estimate over 64 registers, with the small-range (linear counting) correction.
uint32_t Engine::DistinctClients(const EndpointStats& stats) {
  double sum = 0;
  uint32_t zeros = 0;
  for (const uint8_t reg : stats.client_registers) {
    sum += std::ldexp(1.0, -reg);
    zeros += reg == 0;
  }
  const double m = kClientSketch;
  double estimate = 0.709 * m * m / sum;
  if (estimate <= 2.5 * m && zeros > 0) estimate = m * std::log(m / zeros);
  return static_cast<uint32_t>(std::lround(estimate));
}

void Engine::MaybeExportInventory(uint64_t now_ns, bool force, InventorySink* sink) {
  if (inventory_start_ns_ == 0 || endpoints_.size() == 0) return;
  const uint64_t period = static_cast<uint64_t>(policy_->inventory_interval_s) * kNsPerSecond;
  if (!force && now_ns < inventory_start_ns_ + period) return;
  for (uint32_t i = 0; i < endpoints_.size(); ++i) {
    const EndpointStats& stats = endpoints_.at(i);
    sink->OnEndpoint(stats, Quantile(stats, 0.5), Quantile(stats, 0.9), Quantile(stats, 0.99), DistinctClients(stats));
  }
  const uint64_t end = std::max(now_ns, last_ts_ns_);
  sink->OnInventoryEnd(inventory_start_ns_, end);
  inventory_start_ns_ = end;
}

}  // namespace sluice::detect
