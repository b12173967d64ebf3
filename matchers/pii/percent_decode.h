// Percent-decoding (RFC 3986 section 2.1) for personal-data detection: "a%40b.com" must be found
// and redacted like "a@b.com". Optionally keeps, for every decoded byte, the offset of the input
// byte it came from, so spans found in the decoded text map back onto the original.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::matchers {

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes `text` into `out` (at most `capacity` bytes; '+' stays '+'). When `origin` is not null
// it receives capacity + 1 entries: origin[i] is the input offset of output byte i, and
// origin[length] is the input offset where decoding stopped. Returns the output length.
inline size_t PercentDecode(std::string_view text, char* out, size_t capacity, uint32_t* origin) {
  size_t length = 0;
  size_t at = 0;
  while (at < text.size() && length < capacity) {
    if (origin != nullptr) origin[length] = static_cast<uint32_t>(at);
    const int high = text[at] == '%' && at + 2 < text.size() ? HexValue(text[at + 1]) : -1;
    const int low = high >= 0 ? HexValue(text[at + 2]) : -1;
    if (high >= 0 && low >= 0) {
      out[length++] = static_cast<char>(high * 16 + low);
      at += 3;
    } else {
      out[length++] = text[at++];
    }
  }
  if (origin != nullptr) origin[length] = static_cast<uint32_t>(at);
  return length;
}

}  // namespace sluice::matchers
