#include "matchers/pii/url_secrets.h"

namespace sluice::matchers {
namespace {

struct SecretParameter {
  std::string_view name;  // lower case
  PiiType type;
};

constexpr SecretParameter kSecretParameters[] = {
    {"password", PiiType::kPassword},       {"passwd", PiiType::kPassword},
    {"pwd", PiiType::kPassword},            {"pass", PiiType::kPassword},
    {"passphrase", PiiType::kPassword},     {"secret", PiiType::kPassword},
    {"client_secret", PiiType::kPassword},  {"access_token", PiiType::kBearerToken},
    {"refresh_token", PiiType::kBearerToken}, {"id_token", PiiType::kBearerToken},
    {"auth_token", PiiType::kBearerToken},  {"token", PiiType::kBearerToken},
    {"api_key", PiiType::kApiKey},          {"apikey", PiiType::kApiKey},
    {"api-key", PiiType::kApiKey},          {"x-api-key", PiiType::kApiKey},
    {"subscription-key", PiiType::kApiKey},
};

bool EqualsLowerCase(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

bool IsSchemeByte(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (first) return alpha;
  return alpha || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// Returns where the authority of an absolute-form target starts (after "scheme://"), or npos.
size_t AuthorityStart(std::string_view target) {
  size_t i = 0;
  while (i < target.size() && IsSchemeByte(target[i], i == 0)) ++i;
  if (i == 0 || target.substr(i, 3) != "://") return std::string_view::npos;
  return i + 3;
}

class SecretList {
 public:
  SecretList(UrlSecretSink sink, void* context) : sink_(sink), context_(context) {}
  void Add(PiiType type, size_t start, size_t end) {
    if (start >= end) return;
    sink_(context_, UrlSecret{type, static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
  }

 private:
  UrlSecretSink sink_;
  void* context_;
};

void FindUserInfoPassword(std::string_view target, SecretList* list) {
  const size_t authority = AuthorityStart(target);
  if (authority == std::string_view::npos) return;
  size_t end = target.find_first_of("/?#", authority);
  if (end == std::string_view::npos) end = target.size();
  const size_t at = target.rfind('@', end - 1);
  if (at == std::string_view::npos || at < authority) return;
  const size_t colon = target.find(':', authority);
  if (colon < at) list->Add(PiiType::kPassword, colon + 1, at);
}

// Adds the secret parameters of the query that starts at `begin` and ends at a '#' or the end of
// `text`. Each parameter is looked up when the loop reaches its end ('&', ';', '#' or the end).
void FindQueryParameters(std::string_view text, size_t begin, SecretList* list) {
  size_t start = begin;                     // the current parameter's first byte
  size_t equals = std::string_view::npos;   // its first '=', if any yet
  for (size_t i = begin; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : '#';
    if (c == '=' && equals == std::string_view::npos) {
      equals = i;
      continue;
    }
    if (c != '&' && c != ';' && c != '#') continue;
    PiiType type;
    if (equals != std::string_view::npos && SecretParameterType(text.substr(start, equals - start), &type)) {
      list->Add(type, equals + 1, i);
    }
    if (c == '#') return;
    start = i + 1;
    equals = std::string_view::npos;
  }
}

}  // namespace

bool SecretParameterType(std::string_view name, PiiType* type) {
  // Most parameter names are not in the list, so length and first letter reject them early.
  constexpr size_t kShortest = 3;
  constexpr size_t kLongest = 16;
  if (name.size() < kShortest || name.size() > kLongest) return false;
  const char first = static_cast<char>(name[0] | 0x20);  // ASCII letters to lower case
  if (first != 'p' && first != 's' && first != 'c' && first != 'a' && first != 'r' && first != 'i' &&
      first != 't' && first != 'x') {
    return false;
  }
  for (const SecretParameter& parameter : kSecretParameters) {
    if (EqualsLowerCase(name, parameter.name)) {
      *type = parameter.type;
      return true;
    }
  }
  return false;
}

void FindUrlSecrets(std::string_view text, bool is_query, UrlSecretSink sink, void* context) {
  SecretList list(sink, context);
  if (is_query) {
    FindQueryParameters(text, 0, &list);
    return;
  }
  FindUserInfoPassword(text, &list);
  const size_t mark = text.find('?');
  const size_t fragment = text.find('#');
  if (mark != std::string_view::npos && mark < fragment) FindQueryParameters(text, mark + 1, &list);
}

}  // namespace sluice::matchers
