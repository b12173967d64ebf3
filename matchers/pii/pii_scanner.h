// The hot-path PII scanner. One per worker core: it owns a Hyperscan scratch, the pools of body
// streams and a value buffer. No locks and no allocation after Create().
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

#include "matchers/pii/fingerprint.h"
#include "matchers/pii/pii_detectors.h"
#include "matchers/pii/pii_types.h"
#include "matchers/rules/rule.h"
#include "matchers/scan/stream_pool.h"

namespace sluice::matchers {

// Distinct fingerprints kept per type and direction; `count` goes on counting past it.
inline constexpr size_t kMaxFingerprintsPerType = 8;
// Bytes of the previous body pieces kept per direction, so that a value split across pieces can
// still be validated and fingerprinted. NOTE: a split value that starts more than this many bytes
// before the piece where it ends is counted in split_values_lost and not reported.
inline constexpr size_t kPiiTailBytes = 256;
// Longest value validated; longer candidates are counted in values_too_long.
inline constexpr size_t kMaxPiiValueBytes = 4096;

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
  std::array<char, kPiiTailBytes> tail_{};
  uint32_t tail_len_ = 0;
  uint64_t body_offset_ = 0;  // body bytes fed so far
  std::array<uint64_t, kPiiTypeCount> last_end_{};  // end of the last accepted body value
  hs_stream_t* stream_ = nullptr;
  bool body_unscanned_ = false;
  bool body_ended_ = false;
};

// A detected value inside one field, for redaction.
struct PiiSpan {
  uint32_t start;
  uint32_t end;  // one past the last byte
  PiiType type;
  Fingerprint fingerprint;
};

struct PiiCounters {
  uint64_t candidates = 0;             // Hyperscan candidates
  uint64_t rejected = 0;               // candidates that failed validation
  uint64_t split_values_lost = 0;      // value started before the tail buffer
  uint64_t values_too_long = 0;        // candidate longer than kMaxPiiValueBytes
  uint64_t stream_pool_exhausted = 0;  // body not scanned for PII: no stream free
  uint64_t scan_errors = 0;
  uint64_t scans_skipped = 0;          // block scans not needed: MayContainPii() was false
};

struct PiiScannerConfig {
  uint32_t streams_per_direction = 1024;
};

class PiiScanner {
 public:
  static std::unique_ptr<PiiScanner> Create(std::shared_ptr<const PiiDetectorSet> detectors,
                                            const PiiScannerConfig& config, std::string* error);
  ~PiiScanner();
  PiiScanner(const PiiScanner&) = delete;
  PiiScanner& operator=(const PiiScanner&) = delete;

  // Header values: bearer tokens and known API-key headers by name, and the pattern types in
  // the value. Only when headers of that direction are enabled.
  void ScanHeader(PiiDirectionState* state, Direction direction, std::string_view name,
                  std::string_view value);
  // The raw query string (request side). NOTE: not percent-decoded, so "a%40b.com" is missed.
  void ScanQuery(PiiDirectionState* state, std::string_view query);

  void ScanBody(PiiDirectionState* state, Direction direction, const char* data, size_t len);
  void EndBody(PiiDirectionState* state, Direction direction);
  void Release(PiiDirectionState* state, Direction direction);

  // Finds the values in one field (every enabled type, whatever the field switches), sorted by
  // start and without overlaps. Returns the number written to `spans` (at most `capacity`).
  size_t DetectSpans(std::string_view text, PiiSpan* spans, size_t capacity);

  const PiiCounters& counters() const { return counters_; }

 private:
  friend struct PiiMatchContext;
  explicit PiiScanner(std::shared_ptr<const PiiDetectorSet> detectors)
      : detectors_(std::move(detectors)) {}
  void ScanBlock(PiiSummary* summary, std::string_view text, PiiSpan* spans, size_t capacity,
                 size_t* span_count);
  void RecordValue(PiiSummary* summary, PiiType type, const Fingerprint& fingerprint);

  std::shared_ptr<const PiiDetectorSet> detectors_;
  hs_scratch_t* scratch_ = nullptr;
  std::array<StreamPool, 2> pools_;
  std::array<char, kMaxPiiValueBytes> value_buffer_{};
  PiiCounters counters_;
};

}  // namespace sluice::matchers
