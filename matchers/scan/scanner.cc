#include "matchers/scan/scanner.h"

#include <bit>

namespace sluice::matchers {
namespace {

int OnRuleMatch(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
                unsigned int /*flags*/, void* context) {
  static_cast<TransactionMatchState*>(context)->Set(id);
  return 0;  // keep scanning: other patterns may match further on
}

// A body piece's match context: the state and the ids of every pattern in the body database.
struct BodyMatchContext {
  TransactionMatchState* state;
  const std::vector<uint32_t>* patterns;
};

// Halts the scan (HS_SCAN_TERMINATED) once every pattern of the body database has matched.
int OnBodyMatch(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
                unsigned int /*flags*/, void* context) {
  auto* body = static_cast<BodyMatchContext*>(context);
  body->state->Set(id);
  for (uint32_t pattern : *body->patterns) {
    if (!body->state->IsSet(pattern)) return 0;
  }
  return 1;
}

Verdict VerdictOf(Action action) {
  switch (action) {
    case Action::kBlock: return Verdict::kBlock;
    case Action::kTag: return Verdict::kTag;
    case Action::kLog: return Verdict::kPass;
  }
  return Verdict::kPass;
}

}  // namespace

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass: return "pass";
    case Verdict::kTag: return "tag";
    case Verdict::kBlock: return "block";
  }
  return "unknown";
}

std::unique_ptr<Scanner> Scanner::Create(std::shared_ptr<const CompiledRuleSet> rules,
                                         const ScannerConfig& config, std::string* error) {
  std::unique_ptr<Scanner> scanner(new Scanner(std::move(rules)));
  const hs_scratch_t* prototype = scanner->rules_->prototype_scratch();
  if (prototype != nullptr && hs_clone_scratch(prototype, &scanner->scratch_) != HS_SUCCESS) {
    *error = "hs_clone_scratch failed: out of memory?";
    return nullptr;
  }
  for (Direction d : {Direction::kRequest, Direction::kResponse}) {
    const hs_database_t* db = scanner->rules_->body_db(d);
    if (db == nullptr) continue;
    if (!scanner->pools_[static_cast<size_t>(d)].Init(db, config.streams_per_direction)) {
      *error = "hs_open_stream failed while filling a pool of " +
               std::to_string(config.streams_per_direction) +
               " body streams; lower dataplane.limits.body_streams_per_worker";
      return nullptr;
    }
  }
  return scanner;
}

Scanner::~Scanner() { hs_free_scratch(scratch_); }

void Scanner::ScanBlock(TransactionMatchState* state, const hs_database_t* db, const char* data,
                        size_t len) {
  // An empty field cannot match (no pattern may match empty data), and hs_scan rejects the null
  // pointer an empty view may carry.
  // NOTE: Hyperscan 5.4's AVX-512 VBMI literal matcher can read past the end of its input
  // (VectorCamp/vectorscan issue 322). Fields here lie inside mbufs and pooled buffers, which is
  // assumed, not checked, to keep them clear of the end of a mapping.
  if (db == nullptr || len == 0) return;
  ++counters_.scans;
  counters_.bytes_scanned += len;
  if (hs_scan(db, data, static_cast<unsigned>(len), 0, scratch_, OnRuleMatch, state) !=
      HS_SUCCESS) {
    ++counters_.scan_errors;
  }
}

void Scanner::ScanField(TransactionMatchState* state, FieldKind kind, const char* data,
                        size_t len) {
  if (static_cast<size_t>(kind) >= kFixedFieldCount) return;  // not a bounded fixed field
  ScanBlock(state, rules_->fixed_field_db(kind), data, len);
}

void Scanner::ScanHeader(TransactionMatchState* state, Direction direction,
                         std::string_view name, const char* data, size_t len) {
  ScanBlock(state, rules_->header_db(direction, name), data, len);
}

void Scanner::ScanStatusCode(TransactionMatchState* state, uint16_t status_code) {
  char text[5];
  size_t len = 0;
  char digits[5];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + status_code % 10);
    status_code /= 10;
  } while (status_code != 0 && n < sizeof(digits));
  while (n > 0) text[len++] = digits[--n];
  ScanBlock(state, rules_->fixed_field_db(FieldKind::kStatusCode), text, len);
}

void Scanner::ScanBody(TransactionMatchState* state, Direction direction, const char* data,
                       size_t len) {
  size_t d = static_cast<size_t>(direction);
  const hs_database_t* db = rules_->body_db(direction);
  if (db == nullptr || len == 0 || state->body_unscanned_[d] || state->body_ended_[d]) return;
  hs_stream_t*& stream = state->streams_[d];
  if (stream == nullptr) {
    stream = pools_[d].Acquire();
    if (stream == nullptr) {
      // Policy when the pool is empty: the body passes unscanned (fail-open) and is counted.
      state->body_unscanned_[d] = true;
      ++counters_.stream_pool_exhausted;
      return;
    }
  }
  ++counters_.scans;
  counters_.bytes_scanned += len;
  BodyMatchContext context{state, &rules_->body_patterns(direction)};
  const hs_error_t result =
      hs_scan_stream(stream, data, static_cast<unsigned>(len), 0, scratch_, OnBodyMatch, &context);
  if (result == HS_SCAN_TERMINATED) {
    // Every body pattern matched: the rest of the body is not scanned.
    ++counters_.bodies_done_early;
    state->body_ended_[d] = true;
    pools_[d].Release(stream, nullptr, nullptr, nullptr);
    stream = nullptr;
  } else if (result != HS_SUCCESS) {
    ++counters_.scan_errors;
  }
}

void Scanner::EndBody(TransactionMatchState* state, Direction direction) {
  size_t d = static_cast<size_t>(direction);
  state->body_ended_[d] = true;
  hs_stream_t*& stream = state->streams_[d];
  if (stream == nullptr) return;
  pools_[d].Release(stream, scratch_, OnRuleMatch, state);
  stream = nullptr;
}

void Scanner::Release(TransactionMatchState* state) {
  for (size_t d = 0; d < 2; ++d) {
    pools_[d].Release(state->streams_[d], nullptr, nullptr, nullptr);
    state->streams_[d] = nullptr;
    state->body_unscanned_[d] = false;
    state->body_ended_[d] = false;
  }
  state->ClearBits();
}

bool Scanner::RuleSatisfied(const CompiledRule& rule, const TransactionMatchState& state) const {
  if (rule.combine != Combine::kAll) return true;  // kSingle and kAny: one set bit suffices
  for (uint32_t p = rule.first_pattern; p < rule.first_pattern + rule.pattern_count; ++p) {
    if (!state.IsSet(p)) return false;
  }
  return true;
}

void Scanner::Evaluate(const TransactionMatchState& state, EvaluateResult* result) const {
  result->verdict = Verdict::kPass;
  result->count = 0;
  result->dropped = 0;
  const auto& rules = rules_->rules();
  for (uint32_t i = 0; i < state.dirty_count(); ++i) {
    uint32_t word_index = state.dirty_word(i);
    uint64_t word = state.word(word_index);
    while (word != 0) {
      uint32_t pattern = word_index * 64 + static_cast<uint32_t>(std::countr_zero(word));
      word &= word - 1;
      uint32_t rule_index = rules_->rule_of_pattern(pattern);
      const CompiledRule& rule = rules[rule_index];
      // A rule with several patterns is decided once, at its lowest matched pattern.
      bool lower_matched = false;
      for (uint32_t p = rule.first_pattern; p < pattern && !lower_matched; ++p) {
        lower_matched = state.IsSet(p);
      }
      if (lower_matched || !RuleSatisfied(rule, state)) continue;

      Verdict verdict = VerdictOf(rule.action);
      if (verdict > result->verdict) result->verdict = verdict;
      if (result->count < EvaluateResult::kMaxRules) {
        result->rule_indexes[result->count++] = rule_index;
      } else {
        ++result->dropped;
      }
    }
  }
}

}  // namespace sluice::matchers
