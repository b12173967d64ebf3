// Validators for PII candidates (FindPiiCandidates). Pure functions over a byte range, no
// allocation: callable on a worker core.
#pragma once

#include <string_view>

#include "matchers/pii/pii_types.h"

namespace sluice::matchers {

// Luhn mod-10 over the digits of `text` (spaces, dashes and '+' skipped, anything else fails).
bool IsLuhnValid(std::string_view text);
// 13 to 19 digits with an issuer prefix of Visa, Mastercard, Amex, Discover, JCB or Diners, and
// a valid Luhn check digit. A single space, dash or '+' (a form-encoded space) between digits is
// accepted.
bool IsValidPaymentCard(std::string_view text);
// "AAA-GG-SSSS": area not 000, 666 or 900-999; group not 00; serial not 0000.
bool IsValidUsSsn(std::string_view text);
// Compact IBAN (no spaces): a known country code, that country's length, and ISO 13616 mod-97.
bool IsValidIban(std::string_view text);
// Local part of 1-64 characters without leading, trailing or double dots; a domain of labels of
// 1-63 letters, digits and inner hyphens; a top-level label of 2+ letters; 254 bytes at most.
bool IsValidEmail(std::string_view text);
// "+" then 7 to 15 digits, the first not 0 (ITU-T E.164 allows 15 digits at most).
bool IsValidPhoneE164(std::string_view text);
// Three base64url parts; the first decodes to a JSON object that has an "alg" member.
bool IsValidJwt(std::string_view text);
// "AKIA" or "ASIA" and 16 upper-case letters or digits.
bool IsValidAwsAccessKey(std::string_view text);

// Cuts a candidate down to the value: drops the one terminator byte that the pattern
// matches after the value (absent at end of data), and dots and hyphens that end an e-mail
// address: no domain label ends in either, so "a@b.com." and "a@b.com-" keep "a@b.com".
std::string_view TrimCandidate(PiiType type, std::string_view candidate);

// Dispatches to the validator of `type`; types with no checksum return true.
bool ValidateCandidate(PiiType type, std::string_view value);

}  // namespace sluice::matchers
