// Normalisation of a request target into the path a server resolves, so that rules and
// detectors see one spelling per resource whatever evasion the client used.
//
// Choices, and the evasion each one defends against:
//  - Origin form is used as sent. Absolute form ("http://host/p?q", RFC 9112 section 3.2.2) gives
//    its path, or "/" when it has none. Asterisk form "*" stays "*". A target that starts with
//    neither '/' nor a scheme (authority form of CONNECT, or garbage) is normalised as a relative
//    path and gets no leading '/'.
//  - The path ends at the first raw '?' or '#'. A percent-encoded "%3F" stays inside the path
//    (decoded), because a server that decodes once does the same.
//  - Percent-encoded bytes are decoded once, in upper or lower case hex, when the result is
//    printable ASCII other than '%'. Servers decode once, so "%252e" is not a dot: it stays
//    "%252e" (see the next point) and is flagged kUrlDoubleEncoded, because an application that
//    decodes a second time turns it into "." (a classic traversal bypass).
//  - '%' itself, control bytes and bytes >= 0x80 are written percent-encoded with upper case hex,
//    raw or not. So a '%' in the output always starts an escape and the output is printable ASCII.
//    An invalid escape ("%4", "%zz") keeps its '%' as "%25" and is flagged kUrlInvalidPercent.
//  - "%2F" and "%5C" are decoded to a separator and flagged. Apache rejects them by default, but
//    nginx and Tomcat with some settings treat them as '/', so "/a%2f..%2fadmin" must match "/admin".
//  - A raw or encoded backslash is a separator, as IIS treats it, and is flagged.
//  - NUL (raw or "%00") is written "%00" and flagged: C-based servers cut the path there.
//  - Path parameters (";jsessionid=..." up to the next raw separator) are stripped from every
//    segment before dot segments are resolved, as Tomcat does, so "/a/..;/admin" gives "/admin".
//    An encoded "%3B" is not a parameter delimiter and stays as ';'.
//  - Dot segments are removed by RFC 3986 section 5.2.4 (remove_dot_segments) after decoding,
//    so "%2e%2e" counts as "..". A ".." above the root stays at the root and is flagged.
//  - Repeated separators collapse to one ("//x" gives "/x"), as nginx's merge_slashes does.
//  - Overlong UTF-8 sequences (lead byte C0 or C1, E0 followed by 80-9F, F0 followed by 80-8F) are
//    flagged and kept encoded, never decoded: "%c0%af" was the IIS 4/5 '/' bypass.
//
// Thread safety: pure function of its input. No allocation; the caller owns the output buffer.
#pragma once

#include <cstdint>

namespace sluice::http {

// Oddities seen while normalising one target. Names (UrlFlagName) appear in records.
enum UrlFlag : uint16_t {
  kUrlDotSegments = 1u << 0,       // "." or ".." segment, raw or encoded
  kUrlAboveRoot = 1u << 1,         // ".." that would climb above the root
  kUrlDoubleSlash = 1u << 2,       // empty segment collapsed
  kUrlPercentEncoded = 1u << 3,    // at least one escape was decoded
  kUrlInvalidPercent = 1u << 4,    // '%' not followed by two hex digits
  kUrlDoubleEncoded = 1u << 5,     // "%25" followed by two hex digits
  kUrlEncodedSlash = 1u << 6,      // "%2F" or "%5C" used as a separator
  kUrlBackslash = 1u << 7,         // raw or encoded '\' used as a separator
  kUrlNullByte = 1u << 8,          // raw or encoded NUL
  kUrlControlCharacter = 1u << 9,  // raw or encoded control byte other than NUL
  kUrlOverlongUtf8 = 1u << 10,     // overlong UTF-8 sequence
  kUrlPathParameters = 1u << 11,   // ";param" stripped from a segment
  kUrlTruncated = 1u << 12,        // the output buffer was too small: the path is cut
};
inline constexpr int kUrlFlagCount = 13;

// Stable record name of one flag bit ("url.dot_segments"); "unknown" outside the set.
const char* UrlFlagName(UrlFlag flag);

struct NormalizedPath {
  uint32_t length = 0;  // bytes written to the output buffer
  uint16_t flags = 0;   // UrlFlag bits
};

// Returns the offset of the path in request target `target`: 0, unless the target is in absolute
// form ("http://host/p?q"), where it is the first '/', '?' or '#' after the authority (RFC 3986
// section 3.2), or `length`. An absolute-form target whose path does not start there has the
// path "/".
uint32_t PathStart(const char* target, uint32_t length);

// Writes the normalised path of request target `target` (`length` bytes, not NUL-terminated)
// into `out`, at most `capacity` bytes, never more. A path cut at the capacity is flagged
// kUrlTruncated. An output of 3 * length bytes is always enough.
NormalizedPath NormalizeTarget(const char* target, uint32_t length, char* out, uint32_t capacity);

}  // namespace sluice::http
