// Decoding of JSON string escapes in bodies for personal-data detection. A JSON API sends a
// private key as "-----BEGIN PRIVATE KEY-----\nMIIE..." with a backslash and an 'n' in place of
// the line break, PHP writes '/' as "\/", and .NET writes '+' as "\u002B". Decoded, the values
// are found as they would be in plain text. The escapes are those of RFC 8259 section 7, which
// JavaScript shares, so every body that is not form-encoded is decoded, whatever its media type.
//
// The body arrives in pieces and an escape may be split between two of them, so the decoder keeps
// a trailing "\", "\u", "\uH", "\uHH" or "\uHHH" back until the next piece completes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dataplane/inspect/pending_escape.h"
#include "matchers/pii/percent_decode.h"

namespace sluice::inspect {

// The start of an escape that one direction's last body piece ended with.
struct JsonDecodeState {
  char pending[5] = {};
  uint8_t pending_length = 0;
};

// Returns the byte that the escape "\c" stands for, or -1 when c starts no one-letter escape
// ('u' starts a six-byte one).
inline int JsonEscapedByte(char c) {
  switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return -1;
  }
}

// Decodes `data` after the pending bytes of the previous piece and passes the result to
// `emit(const char*, size_t)`. One-letter escapes become their byte, and "\uHHHH" its character
// when that is ASCII. Other escapes pass as sent: "\u00E9" (personal data patterns are ASCII), and
// a backslash that starts no escape. The bytes before a piece's first backslash are passed on where
// they lie, and the rest in runs of at most `capacity` bytes written to `buffer`. An escape cut at
// the end stays pending, and FlushPendingEscape passes it on at the end of the body.
template <typename Emit>
void DecodeJsonPiece(JsonDecodeState* state, const char* data, size_t length, char* buffer, size_t capacity,
                     Emit&& emit) {
  if (state->pending_length == 0) {
    const void* backslash = std::memchr(data, '\\', length);
    const size_t plain = backslash == nullptr ? length : static_cast<size_t>(static_cast<const char*>(backslash) - data);
    if (plain > 0) emit(data, plain);
    data += plain;
    length -= plain;
    if (length == 0) return;
  }
  const size_t pending = state->pending_length;
  const size_t total = pending + length;
  const auto byte_at = [&](size_t i) { return i < pending ? state->pending[i] : data[i - pending]; };
  size_t out = 0;
  const auto put = [&](char c) {
    buffer[out++] = c;
    if (out == capacity) {
      emit(static_cast<const char*>(buffer), out);
      out = 0;
    }
  };
  const auto keep_pending = [&](size_t from) {
    state->pending_length = static_cast<uint8_t>(total - from);
    for (size_t k = from; k < total; ++k) state->pending[k - from] = byte_at(k);
    if (out > 0) emit(static_cast<const char*>(buffer), out);
  };
  size_t i = 0;
  while (i < total) {
    const char c = byte_at(i);
    if (c != '\\') {
      put(c);
      ++i;
      continue;
    }
    if (i + 1 == total) return keep_pending(i);
    const char letter = byte_at(i + 1);
    if (letter != 'u') {
      const int decoded = JsonEscapedByte(letter);
      put(decoded >= 0 ? static_cast<char>(decoded) : '\\');
      i += decoded >= 0 ? 2 : 1;
      continue;
    }
    // "\uHHHH": wait for the rest when the piece ends inside it.
    int code = 0;
    size_t digits = 0;
    while (digits < 4 && i + 2 + digits < total) {
      const int value = matchers::HexValue(byte_at(i + 2 + digits));
      if (value < 0) break;
      code = code * 16 + value;
      ++digits;
    }
    if (digits < 4 && i + 2 + digits == total) return keep_pending(i);
    if (digits == 4 && code < 0x80) {
      put(static_cast<char>(code));
      i += 6;
    } else {
      put('\\');  // non-ASCII or not an escape: the bytes pass as sent
      ++i;
    }
  }
  state->pending_length = 0;
  if (out > 0) emit(static_cast<const char*>(buffer), out);
}

}  // namespace sluice::inspect
