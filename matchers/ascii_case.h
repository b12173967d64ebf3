// ASCII case-insensitive comparison for header and parameter names.
#pragma once

#include <string_view>

namespace sluice::matchers {

// Returns whether `text` equals `lower`, a lower-case ASCII string, without regard to case.
inline bool EqualsIgnoreCase(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace sluice::matchers
