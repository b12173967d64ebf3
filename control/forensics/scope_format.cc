#include "control/forensics/scope_format.h"

#include <cstdio>

#include "control/sinks/rfc3339.h"
#include "control/sinks/run_id.h"
#include "control/sinks/utf8.h"

namespace sluice::control::forensics {
namespace {

// Decodes the code point of valid UTF-8 `text` at `i`, advances `i` past it and returns it.
uint32_t NextCodePoint(std::string_view text, size_t& i) {
  const auto byte = [&](size_t at) { return static_cast<uint8_t>(text[at]); };
  const uint8_t lead = byte(i);
  size_t length = 4;
  if (lead < 0x80) {
    length = 1;
  } else if (lead < 0xE0) {
    length = 2;
  } else if (lead < 0xF0) {
    length = 3;
  }
  uint32_t value = length == 1 ? lead : lead & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) value = (value << 6) | (byte(i + k) & 0x3F);
  i += length;
  return value;
}

bool IsControl(uint32_t code_point) {
  return code_point < 0x20 || code_point == 0x7F || (code_point >= 0x80 && code_point < 0xA0);
}

}  // namespace

std::string FormatTime(uint64_t unix_ns) {
  if (unix_ns == 0) return "-";
  char out[control::kRfc3339NanosSize];
  return std::string(control::FormatRfc3339Nanos(unix_ns, out));
}

std::string FormatDuration(uint64_t ns) {
  const uint64_t total_seconds = ns / 1'000'000'000;
  const uint64_t fraction_ms = ns / 1'000'000 % 1000;
  const uint64_t hours = total_seconds / 3600;
  const uint64_t minutes = total_seconds / 60 % 60;
  const uint64_t seconds = total_seconds % 60;
  char text[64];
  if (hours > 0) {
    std::snprintf(text, sizeof(text), "%lluh %02llum %02llus", static_cast<unsigned long long>(hours),
                  static_cast<unsigned long long>(minutes), static_cast<unsigned long long>(seconds));
  } else if (minutes > 0) {
    std::snprintf(text, sizeof(text), "%llum %02llu.%03llus",
                  static_cast<unsigned long long>(minutes), static_cast<unsigned long long>(seconds),
                  static_cast<unsigned long long>(fraction_ms));
  } else {
    std::snprintf(text, sizeof(text), "%llu.%03llus", static_cast<unsigned long long>(seconds),
                  static_cast<unsigned long long>(fraction_ms));
  }
  return text;
}

std::string ValidUtf8(std::string_view text) {
  std::string scratch;
  return std::string(control::RepairUtf8(text, scratch));
}

std::string TerminalSafe(std::string_view text) {
  const std::string valid = ValidUtf8(text);
  std::string out;
  out.reserve(valid.size());
  for (size_t i = 0; i < valid.size();) {
    const size_t start = i;
    const uint32_t code_point = NextCodePoint(valid, i);
    if (IsControl(code_point)) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02X", static_cast<unsigned>(code_point));
      out += escaped;
    } else {
      out.append(valid, start, i - start);
    }
  }
  return out;
}

std::string HtmlEscape(std::string_view text) {
  const std::string valid = ValidUtf8(text);
  std::string out;
  out.reserve(valid.size() + valid.size() / 8);
  for (size_t i = 0; i < valid.size();) {
    const size_t start = i;
    const uint32_t code_point = NextCodePoint(valid, i);
    switch (code_point) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\t':
      case '\n': out += static_cast<char>(code_point); break;
      default:
        if (IsControl(code_point)) {
          out += control::kReplacementCharacter;
        } else {
          out.append(valid, start, i - start);
        }
    }
  }
  return out;
}

std::string GroupDigits(uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

const char* IntegrityStateName(IntegrityStatus::State state) {
  switch (state) {
    case IntegrityStatus::State::kNotChecked: return "not_checked";
    case IntegrityStatus::State::kVerified: return "verified";
    case IntegrityStatus::State::kBroken: return "broken";
  }
  return "not_checked";
}

std::string SelectorText(const ScopeSelector& selector) {
  std::string text;
  const auto add = [&text](const std::string& part) {
    if (!text.empty()) text += ", ";
    text += part;
  };
  if (selector.finding_id) add("finding " + std::to_string(*selector.finding_id));
  if (selector.run_id) add("run " + RunIdHex(*selector.run_id));
  if (selector.client) add("client " + *selector.client);
  if (selector.endpoint) add("endpoint " + *selector.endpoint);
  if (selector.since_ns) add("since " + FormatTime(*selector.since_ns));
  if (selector.until_ns) add("until " + FormatTime(*selector.until_ns));
  return text.empty() ? "all records" : text;
}

std::string RecordRefText(const RecordRef& ref) {
  return ref.dataplane_id + "/run " + RunIdHex(ref.run_id) + "/worker " +
         std::to_string(ref.worker_id) + "/seq " + std::to_string(ref.sequence) + "#" +
         std::to_string(ref.record_index);
}

}  // namespace sluice::control::forensics
