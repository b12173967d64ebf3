#include "matchers/pii/pii_scanner.h"

#include "matchers/pii/pii_prefilter.h"

#include <algorithm>
#include <cstring>

#include "matchers/pii/validators.h"

namespace sluice::matchers {

// Where the bytes of a candidate can be found while Hyperscan reports it: the current piece and,
// for bodies, the tail of earlier pieces just before it.
struct PiiMatchContext {
  PiiScanner* scanner;
  PiiSummary* summary;  // nullptr: only spans are wanted
  const char* piece;
  size_t piece_len;
  uint64_t piece_offset;  // stream offset of piece[0]
  const char* tail;       // tail_len bytes that end at piece_offset
  size_t tail_len;
  uint64_t* last_end;     // per type: end of the last accepted value
  PiiSpan* spans;
  size_t span_capacity;
  size_t* span_count;

  // Returns false when the bytes are no longer available.
  bool Resolve(uint64_t from, uint64_t to, std::string_view* out) {
    if (from >= piece_offset) {
      *out = std::string_view(piece + (from - piece_offset), to - from);
      return true;
    }
    if (from + tail_len < piece_offset) return false;
    char* buffer = scanner->value_buffer_.data();
    size_t from_tail = static_cast<size_t>(std::min(to, piece_offset) - from);
    std::memcpy(buffer, tail + tail_len - (piece_offset - from), from_tail);
    size_t from_piece = to > piece_offset ? static_cast<size_t>(to - piece_offset) : 0;
    if (from_piece > 0) std::memcpy(buffer + from_tail, piece, from_piece);
    *out = std::string_view(buffer, from_tail + from_piece);
    return true;
  }

  void OnCandidate(PiiType type, uint64_t from, uint64_t to) {
    PiiCounters& counters = scanner->counters_;
    ++counters.candidates;
    size_t t = static_cast<size_t>(type);
    if (from < last_end[t]) return;  // inside a value already accepted
    if (to - from > kMaxPiiValueBytes) {
      ++counters.values_too_long;
      return;
    }
    std::string_view candidate;
    if (!Resolve(from, to, &candidate)) {
      ++counters.split_values_lost;
      return;
    }
    std::string_view value = TrimCandidate(type, candidate);
    if (!ValidateCandidate(type, value)) {
      ++counters.rejected;
      return;
    }
    last_end[t] = from + value.size();
    Fingerprint fingerprint = scanner->detectors_->fingerprinter().Compute(value);
    if (summary != nullptr) scanner->RecordValue(summary, type, fingerprint);
    if (spans != nullptr && *span_count < span_capacity) {
      spans[(*span_count)++] = PiiSpan{static_cast<uint32_t>(from),
                                       static_cast<uint32_t>(from + value.size()), type,
                                       fingerprint};
    }
  }

  static int OnMatch(unsigned int id, unsigned long long from, unsigned long long to,
                     unsigned int /*flags*/, void* context) {
    static_cast<PiiMatchContext*>(context)->OnCandidate(static_cast<PiiType>(id), from, to);
    return 0;
  }
};

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Request and response headers whose whole value is an API key or access token.
constexpr std::string_view kApiKeyHeaders[] = {
    "x-api-key",    "api-key",        "apikey",          "x-apikey",
    "x-auth-token", "x-access-token", "x-goog-api-key",  "ocp-apim-subscription-key",
    "private-token", "x-amz-security-token", "x-shopify-access-token",
};

}  // namespace

std::unique_ptr<PiiScanner> PiiScanner::Create(std::shared_ptr<const PiiDetectorSet> detectors,
                                               const PiiScannerConfig& config,
                                               std::string* error) {
  std::unique_ptr<PiiScanner> scanner(new PiiScanner(std::move(detectors)));
  const PiiDetectorSet& set = *scanner->detectors_;
  if (set.prototype_scratch() != nullptr &&
      hs_clone_scratch(set.prototype_scratch(), &scanner->scratch_) != HS_SUCCESS) {
    *error = "hs_clone_scratch failed for the PII scanner";
    return nullptr;
  }
  const PiiField body_fields[2] = {kPiiRequestBody, kPiiResponseBody};
  for (size_t d = 0; d < 2; ++d) {
    if (set.stream_db() == nullptr || !set.field_enabled(body_fields[d])) continue;
    if (!scanner->pools_[d].Init(set.stream_db(), config.streams_per_direction)) {
      *error = "hs_open_stream failed while filling a pool of " +
               std::to_string(config.streams_per_direction) + " PII body streams";
      return nullptr;
    }
  }
  return scanner;
}

PiiScanner::~PiiScanner() { hs_free_scratch(scratch_); }

void PiiScanner::RecordValue(PiiSummary* summary, PiiType type, const Fingerprint& fingerprint) {
  PiiTypeSummary& entry = summary->types[static_cast<size_t>(type)];
  ++entry.count;
  for (uint32_t i = 0; i < entry.fingerprint_count; ++i) {
    if (entry.fingerprints[i] == fingerprint) return;
  }
  if (entry.fingerprint_count < kMaxFingerprintsPerType) {
    entry.fingerprints[entry.fingerprint_count++] = fingerprint;
  }
}

void PiiScanner::ScanBlock(PiiSummary* summary, std::string_view text, PiiSpan* spans,
                           size_t capacity, size_t* span_count) {
  const hs_database_t* db = detectors_->block_db();
  if (db == nullptr || text.empty()) return;
  if (!MayContainPii(text)) {
    ++counters_.scans_skipped;
    return;
  }
  uint64_t last_end[kPiiTypeCount] = {};
  PiiMatchContext context{this, summary, text.data(), text.size(), 0, nullptr, 0,
                          last_end, spans, capacity, span_count};
  if (hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch_,
              PiiMatchContext::OnMatch, &context) != HS_SUCCESS) {
    ++counters_.scan_errors;
  }
}

void PiiScanner::ScanHeader(PiiDirectionState* state, Direction direction,
                            std::string_view name, std::string_view value) {
  PiiField field = direction == Direction::kRequest ? kPiiRequestHeaders : kPiiResponseHeaders;
  if (!detectors_->field_enabled(field)) return;
  value = TrimSpaces(value);

  if (EqualsIgnoreCase(name, "authorization") && value.size() > 7 &&
      EqualsIgnoreCase(value.substr(0, 7), "bearer ") &&
      detectors_->type_enabled(PiiType::kBearerToken)) {
    std::string_view token = TrimSpaces(value.substr(7));
    if (!token.empty()) RecordValue(&state->summary, PiiType::kBearerToken,
                                        detectors_->fingerprinter().Compute(token));
  }
  if (detectors_->type_enabled(PiiType::kApiKey) && !value.empty()) {
    for (std::string_view header : kApiKeyHeaders) {
      if (EqualsIgnoreCase(name, header)) {
        RecordValue(&state->summary, PiiType::kApiKey,
                    detectors_->fingerprinter().Compute(value));
        break;
      }
    }
  }
  size_t unused = 0;
  ScanBlock(&state->summary, value, nullptr, 0, &unused);
}

void PiiScanner::ScanQuery(PiiDirectionState* state, std::string_view query) {
  if (!detectors_->field_enabled(kPiiQuery)) return;
  size_t unused = 0;
  ScanBlock(&state->summary, query, nullptr, 0, &unused);
}

void PiiScanner::ScanBody(PiiDirectionState* state, Direction direction, const char* data,
                          size_t len) {
  size_t d = static_cast<size_t>(direction);
  PiiField field = direction == Direction::kRequest ? kPiiRequestBody : kPiiResponseBody;
  const hs_database_t* db = detectors_->stream_db();
  if (db == nullptr || !detectors_->field_enabled(field) || state->body_unscanned_ ||
      state->body_ended_ || len == 0) {
    return;
  }
  if (state->stream_ == nullptr) {
    state->stream_ = pools_[d].Acquire();
    if (state->stream_ == nullptr) {
      state->body_unscanned_ = true;  // fail-open: the body passes unscanned, counted
      ++counters_.stream_pool_exhausted;
      return;
    }
  }
  size_t unused = 0;
  PiiMatchContext context{this, &state->summary, data, len, state->body_offset_,
                          state->tail_.data(), state->tail_len_, state->last_end_.data(),
                          nullptr, 0, &unused};
  if (hs_scan_stream(state->stream_, data, static_cast<unsigned>(len), 0, scratch_,
                     PiiMatchContext::OnMatch, &context) != HS_SUCCESS) {
    ++counters_.scan_errors;
  }
  state->body_offset_ += len;

  // Keep the last kPiiTailBytes bytes of the body seen so far.
  if (len >= kPiiTailBytes) {
    std::memcpy(state->tail_.data(), data + len - kPiiTailBytes, kPiiTailBytes);
    state->tail_len_ = kPiiTailBytes;
    return;
  }
  size_t keep = std::min<size_t>(state->tail_len_, kPiiTailBytes - len);
  std::memmove(state->tail_.data(), state->tail_.data() + state->tail_len_ - keep, keep);
  std::memcpy(state->tail_.data() + keep, data, len);
  state->tail_len_ = static_cast<uint32_t>(keep + len);
}

void PiiScanner::EndBody(PiiDirectionState* state, Direction direction) {
  state->body_ended_ = true;
  if (state->stream_ == nullptr) return;
  size_t unused = 0;
  PiiMatchContext context{this, &state->summary, nullptr, 0, state->body_offset_,
                          state->tail_.data(), state->tail_len_, state->last_end_.data(),
                          nullptr, 0, &unused};
  // Reports the candidates that end at end of data (the `\z` alternatives) and resets the stream.
  pools_[static_cast<size_t>(direction)].Release(state->stream_, scratch_,
                                                 PiiMatchContext::OnMatch, &context);
  state->stream_ = nullptr;
}

void PiiScanner::Release(PiiDirectionState* state, Direction direction) {
  pools_[static_cast<size_t>(direction)].Release(state->stream_, nullptr, nullptr, nullptr);
  state->stream_ = nullptr;
  state->summary = PiiSummary{};
  state->tail_len_ = 0;
  state->body_offset_ = 0;
  state->last_end_ = {};
  state->body_unscanned_ = false;
  state->body_ended_ = false;
}

size_t PiiScanner::DetectSpans(std::string_view text, PiiSpan* spans, size_t capacity) {
  size_t count = 0;
  ScanBlock(nullptr, text, spans, capacity, &count);
  std::sort(spans, spans + count,
            [](const PiiSpan& a, const PiiSpan& b) { return a.start < b.start; });
  // Values of different types can overlap (a phone number inside a card-like run): keep the
  // first that starts.
  size_t kept = 0;
  for (size_t i = 0; i < count; ++i) {
    if (kept > 0 && spans[i].start < spans[kept - 1].end) continue;
    spans[kept++] = spans[i];
  }
  return kept;
}

}  // namespace sluice::matchers
