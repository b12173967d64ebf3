#include <gtest/gtest.h>

#include <openssl/hmac.h>

#include "matchers/pii/fingerprint.h"
#include "matchers/pii/validators.h"

namespace sluice::matchers {
namespace {

struct Case {
  PiiType type;
  const char* value;
  bool valid;
};

const Case kCases[] = {
    {PiiType::kPaymentCard, "4111111111111111", true},
    {PiiType::kPaymentCard, "4111 1111 1111 1111", true},
    {PiiType::kPaymentCard, "4111-1111-1111-1111", true},
    {PiiType::kPaymentCard, "4111+1111+1111+1111", true},  // form-encoded spaces
    {PiiType::kPaymentCard, "4111++1111+1111+1111", false},
    {PiiType::kPaymentCard, "4111111111111112", false},   // Luhn
    {PiiType::kPaymentCard, "5500000000000004", true},    // Mastercard
    {PiiType::kPaymentCard, "2221000000000009", true},    // Mastercard 2-series
    {PiiType::kPaymentCard, "378282246310005", true},     // Amex
    {PiiType::kPaymentCard, "37828224631000", false},     // Amex too short
    {PiiType::kPaymentCard, "6011111111111117", true},    // Discover
    {PiiType::kPaymentCard, "1234567812345670", false},   // Luhn ok, no issuer
    {PiiType::kPaymentCard, "4111  1111 1111 1111", false},
    {PiiType::kUsSsn, "123-45-6789", true},
    {PiiType::kUsSsn, "000-45-6789", false},
    {PiiType::kUsSsn, "666-45-6789", false},
    {PiiType::kUsSsn, "900-45-6789", false},
    {PiiType::kUsSsn, "999-45-6789", false},
    {PiiType::kUsSsn, "899-45-6789", true},
    {PiiType::kUsSsn, "123-00-6789", false},
    {PiiType::kUsSsn, "123-45-0000", false},
    {PiiType::kUsSsn, "123456789", false},
    {PiiType::kIban, "DE89370400440532013000", true},
    {PiiType::kIban, "GB82WEST12345698765432", true},
    {PiiType::kIban, "NO9386011117947", true},
    {PiiType::kIban, "DE89370400440532013001", false},  // checksum
    {PiiType::kIban, "DE8937040044053201300", false},   // length for DE
    {PiiType::kIban, "ZZ89370400440532013000", false},  // unknown country
    {PiiType::kEmail, "alice@example.com", true},
    {PiiType::kEmail, "a.b+tag@sub.example.co.uk", true},
    {PiiType::kEmail, "a..b@example.com", false},
    {PiiType::kEmail, ".a@example.com", false},
    {PiiType::kEmail, "a@example", false},
    {PiiType::kEmail, "a@-example.com", false},
    {PiiType::kEmail, "a@example.c0m", false},
    {PiiType::kEmail, "a@b@example.com", false},
    {PiiType::kPhoneE164, "+14155552671", true},
    {PiiType::kPhoneE164, "+441234567", true},
    {PiiType::kPhoneE164, "+0123456789", false},
    {PiiType::kPhoneE164, "+1234567890123456", false},
    {PiiType::kPhoneE164, "+123456", false},
    // {"alg":"HS256","typ":"JWT"} . {"sub":"1"} . sig
    {PiiType::kJwt, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln", true},
    {PiiType::kJwt, "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", true},  // {"alg":"none"}
    {PiiType::kJwt, "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln", false},  // {"typ":"JWT"}
    {PiiType::kJwt, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", false},     // two parts
    {PiiType::kJwt, "eyJhb!GciOiJ9.eyJzdWIiOiIxIn0.c2ln", false},
    {PiiType::kAwsAccessKey, "AKIAIOSFODNN7EXAMPLE", true},
    {PiiType::kAwsAccessKey, "ASIAIOSFODNN7EXAMPLE", true},
    {PiiType::kAwsAccessKey, "AKIAIOSFODNN7EXAMPL", false},
    {PiiType::kAwsAccessKey, "AKIAiosfodnn7example", false},
};

TEST(PiiValidators, Table) {
  for (const Case& c : kCases) {
    EXPECT_EQ(ValidateCandidate(c.type, c.value), c.valid)
        << PiiTypeName(c.type) << " " << c.value;
  }
}

TEST(PiiValidators, TrimDropsTerminator) {
  EXPECT_EQ(TrimCandidate(PiiType::kEmail, "a@b.com."), "a@b.com");
  EXPECT_EQ(TrimCandidate(PiiType::kEmail, "a@b.com-."), "a@b.com");
  EXPECT_EQ(TrimCandidate(PiiType::kEmail, "a@b.com-x"), "a@b.com-x");
  EXPECT_EQ(TrimCandidate(PiiType::kEmail, "a@b.com\""), "a@b.com");
  EXPECT_EQ(TrimCandidate(PiiType::kEmail, "a@b.com"), "a@b.com");
  EXPECT_EQ(TrimCandidate(PiiType::kPaymentCard, "4111111111111111,"), "4111111111111111");
  EXPECT_EQ(TrimCandidate(PiiType::kJwt, "eyJa.eyJb.sig."), "eyJa.eyJb.sig");
  EXPECT_EQ(TrimCandidate(PiiType::kJwt, "eyJa.eyJb.."), "eyJa.eyJb.");
  EXPECT_EQ(TrimCandidate(PiiType::kJwt, "eyJa.eyJb.?"), "eyJa.eyJb.");
  // An unsigned token that ends the data: its last dot is part of it, not a terminator.
  EXPECT_EQ(TrimCandidate(PiiType::kJwt, "eyJa.eyJb."), "eyJa.eyJb.");
}

TEST(Fingerprint, MatchesOpenSslHmac) {
  for (std::string key : {std::string("k"), std::string("a much longer key that is over sixty-four bytes long ............")}) {
    Fingerprinter fingerprinter(key);
    for (std::string value : {std::string(), std::string("alice@example.com"), std::string(300, 'x')}) {
      unsigned char expected[32];
      unsigned int len = 0;
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(value.data()), value.size(), expected, &len);
      Fingerprint got = fingerprinter.Compute(value);
      EXPECT_TRUE(std::equal(got.begin(), got.end(), expected)) << key << " / " << value;
    }
  }
  Fingerprint f{};
  f[0] = 0xab;
  char hex[32];
  FingerprintToHex(f, hex);
  EXPECT_EQ(std::string(hex, 4), "ab00");
}

}  // namespace
}  // namespace sluice::matchers
