// The clients with findings in force, as one worker knows them: its own findings and the
// notices other workers' detectors sent. Later calls of these clients carry the finding ids and
// get the finding's action. Fixed capacity; a full probe run replaces the entry that expires
// first, and that eviction is counted.
//
// Ownership: one table per worker lcore.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/detect/call_event.h"

namespace sluice::detect {

struct FlaggedClient {
  static constexpr uint32_t kMaxFindings = 4;
  uint64_t client_hash;     // 0: free
  uint64_t until_ns;        // the latest expiry among its findings
  uint64_t findings[kMaxFindings];
  uint64_t finding_until_ns[kMaxFindings];
  uint8_t finding_count;
  uint8_t action;           // the strongest action among its findings
  uint8_t block_detector;   // the detector behind a block action
};

class FlaggedClients {
 public:
  explicit FlaggedClients(uint32_t capacity);

  void Add(const FindingNotice& notice);
  // The entry for `client_hash` with at least one finding in force at `now_ns`, or null.
  const FlaggedClient* Find(uint64_t client_hash, uint64_t now_ns) const;
  uint64_t evictions() const { return evictions_; }

 private:
  static constexpr uint32_t kProbe = 8;
  std::vector<FlaggedClient> slots_;
  uint32_t mask_;
  uint64_t evictions_ = 0;
};

}  // namespace sluice::detect
