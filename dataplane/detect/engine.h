// The detectors of one worker. State has two kinds of owner, so that every piece of it is computed
// from the same calls whatever the number of workers:
//  - client part: the clients this worker owns (chosen by a hash of the client identity). Per
//    client and per client and template state; enumeration, scraping, auth failures, forced
//    browsing and the client-wide exfiltration volume. It sees every call of its clients.
//  - endpoint part: the endpoints this worker owns (chosen by the endpoint hash). The inventory
//    entry and baseline of each endpoint, and the detectors that compare a client's calls with
//    that baseline (exfiltration against the endpoint's mean size, baseline deviation), on a
//    separate per client and template entry. It sees every call of its endpoints.
// With one worker, one engine owns both parts of every call.
//
// Ownership: one Engine per worker lcore; it sees only calls routed to it, so it needs no lock.
// Built on the main lcore; all memory is allocated then.
#pragma once

#include <cstdint>
#include <memory>

#include "dataplane/detect/call_event.h"
#include "dataplane/detect/finding.h"
#include "dataplane/detect/lru_table.h"
#include "dataplane/detect/policy.h"
#include "dataplane/detect/sliding_count.h"

namespace sluice::detect {

inline constexpr uint32_t kIdRing = 64;        // object ids remembered per client and template
inline constexpr uint32_t kPageMemory = 4;     // recent cursor values remembered
inline constexpr uint32_t kSizeBuckets = 40;   // log2 buckets of response sizes
inline constexpr uint32_t kClientSketch = 64;  // registers of the distinct-client estimate

struct IdSample {
  uint32_t ts_ms;     // packet time relative to the entry's first call, in ms
  uint32_t id_hash;
  uint32_t number;    // low 32 bits of a numeric id
  uint16_t status;
  uint8_t is_number;
  uint8_t has_neighbour;  // another remembered id is 1 to 3 away: part of a sequence
};

// State per (client, template), and per client (endpoint key 0) for client-wide detectors.
struct Track {
  uint64_t key_a;                 // client hash
  uint64_t key_b;                 // endpoint hash, 0 for the client-wide entry
  uint64_t first_ts_ns;
  uint64_t last_ts_ns;
  uint64_t calls;
  IdSample ids[kIdRing];          // ring, oldest at id_head
  uint32_t id_head;
  uint32_t id_count;
  uint64_t last_page_number;
  uint32_t recent_pages[kPageMemory];
  uint32_t page_next;
  bool has_page;
  SlidingCount advances;          // weighted page advances
  SlidingCount auth_failures;     // client-wide: 401 and 403
  SlidingCount not_found;         // client-wide: 404
  SlidingCount bytes;             // client-wide: response body bytes
  SlidingCount pii;               // client-wide: personal data items in responses
  SlidingCount outliers;          // calls far outside the endpoint's baseline
  SlidingCount window_calls;      // template entry: calls in the exfiltration window
  uint64_t fired_until_ns[kDetectorCount];
  // Client-wide entry only: for auth failures, 404 responses and response volume, the template
  // (endpoint hash) with the most of them in its own window. Client-wide findings name
  // it, so the template does not depend on which call happened to cross the threshold.
  uint64_t lead_endpoint[3];
  uint64_t lead_amount[3];
  RecordRef records[kMaxRecordRefs];
  uint32_t record_count;
  char samples[kMaxSampleIds][kSampleIdBytes];
  uint8_t sample_lengths[kMaxSampleIds];
  uint32_t sample_count;
  uint8_t client_kind;
  uint8_t ip_version;
  uint8_t client_id_length;
  uint8_t host_length;
  uint8_t method_length;
  uint8_t endpoint_length;
  uint8_t client_ip[16];
  char client_id[kClientIdBytes];
  char host[kEventHostBytes];
  char method[kEventMethodBytes];
  char endpoint[kEventTemplateBytes];
};

// The inventory entry of one host, method and template, with its learned baseline.
struct EndpointStats {
  uint64_t key_a;                 // endpoint hash
  uint64_t key_b;                 // unused (0)
  uint64_t first_ts_ns;
  uint64_t last_ts_ns;
  uint64_t calls;
  uint64_t status_classes[6];     // no response, 1xx, 2xx, 3xx, 4xx, 5xx
  uint64_t response_bytes;
  uint32_t size_buckets[kSizeBuckets];
  uint8_t client_registers[kClientSketch];
  bool learned;
  // Packet time at which the profile was learned: the latest call seen then. Calls older than this
  // that arrive later (over a ring, from a worker that is behind) are not judged against the
  // profile, as they would not have been with one worker.
  uint64_t learned_at_ns;
  uint64_t learned_p99_bytes;
  double learned_status_share[6];
  uint8_t host_length;
  uint8_t method_length;
  uint8_t endpoint_length;
  char host[kEventHostBytes];
  char method[kEventMethodBytes];
  char endpoint[kEventTemplateBytes];
};

struct EngineCounters {
  uint64_t calls = 0;
  uint64_t findings[kDetectorCount] = {};
  uint64_t allowed = 0;           // detections suppressed by an allow-list
  uint64_t tracks_evicted = 0;
  uint64_t endpoints_evicted = 0;
};

// Receives the inventory, one entry at a time.
class InventorySink {
 public:
  virtual ~InventorySink() = default;
  virtual void OnEndpoint(const EndpointStats& stats, uint64_t p50, uint64_t p90, uint64_t p99,
                          uint32_t distinct_clients) = 0;
  virtual void OnInventoryEnd(uint64_t window_start_ns, uint64_t window_end_ns) = 0;
};

class Engine {
 public:
  Engine(uint16_t worker_id, const DetectorPolicy& policy);

  // A policy with the same capacities (SameShape). Main lcore hands it over between bursts.
  void SetPolicy(const DetectorPolicy* policy) { policy_ = policy; }
  // Runs every detector on one call (one worker owns both parts).
  void Process(const CallEvent& call, FindingSink* sink) { Process(call, kBothParts, sink); }
  // Runs the parts (CallParts) of the detectors this worker owns for the call.
  void Process(const CallEvent& call, uint32_t parts, FindingSink* sink);
  // Exports the inventory when its period has passed in packet time, or always with `force`.
  void MaybeExportInventory(uint64_t now_ns, bool force, InventorySink* sink);

  uint32_t tracked() const { return tracks_.size(); }
  EngineCounters counters() const;
  static uint64_t Quantile(const EndpointStats& stats, double q);
  static uint32_t DistinctClients(const EndpointStats& stats);

 private:
  void ProcessClient(const CallEvent& call, FindingSink* sink);
  void ProcessEndpoint(const CallEvent& call, FindingSink* sink);
  Track& TrackFor(uint64_t client, uint64_t endpoint, const CallEvent& call);
  EndpointStats& EndpointFor(const CallEvent& call);
  void Remember(Track& track, const CallEvent& call);
  bool CanFire(Track& track, Detector detector, const CallEvent& call);
  void Fire(Track& track, Detector detector, const CallEvent& call, const Evidence* evidence, uint32_t count,
            FindingSink* sink, const Track* named = nullptr);
  void CheckEnumeration(Track& track, const CallEvent& call, FindingSink* sink);
  void CheckScraping(Track& track, const CallEvent& call, FindingSink* sink);
  void CheckClientWide(Track& client, const CallEvent& call, FindingSink* sink);
  void UpdateLeads(Track& client, Track& track, const CallEvent& call);
  // The template entry a client-wide finding names, or null to name the call's own template.
  const Track* LeadTrack(const Track& client, int lead);
  void CheckBaseline(Track& track, EndpointStats& endpoint, const CallEvent& call, FindingSink* sink);
  void CheckVolumeAgainstEndpoint(Track& track, const EndpointStats& endpoint, const CallEvent& call,
                                  FindingSink* sink);
  void Learn(EndpointStats& endpoint, const CallEvent& call);

  uint16_t worker_id_;
  const DetectorPolicy* policy_;
  LruTable<Track> tracks_;
  LruTable<EndpointStats> endpoints_;
  EngineCounters counters_;
  uint64_t next_finding_ = 1;
  uint64_t inventory_start_ns_ = 0;
  uint64_t last_ts_ns_ = 0;
};

// Returns the worker that owns a client or an endpoint: the same for a given hash whichever
// worker parsed the call.
inline uint32_t OwnerOf(uint64_t hash, uint32_t workers) {
  return static_cast<uint32_t>((hash >> 32) % workers);
}

// The endpoint part keys its per client and template entries with this mixed into the endpoint
// hash, so that they never share an entry with the client part when one worker owns both.
inline constexpr uint64_t kEndpointSideKey = 0x5bd1e9955bd1e995ull;

}  // namespace sluice::detect
