// Redaction of a field's text: every detected value replaced by "[<type>:<32 hex digits>]".
// For records and logs; runs on the core that builds the record.
#pragma once

#include <cstddef>
#include <string_view>

#include "matchers/pii/pii_scanner.h"

namespace sluice::matchers {

// Writes `text` with each span (sorted by start, not overlapping, as DetectSpans returns them)
// replaced by its marker. Returns the length written, or 0 with nothing usable in `out` when
// `capacity` is too small; RedactedLength() gives the size needed.
size_t Redact(std::string_view text, const PiiSpan* spans, size_t span_count, char* out,
              size_t capacity);
size_t RedactedLength(std::string_view text, const PiiSpan* spans, size_t span_count);

// Sorts spans by start (the longer first) and joins those that overlap, so that Redact() covers
// every byte of each. A joined span keeps the type and fingerprint of the first. Returns the
// number left at the front of `spans`.
size_t JoinOverlappingSpans(PiiSpan* spans, size_t span_count);

}  // namespace sluice::matchers
