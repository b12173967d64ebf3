#include "dataplane/detect/endpoint_template.h"

#include <cstring>

namespace sluice::detect {

namespace {

constexpr char kId[] = "{id}";
constexpr uint32_t kIdBytes = 4;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsTokenChar(char c) { return IsDigit(c) || IsAlpha(c) || c == '-' || c == '_' || c == '=' || c == '+' || c == '.' || c == '~'; }

bool AllOf(std::string_view text, bool (*test)(char)) {
  for (const char c : text) {
    if (!test(c)) return false;
  }
  return true;
}

// 8-4-4-4-12 hex digits (RFC 9562 section 4), any version.
bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsHex(s[i])) return false;
  }
  return true;
}

bool IsEmailLike(std::string_view s) {
  const size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= s.size()) return false;
  return s.find('.', at) != std::string_view::npos || s.find("%40") != std::string_view::npos;
}

// Long opaque tokens (base64, base64url, hashids): letters and digits mixed, no vowel-only words.
bool IsToken(std::string_view s) {
  if (s.size() < 20 || !AllOf(s, IsTokenChar)) return false;
  uint32_t digits = 0;
  uint32_t letters = 0;
  for (const char c : s) {
    digits += IsDigit(c);
    letters += IsAlpha(c);
  }
  return digits >= 2 && letters >= 2;
}

uint64_t ParseNumber(std::string_view digits) {
  uint64_t value = 0;
  for (const char c : digits) {
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return UINT64_MAX;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace

bool IsIdSegment(std::string_view segment, bool* is_personal) {
  *is_personal = false;
  if (segment.empty()) return false;
  if (AllOf(segment, IsDigit)) return true;
  if (IsUuid(segment)) return true;
  if (segment.size() >= 16 && AllOf(segment, IsHex)) return true;
  if (IsEmailLike(segment) || (segment.find("%40") != std::string_view::npos && segment.size() > 5)) {
    *is_personal = true;
    return true;
  }
  return IsToken(segment);
}

TemplateResult TemplatePath(std::string_view path, char* out, uint32_t capacity,
                            PersonalDataTest is_personal, void* context) {
  TemplateResult result;
  const uint32_t limit = capacity - 3;  // room for "..."
  uint32_t length = 0;
  size_t at = 0;
  while (at < path.size()) {
    if (path[at] == '/') {
      if (length >= limit) {
        result.truncated = true;
        break;
      }
      out[length++] = '/';
      ++at;
      continue;
    }
    size_t end = path.find('/', at);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(at, end - at);
    bool personal = false;
    bool is_id = IsIdSegment(segment, &personal);
    if (is_personal != nullptr && !personal && is_personal(context, segment)) {
      is_id = true;
      personal = true;
    }
    const std::string_view written = is_id ? std::string_view(kId, kIdBytes) : segment;
    if (is_id) {
      ++result.ids;
      result.object_id = segment;
      result.object_is_personal = personal;
      result.object_is_number = AllOf(segment, IsDigit);
      result.object_number = result.object_is_number ? ParseNumber(segment) : 0;
    }
    if (length + written.size() > limit) {
      result.truncated = true;
      break;
    }
    std::memcpy(out + length, written.data(), written.size());
    length += static_cast<uint32_t>(written.size());
    at = end;
  }
  if (result.truncated) {
    std::memcpy(out + length, "...", 3);
    length += 3;
  }
  if (length == 0 && capacity > 0) out[length++] = '/';
  result.length = length;
  return result;
}

}  // namespace sluice::detect
