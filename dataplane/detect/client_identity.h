// Client identity from request headers: an API key header, a bearer token, the `sub` claim of a
// JWT bearer token (decoded, never verified) or the user of basic authentication. Packet-time
// code: bounded, no allocation, safe on hostile input.
#pragma once

#include <cstdint>
#include <string_view>

#include "dataplane/detect/policy.h"

namespace sluice::detect {

// Largest identity value kept before it is pseudonymised.
inline constexpr uint32_t kMaxIdentityBytes = 256;

// Extracts the raw identity of `kind` from `header` (the Authorization value for bearer, jwt_sub
// and basic_user; the configured header's value for api_key) into `out` (kMaxIdentityBytes).
// Returns its length, or 0 when the header is absent or does not carry that kind of identity.
uint32_t ExtractIdentity(ClientKind kind, std::string_view header, char* out);

// Decodes base64 or base64url (padding optional) into `out`, at most `capacity` bytes. Returns
// the decoded length, or -1 on an invalid character or when the output would not fit.
int DecodeBase64(std::string_view text, uint8_t* out, uint32_t capacity);

// Finds the string value of the top-level-looking `"sub"` member in a JSON object without a full
// parser: the first `"sub"` key followed by a colon and a string. Escapes are kept as sent.
std::string_view FindJwtSub(std::string_view json);

// Writes the dotted-quad text of an IPv4 address and a terminating NUL to `out`, which must hold
// 16 bytes. Returns the length without the NUL. inet_ntop() formats through sprintf, which took
// 3 % of the detector benchmark's time.
uint32_t FormatIpv4(const uint8_t address[4], char* out);

}  // namespace sluice::detect
