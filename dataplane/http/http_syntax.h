// Stateless checks and parsers for single HTTP/1.x syntax units (RFC 9110, RFC 9112): start lines,
// header fields, Content-Length values, chunk-size lines. HttpParser calls them on complete lines;
// they never read outside the span they are given. Header-only so tests can call them directly.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dataplane/http/http_parser.h"

namespace sluice::http::syntax {

// Table of tchar (RFC 9110 section 5.6.2), the characters allowed in methods and field names.
struct TcharTable {
  bool allowed[256] = {};
  constexpr TcharTable() {
    for (int c = '0'; c <= '9'; ++c) allowed[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) allowed[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) allowed[c] = true;
    for (const char* p = "!#$%&'*+-.^_`|~"; *p != '\0'; ++p) allowed[static_cast<uint8_t>(*p)] = true;
  }
};
inline constexpr TcharTable kTchar{};

inline bool IsTchar(char c) { return kTchar.allowed[static_cast<uint8_t>(c)]; }
inline bool IsOws(char c) { return c == ' ' || c == '\t'; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

// Control characters other than HT, and DEL: not allowed in start lines or field values.
inline bool IsControl(char c) {
  const auto byte = static_cast<uint8_t>(c);
  return (byte < 0x20 && byte != '\t') || byte == 0x7f;
}

#if defined(__SSE2__)
// Returns whether any of the 16 bytes in `v` is a control character: at most 0x1f but not HT, or
// DEL.
inline bool HasControlByte(__m128i v) {
  const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
  const __m128i tab = _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'));
  const __m128i del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
  return _mm_movemask_epi8(_mm_or_si128(_mm_andnot_si128(tab, low), del)) != 0;
}
inline __m128i Load16(const char* data) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(data));
}
inline __m128i Load8(const char* data) {
  return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(data));
}
#endif

// Returns whether `data` contains a control character. It reads 16 bytes at a time with SSE2 and 8
// elsewhere, since header values almost never have one. With SSE2 the last bytes are read as the
// text's last 16 or, for 8 to 15 bytes, its first and last 8, which overlap the bytes before.
inline bool HasControl(const char* data, uint32_t length) {
#if defined(__SSE2__)
  if (length >= 16) {
    uint32_t i = 0;
    for (; i + 16 <= length; i += 16) {
      if (HasControlByte(Load16(data + i))) return true;
    }
    return i < length && HasControlByte(Load16(data + length - 16));
  }
  if (length >= 8) return HasControlByte(_mm_unpacklo_epi64(Load8(data), Load8(data + length - 8)));
  uint32_t i = 0;
#else
  // Eight bytes at a time: a word with no byte below 0x20 and none equal to 0x7f has no control
  // character. Words that might (a tab included) are checked byte by byte.
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  uint32_t i = 0;
  for (; i + 8 <= length; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, sizeof(word));
    const uint64_t below_space = (word - kOnes * 0x20) & ~word & kHighs;
    const uint64_t del = word ^ (kOnes * 0x7f);
    const uint64_t is_del = (del - kOnes) & ~del & kHighs;
    if ((below_space | is_del) == 0) continue;
    for (uint32_t j = i; j < i + 8; ++j) {
      if (IsControl(data[j])) return true;
    }
  }
#endif
  for (; i < length; ++i) {
    if (IsControl(data[i])) return true;
  }
  return false;
}

inline Span MakeSpan(const char* data, uint32_t length) { return Span{data, length}; }

inline Span TrimOws(Span s) {
  while (s.length > 0 && IsOws(s.data[0])) {
    ++s.data;
    --s.length;
  }
  while (s.length > 0 && IsOws(s.data[s.length - 1])) --s.length;
  return s;
}

// Compares `s` with `lower`, an ASCII lower-case literal of `length` bytes, ignoring case.
inline bool EqualsIgnoreCase(Span s, const char* lower, uint32_t length) {
  if (s.length != length) return false;
  for (uint32_t i = 0; i < length; ++i) {
    char c = s.data[i];
    if (IsUpper(c)) c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Calls `visit(Span)` for each element of a comma-separated list (RFC 9110 section 5.6.1), with
// surrounding whitespace removed. Empty elements are passed too, so callers can reject them.
template <typename Visit>
void ForEachListElement(Span list, Visit visit) {
  const char* p = list.data;
  const char* end = list.data + list.length;
  while (true) {
    const auto* comma = static_cast<const char*>(std::memchr(p, ',', static_cast<size_t>(end - p)));
    const char* stop = comma != nullptr ? comma : end;
    visit(TrimOws(MakeSpan(p, static_cast<uint32_t>(stop - p))));
    if (comma == nullptr) return;
    p = comma + 1;
  }
}

// "HTTP/1.<digit>" (RFC 9112 section 2.3). Other major versions are rejected.
inline bool ParseVersion(Span s, uint8_t* minor) {
  if (s.length != 8 || std::memcmp(s.data, "HTTP/1.", 7) != 0 || !IsDigit(s.data[7])) return false;
  *minor = static_cast<uint8_t>(s.data[7] - '0');
  return true;
}

struct RequestLine {
  Span method;
  Span target;
  uint8_t version_minor = 1;
  bool target_has_space = false;
};

// method SP request-target SP HTTP-version (RFC 9112 section 3). The version is taken after the
// last SP, so a target with unescaped spaces ("GET /a b HTTP/1.1") is kept whole and flagged:
// servers such as those behind libhtp accept it, and dropping the request would hide it.
// `*control` is set when the line failed because of a control character.
inline bool ParseRequestLine(Span line, RequestLine* out, bool* control) {
  *control = false;
  uint32_t i = 0;
  while (i < line.length && IsTchar(line.data[i])) ++i;
  if (i == 0 || i == line.length || line.data[i] != ' ') {
    *control = HasControl(line.data, line.length);
    return false;
  }
  out->method = MakeSpan(line.data, i);

  const char* target = line.data + i + 1;
  const char* end = line.data + line.length;
  const char* space = end;
  while (space > target && space[-1] != ' ') --space;
  if (space == target) return false;  // no SP after the target
  --space;
  // An empty target, or SP runs around it ("GET  / HTTP/1.1"), is not a request line.
  if (space == target || target[0] == ' ' || space[-1] == ' ') return false;
  out->target = MakeSpan(target, static_cast<uint32_t>(space - target));
  out->target_has_space = std::memchr(target, ' ', out->target.length) != nullptr;
  if (HasControl(out->target.data, out->target.length)) {
    *control = true;
    return false;
  }
  return ParseVersion(MakeSpan(space + 1, static_cast<uint32_t>(end - space - 1)), &out->version_minor);
}

struct StatusLine {
  uint16_t status_code = 0;
  uint8_t version_minor = 1;
  Span reason;
  bool reason_has_control = false;
};

// HTTP-version SP 3DIGIT SP [reason-phrase] (RFC 9112 section 4). A missing SP after the status
// code is tolerated because servers omit it when the reason phrase is empty.
inline bool ParseStatusLine(Span line, StatusLine* out) {
  if (line.length < 12 || !ParseVersion(MakeSpan(line.data, 8), &out->version_minor)) return false;
  const char* d = line.data + 9;
  if (line.data[8] != ' ' || !IsDigit(d[0]) || !IsDigit(d[1]) || !IsDigit(d[2])) return false;
  out->status_code = static_cast<uint16_t>((d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0'));
  if (out->status_code < 100) return false;
  if (line.length == 12) {
    out->reason = MakeSpan(line.data + 12, 0);
  } else if (line.data[12] == ' ') {
    out->reason = MakeSpan(line.data + 13, line.length - 13);
  } else {
    return false;
  }
  out->reason_has_control = HasControl(out->reason.data, out->reason.length);
  return true;
}

// Methods the resync scan accepts even when the target does not start with "/" or "http".
inline bool IsKnownMethod(Span m) {
  static constexpr const char* kMethods[] = {
      "GET",    "HEAD", "POST",     "PUT",       "DELETE", "OPTIONS", "PATCH", "TRACE",  "CONNECT",
      "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE",   "LOCK",    "UNLOCK"};
  for (const char* known : kMethods) {
    if (std::strlen(known) == m.length && std::memcmp(known, m.data, m.length) == 0) return true;
  }
  return false;
}

// Whether a line found while resynchronizing is worth parsing as a request line: a known method
// followed by SP, or another upper-case token followed by " /" or " http".
inline bool LooksLikeRequestStart(Span line) {
  uint32_t i = 0;
  while (i < line.length && (IsUpper(line.data[i]) || line.data[i] == '-' || line.data[i] == '_')) ++i;
  if (i == 0 || i >= line.length || line.data[i] != ' ') return false;
  if (IsKnownMethod(MakeSpan(line.data, i))) return true;
  const Span rest = MakeSpan(line.data + i + 1, line.length - i - 1);
  if (rest.length >= 1 && rest.data[0] == '/') return true;
  return rest.length >= 4 && std::memcmp(rest.data, "http", 4) == 0;
}

inline bool LooksLikeStatusStart(Span line) {
  return line.length >= 7 && std::memcmp(line.data, "HTTP/1.", 7) == 0;
}

struct Field {
  Span name;
  Span value;
  bool whitespace_before_colon = false;
  bool value_has_control = false;
};

// field-name ":" OWS field-value OWS (RFC 9112 section 5). Returns false when there is no colon or
// the name is empty or not a token. Whitespace between name and colon is stripped and flagged.
// One pass over the name: a run of tchar, optional OWS, then the colon. Since ':' is not a tchar,
// this finds the first colon exactly when the name before it is a token.
inline bool ParseField(Span line, Field* out) {
  uint32_t i = 0;
  while (i < line.length && IsTchar(line.data[i])) ++i;
  const uint32_t name_length = i;
  while (i < line.length && IsOws(line.data[i])) ++i;
  if (name_length == 0 || i == line.length || line.data[i] != ':') return false;
  out->whitespace_before_colon = i != name_length;
  out->name = MakeSpan(line.data, name_length);
  const char* value = line.data + i + 1;
  out->value = TrimOws(MakeSpan(value, static_cast<uint32_t>(line.data + line.length - value)));
  out->value_has_control = HasControl(out->value.data, out->value.length);
  return true;
}

// 1*DIGIT with overflow guard. Values above 2^62 are treated as invalid: no real body is that big.
inline bool ParseDecimal(Span s, uint64_t* value) {
  if (s.length == 0) return false;
  uint64_t v = 0;
  for (uint32_t i = 0; i < s.length; ++i) {
    if (!IsDigit(s.data[i])) return false;
    v = v * 10 + static_cast<uint64_t>(s.data[i] - '0');
    if (v > (uint64_t{1} << 62)) return false;
  }
  *value = v;
  return true;
}

enum class ContentLengthValue : uint8_t { kValid, kInvalid, kListDiffers };

// Parses a Content-Length field value. A list of identical values ("5, 5") counts as one value,
// as RFC 9110 section 8.6 allows. A list of different values returns kListDiffers and the first.
inline ContentLengthValue ParseContentLength(Span value, uint64_t* length) {
  bool first = true;
  bool invalid = false;
  bool differs = false;
  ForEachListElement(value, [&](Span element) {
    uint64_t v = 0;
    if (!ParseDecimal(element, &v)) {
      invalid = true;
    } else if (first) {
      *length = v;
      first = false;
    } else if (v != *length) {
      differs = true;
    }
  });
  if (invalid || first) return ContentLengthValue::kInvalid;
  return differs ? ContentLengthValue::kListDiffers : ContentLengthValue::kValid;
}

struct ChunkSize {
  uint64_t size = 0;
  bool extension = false;
  bool whitespace = false;  // BWS between the size and ';' or the line end
};

inline int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// chunk-size [ chunk-ext ] (RFC 9112 section 7.1). Leading zeros are allowed. Sizes above
// 2^60 + 15 are invalid, which keeps the arithmetic from overflowing.
inline bool ParseChunkSize(Span line, ChunkSize* out) {
  uint32_t i = 0;
  uint64_t size = 0;
  for (; i < line.length; ++i) {
    const int digit = HexValue(line.data[i]);
    if (digit < 0) break;
    if (size > (uint64_t{1} << 56)) return false;
    size = size * 16 + static_cast<uint64_t>(digit);
  }
  if (i == 0) return false;
  out->size = size;
  const uint32_t digits_end = i;
  while (i < line.length && IsOws(line.data[i])) ++i;
  out->whitespace = i != digits_end;
  if (i == line.length) return true;
  out->extension = line.data[i] == ';';
  return out->extension;
}

}  // namespace sluice::http::syntax
