// PII value types and the fields they can be looked for in.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::matchers {

enum class PiiType : uint8_t {
  kEmail,
  kPaymentCard,
  kUsSsn,
  kIban,
  kPhoneE164,
  kJwt,
  kAwsAccessKey,
  kPemPrivateKey,
  kBearerToken,  // from an "Authorization: Bearer" header or an OAuth token query parameter
  kApiKey,       // from a known API-key header such as X-API-Key
  kPassword,     // a URL's user-info password, or a password or secret query parameter
};
inline constexpr int kPiiTypeCount = 11;

// Short lower-case name, used in records and in redaction markers ("email", "credit_card"...).
const char* PiiTypeName(PiiType type);

// Fields PII detection can be switched on for, as bits of PiiConfig::fields.
enum PiiField : uint32_t {
  kPiiRequestBody = 1u << 0,
  kPiiResponseBody = 1u << 1,
  kPiiRequestHeaders = 1u << 2,
  kPiiResponseHeaders = 1u << 3,
  kPiiQuery = 1u << 4,
};

constexpr uint32_t PiiTypeBit(PiiType type) { return 1u << static_cast<uint32_t>(type); }
inline constexpr uint32_t kAllPiiTypes = (1u << kPiiTypeCount) - 1;

}  // namespace sluice::matchers
