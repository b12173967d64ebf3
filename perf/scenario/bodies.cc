#include "perf/scenario/bodies.h"

namespace sluice::scenario {
namespace {

constexpr const char* kGivenNames[] = {"anna",  "ben",   "chloe", "david", "emma",  "felix",
                                       "gina",  "hamid", "iris",  "jon",   "keiko", "luis",
                                       "maya",  "nils",  "olga",  "pavel", "rita",  "sami"};
constexpr const char* kFamilyNames[] = {"adler", "berg",  "costa", "diaz",  "eklund", "fontaine",
                                        "gupta", "holm",  "ito",   "jansen", "kaur",  "lindqvist",
                                        "mori",  "nagy",  "ortiz", "park"};
constexpr const char* kCities[] = {"Berlin", "Lyon",  "Porto",  "Leeds",
                                   "Graz",   "Malmo", "Utrecht", "Turin"};

template <size_t N>
const char* Pick(gen::Rng& rng, const char* const (&words)[N]) {
  return words[rng.Below(N)];
}

}  // namespace

bool LuhnValid(const std::string& digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it < '0' || *it > '9') return false;
    int digit = *it - '0';
    if (twice) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    twice = !twice;
  }
  return !digits.empty() && sum % 10 == 0;
}

std::string RandomCardNumber(gen::Rng& rng) {
  std::string digits = "4";
  for (int i = 0; i < 14; ++i) digits += static_cast<char>('0' + rng.Below(10));
  // The check digit makes the Luhn sum of all 16 digits a multiple of 10.
  for (char check = '0'; check <= '9'; ++check) {
    if (LuhnValid(digits + check)) return digits + check;
  }
  return digits + '0';  // Unreachable: one of the ten digits always fits.
}

std::string RandomCursor(gen::Rng& rng) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string token;
  for (int i = 0; i < 22; ++i) token += kAlphabet[rng.Below(64)];
  return token;
}

void AppendPersonJson(std::string& out, gen::Rng& rng, int64_t id, bool with_card) {
  const char* given = Pick(rng, kGivenNames);
  const char* family = Pick(rng, kFamilyNames);
  out += "{\"id\":" + std::to_string(id);
  out += ",\"name\":\"";
  out += given;
  out += ' ';
  out += family;
  out += "\",\"email\":\"";
  out += given;
  out += '.';
  out += family;
  out += std::to_string(id % 1000) + "@example.org\"";
  out += ",\"phone\":\"+4930" + std::to_string(rng.Between(1000000, 9999999)) + "\"";
  out += ",\"city\":\"";
  out += Pick(rng, kCities);
  out += '"';
  if (with_card) {
    out += ",\"card\":\"" + RandomCardNumber(rng) + "\",\"card_expiry\":\"" +
           std::to_string(rng.Between(1, 12)) + "/" + std::to_string(rng.Between(25, 30)) + "\"";
  }
  out += '}';
}

void AppendPeoplePage(std::string& out, gen::Rng& rng, int count, int64_t first_id, bool with_card,
                      const std::string& next_cursor) {
  out += "{\"data\":[";
  for (int i = 0; i < count; ++i) {
    if (i > 0) out += ',';
    AppendPersonJson(out, rng, first_id + i, with_card);
  }
  out += "],\"count\":" + std::to_string(count);
  if (!next_cursor.empty()) out += ",\"next\":\"" + next_cursor + "\"";
  out += '}';
}

void AppendHistoryJson(std::string& out, gen::Rng& rng, int64_t id, int entries) {
  out += "{\"id\":" + std::to_string(id) + ",\"history\":[";
  int64_t day = 19000;  // Days since 1970, in 2022.
  for (int i = 0; i < entries; ++i) {
    if (i > 0) out += ',';
    day += rng.Between(0, 3);
    out += "{\"day\":" + std::to_string(day) + ",\"code\":\"C" +
           std::to_string(rng.Between(100, 999)) + "\",\"amount\":" +
           std::to_string(rng.Between(1, 99999)) + '}';
  }
  out += "]}";
}

void AppendChildrenJson(std::string& out, gen::Rng& rng, int64_t parent_id) {
  out += "{\"parent\":" + std::to_string(parent_id) + ",\"data\":[";
  const int count = static_cast<int>(rng.Between(0, 6));
  for (int i = 0; i < count; ++i) {
    if (i > 0) out += ',';
    out += "{\"id\":" + std::to_string(rng.Between(100000, 9999999)) +
           ",\"kind\":\"" + (rng.Chance(0.5) ? "note" : "entry") +
           "\",\"size\":" + std::to_string(rng.Between(1, 4000)) + '}';
  }
  out += "]}";
}

}  // namespace sluice::scenario
