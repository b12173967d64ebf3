#include "matchers/pii/pii_detectors.h"

namespace sluice::matchers {
namespace {

// Candidate patterns: the specification FindPiiCandidates() (pii_finder.cc) implements, and the
// reference its tests compile with Hyperscan. Each pattern ends with one terminator byte that
// cannot continue the value (or end of data, \z): then a value has one end and is reported once.
// TrimCandidate() removes the terminator before validation.
struct PiiPattern {
  PiiType type;
  const char* expression;
};

// NOTE: a new or changed pattern needs the same change in pii_finder.cc.
constexpr PiiPattern kPiiPatterns[] = {
    {PiiType::kEmail, R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+(?:[^A-Za-z0-9.\-]|\z))"},
    {PiiType::kPaymentCard, R"(\b\d(?:[ +\-]?\d){12,18}(?:[^0-9]|\z))"},
    {PiiType::kUsSsn, R"(\b\d{3}-\d{2}-\d{4}(?:[^0-9\-]|\z))"},
    // No upper bound on the length: IsValidIban() rejects values longer than 34 characters.
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

std::string_view PiiPatternExpression(PiiType type) {
  for (const PiiPattern& p : kPiiPatterns) {
    if (p.type == type) return p.expression;
  }
  return {};
}

std::shared_ptr<const PiiDetectorSet> PiiDetectorSet::Create(const PiiConfig& config,
                                                             std::string* error) {
  if (config.hmac_key.empty()) {
    *error = "PII detection needs a fingerprint key: set pii.hmac_key";
    return nullptr;
  }
  return std::shared_ptr<const PiiDetectorSet>(new PiiDetectorSet(config));
}

}  // namespace sluice::matchers
