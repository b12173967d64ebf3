// Decoding of application/x-www-form-urlencoded bodies for personal-data detection: a login form
// sends "email=ann%40example.com", which contains no '@' as sent. The body arrives in pieces, and
// an escape may be split between two of them, so the decoder keeps a trailing "%" or "%H" back
// until the next piece completes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/inspect/pending_escape.h"
#include "matchers/ascii_case.h"
#include "matchers/pii/percent_decode.h"

namespace sluice::inspect {

// Returns whether a Content-Type value names the form encoding (parameters such as a charset
// allowed).
inline bool IsFormMediaType(std::string_view value) {
  constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  if (value.size() < kForm.size() || !matchers::EqualsIgnoreCase(value.substr(0, kForm.size()), kForm)) {
    return false;
  }
  const std::string_view rest = value.substr(kForm.size());
  return rest.empty() || rest.front() == ';' || rest.front() == ' ' || rest.front() == '\t';
}

// The start of an escape that one direction's last body piece ended with.
struct FormDecodeState {
  char pending[2] = {};
  uint8_t pending_length = 0;
};

// Decodes `data` after the pending bytes of the previous piece. "%HH" becomes the byte it encodes
// and '+' a space, as the form encoding defines. Other bytes pass as sent, a '%' without two hex
// digits too. The output is written to `buffer` and passed to `emit(const char*, size_t)` in
// runs of at most `capacity` bytes. A "%" or "%H" at the end stays pending for the next piece,
// and FlushPendingEscape passes it on at the end of the body.
template <typename Emit>
void DecodeFormPiece(FormDecodeState* state, const char* data, size_t length, char* buffer,
                     size_t capacity, Emit&& emit) {
  const size_t pending = state->pending_length;
  const size_t total = pending + length;
  const auto byte_at = [&](size_t i) { return i < pending ? state->pending[i] : data[i - pending]; };
  size_t out = 0;
  size_t i = 0;
  while (i < total) {
    char c = byte_at(i);
    if (c == '%') {
      const int high = i + 1 < total ? matchers::HexValue(byte_at(i + 1)) : 0;
      if (i + 2 >= total && high >= 0) {
        // An escape that the next piece may complete.
        char rest[2] = {byte_at(i), i + 1 < total ? byte_at(i + 1) : '\0'};
        state->pending[0] = rest[0];
        state->pending[1] = rest[1];
        state->pending_length = static_cast<uint8_t>(total - i);
        if (out > 0) emit(static_cast<const char*>(buffer), out);
        return;
      }
      const int low = high >= 0 ? matchers::HexValue(byte_at(i + 2)) : -1;
      if (low >= 0) {
        c = static_cast<char>(high * 16 + low);
        i += 3;
      } else {
        ++i;
      }
    } else {
      if (c == '+') c = ' ';
      ++i;
    }
    buffer[out++] = c;
    if (out == capacity) {
      emit(static_cast<const char*>(buffer), out);
      out = 0;
    }
  }
  state->pending_length = 0;
  if (out > 0) emit(static_cast<const char*>(buffer), out);
}

}  // namespace sluice::inspect
