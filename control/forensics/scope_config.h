// Thresholds of the scope report's classifications and the `control.report` section of the YAML
// configuration that changes them. docs/report-scope.md explains each one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::control::forensics {

struct ScopeThresholds {
  // Deep: a successful response (2xx) counts as a whole object with sensitive fields when it
  // carried at least deep_min_pii_types distinct PII types and at least
  // deep_min_bytes_per_object response body bytes per returned object. The scope is deep when at
  // least deep_min_responses responses are.
  uint32_t deep_min_pii_types = 2;
  uint64_t deep_min_bytes_per_object = 128;
  uint64_t deep_min_responses = 1;

  // Narrow: at most narrow_max_templates endpoint templates, narrow_max_objects distinct objects
  // and narrow_max_subjects distinct subjects. Anything more is broad.
  uint64_t narrow_max_templates = 1;
  uint64_t narrow_max_objects = 10;
  uint64_t narrow_max_subjects = 10;

  // PII types whose values identify a person, so their distinct fingerprints count as subjects.
  std::vector<std::string> subject_types = {"email", "phone", "us_ssn", "credit_card", "iban"};

  // Most evidence records listed; the rest are counted.
  uint64_t evidence_limit = 50;
};

// Reads the `report:` mapping inside the `control:` section of the YAML file at `path` into
// `thresholds`. Settings the file does not name keep their values, and other keys are left to
// their own readers. On an error `thresholds` is unchanged. Returns an empty string on success,
// or one line naming the file, the key and the fix: missing or unreadable file, YAML syntax
// error, unknown key under `control.report`, wrong type, out-of-range value.
std::string LoadReportConfigFile(const std::string& path, ScopeThresholds& thresholds);

// The same for YAML text already in memory; `source` names it in error messages.
std::string LoadReportConfigText(const std::string& text, const std::string& source,
                                 ScopeThresholds& thresholds);

// Returns an empty string when the thresholds are usable, else what is wrong.
std::string ValidateThresholds(const ScopeThresholds& thresholds);

}  // namespace sluice::control::forensics
