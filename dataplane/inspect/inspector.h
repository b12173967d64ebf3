// Rule matching and PII detection for the transactions of one worker, on top of the matchers
// library: the session reports each field as it is parsed, and the inspector scans it and keeps
// the verdict up to date, so an inline block can stop the very packet that completed the match.
//
// Ownership: one Inspector per worker lcore, with its own Hyperscan scratch and stream pools.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "dataplane/inspect/form_decode.h"
#include "dataplane/inspect/json_unescape.h"
#include "matchers/decompress/body_inflater.h"
#include "matchers/pii/pii_scanner.h"
#include "matchers/scan/scanner.h"

namespace sluice::inspect {

// What the record says inspection decided.
enum class Verdict : uint8_t { kPass = 0, kTag = 1, kBlock = 2, kWouldBlock = 3 };

// Body anomalies beyond matchers::InflateAnomaly: no decoder was free, or no rule stream was
// free so a body was not matched against the rules.
inline constexpr uint32_t kInflateUnavailable = 1u << 8;
inline constexpr uint32_t kRulesBodyUnscanned = 1u << 9;
// Stable record names of the body anomaly bits ("body.inflate_corrupt", ...), or nullptr.
const char* BodyAnomalyName(uint32_t bit);

// Inspection state of one transaction; lives inside its transaction slot.
struct TransactionInspection {
  matchers::TransactionMatchState match;
  matchers::PiiDirectionState pii[2];
  matchers::EvaluateResult result;
  // Per direction: Content-Encoding to undo before matching, the decoder in use (an index into
  // the inspector's pool, or -1) and what went wrong decoding or matching bodies.
  int8_t encoding[2] = {-1, -1};
  int32_t inflater[2] = {-1, -1};
  uint32_t body_anomalies = 0;
  // Per direction: whether the body is form-encoded (Content-Type), so PII detection scans it
  // percent-decoded (other bodies with JSON string escapes decoded), and the start of an escape
  // that its last piece ended with.
  bool form[2] = {false, false};
  FormDecodeState form_decode[2];
  JsonDecodeState json_decode[2];
  // The rule set this transaction began with: after a reload it finishes on that one.
  matchers::Scanner* scanner = nullptr;
  bool in_use = false;            // streams may be held: Release before reuse
};

// Counters of one worker's matchers, over every rule set it used since start.
struct InspectionCounters {
  matchers::ScannerCounters rules;
  matchers::PiiCounters pii;
  uint64_t inflaters_unavailable = 0;  // compressed bodies matched as sent: no decoder was free

  InspectionCounters& operator+=(const InspectionCounters& other) {
    rules += other.rules;
    pii += other.pii;
    inflaters_unavailable += other.inflaters_unavailable;
    return *this;
  }
};

struct InspectorConfig {
  bool can_block = false;          // inline: a block verdict stops traffic
  uint32_t inflaters = 64;         // compressed bodies decoded at once (about 64 KiB each)
  uint64_t inflate_cap = 1 << 20;  // decoded bytes matched per body; the rest is not scanned
};

class Inspector {
 public:
  // Either scanner may be null (no rules, or PII detection off). `can_block`: inline mode, where
  // a block verdict stops traffic; elsewhere it is recorded as would_block.
  Inspector(std::unique_ptr<matchers::Scanner> rules, std::unique_ptr<matchers::PiiScanner> pii,
            InspectorConfig config);

  bool active() const { return rules_ != nullptr || pii_ != nullptr; }
  // The rule set that names the rules `state` matched (the one it began with).
  static const matchers::CompiledRuleSet* rule_set(const TransactionInspection& state) {
    return state.scanner != nullptr ? &state.scanner->rules() : nullptr;
  }
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

  // Hands over a scanner for a new rule set; any thread may call it. The worker takes it at its
  // next AdoptPendingRules(): new transactions use it, open ones finish on the old rule set.
  void OfferRules(std::unique_ptr<matchers::Scanner> scanner);
  // Worker side, between bursts: switches to an offered rule set when the previous switch has
  // drained. Returns true when it switched.
  bool AdoptPendingRules();
  uint64_t rule_generation() const { return generation_; }

  // Re-evaluates the rules. Returns true when the verdict became block with this call.
  bool Evaluate(TransactionInspection* state);
  Verdict RecordedVerdict(const TransactionInspection& state) const;
  void Release(TransactionInspection* state);

  // Worker side: copies the counters of the current and earlier rule sets and of the PII
  // scanner to where counters() reads them. Called between bursts and at the end of input.
  void PublishCounters();
  // The last published counters; the main lcore may read them while the worker runs.
  const InspectionCounters& counters() const { return published_; }

 private:
  void ScanDecoded(TransactionInspection* state, matchers::Direction direction, const char* data,
                   size_t length);
  void EndInflate(TransactionInspection* state, int direction);

  void DropRetiredIfIdle();
  void ReleaseScanner(matchers::Scanner* scanner);

  std::unique_ptr<matchers::Scanner> rules_;
  uint32_t current_users_ = 0;
  // Earlier rule sets, each kept until its last transaction is released. A reload waits only
  // when every slot still drains.
  static constexpr int kRetiringSlots = 4;
  struct Retiring {
    std::unique_ptr<matchers::Scanner> scanner;
    uint32_t users = 0;
  };
  Retiring retiring_[kRetiringSlots];
  std::atomic<matchers::Scanner*> offered_{nullptr};
  uint64_t generation_ = 0;
  std::unique_ptr<matchers::PiiScanner> pii_;
  matchers::ScannerCounters dropped_rules_counters_;  // of rule sets already freed
  uint64_t inflaters_unavailable_ = 0;
  InspectionCounters published_;
  InspectorConfig config_;
  std::vector<std::unique_ptr<matchers::BodyInflater>> inflaters_;
  std::vector<int32_t> free_inflaters_;  // reserved once
  // Query strings and bodies are decoded here for PII detection.
  static constexpr size_t kDecodeBufferBytes = 8192;
  std::vector<char> decode_buffer_;
};

}  // namespace sluice::inspect
