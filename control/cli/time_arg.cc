#include "control/cli/time_arg.h"

#include <cctype>
#include <ctime>

namespace sluice::cli {
namespace {

constexpr uint64_t kNanosPerSecond = 1'000'000'000ull;
// The last year whose nanoseconds since 1970 fit in a signed 64-bit count (up to 2262-04-11).
constexpr int kLastYear = 2261;

int DaysInMonth(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Reads exactly `digits` decimal digits at text[*at].
bool ReadDigits(const std::string& text, size_t* at, size_t digits, int* value) {
  if (*at + digits > text.size()) return false;
  *value = 0;
  for (size_t i = 0; i < digits; ++i) {
    const char c = text[*at + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    *value = *value * 10 + (c - '0');
  }
  *at += digits;
  return true;
}

bool Expect(const std::string& text, size_t* at, char c) {
  if (*at >= text.size() || (text[*at] != c && std::tolower(text[*at]) != c)) return false;
  ++*at;
  return true;
}

bool ParseRelative(const std::string& text, uint64_t now_ns, uint64_t* unix_ns) {
  if (text.size() < 2) return false;
  uint64_t amount = 0;
  size_t i = 0;
  for (; i + 1 < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])) || amount > 1'000'000'000ull) return false;
    amount = amount * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  uint64_t unit_s = 0;
  switch (text.back()) {
    case 's': unit_s = 1; break;
    case 'm': unit_s = 60; break;
    case 'h': unit_s = 3600; break;
    case 'd': unit_s = 86400; break;
    case 'w': unit_s = 7 * 86400; break;
    default: return false;
  }
  // amount is at most 10^9 and unit_s at most 604800, so back_s fits; back_s * 10^9 may not.
  const uint64_t back_s = amount * unit_s;
  *unix_ns = back_s >= now_ns / kNanosPerSecond ? 0 : now_ns - back_s * kNanosPerSecond;
  return true;
}

bool ParseRfc3339(const std::string& text, uint64_t* unix_ns) {
  std::tm fields{};
  size_t at = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, &at, 4, &year) || !Expect(text, &at, '-') ||
      !ReadDigits(text, &at, 2, &month) || !Expect(text, &at, '-') ||
      !ReadDigits(text, &at, 2, &day)) {
    return false;
  }
  if (year < 1970 || year > kLastYear || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month)) {
    return false;
  }
  int64_t offset_s = 0;
  uint64_t fraction_ns = 0;
  if (at < text.size()) {
    if (!Expect(text, &at, 't') && !Expect(text, &at, ' ')) return false;
    if (!ReadDigits(text, &at, 2, &hour) || !Expect(text, &at, ':') ||
        !ReadDigits(text, &at, 2, &minute) || !Expect(text, &at, ':') ||
        !ReadDigits(text, &at, 2, &second)) {
      return false;
    }
    // A leap second (:60) exists only at the end of a UTC day.
    if (hour > 23 || minute > 59 || second > 60 || (second == 60 && (hour != 23 || minute != 59))) {
      return false;
    }
    if (at < text.size() && text[at] == '.') {
      ++at;
      uint64_t scale = 100'000'000ull;
      const size_t start = at;
      while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) {
        fraction_ns += static_cast<uint64_t>(text[at] - '0') * scale;
        scale /= 10;
        ++at;
      }
      if (at == start) return false;
    }
    if (Expect(text, &at, 'z')) {
      offset_s = 0;
    } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
      const int sign = text[at] == '-' ? -1 : 1;
      ++at;
      int offset_hours = 0, offset_minutes = 0;
      if (!ReadDigits(text, &at, 2, &offset_hours) || !Expect(text, &at, ':') ||
          !ReadDigits(text, &at, 2, &offset_minutes)) {
        return false;
      }
      if (offset_hours > 23 || offset_minutes > 59) return false;
      offset_s = sign * (offset_hours * 3600 + offset_minutes * 60);
    } else {
      return false;  // RFC 3339 requires the offset
    }
    if (at != text.size()) return false;
  }
  fields.tm_year = year - 1900;
  fields.tm_mon = month - 1;
  fields.tm_mday = day;
  fields.tm_hour = hour;
  fields.tm_min = minute;
  fields.tm_sec = second;
  const int64_t seconds = static_cast<int64_t>(timegm(&fields)) - offset_s;
  if (seconds < 0) return false;
  *unix_ns = static_cast<uint64_t>(seconds) * kNanosPerSecond + fraction_ns;
  return true;
}

}  // namespace

bool ParseTimeArgument(const std::string& text, uint64_t now_ns, uint64_t* unix_ns,
                       std::string* error) {
  if (ParseRelative(text, now_ns, unix_ns) || ParseRfc3339(text, unix_ns)) {
    // 0 means "no bound" to the queries, so the epoch itself becomes its first nanosecond:
    // --until 1970-01-01 then matches nothing instead of everything.
    if (*unix_ns == 0) *unix_ns = 1;
    return true;
  }
  *error = "invalid time '" + text + "': use RFC 3339 (2026-12-05T00:40:00Z), a date "
           "(2026-12-05) or a duration before now (90s, 15m, 1h, 2d, 1w); years 1970 to " +
           std::to_string(kLastYear);
  return false;
}

}  // namespace sluice::cli
