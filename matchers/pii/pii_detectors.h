// PII detection settings and the fingerprint key. Built off the workers, then immutable and
// shared.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "matchers/pii/fingerprint.h"
#include "matchers/pii/pii_types.h"

namespace sluice::matchers {

struct PiiConfig {
  std::string hmac_key;                 // fingerprint key; must not be empty
  uint32_t fields = 0;                  // PiiField bits: where to look
  uint32_t types = kAllPiiTypes;        // PiiTypeBit() bits: what to look for
};

// The regular expression of a pattern type's candidates, in Hyperscan syntax, to be read with
// HS_FLAG_SOM_LEFTMOST; empty for the types found by header name. FindPiiCandidates()
// implements these; tests compare the two.
std::string_view PiiPatternExpression(PiiType type);

class PiiDetectorSet {
 public:
  // Returns nullptr and sets *error when the key is empty.
  static std::shared_ptr<const PiiDetectorSet> Create(const PiiConfig& config,
                                                      std::string* error);
  PiiDetectorSet(const PiiDetectorSet&) = delete;
  PiiDetectorSet& operator=(const PiiDetectorSet&) = delete;

  const PiiConfig& config() const { return config_; }
  bool field_enabled(PiiField field) const { return (config_.fields & field) != 0; }
  bool type_enabled(PiiType type) const { return (config_.types & PiiTypeBit(type)) != 0; }
  const Fingerprinter& fingerprinter() const { return fingerprinter_; }
  // PiiTypeBit() bits of the enabled types that FindPiiCandidates() looks for.
  uint32_t pattern_types() const { return config_.types & kPatternTypes; }

 private:
  // kEmail to kPemPrivateKey: the types with a pattern.
  static constexpr uint32_t kPatternTypes = PiiTypeBit(PiiType::kBearerToken) - 1;

  explicit PiiDetectorSet(const PiiConfig& config)
      : config_(config), fingerprinter_(config.hmac_key) {}

  PiiConfig config_;
  Fingerprinter fingerprinter_;
};

}  // namespace sluice::matchers
