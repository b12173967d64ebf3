#include "matchers/pii/url_secrets.h"

#include "matchers/ascii_case.h"
#include "matchers/pii/percent_decode.h"

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
    {"subscription-key", PiiType::kApiKey}, {"x-amz-security-token", PiiType::kApiKey},
    {"jsessionid", PiiType::kBearerToken},  {"phpsessid", PiiType::kBearerToken},
    {"sessionid", PiiType::kBearerToken},   {"session_id", PiiType::kBearerToken},
};

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

// Adds the user information of an absolute-form target ("user:password" or a token) as one
// secret: a token sent as the user name is as secret as a password.
void FindUserInfo(std::string_view target, SecretList* list) {
  const size_t authority = AuthorityStart(target);
  if (authority == std::string_view::npos) return;
  size_t end = target.find_first_of("/?#", authority);
  if (end == std::string_view::npos) end = target.size();
  const size_t at = end > authority ? target.rfind('@', end - 1) : std::string_view::npos;
  if (at == std::string_view::npos || at < authority) return;
  list->Add(PiiType::kPassword, authority, at);
}

// Returns whether a parameter named `name` as sent carries a secret. The name is percent-decoded
// first, and a bracketed name counts by its last key: "user[password]" and "password[]" count as
// "password".
bool IsSecretParameter(std::string_view name, PiiType* type) {
  constexpr size_t kMaxNameBytes = 64;
  char decoded[kMaxNameBytes];
  if (name.find('%') != std::string_view::npos) {
    if (name.size() > kMaxNameBytes) return false;
    name = std::string_view(decoded, PercentDecode(name, decoded, sizeof(decoded), nullptr));
  }
  if (name.size() >= 2 && name.substr(name.size() - 2) == "[]") name.remove_suffix(2);
  if (!name.empty() && name.back() == ']') {
    const size_t open = name.rfind('[');
    if (open != std::string_view::npos) name = name.substr(open + 1, name.size() - open - 2);
  }
  return SecretParameterType(name, type);
}

// Adds the secret path parameters (";name=value" in a segment, RFC 3986 section 3.3) of the
// target's bytes before `end`.
void FindPathParameters(std::string_view text, size_t end, SecretList* list) {
  size_t at = text.find(';');
  while (at < end) {
    size_t stop = at + 1;
    while (stop < end && text[stop] != ';' && text[stop] != '/') ++stop;
    const std::string_view parameter = text.substr(at + 1, stop - at - 1);
    const size_t equals = parameter.find('=');
    PiiType type;
    if (equals != std::string_view::npos && IsSecretParameter(parameter.substr(0, equals), &type)) {
      list->Add(type, at + 1 + equals + 1, stop);
    }
    at = stop < end && text[stop] == ';' ? stop : text.find(';', stop);
  }
}

// Adds the secret parameters of the query that starts at `begin` and ends with `text`. A '#' is
// data here, as in RecordBuilder::SplitTarget. Parameters end at '&' or ';', but a secret's value
// runs to the next '&': a ';' in it may be part of the secret.
void FindQueryParameters(std::string_view text, size_t begin, SecretList* list) {
  size_t start = begin;                     // the current parameter's first byte
  size_t equals = std::string_view::npos;   // its first '=', if any yet
  for (size_t i = begin; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : '&';
    if (c == '=' && equals == std::string_view::npos) {
      equals = i;
      continue;
    }
    if (c != '&' && c != ';') continue;
    PiiType type;
    // An empty value ("token=;page=2") has nothing to hide, so the next parameter stays one.
    if (equals != std::string_view::npos && equals + 1 < i &&
        IsSecretParameter(text.substr(start, equals - start), &type)) {
      size_t value_end = text.find('&', equals + 1);
      if (value_end == std::string_view::npos) value_end = text.size();
      list->Add(type, equals + 1, value_end);
      i = value_end;
    }
    start = i + 1;
    equals = std::string_view::npos;
  }
}

}  // namespace

bool SecretParameterType(std::string_view name, PiiType* type) {
  // Most parameter names are not in the list, so length and first letter reject them early.
  constexpr size_t kShortest = 3;
  constexpr size_t kLongest = 20;
  if (name.size() < kShortest || name.size() > kLongest) return false;
  const char first = static_cast<char>(name[0] | 0x20);  // ASCII letters to lower case
  if (first != 'p' && first != 's' && first != 'c' && first != 'a' && first != 'r' && first != 'i' &&
      first != 't' && first != 'x' && first != 'j') {
    return false;
  }
  for (const SecretParameter& parameter : kSecretParameters) {
    if (EqualsIgnoreCase(name, parameter.name)) {
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
  FindUserInfo(text, &list);
  // The query starts at the first '?', as RecordBuilder::SplitTarget has it.
  const size_t mark = text.find('?');
  FindPathParameters(text, mark == std::string_view::npos ? text.size() : mark, &list);
  if (mark != std::string_view::npos) FindQueryParameters(text, mark + 1, &list);
}

}  // namespace sluice::matchers
