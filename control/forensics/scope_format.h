// Formatting helpers shared by the scope report's text, JSON and HTML output. Every string that
// comes from a record is attacker-influenced, so each output form has its own escaping here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "control/forensics/scope.h"

namespace sluice::control::forensics {

// RFC 3339 UTC with nanoseconds, or "-" for 0 (unknown).
std::string FormatTime(uint64_t unix_ns);

// A duration such as "2h 03m 04.5s", "12.250s" or "0s".
std::string FormatDuration(uint64_t ns);

// Repairs invalid UTF-8 (each ill-formed subpart becomes U+FFFD).
std::string ValidUtf8(std::string_view text);

// Makes `text` safe for a terminal: valid UTF-8, and control characters (C0, DEL, C1) written as
// \xNN so that escape sequences in records cannot drive the reader's terminal.
std::string TerminalSafe(std::string_view text);

// Escapes `text` for HTML text and quoted attribute values: & < > " ' become character
// references, invalid UTF-8 becomes U+FFFD and control characters other than tab and newline
// become U+FFFD, because HTML forbids them.
std::string HtmlEscape(std::string_view text);

// Formats a number with comma thousands separators, e.g. 1234567 -> "1,234,567".
std::string GroupDigits(uint64_t value);

// Names used in every output form.
const char* IntegrityStateName(IntegrityStatus::State state);
std::string SelectorText(const ScopeSelector& selector);  // "finding 42, client 10.0.0.1"
std::string RecordRefText(const RecordRef& ref);          // "dp1/run 7/worker 2/seq 9#3"

}  // namespace sluice::control::forensics
