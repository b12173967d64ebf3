#include "matchers/pii/redact.h"

#include <algorithm>
#include <cstring>

namespace sluice::matchers {
namespace {

size_t MarkerLength(PiiType type) {
  return 1 + std::strlen(PiiTypeName(type)) + 1 + 2 * kFingerprintBytes + 1;  // [type:hex]
}

}  // namespace

size_t RedactedLength(std::string_view text, const PiiSpan* spans, size_t span_count) {
  size_t length = text.size();
  for (size_t i = 0; i < span_count; ++i) {
    length = length - (spans[i].end - spans[i].start) + MarkerLength(spans[i].type);
  }
  return length;
}

size_t Redact(std::string_view text, const PiiSpan* spans, size_t span_count, char* out,
              size_t capacity) {
  if (RedactedLength(text, spans, span_count) > capacity) return 0;
  size_t written = 0;
  size_t copied_to = 0;  // text before this offset is already handled
  for (size_t i = 0; i < span_count; ++i) {
    const PiiSpan& span = spans[i];
    if (span.start < copied_to || span.end > text.size()) return 0;  // unsorted or out of range
    std::memcpy(out + written, text.data() + copied_to, span.start - copied_to);
    written += span.start - copied_to;
    const char* name = PiiTypeName(span.type);
    out[written++] = '[';
    std::memcpy(out + written, name, std::strlen(name));
    written += std::strlen(name);
    out[written++] = ':';
    FingerprintToHex(span.fingerprint, out + written);
    written += 2 * kFingerprintBytes;
    out[written++] = ']';
    copied_to = span.end;
  }
  std::memcpy(out + written, text.data() + copied_to, text.size() - copied_to);
  return written + text.size() - copied_to;
}

size_t JoinOverlappingSpans(PiiSpan* spans, size_t span_count) {
  std::sort(spans, spans + span_count, [](const PiiSpan& a, const PiiSpan& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  });
  size_t joined = 0;
  for (size_t i = 0; i < span_count; ++i) {
    if (joined > 0 && spans[i].start < spans[joined - 1].end) {
      spans[joined - 1].end = std::max(spans[joined - 1].end, spans[i].end);
      continue;
    }
    spans[joined++] = spans[i];
  }
  return joined;
}

}  // namespace sluice::matchers
