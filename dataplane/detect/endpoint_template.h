// Endpoint templates: a request path with its object ids replaced by `{id}`, so that
// /accounts/1041/related and /accounts/1042/related are one endpoint. Packet-time code: no
// allocation, bounded output.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::detect {

struct TemplateResult {
  uint32_t length = 0;          // bytes written to the output
  bool truncated = false;       // the path did not fit; the template ends with "..."
  uint32_t ids = 0;             // segments replaced
  std::string_view object_id;   // the last replaced segment, pointing into the input path
  bool object_is_number = false;
  uint64_t object_number = 0;   // its value when all digits (saturates at UINT64_MAX)
  bool object_is_email = false; // looks like an e-mail address: personal, pseudonymise
};

// Writes the template of `path` (no query) into `out`, at most `capacity` bytes (capacity >= 8).
// A segment becomes `{id}` when it is all digits, a UUID, 16 or more hex digits, an e-mail-like
// value, or a base64-like token of 20 or more characters that mixes letters and digits.
TemplateResult TemplatePath(std::string_view path, char* out, uint32_t capacity);

// True when `segment` is an object id by the rules above.
bool IsIdSegment(std::string_view segment, bool* is_email);

}  // namespace sluice::detect
