// Integrity check of a store directory: the segment chain, its signatures and its two ends.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/store/signing.h"

namespace sluice::control::store {

// One broken item. `segment` is 0 for the chain-head and chain-anchor files.
struct VerifyProblem {
  uint64_t segment = 0;
  std::string file;
  std::string kind;    // missing, reordered, hash_mismatch, chain_broken, bad_signature,
                       // truncated, corrupt, head, anchor
  std::string reason;  // one sentence for the operator
};

struct VerifyReport {
  uint64_t first_segment = 0;  // first segment the chain should hold (1, or the anchor's)
  uint64_t last_segment = 0;
  uint64_t segments_checked = 0;
  uint64_t segments_sealed = 0;
  uint64_t segments_open = 0;  // the newest segment, still being written, checked by checksums
  uint64_t frames = 0;
  uint64_t retained_from = 0;  // anchor: segments below it were deleted by retention
  std::vector<VerifyProblem> problems;

  bool ok() const { return problems.empty(); }
};

// Checks every segment in `directory` against `key` (the store's Ed25519 public key). Reads the
// segment files, chain-head and chain-anchor only; the index, which is not signed, adds the
// numbers of segments it lists, so that a missing newest segment is reported too. Returns an empty
// string when the check ran (look at report.problems), or an error when it could not.
std::string VerifyStore(const std::string& directory, EVP_PKEY* key, VerifyReport& report);

}  // namespace sluice::control::store
