// Stable names for oddities found while parsing HTTP/1.x. The names appear in records
// (`sluice.anomalies`) and counters, so they are only ever added, never renamed.
#pragma once

#include <cstdint>

namespace sluice::http {

enum class Anomaly : uint8_t {
  kBareLf = 0,               // line ended by LF without CR (RFC 9112 section 2.2 allows it; servers differ)
  kWhitespaceBeforeColon,    // "Name : value" (RFC 9112 section 5.1: must be rejected)
  kObsFold,                  // header continuation line (RFC 9112 section 5.2)
  kControlCharacter,         // NUL or another control byte in a start line or header
  kInvalidRequestLine,
  kInvalidStatusLine,
  kInvalidHeaderLine,        // no colon, empty name, or invalid name characters
  kLineTooLong,              // a line did not fit in a line buffer
  kTooManyHeaders,
  kHeadersTooLarge,
  kLinePoolExhausted,        // no line buffer free: the split line was skipped
  kContentLengthAndChunked,  // both present: chunked wins (RFC 9112 section 6.3)
  kDuplicateContentLength,   // same value repeated
  kConflictingContentLength, // different values: message framing unreliable
  kInvalidContentLength,
  kUnknownTransferEncoding,  // a coding other than chunked last, or chunked spelled oddly
  kInvalidChunkSize,
  kChunkExtension,
  kChunkTrailer,
  kBodyGap,                  // bytes missing inside a body (lost segment)
  kLostSync,                 // bytes missing or garbage outside a body: skipped to the next message
  kIncompleteMessage,        // stream ended mid-message
  kUpgrade,                  // 101 Switching Protocols: parsing stopped for the flow
  kConnectTunnel,            // CONNECT answered 2xx: parsing stopped for the flow
  kDataAfterClose,           // bytes after a message that said Connection: close
  kUnexpectedResponse,       // a response with no request waiting for it
  kRequestWithoutResponse,   // the connection ended before the response
  kMidstreamStart,           // capture began inside the connection
  kChunkSizeWhitespace,      // whitespace after a chunk size (RFC 9112 section 7.1.1 BWS): tolerated
  kSpaceInTarget,            // unescaped SP inside the request target: kept, version taken after the last SP
  kOverlapConflict,          // overlapping TCP segments disagreed; the first copy was kept
  kCount
};

inline const char* AnomalyName(Anomaly anomaly) {
  static constexpr const char* kNames[] = {
      "http.bare_lf",
      "http.whitespace_before_colon",
      "http.obs_fold",
      "http.control_character",
      "http.invalid_request_line",
      "http.invalid_status_line",
      "http.invalid_header_line",
      "http.line_too_long",
      "http.too_many_headers",
      "http.headers_too_large",
      "http.line_pool_exhausted",
      "http.content_length_and_chunked",
      "http.duplicate_content_length",
      "http.conflicting_content_length",
      "http.invalid_content_length",
      "http.unknown_transfer_encoding",
      "http.invalid_chunk_size",
      "http.chunk_extension",
      "http.chunk_trailer",
      "http.body_gap",
      "http.lost_sync",
      "http.incomplete_message",
      "http.upgrade",
      "http.connect_tunnel",
      "http.data_after_close",
      "http.unexpected_response",
      "http.request_without_response",
      "tcp.midstream_start",
      "http.chunk_size_whitespace",
      "http.space_in_target",
      "tcp.overlap_conflict",
  };
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<int>(Anomaly::kCount));
  const auto index = static_cast<uint8_t>(anomaly);
  return index < static_cast<uint8_t>(Anomaly::kCount) ? kNames[index] : "unknown";
}

// A set of anomalies as a bit mask, small enough to keep per transaction.
using AnomalySet = uint32_t;
static_assert(static_cast<int>(Anomaly::kCount) <= 32);
inline AnomalySet AnomalyBit(Anomaly anomaly) { return AnomalySet{1} << static_cast<uint8_t>(anomaly); }

}  // namespace sluice::http
