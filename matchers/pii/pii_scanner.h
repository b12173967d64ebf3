// The hot-path PII scanner. One per worker core: it owns the buffer that joins a body piece to
// the bytes carried over from the previous one. No locks and no allocation after Create().
//
// Per transaction and direction the data plane calls ScanHeader / ScanQuery as fields are parsed,
// ScanBody for each decoded body piece, EndBody at the end of the body, reads state->summary for
// the record, and calls Release once when the transaction slot is reused.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "matchers/pii/fingerprint.h"
#include "matchers/pii/pii_detectors.h"
#include "matchers/pii/pii_types.h"
#include "matchers/pii/value_memo.h"
#include "matchers/rules/rule.h"

namespace sluice::matchers {

// Distinct fingerprints kept per type and direction; `count` goes on counting past it.
inline constexpr size_t kMaxFingerprintsPerType = 8;
// Bytes of the previous body pieces kept per direction: those after the last byte that no value
// contains (IsPiiBreak), so that a value split across pieces is still validated and fingerprinted.
// NOTE: when more than this many bytes follow that break, only the last kPiiTailBytes are kept,
// and split_values_lost counts the cut. A value that starts before the cut is not reported.
inline constexpr size_t kPiiTailBytes = 256;
// Body bytes scanned at a time, joined to the carried bytes.
inline constexpr size_t kPiiChunkBytes = 4096;
// Longest value validated; longer candidates are counted in values_too_long.
inline constexpr size_t kMaxPiiValueBytes = 4096;
// Maximum length of a header value decoded whole for scanning: the HTTP parser's default limit
// on a whole header block. A longer value with escapes is scanned as sent.
inline constexpr size_t kMaxDecodedValueBytes = 64 * 1024;

struct PiiTypeSummary {
  uint32_t count = 0;  // values found, duplicates included
  uint32_t fingerprint_count = 0;
  std::array<Fingerprint, kMaxFingerprintsPerType> fingerprints{};
};

struct PiiSummary {
  std::array<PiiTypeSummary, kPiiTypeCount> types{};
  const PiiTypeSummary& of(PiiType type) const { return types[static_cast<size_t>(type)]; }
};

// One direction of one transaction. Fixed size, preallocated by the caller, owned by one worker.
struct PiiDirectionState {
  PiiSummary summary;

 private:
  friend class PiiScanner;
  std::array<char, kPiiTailBytes> carry_{};
  uint32_t carry_len_ = 0;
  bool carry_cut_ = false;  // carry_ starts inside a longer run of non-break bytes
  bool body_ended_ = false;
  // Per type, relative to carry_[0] (0: before it): the end of the last accepted body value and
  // the end of the last candidate's match. A scan skips candidates the previous one reported.
  std::array<uint32_t, kPiiTypeCount> last_end_{};
  std::array<uint32_t, kPiiTypeCount> last_match_end_{};
};

// A detected value inside one field, for redaction.
struct PiiSpan {
  uint32_t start;
  uint32_t end;  // one past the last byte
  PiiType type;
  Fingerprint fingerprint;
};

// Counters of the scans that fill the PII summary (query, headers, bodies). Redaction scans of
// the same text (DetectSpans) are not counted again.
struct PiiCounters {
  uint64_t candidates = 0;         // candidates found by FindPiiCandidates()
  uint64_t rejected = 0;           // candidates that failed validation
  uint64_t split_values_lost = 0;  // carried body bytes cut to kPiiTailBytes
  uint64_t values_too_long = 0;    // candidate longer than kMaxPiiValueBytes
  // Repeats of header values and queries not scanned again: those that held no candidate, and
  // those with candidates, whose outcome was taken from an earlier scan of the same text. Their
  // candidates, rejections and values are counted and recorded as that scan did.
  uint64_t clean_values_skipped = 0;
  uint64_t scans_reused = 0;

  PiiCounters& operator+=(const PiiCounters& other) {
    candidates += other.candidates;
    rejected += other.rejected;
    split_values_lost += other.split_values_lost;
    values_too_long += other.values_too_long;
    clean_values_skipped += other.clean_values_skipped;
    scans_reused += other.scans_reused;
    return *this;
  }
};

// The outcome of scanning one header value or query: what it added to the counters and the values
// accepted, in the order found.
inline constexpr size_t kValueScanValues = 4;
struct ValueScan {
  uint16_t candidates = 0;
  uint16_t rejected = 0;
  uint8_t count = 0;
  std::array<PiiSpan, kValueScanValues> values{};
};

class PiiScanner {
 public:
  static std::unique_ptr<PiiScanner> Create(std::shared_ptr<const PiiDetectorSet> detectors);
  PiiScanner(const PiiScanner&) = delete;
  PiiScanner& operator=(const PiiScanner&) = delete;

  // Scans a header value when headers of that direction are enabled. Bearer tokens and API keys
  // that the header names are fingerprinted as sent. The pattern types are looked for in the
  // value with its percent-escapes decoded ("%40" in a cookie or a Referer).
  void ScanHeader(PiiDirectionState* state, Direction direction, std::string_view name,
                  std::string_view value);
  // The query string (request side), percent-decoded by the caller.
  void ScanQuery(PiiDirectionState* state, std::string_view query);
  // The secrets of the raw request target that only their place marks (url_secrets.h): counted
  // and fingerprinted as sent. Only when queries are enabled.
  void ScanUrlSecrets(PiiDirectionState* state, std::string_view target);

  void ScanBody(PiiDirectionState* state, Direction direction, const char* data, size_t len);
  void EndBody(PiiDirectionState* state, Direction direction);
  void Release(PiiDirectionState* state);

  // Finds the values in one field (every enabled type, whatever the field switches), sorted by
  // start, with overlapping values joined into one span. Returns the number written to `spans`
  // (at most `capacity`). `*complete` is false when the field contains more values than
  // `capacity`: some are missing.
  size_t DetectSpans(std::string_view text, PiiSpan* spans, size_t capacity, bool* complete);
  // Writes the spans of the secrets in a raw request target, or with `is_query` a raw query,
  // that FindUrlSecrets() finds, in order of start. Returns how many there are (can exceed
  // `capacity`). Whether queries are enabled does not matter, as for DetectSpans.
  size_t DetectUrlSecrets(std::string_view text, bool is_query, PiiSpan* spans, size_t capacity);
  // Returns whether `text` contains a value of an enabled pattern type. Counts nothing.
  bool ContainsPii(std::string_view text);

  const PiiCounters& counters() const { return counters_; }

 private:
  friend struct PiiMatchContext;
  explicit PiiScanner(std::shared_ptr<const PiiDetectorSet> detectors)
      : detectors_(std::move(detectors)), decode_buffer_(kMaxDecodedValueBytes) {}
  void ScanBlock(PiiSummary* summary, std::string_view text, PiiSpan* spans, size_t capacity,
                 size_t* span_count);
  // Scans the carried bytes followed by `chunk` (at most kPiiChunkBytes) and carries the bytes
  // after the chunk's last break on to the next call.
  void ScanBodyChunk(PiiDirectionState* state, const char* chunk, size_t len);
  // Finds and records the values in `text`, which starts at the carried bytes of `state`.
  void ScanBodyText(PiiDirectionState* state, std::string_view text, bool at_end);
  void RecordValue(PiiSummary* summary, PiiType type, const Fingerprint& fingerprint);
  // Scans a header value or query into `summary`, or replays an earlier scan of the same text.
  // With `decode_escapes`, a value with percent-escapes is scanned decoded.
  void ScanValue(PiiSummary* summary, std::string_view value, bool decode_escapes);
  // Returns the fingerprint of `value`: the bearer token's when `value` is those same bytes (a
  // JWT found in the Authorization header it came from), else a new one.
  Fingerprint FingerprintOf(std::string_view value) const;

  std::shared_ptr<const PiiDetectorSet> detectors_;
  // The carried bytes and a chunk.
  std::array<char, kPiiTailBytes + kPiiChunkBytes> join_buffer_{};
  PiiCounters counters_;
  PiiCounters redaction_counters_;  // what redaction scans find again; never reported
  // Header values with percent-escapes are decoded here (kMaxDecodedValueBytes).
  std::vector<char> decode_buffer_;
  // Filled by ScanValue, read by DetectSpans too. It keeps no value with a '%', so a value found
  // in it scans the same decoded or not. Larger tables (512 slots of values up to 192
  // bytes) and a second one for fingerprints made the offline run slower, not faster.
  ValueMemo<ValueScan, 256, 120> value_scans_;
  // The bearer token of the header being scanned, and its fingerprint. Empty between headers.
  std::string_view bearer_token_;
  Fingerprint bearer_fingerprint_{};
};

}  // namespace sluice::matchers
