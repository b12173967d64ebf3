#pragma once

#include <cstdint>
#include <string>

#include "perf/gen/gen_stats.h"

namespace sluice::scenario {

// What identifies a client in the capture, so a run of the product with the same client identity
// setting can be scored against the labels.
enum class IdentityKind {
  kIp,      // The source address; each client has its own, except the users behind a NAT.
  kApiKey,  // An X-API-Key header; most clients share a few egress addresses.
  kBearer,  // An opaque "Authorization: Bearer" token; shared addresses as for kApiKey.
  kJwtSub,  // The "sub" claim of an unsigned-looking JWT bearer token; shared addresses.
};

const char* IdentityKindName(IdentityKind kind);
bool ParseIdentityKind(const std::string& name, IdentityKind* kind);

struct ScenarioOptions {
  uint64_t seed = 1;
  std::string shape = "full";        // See DescribeShapes().
  std::string endpoint_names = "accounts";
  IdentityKind identity = IdentityKind::kIp;
  double minutes = 20;               // Simulated capture length.
  int normal_clients = 40;
  int nat_users = 12;                // Users behind each nat_address client.
  int shared_addresses = 4;          // Egress addresses clients share unless identity is kIp.
  double attack_rate = 1;            // Multiplies attack call rates.
  double attack_scale = 1;           // Multiplies attack call counts.
  double normal_rate = 1;            // Multiplies how often benign clients open sessions.
  std::string out_path;              // pcap to write.
  std::string labels_path;           // Labels JSON to write.
};

// Writes the capture and its labels. Returns false and fills `error` on an invalid option or a
// file that cannot be written. `stats` receives the capture totals.
bool GenerateScenario(const ScenarioOptions& options, gen::GenStats* stats, std::string* error);

}  // namespace sluice::scenario
