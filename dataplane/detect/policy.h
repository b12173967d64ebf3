// Detector settings: the `detectors:` section of the data plane configuration. Every default
// lives in this file. Windows and thresholds are in packet time, so an offline run over a capture
// finds what live inspection of the same traffic would have found.
//
// Ownership: built on the main lcore (config load or Pipeline::ApplyDetectorPolicy), then shared
// read-only by every worker through a shared_ptr<const DetectorPolicy>.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::detect {

enum class Detector : uint8_t {
  kEnumeration = 0,
  kScraping,
  kExfiltration,
  kAuthFailures,
  kForcedBrowsing,
  kBaselineDeviation,
  kCount,
};
inline constexpr int kDetectorCount = static_cast<int>(Detector::kCount);

// Stable names, used in config keys, records and counters.
const char* DetectorName(Detector detector);

// The effect of a finding on the client's later calls. Inline, block stops them. Offline and
// passive, they are recorded as would_block.
enum class Action : uint8_t { kLog = 0, kTag = 1, kBlock = 2 };
const char* ActionName(Action action);

// The source of a client identity.
enum class ClientKind : uint8_t { kIp = 0, kApiKey, kBearer, kJwtSub, kBasicUser, kIpFallback };
const char* ClientKindName(ClientKind kind);

// An allow-list entry: a network (IPv4 or IPv6) or a client identity as records show it (the
// pseudonym for token kinds, the address text for addresses).
struct Network {
  uint8_t ip[16] = {};
  uint8_t version = 4;
  uint8_t prefix = 32;
};

struct AllowList {
  std::vector<Network> networks;
  std::vector<std::string> identities;
};

// Settings every detector has.
struct DetectorCommon {
  bool enabled = true;
  Action action = Action::kTag;
  uint32_t window_s = 300;
  AllowList allow;
};

struct EnumerationSettings {
  DetectorCommon common{true, Action::kTag, 600, {}};
  uint32_t min_distinct_ids = 25;       // distinct object ids in the window before judging
  double min_sequential_share = 0.5;    // share of numeric ids with another id 1 to 3 away
  double min_failure_share = 0.4;       // share of non-2xx responses (ids guessed at random)
  uint32_t any_pattern_distinct_ids = 60;  // this many distinct ids fire whatever their pattern
};

struct ScrapingSettings {
  DetectorCommon common{true, Action::kTag, 600, {}};
  uint32_t min_advances = 40;           // weighted page advances in the window
  uint32_t large_page_size = 200;       // a page size parameter at least this large ...
  uint32_t large_page_weight = 3;       // ... counts as this many advances
};

// Volume alone is weaker evidence than a pattern (a load test or a backend service also reads a
// lot), so exfiltration findings only log by default.
struct ExfiltrationSettings {
  DetectorCommon common{true, Action::kLog, 300, {}};
  uint64_t min_response_bytes = 20ull * 1024 * 1024;  // response body bytes per client and window
  // Personal data items in responses per client and window. Tuning scenarios: benign clients
  // reach at most ~2400 (a NAT address of many users, a batch job), large-page exfiltration
  // 40000 or more (6600 in its first call); 2000 flagged busy NAT addresses and batch jobs.
  uint32_t min_pii_items = 5000;
  // Also fires when a client's bytes on one template reach this multiple of what the endpoint's
  // mean response size predicts for its calls in the window, and at least min_baseline_bytes.
  double baseline_factor = 20.0;
  uint64_t min_baseline_bytes = 2ull * 1024 * 1024;
};

struct BurstSettings {
  DetectorCommon common;
  uint32_t min_count = 20;              // matching responses per client in the window
};

struct BaselineSettings {
  DetectorCommon common{true, Action::kLog, 300, {}};
  uint32_t learning_calls = 200;        // calls an endpoint needs before it has a profile ...
  uint32_t learning_s = 600;            // ... and seconds since it was first seen
  double size_factor = 10.0;            // a response this many times the learned p99 is far outside
  uint32_t min_outliers = 5;            // outlying calls per client and template in the window
};

struct IdentitySettings {
  ClientKind kind = ClientKind::kIp;
  std::string header = "x-api-key";    // for kApiKey, lower case
};

struct DetectorPolicy {
  bool enabled = true;
  IdentitySettings identity;
  EnumerationSettings enumeration;
  ScrapingSettings scraping;
  ExfiltrationSettings exfiltration;
  BurstSettings auth_failures{{true, Action::kTag, 60, {}}, 20};
  BurstSettings forced_browsing{{true, Action::kTag, 60, {}}, 40};
  BaselineSettings baseline;
  // Capacity, fixed at start: a policy swap never changes these.
  uint32_t tracked_per_worker = 16384;  // client+template entries per worker (sizeof(Track) each)
  uint32_t flagged_per_worker = 8192;   // flagged clients each worker remembers
  uint32_t endpoints_per_worker = 4096; // inventory entries per worker
  uint32_t event_ring_size = 8192;      // call events waiting for their owning worker
  uint32_t finding_ttl_s = 3600;        // later calls carry a finding this long (packet time)
  uint32_t inventory_interval_s = 300;  // inventory export period (packet time)
  uint32_t max_template_bytes = 96;     // larger values act as kEventTemplateBytes (call_event.h)

  const DetectorCommon& common(Detector detector) const;
};

// Parses a `detectors:` mapping (YAML text: either the mapping itself or a document with a
// top-level `detectors:` key) over the defaults. Returns false with a message naming the key.
bool ParsePolicyText(const std::string& yaml_text, DetectorPolicy* policy, std::string* error);

// True when `next` differs from `current` only in values that a running worker can adopt
// without resetting its tables (thresholds, windows, actions, allow-lists).
bool SameShape(const DetectorPolicy& current, const DetectorPolicy& next, std::string* why);

// Parses a policy update like ParsePolicyText and checks it with SameShape against `current`.
// Returns false with every error, one per line: the keys that failed and the restart-only keys
// among those that parsed.
bool ParsePolicyUpdate(const DetectorPolicy& current, const std::string& yaml_text, DetectorPolicy* next,
                       std::string* error);

// True when `ip` (version 4 or 6, 4 or 16 bytes) or `identity` is on the list.
bool Allowed(const AllowList& list, uint8_t version, const uint8_t* ip, const char* identity,
             uint32_t identity_length);

}  // namespace sluice::detect

namespace YAML {
class Node;
}

namespace sluice::detect {
// Parses an already loaded `detectors:` node over `policy`; for the data plane config loader.
// `prefix` starts the key names in error messages.
bool ParsePolicyNode(const YAML::Node& node, const std::string& prefix, DetectorPolicy* policy, std::string* error);
}  // namespace sluice::detect
