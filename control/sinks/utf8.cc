#include "control/sinks/utf8.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sluice::control {
namespace {

// Returns the length of the well-formed sequence that starts at text[pos], or 0 when it is
// ill-formed. `subpart` receives the length of the maximal ill-formed subpart (at least 1).
size_t SequenceLength(std::string_view text, size_t pos, size_t& subpart) {
  const auto lead = static_cast<uint8_t>(text[pos]);
  subpart = 1;
  if (lead < 0x80) return 1;

  size_t length = 0;
  uint8_t second_min = 0x80;
  uint8_t second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;  // below: overlong
    if (lead == 0xED) second_max = 0x9F;  // above: surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;  // below: overlong
    if (lead == 0xF4) second_max = 0x8F;  // above: beyond U+10FFFF
  } else {
    return 0;  // 0x80..0xC1 and 0xF5..0xFF never start a sequence
  }

  for (size_t i = 1; i < length; ++i) {
    if (pos + i >= text.size()) return 0;
    const auto byte = static_cast<uint8_t>(text[pos + i]);
    const uint8_t min = i == 1 ? second_min : 0x80;
    const uint8_t max = i == 1 ? second_max : 0xBF;
    if (byte < min || byte > max) return 0;
    subpart = i + 1;
  }
  return length;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    // Skips ASCII 8 bytes at a time: most text from HTTP requests is ASCII.
    uint64_t word = 0;
    while (text.size() - pos >= sizeof(word)) {
      std::memcpy(&word, text.data() + pos, sizeof(word));
      if ((word & 0x8080808080808080ULL) != 0) break;
      pos += sizeof(word);
    }
    if (pos == text.size()) break;
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    size_t subpart = 0;
    const size_t length = SequenceLength(text, pos, subpart);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

std::string_view RepairUtf8(std::string_view text, std::string& scratch) {
  if (IsValidUtf8(text)) return text;

  scratch.clear();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t subpart = 0;
    const size_t length = SequenceLength(text, pos, subpart);
    if (length == 0) {
      scratch.append(kReplacementCharacter);
      pos += subpart;
    } else {
      scratch.append(text.substr(pos, length));
      pos += length;
    }
  }
  return scratch;
}

}  // namespace sluice::control
