#include "matchers/pii/pii_scanner.h"

#include <algorithm>
#include <cstring>

#include "matchers/ascii_case.h"
#include "matchers/pii/percent_decode.h"
#include "matchers/pii/pii_finder.h"
#include "matchers/pii/redact.h"
#include "matchers/pii/url_secrets.h"
#include "matchers/pii/validators.h"

namespace sluice::matchers {

namespace {

// Bytes of a PEM block after its first line: base64, line ends, spaces and tabs (line ends
// flattened), and the backslash of a line end escaped in JSON ("\\n").
bool IsKeyBlockByte(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=' || c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == '\\';
}

// Returns where the block of a private key ends. Its fingerprint covers the header and 40 key characters,
// but the rest of the key is as secret, so its redaction span goes on over the key's bytes and
// the "-----END ... PRIVATE KEY-----" line that follows them, if there is one.
size_t KeyBlockEnd(std::string_view text, size_t value_end) {
  size_t end = value_end;
  while (end < text.size() && IsKeyBlockByte(text[end])) ++end;
  if (text.substr(end, 9) != "-----END ") return end;
  const size_t close = text.find("-----", end + 9);
  return close == std::string_view::npos ? text.size() : close + 5;
}

}  // namespace

// One scan: where its text is, what an earlier scan already reported, where values go.
struct PiiMatchContext {
  PiiScanner* scanner;
  PiiSummary* summary;  // nullptr: only spans are wanted
  std::string_view text;
  bool cut_start;           // text[0] lies inside a longer run of non-break bytes
  uint32_t* last_end;       // per type: end of the last accepted value
  uint32_t* last_match_end; // per type: end of the last candidate's match, reported once
  PiiSpan* spans;
  size_t span_capacity;
  size_t* span_count;

  void OnCandidate(PiiType type, size_t from, size_t to) {
    size_t t = static_cast<size_t>(type);
    if (to <= last_match_end[t]) return;  // reported already: same end, or the previous piece
    last_match_end[t] = static_cast<uint32_t>(to);
    // Redaction scans (no summary) look at text already counted, so their counts are dropped.
    PiiCounters& counters = summary != nullptr ? scanner->counters_ : scanner->redaction_counters_;
    ++counters.candidates;
    if (from < last_end[t]) return;  // inside a value already accepted
    if (from == 0 && cut_start) {
      ++counters.rejected;  // its start was cut off (counted in split_values_lost)
      return;
    }
    if (to - from > kMaxPiiValueBytes) {
      ++counters.values_too_long;
      return;
    }
    std::string_view value = TrimCandidate(type, text.substr(from, to - from));
    if (!ValidateCandidate(type, value)) {
      ++counters.rejected;
      return;
    }
    last_end[t] = static_cast<uint32_t>(from + value.size());
    const Fingerprint fingerprint = scanner->FingerprintOf(value);
    if (summary != nullptr) scanner->RecordValue(summary, type, fingerprint);
    // Values past the capacity are counted, not written, so that callers can tell a cut list.
    if (spans != nullptr) {
      if (*span_count < span_capacity) {
        const size_t end = type == PiiType::kPemPrivateKey ? KeyBlockEnd(text, from + value.size())
                                                           : from + value.size();
        spans[*span_count] =
            PiiSpan{static_cast<uint32_t>(from), static_cast<uint32_t>(end), type, fingerprint};
      }
      ++*span_count;
    }
  }

  static void OnFound(void* context, PiiType type, size_t from, size_t to) {
    static_cast<PiiMatchContext*>(context)->OnCandidate(type, from, to);
  }
};

namespace {

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

std::unique_ptr<PiiScanner> PiiScanner::Create(std::shared_ptr<const PiiDetectorSet> detectors) {
  return std::unique_ptr<PiiScanner>(new PiiScanner(std::move(detectors)));
}

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
  const uint32_t types = detectors_->pattern_types();
  if (types == 0 || text.empty()) return;
  uint32_t last_end[kPiiTypeCount] = {};
  uint32_t last_match_end[kPiiTypeCount] = {};
  PiiMatchContext context{this, summary, text, /*cut_start=*/false, last_end,
                          last_match_end, spans, capacity, span_count};
  FindPiiCandidates(text, types, /*at_end=*/true, &PiiMatchContext::OnFound, &context);
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
    if (!token.empty()) {
      bearer_token_ = token;
      bearer_fingerprint_ = detectors_->fingerprinter().Compute(token);
      RecordValue(&state->summary, PiiType::kBearerToken, bearer_fingerprint_);
    }
  }
  if (detectors_->type_enabled(PiiType::kApiKey) && !value.empty()) {
    for (std::string_view header : kApiKeyHeaders) {
      if (EqualsIgnoreCase(name, header)) {
        RecordValue(&state->summary, PiiType::kApiKey, detectors_->fingerprinter().Compute(value));
        break;
      }
    }
  }
  ScanValue(&state->summary, value, /*decode_escapes=*/true);
  bearer_token_ = std::string_view();
}

Fingerprint PiiScanner::FingerprintOf(std::string_view value) const {
  // The same address and length: the same bytes, so the same fingerprint.
  if (value.data() == bearer_token_.data() && value.size() == bearer_token_.size()) {
    return bearer_fingerprint_;
  }
  return detectors_->fingerprinter().Compute(value);
}

void PiiScanner::ScanQuery(PiiDirectionState* state, std::string_view query) {
  if (!detectors_->field_enabled(kPiiQuery)) return;
  ScanValue(&state->summary, query, /*decode_escapes=*/false);
}

void PiiScanner::ScanUrlSecrets(PiiDirectionState* state, std::string_view target) {
  if (!detectors_->field_enabled(kPiiQuery)) return;
  struct Counting {
    PiiScanner* scanner;
    PiiSummary* summary;
    std::string_view target;
  } counting{this, &state->summary, target};
  FindUrlSecrets(target, false, [](void* context, const UrlSecret& secret) {
    auto* c = static_cast<Counting*>(context);
    if (!c->scanner->detectors_->type_enabled(secret.type)) return;
    const std::string_view value = c->target.substr(secret.start, secret.end - secret.start);
    c->scanner->RecordValue(c->summary, secret.type, c->scanner->detectors_->fingerprinter().Compute(value));
  }, &counting);
}

size_t PiiScanner::DetectUrlSecrets(std::string_view text, bool is_query, PiiSpan* spans,
                                    size_t capacity) {
  struct Writing {
    const PiiDetectorSet* detectors;
    std::string_view text;
    PiiSpan* spans;
    size_t capacity;
    size_t count;
  } writing{detectors_.get(), text, spans, capacity, 0};
  FindUrlSecrets(text, is_query, [](void* context, const UrlSecret& secret) {
    auto* w = static_cast<Writing*>(context);
    if (!w->detectors->type_enabled(secret.type)) return;
    if (w->count < w->capacity) {
      const std::string_view value = w->text.substr(secret.start, secret.end - secret.start);
      w->spans[w->count] = PiiSpan{secret.start, secret.end, secret.type,
                                   w->detectors->fingerprinter().Compute(value)};
    }
    ++w->count;
  }, &writing);
  return writing.count;
}

bool PiiScanner::ContainsPii(std::string_view text) {
  PiiSpan span;
  size_t count = 0;
  ScanBlock(nullptr, text, &span, 1, &count);
  return count > 0;
}

void PiiScanner::ScanValue(PiiSummary* summary, std::string_view value, bool decode_escapes) {
  // Hashed once for the lookup and the add, and only when the memo can keep the value.
  bool keeps = decltype(value_scans_)::Keeps(value);
  const uint64_t hash = keeps ? decltype(value_scans_)::Hash(value) : 0;
  if (const ValueScan* known = keeps ? value_scans_.Find(value, hash) : nullptr) {
    counters_.candidates += known->candidates;
    counters_.rejected += known->rejected;
    ++(known->candidates == 0 ? counters_.clean_values_skipped : counters_.scans_reused);
    for (size_t i = 0; i < known->count; ++i) {
      RecordValue(summary, known->values[i].type, known->values[i].fingerprint);
    }
    return;
  }
  std::string_view scanned = value;
  if (value.find('%') != std::string_view::npos) {
    keeps = false;
    // Decoded bytes lie elsewhere, so FingerprintOf does not take a JWT in them for the bearer
    // token. A value too long to decode whole is scanned as sent.
    if (decode_escapes && value.size() <= decode_buffer_.size()) {
      scanned = std::string_view(decode_buffer_.data(),
                                 PercentDecode(value, decode_buffer_.data(), decode_buffer_.size(), nullptr));
    }
  }
  const PiiCounters before = counters_;
  // Room for one more value than a ValueScan keeps, to tell a complete list from a cut one.
  std::array<PiiSpan, kValueScanValues + 1> found;
  size_t count = 0;
  ScanBlock(summary, scanned, found.data(), found.size(), &count);
  if (!keeps || count > kValueScanValues) return;
  ValueScan scan;
  scan.candidates = static_cast<uint16_t>(counters_.candidates - before.candidates);
  scan.rejected = static_cast<uint16_t>(counters_.rejected - before.rejected);
  scan.count = static_cast<uint8_t>(count);
  std::copy_n(found.begin(), count, scan.values.begin());
  value_scans_.Add(value, hash, scan);
}

void PiiScanner::ScanBody(PiiDirectionState* state, Direction direction, const char* data,
                          size_t len) {
  PiiField field = direction == Direction::kRequest ? kPiiRequestBody : kPiiResponseBody;
  if (!detectors_->field_enabled(field) || detectors_->pattern_types() == 0 ||
      state->body_ended_) {
    return;
  }
  while (len > 0) {
    const size_t chunk = std::min(len, kPiiChunkBytes);
    ScanBodyChunk(state, data, chunk);
    data += chunk;
    len -= chunk;
  }
}

void PiiScanner::ScanBodyChunk(PiiDirectionState* state, const char* chunk, size_t len) {
  // With nothing carried the chunk is scanned where it is; otherwise it is joined to the carry.
  const size_t carried = state->carry_len_;
  const char* joined = chunk;
  if (carried > 0) {
    std::memcpy(join_buffer_.data(), state->carry_.data(), carried);
    std::memcpy(join_buffer_.data() + carried, chunk, len);
    joined = join_buffer_.data();
  }
  const size_t total = carried + len;
  ScanBodyText(state, std::string_view(joined, total), /*at_end=*/false);

  // Carry the run of non-break bytes at the end. The carried bytes contain no break.
  size_t run_start = total;
  while (run_start > carried && !IsPiiBreak(static_cast<unsigned char>(joined[run_start - 1]))) {
    --run_start;
  }
  const bool break_found = run_start > carried;
  if (!break_found) run_start = 0;
  const size_t keep = std::min(total - run_start, kPiiTailBytes);
  const bool was_cut = !break_found && state->carry_cut_;
  state->carry_cut_ = was_cut || total - run_start > keep;
  if (state->carry_cut_ && !was_cut) ++counters_.split_values_lost;

  const size_t shift = total - keep;
  std::memcpy(state->carry_.data(), joined + shift, keep);
  state->carry_len_ = static_cast<uint32_t>(keep);
  for (auto* ends : {&state->last_end_, &state->last_match_end_}) {
    for (uint32_t& end : *ends) end = end > shift ? static_cast<uint32_t>(end - shift) : 0;
  }
}

void PiiScanner::ScanBodyText(PiiDirectionState* state, std::string_view text, bool at_end) {
  size_t unused = 0;
  PiiMatchContext context{this, &state->summary, text, state->carry_cut_,
                          state->last_end_.data(), state->last_match_end_.data(), nullptr, 0,
                          &unused};
  FindPiiCandidates(text, detectors_->pattern_types(), at_end, &PiiMatchContext::OnFound,
                    &context);
}

void PiiScanner::EndBody(PiiDirectionState* state, Direction /*direction*/) {
  if (state->body_ended_) return;
  state->body_ended_ = true;
  if (state->carry_len_ == 0) return;

  // The carried bytes end the data: values that reach their end are complete now.
  ScanBodyText(state, std::string_view(state->carry_.data(), state->carry_len_),
               /*at_end=*/true);
  state->carry_len_ = 0;
}

void PiiScanner::Release(PiiDirectionState* state) {
  // Fingerprints past fingerprint_count are never read: clearing the counts is enough.
  for (PiiTypeSummary& type : state->summary.types) {
    type.count = 0;
    type.fingerprint_count = 0;
  }
  state->carry_len_ = 0;
  state->carry_cut_ = false;
  state->body_ended_ = false;
  state->last_end_ = {};
  state->last_match_end_ = {};
}

size_t PiiScanner::DetectSpans(std::string_view text, PiiSpan* spans, size_t capacity,
                               bool* complete) {
  // A header value or query scanned before has the same values here, because the types and the
  // finder are the same. Its counts are not added: they were counted when it was scanned.
  size_t count = 0;
  if (const ValueScan* known = value_scans_.Find(text)) {
    count = known->count;
    std::copy_n(known->values.begin(), std::min(count, capacity), spans);
  } else {
    ScanBlock(nullptr, text, spans, capacity, &count);
  }
  *complete = count <= capacity;
  count = std::min(count, capacity);
  // Values of different types can overlap (a phone number inside a card-like run, a JWT whose
  // last part runs into a key's first line).
  return JoinOverlappingSpans(spans, count);
}

}  // namespace sluice::matchers
