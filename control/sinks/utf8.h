// UTF-8 repair for strings that arrive from the network before they go into a JSON line.
#pragma once

#include <string>
#include <string_view>

namespace sluice::control {

// Unicode replacement character U+FFFD in UTF-8.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// Returns true when `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence.
bool IsValidUtf8(std::string_view text);

// Returns `text` unchanged when it is valid UTF-8. Otherwise writes a repaired copy into `scratch`
// and returns a view of it. Each maximal ill-formed subpart (the longest prefix of a well-formed
// sequence, or else one byte) becomes one U+FFFD, as the Unicode Standard recommends. `scratch`
// keeps its capacity between calls, so repeated calls allocate only while it grows.
std::string_view RepairUtf8(std::string_view text, std::string& scratch);

}  // namespace sluice::control
