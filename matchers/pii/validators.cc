#include "matchers/pii/validators.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace sluice::matchers {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAlpha(char c) { return IsUpper(c) || (c >= 'a' && c <= 'z'); }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsBase64Url(char c) { return IsAlnum(c) || c == '-' || c == '_'; }

// Characters a value of `type` may end with; anything else at the end is the terminator byte.
bool IsValueEnd(PiiType type, char c) {
  switch (type) {
    case PiiType::kEmail: return IsAlnum(c) || c == '.' || c == '-';
    case PiiType::kPaymentCard:
    case PiiType::kUsSsn:
    case PiiType::kPhoneE164: return IsDigit(c);
    case PiiType::kIban:
    case PiiType::kAwsAccessKey: return IsAlnum(c);
    case PiiType::kJwt: return IsBase64Url(c);
    default: return true;
  }
}

// ISO 13616 IBAN lengths by country (SWIFT IBAN registry).
struct IbanCountry {
  char code[3];
  uint8_t length;
};
constexpr std::array<IbanCountry, 87> kIbanCountries = {{
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
    {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22},
    {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20},
    {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22},
    {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30},
    {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21},
    {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
    {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33},
    {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27},
    {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29},
    {"VA", 22}, {"VG", 24}, {"XK", 20},
}};

int IbanLength(std::string_view country) {
  for (const auto& c : kIbanCountries) {
    if (country == c.code) return c.length;
  }
  return -1;
}

// Decodes base64url without padding into out; returns the decoded length or -1.
int DecodeBase64Url(std::string_view in, uint8_t* out, size_t out_cap) {
  uint32_t buffer = 0;
  int bits = 0;
  size_t n = 0;
  for (char c : in) {
    uint32_t v;
    if (IsUpper(c)) v = static_cast<uint32_t>(c - 'A');
    else if (c >= 'a' && c <= 'z') v = static_cast<uint32_t>(c - 'a' + 26);
    else if (IsDigit(c)) v = static_cast<uint32_t>(c - '0' + 52);
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return -1;
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n == out_cap) return -1;
      out[n++] = static_cast<uint8_t>(buffer >> bits);
    }
  }
  return static_cast<int>(n);
}

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Checks for a JSON object with an "alg" member. NOTE: a shape check, not a JSON parser: it
// wants '{' ... '}' around a `"alg"` key followed by ':'.
bool IsJsonObjectWithAlg(std::string_view json) {
  while (!json.empty() && IsJsonSpace(json.front())) json.remove_prefix(1);
  while (!json.empty() && IsJsonSpace(json.back())) json.remove_suffix(1);
  if (json.size() < 2 || json.front() != '{' || json.back() != '}') return false;
  size_t at = json.find("\"alg\"");
  if (at == std::string_view::npos) return false;
  at += 5;
  while (at < json.size() && IsJsonSpace(json[at])) ++at;
  return at < json.size() && json[at] == ':';
}

bool IsValidDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  size_t labels = 0;
  std::string_view last;
  while (true) {
    size_t dot = domain.find('.');
    std::string_view label = domain.substr(0, dot);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!IsAlnum(c) && c != '-') return false;
    }
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    domain.remove_prefix(dot + 1);
  }
  if (labels < 2 || last.size() < 2) return false;
  for (char c : last) {
    if (!IsAlpha(c)) return false;
  }
  return true;
}

}  // namespace

bool IsLuhnValid(std::string_view text) {
  int sum = 0;
  int digits = 0;
  for (size_t i = text.size(); i-- > 0;) {
    char c = text[i];
    if (c == ' ' || c == '-' || c == '+') continue;
    if (!IsDigit(c)) return false;
    int d = c - '0';
    if (digits % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    ++digits;
  }
  return digits > 0 && sum % 10 == 0;
}

bool IsValidPaymentCard(std::string_view text) {
  char digits[20];
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '-' || c == '+') {
      // Separators only between digits, never two in a row. '+' is a space in a form-encoded
      // query (application/x-www-form-urlencoded).
      if (i == 0 || i + 1 == text.size() || !IsDigit(text[i - 1])) return false;
      continue;
    }
    if (!IsDigit(c) || n == sizeof(digits)) return false;
    digits[n++] = c;
  }
  if (n < 13 || n > 19) return false;
  auto prefix = [&](size_t len) {
    int v = 0;
    for (size_t i = 0; i < len; ++i) v = v * 10 + (digits[i] - '0');
    return v;
  };
  bool issuer = false;
  int p2 = prefix(2), p3 = prefix(3), p4 = prefix(4);
  if (digits[0] == '4') issuer = n == 13 || n == 16 || n == 19;           // Visa
  else if (p2 >= 51 && p2 <= 55) issuer = n == 16;                        // Mastercard
  else if (p4 >= 2221 && p4 <= 2720) issuer = n == 16;                    // Mastercard 2-series
  else if (p2 == 34 || p2 == 37) issuer = n == 15;                        // Amex
  else if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649)) issuer = n >= 16;  // Discover
  else if (p4 >= 3528 && p4 <= 3589) issuer = n >= 16;                    // JCB
  else if (p2 == 36 || p2 == 38 || (p3 >= 300 && p3 <= 305)) issuer = n >= 14;  // Diners
  return issuer && IsLuhnValid(std::string_view(digits, n));
}

bool IsValidUsSsn(std::string_view text) {
  if (text.size() != 11 || text[3] != '-' || text[6] != '-') return false;
  for (size_t i : {0, 1, 2, 4, 5, 7, 8, 9, 10}) {
    if (!IsDigit(text[i])) return false;
  }
  int area = (text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0');
  int group = (text[4] - '0') * 10 + (text[5] - '0');
  int serial = (text[7] - '0') * 1000 + (text[8] - '0') * 100 + (text[9] - '0') * 10 +
               (text[10] - '0');
  if (area == 0 || area == 666 || area >= 900) return false;
  return group != 0 && serial != 0;
}

bool IsValidIban(std::string_view text) {
  if (text.size() < 15 || text.size() > 34) return false;
  if (!IsUpper(text[0]) || !IsUpper(text[1]) || !IsDigit(text[2]) || !IsDigit(text[3])) {
    return false;
  }
  if (IbanLength(text.substr(0, 2)) != static_cast<int>(text.size())) return false;
  // Move the first four characters to the end, letters become 10..35, and the number taken
  // mod 97 must be 1. Folded digit by digit so no big integer is needed.
  uint32_t remainder = 0;
  for (size_t k = 0; k < text.size(); ++k) {
    char c = text[(k + 4) % text.size()];
    if (IsDigit(c)) {
      remainder = (remainder * 10 + static_cast<uint32_t>(c - '0')) % 97;
    } else if (IsUpper(c)) {
      remainder = (remainder * 100 + static_cast<uint32_t>(c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return remainder == 1;
}

bool IsValidEmail(std::string_view text) {
  if (text.size() > 254) return false;
  size_t at = text.find('@');
  if (at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  std::string_view local = text.substr(0, at);
  if (local.empty() || local.size() > 64) return false;
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : local) {
    if (!IsAlnum(c) && std::string_view("._%+-").find(c) == std::string_view::npos) return false;
  }
  return IsValidDomain(text.substr(at + 1));
}

bool IsValidPhoneE164(std::string_view text) {
  if (text.size() < 8 || text.size() > 16 || text[0] != '+' || text[1] == '0') return false;
  for (size_t i = 1; i < text.size(); ++i) {
    if (!IsDigit(text[i])) return false;
  }
  return true;
}

bool IsValidJwt(std::string_view text) {
  size_t first = text.find('.');
  if (first == std::string_view::npos) return false;
  size_t second = text.find('.', first + 1);
  if (second == std::string_view::npos || text.find('.', second + 1) != std::string_view::npos) {
    return false;
  }
  std::string_view header = text.substr(0, first);
  std::string_view payload = text.substr(first + 1, second - first - 1);
  if (header.empty() || payload.empty()) return false;
  for (char c : text.substr(first + 1)) {
    if (!IsBase64Url(c) && c != '.') return false;
  }
  uint8_t decoded[512];
  int n = DecodeBase64Url(header, decoded, sizeof(decoded));
  if (n <= 0) return false;
  return IsJsonObjectWithAlg(
      std::string_view(reinterpret_cast<const char*>(decoded), static_cast<size_t>(n)));
}

bool IsValidAwsAccessKey(std::string_view text) {
  if (text.size() != 20) return false;
  if (!text.starts_with("AKIA") && !text.starts_with("ASIA")) return false;
  for (char c : text) {
    if (!IsUpper(c) && !IsDigit(c)) return false;
  }
  return true;
}

std::string_view TrimCandidate(PiiType type, std::string_view candidate) {
  // A token's value has exactly two dots, so a third is its terminator. With two, the last dot
  // ends an unsigned token ("eyJ...eyJ...") that ends the data: there is no terminator to drop.
  const bool own_dot = type == PiiType::kJwt && !candidate.empty() && candidate.back() == '.' &&
                       std::count(candidate.begin(), candidate.end(), '.') == 2;
  if (!candidate.empty() && !own_dot && !IsValueEnd(type, candidate.back())) candidate.remove_suffix(1);
  if (type == PiiType::kEmail) {
    while (!candidate.empty() && (candidate.back() == '.' || candidate.back() == '-')) {
      candidate.remove_suffix(1);
    }
  }
  return candidate;
}

bool ValidateCandidate(PiiType type, std::string_view value) {
  switch (type) {
    case PiiType::kEmail: return IsValidEmail(value);
    case PiiType::kPaymentCard: return IsValidPaymentCard(value);
    case PiiType::kUsSsn: return IsValidUsSsn(value);
    case PiiType::kIban: return IsValidIban(value);
    case PiiType::kPhoneE164: return IsValidPhoneE164(value);
    case PiiType::kJwt: return IsValidJwt(value);
    case PiiType::kAwsAccessKey: return IsValidAwsAccessKey(value);
    default: return !value.empty();
  }
}

}  // namespace sluice::matchers
