// Compiled PII candidate patterns (Hyperscan, HS_FLAG_SOM_LEFTMOST so each candidate comes with
// its start) and the detection settings. Built off the workers, then immutable and shared.
#pragma once

#include <hs/hs.h>

#include <memory>
#include <string>

#include "matchers/pii/fingerprint.h"
#include "matchers/pii/pii_types.h"

namespace sluice::matchers {

struct PiiConfig {
  std::string hmac_key;                 // fingerprint key; must not be empty
  uint32_t fields = 0;                  // PiiField bits: where to look
  uint32_t types = kAllPiiTypes;        // PiiTypeBit() bits: what to look for
};

class PiiDetectorSet {
 public:
  // Returns nullptr and sets *error when the key is empty or Hyperscan fails.
  static std::shared_ptr<const PiiDetectorSet> Create(const PiiConfig& config,
                                                      std::string* error);
  ~PiiDetectorSet();
  PiiDetectorSet(const PiiDetectorSet&) = delete;
  PiiDetectorSet& operator=(const PiiDetectorSet&) = delete;

  const PiiConfig& config() const { return config_; }
  bool field_enabled(PiiField field) const { return (config_.fields & field) != 0; }
  bool type_enabled(PiiType type) const { return (config_.types & PiiTypeBit(type)) != 0; }
  const Fingerprinter& fingerprinter() const { return fingerprinter_; }
  // nullptr when no pattern type is enabled.
  const hs_database_t* block_db() const { return block_db_; }
  const hs_database_t* stream_db() const { return stream_db_; }
  const hs_scratch_t* prototype_scratch() const { return scratch_; }

 private:
  explicit PiiDetectorSet(const PiiConfig& config)
      : config_(config), fingerprinter_(config.hmac_key) {}

  PiiConfig config_;
  Fingerprinter fingerprinter_;
  hs_database_t* block_db_ = nullptr;
  hs_database_t* stream_db_ = nullptr;
  hs_scratch_t* scratch_ = nullptr;
};

}  // namespace sluice::matchers
