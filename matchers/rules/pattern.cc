#include "matchers/rules/pattern.h"

#include <hs/hs.h>

#include <charconv>

namespace sluice::matchers {

HsPattern TranslatePattern(std::string_view pattern, unsigned base_flags) {
  HsPattern out{std::string(pattern), base_flags};
  if (!pattern.starts_with("(?")) return out;

  unsigned flags = 0;
  size_t i = 2;
  for (; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == 'i') {
      flags |= HS_FLAG_CASELESS;
    } else if (c == 's') {
      flags |= HS_FLAG_DOTALL;
    } else if (c == 'm') {
      flags |= HS_FLAG_MULTILINE;
    } else {
      break;
    }
  }
  // Only a complete group of known letters, such as "(?is)", is moved; "(?i:...)" or "(?x)"
  // stay in the expression.
  if (i == 2 || i >= pattern.size() || pattern[i] != ')') return out;
  out.expression = std::string(pattern.substr(i + 1));
  out.flags |= flags;
  return out;
}

std::optional<PatternError> CheckPattern(const HsPattern& pattern, bool stream) {
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  unsigned mode = stream ? HS_MODE_STREAM : HS_MODE_BLOCK;
  if (hs_compile(pattern.expression.c_str(), pattern.flags, mode, nullptr, &db, &error) ==
      HS_SUCCESS) {
    hs_free_database(db);
    return std::nullopt;
  }
  PatternError out;
  if (error != nullptr) {
    out.message = error->message;
    out.position = ErrorPosition(out.message);
    hs_free_compile_error(error);
  } else {
    out.message = "hs_compile failed without an error message";
  }
  return out;
}

int ErrorPosition(std::string_view message) {
  constexpr std::string_view kKey = "index ";
  size_t at = message.find(kKey);
  if (at == std::string_view::npos) return -1;
  const char* begin = message.data() + at + kKey.size();
  const char* end = message.data() + message.size();
  int value = -1;
  auto result = std::from_chars(begin, end, value);
  return result.ec == std::errc() ? value : -1;
}

}  // namespace sluice::matchers
