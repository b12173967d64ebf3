#include "matchers/pii/pii_types.h"

namespace sluice::matchers {

const char* PiiTypeName(PiiType type) {
  switch (type) {
    case PiiType::kEmail: return "email";
    case PiiType::kPaymentCard: return "credit_card";
    case PiiType::kUsSsn: return "us_ssn";
    case PiiType::kIban: return "iban";
    case PiiType::kPhoneE164: return "phone";
    case PiiType::kJwt: return "jwt";
    case PiiType::kAwsAccessKey: return "aws_access_key";
    case PiiType::kPemPrivateKey: return "private_key";
    case PiiType::kBearerToken: return "bearer_token";
    case PiiType::kApiKey: return "api_key";
    case PiiType::kPassword: return "password";
  }
  return "unknown";
}

}  // namespace sluice::matchers
