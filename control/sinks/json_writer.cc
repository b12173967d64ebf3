#include "control/sinks/json_writer.h"

#include <array>
#include <charconv>
#include <cmath>

namespace sluice::control {
namespace {

// The escape letter of each byte, or 0 for a byte copied as it is. The same table as RapidJSON
// 1.1's Writer::WriteString: control characters, '"' and '\\', and nothing else, not even '/' or
// DEL.
constexpr std::array<char, 256> MakeEscapeTable() {
  std::array<char, 256> table{};
  for (int byte = 0; byte < 0x20; ++byte) table[byte] = 'u';
  table['\b'] = 'b';
  table['\t'] = 't';
  table['\n'] = 'n';
  table['\f'] = 'f';
  table['\r'] = 'r';
  table['"'] = '"';
  table['\\'] = '\\';
  return table;
}
constexpr std::array<char, 256> kEscape = MakeEscapeTable();

// RapidJSON writes \u escapes with upper-case hex digits.
constexpr char kHexDigits[] = "0123456789ABCDEF";

constexpr uint64_t kEveryByte(uint8_t byte) { return 0x0101010101010101ULL * byte; }

// Returns whether any byte of `word` is below `limit`, which must be at most 0x80.
bool HasByteBelow(uint64_t word, uint8_t limit) {
  return ((word - kEveryByte(limit)) & ~word & kEveryByte(0x80)) != 0;
}

// Returns whether any of the 8 bytes at `text` needs an escape.
bool WordNeedsEscape(const char* text) {
  uint64_t word;
  std::memcpy(&word, text, sizeof(word));
  return HasByteBelow(word, 0x20) || HasByteBelow(word ^ kEveryByte('"'), 1) ||
         HasByteBelow(word ^ kEveryByte('\\'), 1);
}

}  // namespace

void JsonWriter::Uint(uint64_t value) {
  constexpr size_t kMaxDigits = 20;  // UINT64_MAX has 20 decimal digits
  char* out = Reserve(kMaxDigits + 1);
  if (need_comma_) *out++ = ',';
  Commit(std::to_chars(out, out + kMaxDigits, value).ptr);
  need_comma_ = true;
}

void JsonWriter::Double(double value) {
  if (!std::isfinite(value)) {
    Raw("null");
    return;
  }
  constexpr size_t kMaxChars = 32;  // the shortest round-trip form of a double is at most 24
  char* out = Reserve(kMaxChars + 1);
  if (need_comma_) *out++ = ',';
  Commit(std::to_chars(out, out + kMaxChars, value).ptr);
  need_comma_ = true;
}

void JsonWriter::String(std::string_view text) {
  // Each byte takes at most 6 output bytes (\u00XX), plus a comma and two quotes.
  char* out = Reserve(text.size() * 6 + 3);
  if (need_comma_) *out++ = ',';
  *out++ = '"';

  const char* run = text.data();  // start of the bytes not yet copied
  const char* const end = text.data() + text.size();
  for (const char* next = run; next != end; ++next) {
    while (end - next >= 8 && !WordNeedsEscape(next)) next += 8;
    if (next == end) break;
    const auto byte = static_cast<unsigned char>(*next);
    const char escape = kEscape[byte];
    if (escape == 0) continue;
    std::memcpy(out, run, static_cast<size_t>(next - run));
    out += next - run;
    run = next + 1;
    *out++ = '\\';
    *out++ = escape;
    if (escape == 'u') {
      *out++ = '0';
      *out++ = '0';
      *out++ = kHexDigits[byte >> 4];
      *out++ = kHexDigits[byte & 0xF];
    }
  }

  // An empty view may have a null data pointer, which memcpy must not receive.
  if (run != end) {
    std::memcpy(out, run, static_cast<size_t>(end - run));
    out += end - run;
  }
  *out++ = '"';
  Commit(out);
  need_comma_ = true;
}

void JsonWriter::PlainString(std::string_view text) {
  char* out = Reserve(text.size() + 3);
  if (need_comma_) *out++ = ',';
  *out++ = '"';
  if (!text.empty()) {
    std::memcpy(out, text.data(), text.size());
    out += text.size();
  }
  *out++ = '"';
  Commit(out);
  need_comma_ = true;
}

void JsonWriter::Grow(size_t bytes) {
  size_t capacity = capacity_ == 0 ? 4096 : capacity_;
  while (capacity - size_ < bytes) capacity *= 2;
  auto data = std::make_unique_for_overwrite<char[]>(capacity);
  if (size_ != 0) std::memcpy(data.get(), data_.get(), size_);
  data_ = std::move(data);
  capacity_ = capacity;
}

}  // namespace sluice::control
