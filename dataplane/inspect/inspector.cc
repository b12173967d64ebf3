#include "dataplane/inspect/inspector.h"

#include <cctype>

namespace sluice::inspect {

using matchers::Direction;
using matchers::FieldKind;

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The coding to undo for a Content-Encoding value, or -1. Stacked codings are not undone.
int8_t EncodingOf(std::string_view value) {
  if (IEquals(value, "gzip") || IEquals(value, "x-gzip")) return static_cast<int8_t>(matchers::BodyEncoding::kGzip);
  if (IEquals(value, "deflate")) return static_cast<int8_t>(matchers::BodyEncoding::kDeflate);
  return -1;
}

}  // namespace

const char* InflateAnomalyName(uint32_t bit) {
  switch (bit) {
    case matchers::kInflateCapExceeded: return "body.inflate_cap_exceeded";
    case matchers::kInflateCorrupt: return "body.inflate_corrupt";
    case matchers::kInflateTruncated: return "body.inflate_truncated";
    case matchers::kInflateTrailingData: return "body.inflate_trailing_data";
    case matchers::kInflateNoMemory: return "body.inflate_no_memory";
    case kInflateUnavailable: return "body.inflate_unavailable";
    default: return nullptr;
  }
}

Inspector::Inspector(std::unique_ptr<matchers::Scanner> rules, std::unique_ptr<matchers::PiiScanner> pii,
                     InspectorConfig config)
    : rules_(std::move(rules)), pii_(std::move(pii)), config_(config) {
  if (!active()) return;
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
  state->inflate_anomalies = 0;
  state->in_use = true;
}

void Inspector::RequestLine(TransactionInspection* state, std::string_view method, std::string_view target,
                            std::string_view path, std::string_view query) {
  if (rules_) {
    rules_->ScanField(&state->match, FieldKind::kMethod, method.data(), method.size());
    rules_->ScanField(&state->match, FieldKind::kUrlOriginal, target.data(), target.size());
    rules_->ScanField(&state->match, FieldKind::kUrlPath, path.data(), path.size());
    rules_->ScanField(&state->match, FieldKind::kUrlQuery, query.data(), query.size());
  }
  if (pii_ && !query.empty()) pii_->ScanQuery(&state->pii[0], query);
}

void Inspector::Header(TransactionInspection* state, Direction direction, std::string_view name,
                       std::string_view value) {
  if (rules_) rules_->ScanHeader(&state->match, direction, name, value.data(), value.size());
  if (pii_) pii_->ScanHeader(&state->pii[static_cast<int>(direction)], direction, name, value);
  if (IEquals(name, "content-encoding")) state->encoding[static_cast<int>(direction)] = EncodingOf(value);
}

void Inspector::Status(TransactionInspection* state, uint16_t status_code) {
  if (rules_) rules_->ScanStatusCode(&state->match, status_code);
}

void Inspector::ScanDecoded(TransactionInspection* state, Direction direction, const char* data,
                            size_t length) {
  if (rules_) rules_->ScanBody(&state->match, direction, data, length);
  if (pii_) pii_->ScanBody(&state->pii[static_cast<int>(direction)], direction, data, length);
}

// Compressed bodies are decoded into the matchers as they stream; without a free decoder the
// raw bytes are matched instead and the record says so.
void Inspector::Body(TransactionInspection* state, Direction direction, const uint8_t* data, uint32_t length) {
  const int side = static_cast<int>(direction);
  if (state->encoding[side] >= 0 && state->inflater[side] < 0) {
    if (free_inflaters_.empty()) {
      state->inflate_anomalies |= kInflateUnavailable;
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
  state->inflate_anomalies |= inflater.anomalies();
  free_inflaters_.push_back(state->inflater[side]);
  state->inflater[side] = -1;
}

void Inspector::BodyEnd(TransactionInspection* state, Direction direction) {
  EndInflate(state, static_cast<int>(direction));
  if (rules_) rules_->EndBody(&state->match, direction);
  if (pii_) pii_->EndBody(&state->pii[static_cast<int>(direction)], direction);
}

bool Inspector::Evaluate(TransactionInspection* state) {
  // Evaluation walks only the matched patterns, so it is cheap enough to run after every field.
  if (!rules_ || state->match.dirty_count() == 0) return false;
  const bool was_block = state->result.verdict == matchers::Verdict::kBlock;
  rules_->Evaluate(state->match, &state->result);
  return !was_block && state->result.verdict == matchers::Verdict::kBlock;
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
  if (rules_) rules_->Release(&state->match);
  if (pii_) {
    pii_->Release(&state->pii[0], Direction::kRequest);
    pii_->Release(&state->pii[1], Direction::kResponse);
  }
  state->in_use = false;
}

}  // namespace sluice::inspect
