// A detector's finding, as the owning worker hands it to its record builder.
#pragma once

#include <cstdint>

#include "dataplane/detect/call_event.h"
#include "dataplane/detect/policy.h"

namespace sluice::detect {

inline constexpr uint32_t kMaxEvidence = 10;
inline constexpr uint32_t kMaxSampleIds = 4;
inline constexpr uint32_t kMaxRecordRefs = 8;

struct Evidence {
  const char* key;    // a string literal
  double value;
};

struct RecordRef {
  uint64_t flow_id;
  uint32_t index;
};

struct Finding {
  uint64_t finding_id;
  uint64_t client_hash;
  Detector detector;
  Action action;
  ClientKind client_kind;
  uint8_t ip_version;
  uint8_t client_ip[16];
  const char* client_id;       // these point into the owner's table entry until the next call
  uint32_t client_id_length;
  const char* host;
  uint32_t host_length;
  const char* method;
  uint32_t method_length;
  const char* endpoint;        // client-wide detectors: the template with most of the matching calls
  uint32_t endpoint_length;
  uint64_t first_ts_ns;
  uint64_t last_ts_ns;
  uint64_t calls;
  Evidence evidence[kMaxEvidence];
  uint32_t evidence_count;
  const char* sample_ids[kMaxSampleIds];
  uint32_t sample_lengths[kMaxSampleIds];
  uint32_t sample_count;
  RecordRef records[kMaxRecordRefs];
  uint32_t record_count;
};

// The receiver of findings: the worker's agent, which records them (and tests).
class FindingSink {
 public:
  virtual ~FindingSink() = default;
  virtual void OnFinding(const Finding& finding) = 0;
};

}  // namespace sluice::detect
