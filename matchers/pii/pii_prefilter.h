// A necessary condition for any PII candidate pattern (pii_detectors.cc) to match a block of
// text, checked in one pass before Hyperscan. Most header values, URLs and user agents meet none of
// the conditions, and a Hyperscan block scan with start-of-match tracking cost about 500 ns even on
// a short string that cannot match (an estimate from bench_worker on a 2.6 GHz Xeon). A false result means no pattern can
// match, so skipping the scan changes nothing. A true result only means "scan".
//
// Each condition is implied by one pattern (keep them in step with kPiiPatterns):
//   email           '@'
//   payment card    a run of 13 digits, each pair separated by at most one ' ' or '-'
//   US SSN          ddd-dd-dddd
//   IBAN            two upper-case letters, two digits, and at least 11 more bytes
//   phone (E.164)   '+', a digit 1-9, then six more digits
//   JWT             "eyJ"
//   AWS access key  "AKIA" or "ASIA"
//   PEM private key "-----BEGIN "
//
// Pure function, no state: safe on any lcore.
#pragma once

#include <cstddef>
#include <string_view>

namespace sluice::matchers {

namespace prefilter_detail {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

inline bool DigitsAt(std::string_view text, size_t at, size_t count) {
  if (at + count > text.size()) return false;
  for (size_t i = at; i < at + count; ++i) {
    if (!IsDigit(text[i])) return false;
  }
  return true;
}

// The triggers that need a closer look: '@' and '+', the first letters of "eyJ", "AKIA", "ASIA"
// and the IBAN country code, the '-' of an SSN and of a PEM line.
struct Triggers {
  bool table[256] = {};
  constexpr Triggers() {
    for (const char* p = "@+-eA"; *p != '\0'; ++p) table[static_cast<unsigned char>(*p)] = true;
    for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  }
};
inline constexpr Triggers kTriggers{};

}  // namespace prefilter_detail

inline bool MayContainPii(std::string_view text) {
  using namespace prefilter_detail;
  const size_t size = text.size();
  size_t card_digits = 0;      // digits in the current card-like run
  bool after_separator = false;  // the run's last byte was a single ' ' or '-'
  for (size_t i = 0; i < size; ++i) {
    const char c = text[i];
    if (IsDigit(c)) {
      if (++card_digits >= 13) return true;
      after_separator = false;
      continue;
    }
    if ((c == ' ' || c == '-') && card_digits > 0 && !after_separator) {
      after_separator = true;
    } else {
      card_digits = 0;
      after_separator = false;
    }
    if (!kTriggers.table[static_cast<unsigned char>(c)]) continue;
    const std::string_view rest = text.substr(i);
    switch (c) {
      case '@':
        return true;
      case '+':
        if (i + 1 < size && text[i + 1] >= '1' && text[i + 1] <= '9' && DigitsAt(text, i + 2, 6)) return true;
        break;
      case '-':
        if (i >= 3 && DigitsAt(text, i - 3, 3) && DigitsAt(text, i + 1, 2) && i + 3 < size &&
            text[i + 3] == '-' && DigitsAt(text, i + 4, 4)) {
          return true;
        }
        if (rest.substr(0, 11) == "-----BEGIN ") return true;
        break;
      case 'e':
        if (rest.substr(0, 3) == "eyJ") return true;
        break;
      default:  // upper case
        if (rest.substr(0, 4) == "AKIA" || rest.substr(0, 4) == "ASIA") return true;
        if (i + 1 < size && IsUpper(text[i + 1]) && DigitsAt(text, i + 2, 2) && size - i >= 15) return true;
        break;
    }
  }
  return false;
}

}  // namespace sluice::matchers
