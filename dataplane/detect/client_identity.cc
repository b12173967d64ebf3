#include "dataplane/detect/client_identity.h"

#include <strings.h>

#include <cstring>

namespace sluice::detect {

namespace {

// JWT payloads (RFC 7519) above this size are not decoded; real ones are far smaller.
constexpr uint32_t kMaxJwtPayloadBytes = 2048;

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The credentials after an auth scheme name (RFC 9110 section 11.4), compared without case.
bool StripScheme(std::string_view header, const char* scheme, std::string_view* credentials) {
  const size_t length = std::strlen(scheme);
  header = Trim(header);
  if (header.size() <= length || strncasecmp(header.data(), scheme, length) != 0 || header[length] != ' ') {
    return false;
  }
  *credentials = Trim(header.substr(length + 1));
  return !credentials->empty();
}

uint32_t Copy(std::string_view value, char* out) {
  const uint32_t length = value.size() < kMaxIdentityBytes ? static_cast<uint32_t>(value.size()) : kMaxIdentityBytes;
  std::memcpy(out, value.data(), length);
  return length;
}

}  // namespace

int DecodeBase64(std::string_view text, uint8_t* out, uint32_t capacity) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  uint32_t bits = 0;
  int bit_count = 0;
  uint32_t length = 0;
  for (const char c : text) {
    const int value = Base64Value(c);
    if (value < 0) return -1;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      if (length == capacity) return -1;
      out[length++] = static_cast<uint8_t>((bits >> bit_count) & 0xff);
    }
  }
  return static_cast<int>(length);
}

std::string_view FindJwtSub(std::string_view json) {
  size_t at = 0;
  while ((at = json.find("\"sub\"", at)) != std::string_view::npos) {
    size_t i = at + 5;
    while (i < json.size() && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r')) ++i;
    if (i >= json.size() || json[i] != ':') {
      at += 5;
      continue;
    }
    ++i;
    while (i < json.size() && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r')) ++i;
    if (i >= json.size() || json[i] != '"') return {};
    const size_t start = ++i;
    for (; i < json.size(); ++i) {
      if (json[i] == '\\') {
        ++i;
        continue;
      }
      if (json[i] == '"') return json.substr(start, i - start);
    }
    return {};
  }
  return {};
}

uint32_t ExtractIdentity(ClientKind kind, std::string_view header, char* out) {
  std::string_view credentials;
  switch (kind) {
    case ClientKind::kApiKey: {
      return Copy(Trim(header), out);
    }
    case ClientKind::kBearer: {
      if (!StripScheme(header, "bearer", &credentials)) return 0;
      return Copy(credentials, out);
    }
    case ClientKind::kJwtSub: {
      if (!StripScheme(header, "bearer", &credentials)) return 0;
      const size_t first = credentials.find('.');
      if (first == std::string_view::npos) return 0;
      const size_t second = credentials.find('.', first + 1);
      if (second == std::string_view::npos) return 0;
      const std::string_view payload = credentials.substr(first + 1, second - first - 1);
      if (payload.size() > kMaxJwtPayloadBytes * 4 / 3) return 0;
      uint8_t decoded[kMaxJwtPayloadBytes];
      const int length = DecodeBase64(payload, decoded, sizeof(decoded));
      if (length <= 0) return 0;
      const std::string_view sub =
          FindJwtSub(std::string_view(reinterpret_cast<const char*>(decoded), static_cast<size_t>(length)));
      return sub.empty() ? 0 : Copy(sub, out);
    }
    case ClientKind::kBasicUser: {
      if (!StripScheme(header, "basic", &credentials)) return 0;
      uint8_t decoded[kMaxIdentityBytes * 2];
      const int length = DecodeBase64(credentials, decoded, sizeof(decoded));
      if (length <= 0) return 0;
      const std::string_view pair(reinterpret_cast<const char*>(decoded), static_cast<size_t>(length));
      const size_t colon = pair.find(':');  // RFC 7617 section 2: user-id ":" password
      const std::string_view user = pair.substr(0, colon);
      return user.empty() ? 0 : Copy(user, out);
    }
    default:
      return 0;
  }
}

uint32_t FormatIpv4(const uint8_t address[4], char* out) {
  uint32_t length = 0;
  for (int i = 0; i < 4; ++i) {
    const uint32_t octet = address[i];
    if (octet >= 100) out[length++] = static_cast<char>('0' + octet / 100);
    if (octet >= 10) out[length++] = static_cast<char>('0' + octet / 10 % 10);
    out[length++] = static_cast<char>('0' + octet % 10);
    if (i < 3) out[length++] = '.';
  }
  out[length] = '\0';
  return length;
}

}  // namespace sluice::detect
