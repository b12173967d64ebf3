#include "dataplane/inspect/inspector.h"

namespace sluice::inspect {

using matchers::Direction;
using matchers::FieldKind;

Inspector::Inspector(std::unique_ptr<matchers::Scanner> rules, std::unique_ptr<matchers::PiiScanner> pii,
                     bool can_block)
    : rules_(std::move(rules)), pii_(std::move(pii)), can_block_(can_block) {}

void Inspector::Begin(TransactionInspection* state) {
  if (state->in_use) Release(state);
  state->result = matchers::EvaluateResult{};
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
}

void Inspector::Status(TransactionInspection* state, uint16_t status_code) {
  if (rules_) rules_->ScanStatusCode(&state->match, status_code);
}

void Inspector::Body(TransactionInspection* state, Direction direction, const uint8_t* data, uint32_t length) {
  const auto* text = reinterpret_cast<const char*>(data);
  if (rules_) rules_->ScanBody(&state->match, direction, text, length);
  if (pii_) pii_->ScanBody(&state->pii[static_cast<int>(direction)], direction, text, length);
}

void Inspector::BodyEnd(TransactionInspection* state, Direction direction) {
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
    case matchers::Verdict::kBlock: return can_block_ ? Verdict::kBlock : Verdict::kWouldBlock;
  }
  return Verdict::kPass;
}

void Inspector::Release(TransactionInspection* state) {
  if (!state->in_use) return;
  if (rules_) rules_->Release(&state->match);
  if (pii_) {
    pii_->Release(&state->pii[0], Direction::kRequest);
    pii_->Release(&state->pii[1], Direction::kResponse);
  }
  state->in_use = false;
}

}  // namespace sluice::inspect
