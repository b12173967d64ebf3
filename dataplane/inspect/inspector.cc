#include "dataplane/inspect/inspector.h"

#include "matchers/ascii_case.h"
#include "matchers/pii/percent_decode.h"

namespace sluice::inspect {

using matchers::Direction;
using matchers::FieldKind;

namespace {

// The coding to undo for a Content-Encoding value, or -1. Stacked codings are not undone.
int8_t EncodingOf(std::string_view value) {
  using matchers::EqualsIgnoreCase;
  if (EqualsIgnoreCase(value, "gzip") || EqualsIgnoreCase(value, "x-gzip")) {
    return static_cast<int8_t>(matchers::BodyEncoding::kGzip);
  }
  if (EqualsIgnoreCase(value, "deflate")) return static_cast<int8_t>(matchers::BodyEncoding::kDeflate);
  return -1;
}

}  // namespace

const char* BodyAnomalyName(uint32_t bit) {
  switch (bit) {
    case matchers::kInflateCapExceeded: return "body.inflate_cap_exceeded";
    case matchers::kInflateCorrupt: return "body.inflate_corrupt";
    case matchers::kInflateTruncated: return "body.inflate_truncated";
    case matchers::kInflateTrailingData: return "body.inflate_trailing_data";
    case matchers::kInflateNoMemory: return "body.inflate_no_memory";
    case kInflateUnavailable: return "body.inflate_unavailable";
    case kRulesBodyUnscanned: return "body.rules_unscanned";
    default: return nullptr;
  }
}

Inspector::Inspector(std::unique_ptr<matchers::Scanner> rules, std::unique_ptr<matchers::PiiScanner> pii,
                     InspectorConfig config)
    : rules_(std::move(rules)), pii_(std::move(pii)), config_(config) {
  decode_buffer_.resize(kDecodeBufferBytes);
  // The decoders exist even without rules or PII detection: a rule set loaded later needs them.
  free_inflaters_.reserve(config_.inflaters);
  for (uint32_t i = 0; i < config_.inflaters; ++i) {
    inflaters_.push_back(std::make_unique<matchers::BodyInflater>());
    free_inflaters_.push_back(static_cast<int32_t>(i));
  }
}

void Inspector::Begin(TransactionInspection* state) {
  if (state->in_use) Release(state);
  state->result = matchers::EvaluateResult{};
  state->encoding[0] = state->encoding[1] = -1;
  state->inflater[0] = state->inflater[1] = -1;
  state->body_anomalies = 0;
  state->form[0] = state->form[1] = false;
  state->form_decode[0] = state->form_decode[1] = FormDecodeState{};
  state->json_decode[0] = state->json_decode[1] = JsonDecodeState{};
  state->scanner = rules_.get();
  if (state->scanner != nullptr) ++current_users_;
  state->in_use = true;
}

void Inspector::RequestLine(TransactionInspection* state, std::string_view method, std::string_view target,
                            std::string_view path, std::string_view query) {
  if (matchers::Scanner* scanner = state->scanner) {
    scanner->ScanField(&state->match, FieldKind::kMethod, method.data(), method.size());
    scanner->ScanField(&state->match, FieldKind::kUrlOriginal, target.data(), target.size());
    scanner->ScanField(&state->match, FieldKind::kUrlPath, path.data(), path.size());
    scanner->ScanField(&state->match, FieldKind::kUrlQuery, query.data(), query.size());
  }
  if (pii_ && !query.empty()) {
    const size_t decoded = matchers::PercentDecode(query, decode_buffer_.data(), decode_buffer_.size(), nullptr);
    pii_->ScanQuery(&state->pii[0], std::string_view(decode_buffer_.data(), decoded));
  }
  if (pii_ && !target.empty()) pii_->ScanUrlSecrets(&state->pii[0], target);
}

void Inspector::Header(TransactionInspection* state, Direction direction, std::string_view name,
                       std::string_view value) {
  const int side = static_cast<int>(direction);
  if (state->scanner) state->scanner->ScanHeader(&state->match, direction, name, value.data(), value.size());
  if (pii_) pii_->ScanHeader(&state->pii[side], direction, name, value);
  if (matchers::EqualsIgnoreCase(name, "content-encoding")) state->encoding[side] = EncodingOf(value);
  // Any Content-Type that names the form encoding counts: a server may read the first of two,
  // and a client must not hide a form body behind a second header.
  if (matchers::EqualsIgnoreCase(name, "content-type") && IsFormMediaType(value)) state->form[side] = true;
}

void Inspector::Status(TransactionInspection* state, uint16_t status_code) {
  if (state->scanner) state->scanner->ScanStatusCode(&state->match, status_code);
}

void Inspector::ScanDecoded(TransactionInspection* state, Direction direction, const char* data,
                            size_t length) {
  if (state->scanner) {
    state->scanner->ScanBody(&state->match, direction, data, length);
    if (state->match.body_unscanned(direction)) state->body_anomalies |= kRulesBodyUnscanned;
  }
  if (pii_ == nullptr) return;
  const int side = static_cast<int>(direction);
  const auto scan = [&](const char* decoded, size_t size) { pii_->ScanBody(&state->pii[side], direction, decoded, size); };
  if (state->form[side]) {
    DecodeFormPiece(&state->form_decode[side], data, length, decode_buffer_.data(), decode_buffer_.size(), scan);
  } else {
    DecodeJsonPiece(&state->json_decode[side], data, length, decode_buffer_.data(), decode_buffer_.size(), scan);
  }
}

// Compressed bodies are decoded into the matchers as they stream; without a free decoder the
// raw bytes are matched instead and the record says so.
void Inspector::Body(TransactionInspection* state, Direction direction, const uint8_t* data, uint32_t length) {
  if (state->scanner == nullptr && pii_ == nullptr) return;  // nothing matches bodies
  const int side = static_cast<int>(direction);
  if (state->encoding[side] >= 0 && state->inflater[side] < 0) {
    if (free_inflaters_.empty()) {
      ++inflaters_unavailable_;
      state->body_anomalies |= kInflateUnavailable;
      state->encoding[side] = -1;
    } else {
      state->inflater[side] = free_inflaters_.back();
      free_inflaters_.pop_back();
      inflaters_[static_cast<size_t>(state->inflater[side])]->Begin(
          static_cast<matchers::BodyEncoding>(state->encoding[side]), config_.inflate_cap);
    }
  }
  if (state->inflater[side] >= 0) {
    inflaters_[static_cast<size_t>(state->inflater[side])]->Feed(
        data, length, [&](const char* decoded, size_t size) { ScanDecoded(state, direction, decoded, size); });
    return;
  }
  ScanDecoded(state, direction, reinterpret_cast<const char*>(data), length);
}

void Inspector::EndInflate(TransactionInspection* state, int side) {
  if (state->inflater[side] < 0) return;
  matchers::BodyInflater& inflater = *inflaters_[static_cast<size_t>(state->inflater[side])];
  inflater.End();
  state->body_anomalies |= inflater.anomalies();
  free_inflaters_.push_back(state->inflater[side]);
  state->inflater[side] = -1;
}

void Inspector::BodyEnd(TransactionInspection* state, Direction direction) {
  const int side = static_cast<int>(direction);
  EndInflate(state, side);
  if (state->scanner) state->scanner->EndBody(&state->match, direction);
  if (pii_) {
    const auto scan = [&](const char* rest, size_t size) { pii_->ScanBody(&state->pii[side], direction, rest, size); };
    FlushPendingEscape(&state->form_decode[side], scan);
    FlushPendingEscape(&state->json_decode[side], scan);
    pii_->EndBody(&state->pii[side], direction);
  }
}

bool Inspector::Evaluate(TransactionInspection* state) {
  // Evaluation walks only the matched patterns, so it is cheap enough to run after every field.
  if (state->scanner == nullptr || state->match.dirty_count() == 0) return false;
  const bool was_block = state->result.verdict == matchers::Verdict::kBlock;
  state->scanner->Evaluate(state->match, &state->result);
  return !was_block && state->result.verdict == matchers::Verdict::kBlock;
}

void Inspector::OfferRules(std::unique_ptr<matchers::Scanner> scanner) {
  delete offered_.exchange(scanner.release(), std::memory_order_acq_rel);  // an older offer never taken
}

bool Inspector::AdoptPendingRules() {
  if (offered_.load(std::memory_order_acquire) == nullptr) return false;
  Retiring* slot = nullptr;
  for (Retiring& retiring : retiring_) {
    if (retiring.scanner == nullptr) slot = &retiring;
  }
  if (slot == nullptr && rules_ != nullptr) return false;  // every earlier rule set still drains
  std::unique_ptr<matchers::Scanner> next(offered_.exchange(nullptr, std::memory_order_acq_rel));
  if (next == nullptr) return false;
  if (rules_ != nullptr) {
    slot->scanner = std::move(rules_);
    slot->users = current_users_;
  }
  current_users_ = 0;
  rules_ = std::move(next);
  ++generation_;
  DropRetiredIfIdle();
  return true;
}

void Inspector::ReleaseScanner(matchers::Scanner* scanner) {
  if (scanner == rules_.get()) {
    --current_users_;
    return;
  }
  for (Retiring& retiring : retiring_) {
    if (retiring.scanner.get() == scanner && --retiring.users == 0) DropRetiredIfIdle();
  }
}

// Frees earlier rule sets once no transaction uses them. Runs on the worker, on reloads only.
void Inspector::DropRetiredIfIdle() {
  for (Retiring& retiring : retiring_) {
    if (retiring.scanner != nullptr && retiring.users == 0) {
      dropped_rules_counters_ += retiring.scanner->counters();
      retiring.scanner.reset();
    }
  }
}

void Inspector::PublishCounters() {
  InspectionCounters counters;
  counters.rules = dropped_rules_counters_;
  if (rules_ != nullptr) counters.rules += rules_->counters();
  for (const Retiring& retiring : retiring_) {
    if (retiring.scanner != nullptr) counters.rules += retiring.scanner->counters();
  }
  if (pii_ != nullptr) counters.pii = pii_->counters();
  counters.inflaters_unavailable = inflaters_unavailable_;
  published_ = counters;
}

Verdict Inspector::RecordedVerdict(const TransactionInspection& state) const {
  switch (state.result.verdict) {
    case matchers::Verdict::kPass: return Verdict::kPass;
    case matchers::Verdict::kTag: return Verdict::kTag;
    case matchers::Verdict::kBlock: return config_.can_block ? Verdict::kBlock : Verdict::kWouldBlock;
  }
  return Verdict::kPass;
}

void Inspector::Release(TransactionInspection* state) {
  if (!state->in_use) return;
  EndInflate(state, 0);
  EndInflate(state, 1);
  if (state->scanner != nullptr) {
    state->scanner->Release(&state->match);
    ReleaseScanner(state->scanner);
    state->scanner = nullptr;
  }
  if (pii_) {
    pii_->Release(&state->pii[0]);
    pii_->Release(&state->pii[1]);
  }
  state->in_use = false;
}

}  // namespace sluice::inspect
