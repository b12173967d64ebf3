#include "perf/gen/json_bodies.h"

#include <ctime>

namespace sluice::gen {
namespace {

constexpr const char* kFirstNames[] = {
    "Alice", "Bob",    "Carla", "Deepak", "Elena", "Farid", "Grace", "Hiro",    "Ines",
    "Jonas", "Kwame",  "Lena",  "Mateo",  "Nadia", "Omar",  "Priya", "Quentin", "Rosa",
    "Sven",  "Tomoko", "Ugo",   "Vera",   "Wei",   "Yara",  "Zoltan"};
constexpr const char* kLastNames[] = {"Andersen", "Barros", "Chen",    "Dubois",   "Eriksen",
                                      "Fischer",  "Garcia", "Haddad",  "Ivanova",  "Jensen",
                                      "Kowalski", "Lopez",  "Moreau",  "Nakamura", "Okafor",
                                      "Petrov",   "Rossi",  "Schmidt", "Tanaka",   "Novak"};
constexpr const char* kCountries[] = {"DE", "FR", "US", "GB", "NL", "JP", "BR", "IN", "SE", "ES"};
constexpr const char* kPlans[] = {"free", "starter", "pro", "enterprise"};
constexpr const char* kRoles[] = {"member", "member", "member", "admin", "viewer"};
constexpr const char* kCategories[] = {"books", "garden", "kitchen", "toys", "outdoor", "office"};
constexpr const char* kProductWords[] = {"Steel",  "Oak",      "Compact",  "Deluxe",
                                         "Travel", "Solar",    "Kettle",   "Lamp",
                                         "Chair",  "Backpack", "Notebook", "Drill"};
constexpr const char* kCurrencies[] = {"EUR", "USD", "GBP"};
constexpr const char* kOrderStates[] = {"pending", "paid", "shipped", "delivered", "cancelled"};
constexpr const char* kAuditActions[] = {"user.login", "user.update", "order.refund",
                                         "apikey.rotate", "role.grant"};

template <size_t N>
const char* PickWord(Rng& rng, const char* const (&words)[N]) {
  return words[rng.Below(N)];
}

void AppendInt(std::string& out, int64_t value) { out += std::to_string(value); }

void AppendKey(std::string& out, const char* key) {
  out += '"';
  out += key;
  out += "\":";
}

void AppendStringField(std::string& out, const char* key, const std::string& value) {
  AppendKey(out, key);
  out += '"';
  out += value;
  out += "\",";
}

void AppendIntField(std::string& out, const char* key, int64_t value) {
  AppendKey(out, key);
  AppendInt(out, value);
  out += ',';
}

// Replaces the trailing comma of the last field with the closing brace.
void CloseObject(std::string& out) {
  if (!out.empty() && out.back() == ',') out.pop_back();
  out += '}';
}

std::string FullName(Rng& rng) {
  return std::string(PickWord(rng, kFirstNames)) + " " + PickWord(rng, kLastNames);
}

std::string Email(int64_t id) { return "user" + std::to_string(id) + "@example.com"; }

// A time between 2021 and the capture's start date.
int64_t RandomPastTime(Rng& rng) { return 1609459200 + rng.Between(0, 100000000); }

void AppendTimeField(std::string& out, const char* key, int64_t unix_seconds) {
  AppendKey(out, key);
  out += '"';
  AppendIsoTime(out, unix_seconds);
  out += "\",";
}

}  // namespace

std::string RandomUuid(Rng& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  const uint64_t high = rng.Next();
  const uint64_t low = rng.Next();
  std::string uuid;
  uuid.reserve(36);
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) uuid += '-';
    const uint64_t word = i < 16 ? high : low;
    int nibble = static_cast<int>((word >> (60 - 4 * (i % 16))) & 0xf);
    if (i == 12) nibble = 4;                   // Version 4 (RFC 9562 section 5.4).
    if (i == 16) nibble = 8 | (nibble & 0x3);  // Variant 10xx.
    uuid += kHex[nibble];
  }
  return uuid;
}

void AppendIsoTime(std::string& out, int64_t unix_seconds) {
  const time_t seconds = static_cast<time_t>(unix_seconds);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char text[48];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  out += text;
}

void AppendUserJson(std::string& out, Rng& rng, int64_t id) {
  out += '{';
  AppendIntField(out, "id", id);
  AppendStringField(out, "name", FullName(rng));
  AppendStringField(out, "email", Email(id));
  AppendStringField(out, "role", PickWord(rng, kRoles));
  AppendTimeField(out, "created_at", RandomPastTime(rng));
  out += rng.Chance(0.9) ? "\"active\":true" : "\"active\":false";
  out += '}';
}

void AppendCustomerJson(std::string& out, Rng& rng, int64_t id) {
  out += '{';
  AppendIntField(out, "id", id);
  AppendStringField(out, "name", FullName(rng));
  AppendStringField(out, "email", Email(id));
  AppendStringField(out, "country", PickWord(rng, kCountries));
  AppendStringField(out, "plan", PickWord(rng, kPlans));
  AppendIntField(out, "balance_cents", rng.Between(0, 500000));
  CloseObject(out);
}

void AppendRelatedAccountJson(std::string& out, Rng& rng) {
  out += '{';
  AppendIntField(out, "account_id", rng.Between(1000, 999999));
  AppendStringField(out, "relation", rng.Chance(0.5) ? "parent" : "billing_contact");
  AppendStringField(out, "name", FullName(rng));
  CloseObject(out);
}

void AppendOrderJson(std::string& out, Rng& rng, const std::string& uuid, int64_t customer_id) {
  out += '{';
  AppendStringField(out, "id", uuid);
  AppendIntField(out, "customer_id", customer_id);
  AppendStringField(out, "status", PickWord(rng, kOrderStates));
  AppendStringField(out, "currency", PickWord(rng, kCurrencies));
  AppendKey(out, "items");
  out += '[';
  const int items = static_cast<int>(rng.Between(1, 4));
  int64_t total = 0;
  for (int i = 0; i < items; ++i) {
    if (i > 0) out += ',';
    const int64_t price = rng.Between(199, 25000);
    const int64_t quantity = rng.Between(1, 3);
    total += price * quantity;
    out += "{\"sku\":\"" + RandomSku(rng) + "\",\"qty\":";
    AppendInt(out, quantity);
    out += ",\"unit_price_cents\":";
    AppendInt(out, price);
    out += '}';
  }
  out += "],";
  AppendIntField(out, "total_cents", total);
  AppendTimeField(out, "created_at", RandomPastTime(rng));
  CloseObject(out);
}

void AppendProductJson(std::string& out, Rng& rng, const char* category) {
  out += '{';
  AppendStringField(out, "sku", RandomSku(rng));
  AppendStringField(out, "name",
                    std::string(PickWord(rng, kProductWords)) + " " + PickWord(rng, kProductWords));
  AppendStringField(out, "category", category);
  AppendIntField(out, "price_cents", rng.Between(199, 99900));
  out += rng.Chance(0.8) ? "\"in_stock\":true" : "\"in_stock\":false";
  out += '}';
}

void AppendStockJson(std::string& out, Rng& rng, const std::string& sku) {
  out += '{';
  AppendStringField(out, "sku", sku);
  AppendIntField(out, "available", rng.Between(0, 900));
  AppendStringField(out, "warehouse", rng.Chance(0.5) ? "FRA1" : "AMS2");
  CloseObject(out);
}

void AppendSessionJson(std::string& out, Rng& rng, int64_t user_id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 48; ++i) token += kHex[rng.Below(16)];
  out += '{';
  AppendStringField(out, "access_token", token);
  AppendStringField(out, "token_type", "Bearer");
  AppendIntField(out, "expires_in", 3600);
  AppendIntField(out, "user_id", user_id);
  CloseObject(out);
}

void AppendAuditEntryJson(std::string& out, Rng& rng) {
  out += '{';
  AppendTimeField(out, "at", RandomPastTime(rng));
  AppendStringField(out, "actor", Email(rng.Between(1, 50000)));
  AppendStringField(out, "action", PickWord(rng, kAuditActions));
  AppendStringField(
      out, "ip",
      "198.18." + std::to_string(rng.Below(256)) + "." + std::to_string(rng.Between(1, 254)));
  CloseObject(out);
}

void AppendErrorJson(std::string& out, const char* code, const std::string& message) {
  out += "{\"error\":{\"code\":\"";
  out += code;
  out += "\",\"message\":\"";
  out += message;
  out += "\"}}";
}

void AppendUserUpdateJson(std::string& out, Rng& rng, int64_t id, bool full_replace) {
  out += '{';
  if (full_replace || rng.Chance(0.6)) AppendStringField(out, "name", FullName(rng));
  if (full_replace || rng.Chance(0.4)) AppendStringField(out, "email", Email(id));
  if (full_replace || rng.Chance(0.3)) AppendStringField(out, "role", PickWord(rng, kRoles));
  if (full_replace) out += "\"active\":true,";
  if (out.back() == '{') AppendStringField(out, "locale", "en-GB");
  CloseObject(out);
}

void AppendOrderCreateJson(std::string& out, Rng& rng, int64_t customer_id) {
  out += '{';
  AppendIntField(out, "customer_id", customer_id);
  AppendStringField(out, "currency", PickWord(rng, kCurrencies));
  AppendKey(out, "items");
  out += '[';
  const int items = static_cast<int>(rng.Between(1, 5));
  for (int i = 0; i < items; ++i) {
    if (i > 0) out += ',';
    out += "{\"sku\":\"" + RandomSku(rng) + "\",\"qty\":";
    AppendInt(out, rng.Between(1, 3));
    out += '}';
  }
  out += "],";
  AppendStringField(out, "shipping_country", PickWord(rng, kCountries));
  CloseObject(out);
}

void AppendLoginJson(std::string& out, Rng& rng, int64_t user_id) {
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string password;
  for (int i = 0; i < 14; ++i) password += kAlphabet[rng.Below(sizeof(kAlphabet) - 1)];
  out += '{';
  AppendStringField(out, "username", Email(user_id));
  AppendStringField(out, "password", password);
  CloseObject(out);
}

std::string RandomSku(Rng& rng) { return "SKU-" + std::to_string(rng.Between(10000, 99999)); }

const char* RandomCategory(Rng& rng) { return PickWord(rng, kCategories); }

}  // namespace sluice::gen
