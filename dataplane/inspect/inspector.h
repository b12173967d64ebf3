// Rule matching and PII detection for the transactions of one worker, on top of the matchers
// library: the session reports each field as it is parsed, and the inspector scans it and keeps
// the verdict up to date, so an inline block can stop the very packet that completed the match.
//
// Ownership: one Inspector per worker lcore, with its own Hyperscan scratch and stream pools.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "matchers/pii/pii_scanner.h"
#include "matchers/scan/scanner.h"

namespace sluice::inspect {

// What the record says inspection decided.
enum class Verdict : uint8_t { kPass = 0, kTag = 1, kBlock = 2, kWouldBlock = 3 };

// Inspection state of one transaction; lives inside its transaction slot.
struct TransactionInspection {
  matchers::TransactionMatchState match;
  matchers::PiiDirectionState pii[2];
  matchers::EvaluateResult result;
  bool in_use = false;            // streams may be held: Release before reuse
};

class Inspector {
 public:
  // Either scanner may be null (no rules, or PII detection off). `can_block`: inline mode, where
  // a block verdict stops traffic; elsewhere it is recorded as would_block.
  Inspector(std::unique_ptr<matchers::Scanner> rules, std::unique_ptr<matchers::PiiScanner> pii,
            bool can_block);

  bool active() const { return rules_ != nullptr || pii_ != nullptr; }
  const matchers::CompiledRuleSet* rule_set() const { return rules_ ? &rules_->rules() : nullptr; }
  matchers::PiiScanner* pii() { return pii_.get(); }
  const matchers::Scanner* scanner() const { return rules_.get(); }

  void Begin(TransactionInspection* state);
  void RequestLine(TransactionInspection* state, std::string_view method, std::string_view target,
                   std::string_view path, std::string_view query);
  void Header(TransactionInspection* state, matchers::Direction direction, std::string_view name,
              std::string_view value);
  void Status(TransactionInspection* state, uint16_t status_code);
  void Body(TransactionInspection* state, matchers::Direction direction, const uint8_t* data,
            uint32_t length);
  void BodyEnd(TransactionInspection* state, matchers::Direction direction);

  // Re-evaluates the rules. Returns true when the verdict became block with this call.
  bool Evaluate(TransactionInspection* state);
  Verdict RecordedVerdict(const TransactionInspection& state) const;
  void Release(TransactionInspection* state);

 private:
  std::unique_ptr<matchers::Scanner> rules_;
  std::unique_ptr<matchers::PiiScanner> pii_;
  bool can_block_;
};

}  // namespace sluice::inspect
