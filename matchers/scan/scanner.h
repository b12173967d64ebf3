// The hot-path rule scanner. One per worker core: it owns a Hyperscan scratch cloned from the
// compiled rule set and the pools of body streams. No locks and no allocation after Create().
//
// Per transaction, the data plane calls (all on the worker that owns the flow):
//   ScanField / ScanHeader / ScanStatusCode  as each bounded field is parsed;
//   ScanBody(direction, piece)               for each decoded body piece, in order;
//   EndBody(direction)                       when that body ends (reports `$` matches);
//   Evaluate()                               when the request completes (early block) and again
//                                            at transaction end (the record);
//   Release()                                once, when the transaction slot is reused or dropped.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "matchers/compile/compiled_rules.h"
#include "matchers/scan/match_state.h"
#include "matchers/scan/stream_pool.h"

namespace sluice::matchers {

enum class Verdict : uint8_t { kPass, kTag, kBlock };
const char* VerdictName(Verdict verdict);

// Rules satisfied so far. Rule indexes refer to CompiledRuleSet::rules().
struct EvaluateResult {
  static constexpr uint32_t kMaxRules = 32;
  Verdict verdict = Verdict::kPass;
  uint32_t count = 0;                          // entries in rule_indexes
  uint32_t dropped = 0;                        // satisfied rules past kMaxRules (still in verdict)
  std::array<uint32_t, kMaxRules> rule_indexes{};
};

// Counters of one Scanner; summed by the caller across workers.
struct ScannerCounters {
  uint64_t scans = 0;                  // Hyperscan scan calls
  uint64_t bytes_scanned = 0;
  uint64_t scan_errors = 0;            // Hyperscan returned an error; the piece was not matched
  uint64_t stream_pool_exhausted = 0;  // a body went unscanned because no stream was free
  uint64_t bodies_done_early = 0;      // body scans stopped once every body pattern matched

  ScannerCounters& operator+=(const ScannerCounters& other) {
    scans += other.scans;
    bytes_scanned += other.bytes_scanned;
    scan_errors += other.scan_errors;
    stream_pool_exhausted += other.stream_pool_exhausted;
    bodies_done_early += other.bodies_done_early;
    return *this;
  }
};

struct ScannerConfig {
  // Streams per body direction: the most transactions with a body in flight at once on this
  // worker. A body that starts when all are taken is not scanned and is counted.
  uint32_t streams_per_direction = 1024;
};

class Scanner {
 public:
  // Setup time, on the worker's own core or before it starts. Returns nullptr and sets *error
  // if Hyperscan cannot clone the scratch or open the streams.
  static std::unique_ptr<Scanner> Create(std::shared_ptr<const CompiledRuleSet> rules,
                                         const ScannerConfig& config, std::string* error);
  ~Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  // A bounded field; kind is one of kMethod, kUrlOriginal, kUrlPath, kUrlQuery, kStatusCode.
  void ScanField(TransactionMatchState* state, FieldKind kind, const char* data, size_t len);
  void ScanHeader(TransactionMatchState* state, Direction direction, std::string_view name,
                  const char* data, size_t len);
  void ScanStatusCode(TransactionMatchState* state, uint16_t status_code);

  // Body pieces in order. Matches split across pieces are found (stream mode).
  void ScanBody(TransactionMatchState* state, Direction direction, const char* data, size_t len);
  void EndBody(TransactionMatchState* state, Direction direction);

  // Fills *result with every rule satisfied so far and the strongest action among them
  // (`log` rules are listed but leave the verdict at pass). May be called more than once.
  void Evaluate(const TransactionMatchState& state, EvaluateResult* result) const;

  // Returns the streams to the pools and clears the state for the next transaction.
  void Release(TransactionMatchState* state);

  const ScannerCounters& counters() const { return counters_; }
  const CompiledRuleSet& rules() const { return *rules_; }
  uint32_t streams_available(Direction direction) const {
    return pools_[static_cast<size_t>(direction)].available();
  }

 private:
  explicit Scanner(std::shared_ptr<const CompiledRuleSet> rules) : rules_(std::move(rules)) {}
  void ScanBlock(TransactionMatchState* state, const hs_database_t* db, const char* data,
                 size_t len);
  bool RuleSatisfied(const CompiledRule& rule, const TransactionMatchState& state) const;

  std::shared_ptr<const CompiledRuleSet> rules_;
  hs_scratch_t* scratch_ = nullptr;
  std::array<StreamPool, 2> pools_;
  ScannerCounters counters_;
};

}  // namespace sluice::matchers
