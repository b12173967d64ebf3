#include "matchers/pii/pii_detectors.h"

#include <vector>

namespace sluice::matchers {
namespace {

// Candidate patterns. Hyperscan reports every end offset of a match, so each pattern ends with
// one terminator byte that cannot continue the value (or end of data, \z): then a value has one
// end and is reported once. TrimCandidate() removes the terminator before validation.
struct PiiPattern {
  PiiType type;
  const char* expression;
};

// NOTE: MayContainPii (pii_prefilter.h) skips scans by a necessary condition of each pattern:
// a new or changed pattern needs its condition there, or its matches in headers are lost.
constexpr PiiPattern kPiiPatterns[] = {
    {PiiType::kEmail, R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+(?:[^A-Za-z0-9.\-]|\z))"},
    {PiiType::kPaymentCard, R"(\b\d(?:[ \-]?\d){12,18}(?:[^0-9]|\z))"},
    {PiiType::kUsSsn, R"(\b\d{3}-\d{2}-\d{4}(?:[^0-9\-]|\z))"},
    // No upper bound on the length: a bounded repeat of a class this wide ({11,30}) made
    // Hyperscan's whole database about twice as slow on JSON bodies. IsValidIban() rejects
    // values longer than 34 characters.
    {PiiType::kIban, R"(\b[A-Z]{2}\d{2}[A-Z0-9]{11}[A-Z0-9]*(?:[^A-Za-z0-9]|\z))"},
    {PiiType::kPhoneE164, R"(\+[1-9]\d{6,14}(?:[^0-9]|\z))"},
    {PiiType::kJwt,
     R"(eyJ[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]*(?:[^A-Za-z0-9_\-]|\z))"},
    {PiiType::kAwsAccessKey, R"(\b(?:AKIA|ASIA)[A-Z0-9]{16}(?:[^A-Za-z0-9]|\z))"},
    // The header line plus the first 40 characters of key material, so that fingerprints tell
    // keys apart. NOTE: old-style encrypted PEM (with Proc-Type headers) is not matched.
    {PiiType::kPemPrivateKey,
     R"(-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----\r?\n[A-Za-z0-9+/=]{40})"},
};

}  // namespace

std::shared_ptr<const PiiDetectorSet> PiiDetectorSet::Create(const PiiConfig& config,
                                                             std::string* error) {
  if (config.hmac_key.empty()) {
    *error = "PII detection needs a fingerprint key: set pii.hmac_key";
    return nullptr;
  }
  std::shared_ptr<PiiDetectorSet> set(new PiiDetectorSet(config));

  std::vector<const char*> expressions;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (const PiiPattern& p : kPiiPatterns) {
    if (!set->type_enabled(p.type)) continue;
    expressions.push_back(p.expression);
    flags.push_back(HS_FLAG_SOM_LEFTMOST);
    ids.push_back(static_cast<unsigned>(p.type));
  }
  if (expressions.empty()) return set;

  auto compile = [&](unsigned mode, hs_database_t** db) {
    hs_compile_error_t* compile_error = nullptr;
    if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(expressions.size()), mode, nullptr, db,
                         &compile_error) != HS_SUCCESS) {
      *error = std::string("PII pattern compilation failed: ") +
               (compile_error != nullptr ? compile_error->message : "unknown error");
      hs_free_compile_error(compile_error);
      return false;
    }
    return hs_alloc_scratch(*db, &set->scratch_) == HS_SUCCESS;
  };
  // A small SOM horizon: starts are exact within 2^16 bytes, far beyond any value we keep.
  if (!compile(HS_MODE_BLOCK, &set->block_db_) ||
      !compile(HS_MODE_STREAM | HS_MODE_SOM_HORIZON_SMALL, &set->stream_db_)) {
    if (error->empty()) *error = "hs_alloc_scratch failed for the PII databases";
    return nullptr;
  }
  return set;
}

PiiDetectorSet::~PiiDetectorSet() {
  hs_free_database(block_db_);
  hs_free_database(stream_db_);
  hs_free_scratch(scratch_);
}

}  // namespace sluice::matchers
