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

// Byte classes. Most bytes of header values and URLs are ordinary: they end a card-like run and
// need nothing else. Triggers need a closer look: '@' and '+', the 'e' of "eyJ", the 'A' of "AKIA"
// and "ASIA", and '-' (an SSN, a PEM line). The IBAN's country code is checked at its first digit.
enum ByteClass : unsigned char { kOrdinary = 0, kDigit = 1, kSeparator = 2, kTrigger = 4 };

struct ByteClasses {
  unsigned char of[256] = {};
  constexpr ByteClasses() {
    for (int c = '0'; c <= '9'; ++c) of[c] = kDigit;
    of[static_cast<unsigned char>(' ')] = kSeparator;
    of[static_cast<unsigned char>('-')] = kSeparator | kTrigger;
    for (const char* p = "@+eA"; *p != '\0'; ++p) of[static_cast<unsigned char>(*p)] = kTrigger;
  }
};
inline constexpr ByteClasses kClasses{};

// Checks the trigger byte at `i` (class kTrigger).
inline bool TriggerStartsCandidate(std::string_view text, size_t i) {
  const size_t size = text.size();
  const std::string_view rest = text.substr(i);
  switch (text[i]) {
    case '@':
      return true;
    case '+':
      return i + 1 < size && text[i + 1] >= '1' && text[i + 1] <= '9' && DigitsAt(text, i + 2, 6);
    case '-':
      if (i >= 3 && DigitsAt(text, i - 3, 3) && DigitsAt(text, i + 1, 2) && i + 3 < size &&
          text[i + 3] == '-' && DigitsAt(text, i + 4, 4)) {
        return true;
      }
      return rest.substr(0, 11) == "-----BEGIN ";
    case 'e':
      return rest.substr(0, 3) == "eyJ";
    default:  // 'A'
      return rest.substr(0, 4) == "AKIA" || rest.substr(0, 4) == "ASIA";
  }
}

}  // namespace prefilter_detail

inline bool MayContainPii(std::string_view text) {
  using namespace prefilter_detail;
  const size_t size = text.size();
  size_t card_digits = 0;        // digits in the current card-like run
  bool after_separator = false;  // the run's last byte was a single ' ' or '-'
  for (size_t i = 0; i < size; ++i) {
    const unsigned char cls = kClasses.of[static_cast<unsigned char>(text[i])];
    if (cls == kOrdinary) {
      card_digits = 0;
      after_separator = false;
      continue;
    }
    if (cls == kDigit) {
      if (++card_digits >= 13) return true;
      after_separator = false;
      // IBAN: two capitals, then this digit and one more, and at least 11 bytes after them.
      if (i >= 2 && IsUpper(text[i - 1]) && IsUpper(text[i - 2]) && DigitsAt(text, i + 1, 1) &&
          size - (i - 2) >= 15) {
        return true;
      }
      continue;
    }
    if ((cls & kSeparator) != 0 && card_digits > 0 && !after_separator) {
      after_separator = true;
    } else {
      card_digits = 0;
      after_separator = false;
    }
    if ((cls & kTrigger) != 0 && TriggerStartsCandidate(text, i)) return true;
  }
  return false;
}

}  // namespace sluice::matchers
