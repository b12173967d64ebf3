#include "control/sinks/rfc3339.h"

namespace sluice::control {
namespace {

constexpr uint64_t kNanosPerSecond = 1'000'000'000;
constexpr uint64_t kSecondsPerDay = 86'400;

struct CivilDate {
  uint32_t year;
  uint32_t month;  // 1..12
  uint32_t day;    // 1..31
};

// Converts days since 1970-01-01 to a proleptic Gregorian date. The count is shifted to start on
// 0000-03-01 so that the leap day ends each year, then split into 400-year eras of 146097 days.
// Unsigned arithmetic suffices because the input is never before 1970.
CivilDate DateFromUnixDays(uint64_t unix_days) {
  constexpr uint64_t kDaysFromYear0March = 719'468;  // 0000-03-01 to 1970-01-01
  constexpr uint64_t kDaysPerEra = 146'097;
  const uint64_t days = unix_days + kDaysFromYear0March;
  const uint64_t era = days / kDaysPerEra;
  const uint64_t day_of_era = days - era * kDaysPerEra;  // 0..146096
  const uint64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const uint64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const uint64_t month_from_march = (5 * day_of_year + 2) / 153;  // 0 = March .. 11 = February
  CivilDate date;
  date.day = static_cast<uint32_t>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  date.month = static_cast<uint32_t>(month_from_march < 10 ? month_from_march + 3
                                                           : month_from_march - 9);
  date.year = static_cast<uint32_t>(year_of_era + era * 400 + (date.month <= 2 ? 1 : 0));
  return date;
}

// Writes the `width` low decimal digits of `value`, zero-padded, and returns the end.
char* PutDigits(char* out, uint64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace

std::string_view FormatRfc3339Nanos(uint64_t unix_ns, char (&out)[kRfc3339NanosSize]) {
  const uint64_t seconds = unix_ns / kNanosPerSecond;
  const uint64_t second_of_day = seconds % kSecondsPerDay;
  const CivilDate date = DateFromUnixDays(seconds / kSecondsPerDay);

  // The year stays below 10000 (UINT64_MAX ns is in 2554), so four digits always suffice.
  char* end = PutDigits(out, date.year, 4);
  *end++ = '-';
  end = PutDigits(end, date.month, 2);
  *end++ = '-';
  end = PutDigits(end, date.day, 2);
  *end++ = 'T';
  end = PutDigits(end, second_of_day / 3600, 2);
  *end++ = ':';
  end = PutDigits(end, second_of_day / 60 % 60, 2);
  *end++ = ':';
  end = PutDigits(end, second_of_day % 60, 2);
  *end++ = '.';
  end = PutDigits(end, unix_ns % kNanosPerSecond, 9);
  *end++ = 'Z';
  *end = '\0';
  return std::string_view(out, static_cast<size_t>(end - out));
}

}  // namespace sluice::control
