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
  // An e-mail-like value, or one in which `is_personal` found personal data: pseudonymise it.
  // Other ids appear as they are, as they do in url.original.
  bool object_is_personal = false;
};

// Returns whether a path segment contains personal data or a secret.
using PersonalDataTest = bool (*)(void* context, std::string_view segment);

// Writes the template of `path` (no query) into `out`, at most `capacity` bytes (capacity >= 8).
// A segment becomes `{id}` when it is all digits, a UUID, 16 or more hex digits, an e-mail-like
// value, a base64-like token of 20 or more characters that mixes letters and digits, or, when
// `is_personal` is set, a segment it returns true for. So a template never contains such a value.
TemplateResult TemplatePath(std::string_view path, char* out, uint32_t capacity,
                            PersonalDataTest is_personal = nullptr, void* context = nullptr);

// True when `segment` is an object id by the rules above. Sets *is_personal for an e-mail-like
// value.
bool IsIdSegment(std::string_view segment, bool* is_personal);

}  // namespace sluice::detect
