// Fixed-size messages between workers: a finished call sent to the worker that owns its client,
// and a finding notice sent back to every worker. They travel by value in rte_ring element rings.
#pragma once

#include <cstdint>

namespace sluice::detect {

inline constexpr uint32_t kEventTemplateBytes = 96;
inline constexpr uint32_t kEventHostBytes = 48;
inline constexpr uint32_t kEventMethodBytes = 12;
inline constexpr uint32_t kClientIdBytes = 40;  // 32 hex digits of a pseudonym, or an address
inline constexpr uint32_t kSampleIdBytes = 32;

enum CallFlags : uint8_t {
  kObjectIsNumber = 1,
  kPageIsNumber = 2,
  kHasResponse = 4,
};

// One finished call, as the parsing worker saw it (344 bytes; 352 as a DetectMessage).
struct CallEvent {
  uint64_t ts_ns;            // request time (packet time)
  uint64_t client_hash;      // chooses the owning worker
  uint64_t endpoint_hash;    // host, method and template
  uint64_t object_hash;      // 0: the path has no object id
  uint64_t object_number;
  uint64_t page_hash;        // 0: no page, offset or cursor parameter
  uint64_t page_number;
  uint64_t flow_id;
  uint64_t response_bytes;
  uint32_t index;            // transaction index in the flow
  uint32_t page_size;        // 0: no page size parameter
  uint32_t pii_items;        // personal data items found in the response
  uint16_t status;
  uint8_t client_kind;       // ClientKind
  uint8_t ip_version;
  uint8_t flags;             // CallFlags
  uint8_t endpoint_length;
  uint8_t host_length;
  uint8_t method_length;
  uint8_t client_id_length;
  uint8_t sample_length;
  uint8_t reserved[2];
  uint8_t client_ip[16];
  char client_id[kClientIdBytes];
  char method[kEventMethodBytes];
  char host[kEventHostBytes];
  char endpoint[kEventTemplateBytes];
  char sample[kSampleIdBytes];  // the object id as recorded (a pseudonym when it looks personal)
};

// A finding in force for a client, sent by its owner to every other worker.
struct FindingNotice {
  uint64_t client_hash;
  uint64_t finding_id;
  uint64_t until_ns;         // packet time after which later calls no longer carry it
  uint8_t action;            // Action
  uint8_t detector;          // Detector
};

enum class MessageKind : uint32_t { kCall = 1, kFinding = 2 };

// Which halves of the detectors a kCall message is for (CallParts in `parts`): the client's
// (its owner, chosen by the client hash) and the endpoint's (its owner, chosen by the endpoint
// hash). One message carries both when one worker owns both.
enum CallParts : uint32_t {
  kClientPart = 1,
  kEndpointPart = 2,
  kBothParts = 3,
};

struct DetectMessage {
  MessageKind kind;
  uint32_t parts;  // CallParts, for kCall
  union {
    CallEvent call;
    FindingNotice finding;
  };
};
static_assert(sizeof(DetectMessage) % 8 == 0, "rte_ring element sizes must be a multiple of 4");

}  // namespace sluice::detect
