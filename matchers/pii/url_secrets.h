// Credentials in a request target that no value pattern finds, because only their place marks
// them as secrets:
//  - the user information of an absolute-form target ("http://user:pw@host/", or a token as the
//    user name). RFC 3986 section 3.2.1 deprecates a password there, but clients still send one.
//  - the values of query and path parameters whose names mark secrets: passwords and client
//    secrets, OAuth tokens (RFC 6750 section 2.3 puts an access token in `access_token`), session
//    ids and API keys.
// Pure functions, no allocation: safe on any lcore.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "matchers/pii/pii_types.h"

namespace sluice::matchers {

struct UrlSecret {
  PiiType type;    // kPassword, kBearerToken or kApiKey
  uint32_t start;  // offsets into the scanned text; the value as sent, still percent-encoded
  uint32_t end;
};

using UrlSecretSink = void (*)(void* context, const UrlSecret& secret);

// Calls `sink` for each secret in `text`, in order of start: `text` is a request target, or with
// `is_query` a query string without its '?'. Parameter names are percent-decoded and compared
// without regard to case. A bracketed name counts by its last key ("user[password]").
void FindUrlSecrets(std::string_view text, bool is_query, UrlSecretSink sink, void* context);

// Returns whether a query parameter of this name carries a secret, and sets *type to its type.
bool SecretParameterType(std::string_view name, PiiType* type);

}  // namespace sluice::matchers
