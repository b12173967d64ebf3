#include "dataplane/http/url_normalize.h"

namespace sluice::http {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSchemeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

// Offset of the "://" that ends a URI scheme (RFC 3986 section 3.1), or 0 when there is none.
uint32_t SchemeEnd(const char* target, uint32_t length) {
  if (length == 0 || !((target[0] | 0x20) >= 'a' && (target[0] | 0x20) <= 'z')) return 0;
  uint32_t i = 1;
  while (i < length && IsSchemeChar(target[i])) ++i;
  if (i + 2 < length && target[i] == ':' && target[i + 1] == '/' && target[i + 2] == '/') return i;
  return 0;
}

// Builds the normalised path in the caller's buffer, one segment at a time. Invariant: the
// output either is empty or ends with '/' whenever a new segment starts, so removing a segment
// is a cut back to the previous '/'.
class PathWriter {
 public:
  PathWriter(char* out, uint32_t capacity) : out_(out), capacity_(capacity) {}

  // Adds one byte of the path after percent-decoding. `encoded` is true when it came from an
  // escape. Returns false once the output is full.
  bool AddByte(uint8_t byte, bool encoded);
  // Ends the current segment at the end of the path.
  void Finish() {
    if (!full_) EndSegment(false);
  }
  bool PutRaw(char c) { return Put(c); }
  void Flag(uint16_t flag) { flags_ |= flag; }
  NormalizedPath result() const { return {length_, flags_}; }

 private:
  bool Put(char c);
  bool PutEscaped(uint8_t byte);
  bool Separator();
  void EndSegment(bool separator_follows);
  void PopSegment();
  bool SegmentIs(const char* text, uint32_t size) const;
  void CheckOverlong(uint8_t byte);

  char* out_;
  uint32_t capacity_;
  uint32_t length_ = 0;
  uint32_t segment_start_ = 0;
  uint32_t root_length_ = 0;  // 1 once the path starts with '/'
  uint16_t flags_ = 0;
  uint8_t previous_byte_ = 0;
  bool full_ = false;
};

bool PathWriter::Put(char c) {
  if (length_ >= capacity_) {
    full_ = true;
    flags_ |= kUrlTruncated;
    return false;
  }
  out_[length_++] = c;
  return true;
}

bool PathWriter::PutEscaped(uint8_t byte) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (capacity_ - length_ < 3) {  // an escape is never written in part
    full_ = true;
    flags_ |= kUrlTruncated;
    return false;
  }
  out_[length_++] = '%';
  out_[length_++] = kHex[byte >> 4];
  out_[length_++] = kHex[byte & 0xf];
  return true;
}

void PathWriter::CheckOverlong(uint8_t byte) {
  const bool overlong = byte == 0xc0 || byte == 0xc1 ||
                        (previous_byte_ == 0xe0 && byte >= 0x80 && byte <= 0x9f) ||
                        (previous_byte_ == 0xf0 && byte >= 0x80 && byte <= 0x8f);
  if (overlong) flags_ |= kUrlOverlongUtf8;
  previous_byte_ = byte;
}

bool PathWriter::AddByte(uint8_t byte, bool encoded) {
  CheckOverlong(byte);
  if (byte == '/') {
    if (encoded) flags_ |= kUrlEncodedSlash;
    return Separator();
  }
  if (byte == '\\') {
    flags_ |= encoded ? (kUrlBackslash | kUrlEncodedSlash) : kUrlBackslash;
    return Separator();
  }
  if (byte == 0) {
    flags_ |= kUrlNullByte;
    return PutEscaped(byte);
  }
  if (byte < 0x20 || byte == 0x7f) {
    flags_ |= kUrlControlCharacter;
    return PutEscaped(byte);
  }
  if (byte == '%' || byte >= 0x80) return PutEscaped(byte);
  return Put(static_cast<char>(byte));
}

bool PathWriter::Separator() {
  EndSegment(true);
  return !full_;
}

bool PathWriter::SegmentIs(const char* text, uint32_t size) const {
  if (length_ - segment_start_ != size) return false;
  for (uint32_t i = 0; i < size; ++i) {
    if (out_[segment_start_ + i] != text[i]) return false;
  }
  return true;
}

// RFC 3986 section 5.2.4: "." disappears, ".." takes the previous segment with it, and a ".."
// at the root stays at the root.
void PathWriter::EndSegment(bool separator_follows) {
  if (SegmentIs(".", 1)) {
    flags_ |= kUrlDotSegments;
    length_ = segment_start_;
  } else if (SegmentIs("..", 2)) {
    flags_ |= kUrlDotSegments;
    length_ = segment_start_;
    PopSegment();
  } else if (length_ == segment_start_) {
    if (separator_follows && length_ == 0) {
      Put('/');
      root_length_ = 1;
    } else if (separator_follows) {
      flags_ |= kUrlDoubleSlash;
    }
  } else if (separator_follows) {
    Put('/');
  }
  segment_start_ = length_;
}

void PathWriter::PopSegment() {
  if (length_ <= root_length_) {
    flags_ |= kUrlAboveRoot;
    return;
  }
  // The output ends with "segment/": cut back to the '/' before that segment, or to the root.
  uint32_t cut = length_ - 1;
  while (cut > root_length_ && out_[cut - 1] != '/') --cut;
  length_ = cut;
}

}  // namespace

const char* UrlFlagName(UrlFlag flag) {
  static constexpr const char* kNames[kUrlFlagCount] = {
      "url.dot_segments",  "url.above_root",     "url.double_slash",      "url.percent_encoded",
      "url.invalid_percent", "url.double_encoded", "url.encoded_slash",   "url.backslash",
      "url.null_byte",     "url.control_character", "url.overlong_utf8", "url.path_parameters",
      "url.truncated",
  };
  for (int bit = 0; bit < kUrlFlagCount; ++bit) {
    if (flag == (1u << bit)) return kNames[bit];
  }
  return "unknown";
}

uint32_t PathStart(const char* target, uint32_t length) {
  const uint32_t scheme_end = SchemeEnd(target, length);
  if (scheme_end == 0) return 0;
  uint32_t i = scheme_end + 3;
  while (i < length && target[i] != '/' && target[i] != '?' && target[i] != '#') ++i;
  return i;
}

NormalizedPath NormalizeTarget(const char* target, uint32_t length, char* out, uint32_t capacity) {
  PathWriter writer(out, capacity);
  if (length == 1 && target[0] == '*') {  // asterisk form (RFC 9112 section 3.2.4)
    writer.PutRaw('*');
    return writer.result();
  }
  uint32_t i = PathStart(target, length);
  if (i != 0 && (i == length || target[i] != '/')) {  // "http://host" or "http://host?q"
    writer.PutRaw('/');
    return writer.result();
  }

  bool in_parameters = false;
  for (; i < length; ++i) {
    const char c = target[i];
    if (c == '?' || c == '#') break;
    if (in_parameters && c != '/' && c != '\\') continue;
    in_parameters = false;
    if (c == ';') {
      writer.Flag(kUrlPathParameters);
      in_parameters = true;
      continue;
    }
    uint8_t byte = static_cast<uint8_t>(c);
    bool encoded = false;
    if (c == '%') {
      const int high = i + 2 < length ? HexValue(target[i + 1]) : -1;
      const int low = high >= 0 ? HexValue(target[i + 2]) : -1;
      if (low < 0) {
        writer.Flag(kUrlInvalidPercent);
      } else {
        byte = static_cast<uint8_t>(high * 16 + low);
        encoded = true;
        i += 2;
        writer.Flag(kUrlPercentEncoded);
        if (byte == '%' && i + 2 < length && HexValue(target[i + 1]) >= 0 &&
            HexValue(target[i + 2]) >= 0) {
          writer.Flag(kUrlDoubleEncoded);
        }
      }
    }
    if (!writer.AddByte(byte, encoded)) return writer.result();
  }
  writer.Finish();
  return writer.result();
}

}  // namespace sluice::http
