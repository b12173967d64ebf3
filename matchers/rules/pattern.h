// Translation of rule patterns into Hyperscan expressions and flags. Control core only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice::matchers {

struct HsPattern {
  std::string expression;
  unsigned flags = 0;  // HS_FLAG_* bits
};

// Moves a leading inline flag group such as "(?i)" or "(?is)" into Hyperscan flags
// (i: HS_FLAG_CASELESS, s: HS_FLAG_DOTALL, m: HS_FLAG_MULTILINE). Hyperscan 5.4 accepts these
// groups inline too; as flags they apply to the whole expression, which is what a leading group
// means. Any other inline group is left for Hyperscan to accept or reject.
HsPattern TranslatePattern(std::string_view pattern, unsigned base_flags);

struct PatternError {
  std::string message;  // Hyperscan's compile error text
  int position = -1;    // byte index into the pattern when Hyperscan names one, else -1
};

// Compiles one expression alone (in stream mode when `stream` is set) and returns Hyperscan's
// error, if any. Used to report every bad pattern, because hs_compile_multi stops at the first.
std::optional<PatternError> CheckPattern(const HsPattern& pattern, bool stream);

// Extracts "index N" from a Hyperscan error message; -1 if the message names no index.
int ErrorPosition(std::string_view message);

}  // namespace sluice::matchers
