// Rule model: what an operator's YAML rule file becomes after parsing. Built and read on the
// control core only; the data plane sees the compiled form (compile/compiled_rules.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::matchers {

// Where a condition looks. Header fields carry the header name beside the kind.
enum class FieldKind : uint8_t {
  kMethod,          // http.request.method
  kUrlOriginal,     // url.original: the request target as sent
  kUrlPath,         // url.path
  kUrlQuery,        // url.query, without the '?'
  kStatusCode,      // http.response.status_code, scanned as decimal text
  kRequestHeader,   // http.request.header.<name>
  kResponseHeader,  // http.response.header.<name>
  kRequestBody,     // http.request.body, scanned in stream mode
  kResponseBody,    // http.response.body, scanned in stream mode
};
inline constexpr int kFixedFieldCount = 5;  // kMethod .. kStatusCode, indexable as an array

enum class Direction : uint8_t { kRequest = 0, kResponse = 1 };

enum class Action : uint8_t { kLog, kTag, kBlock };
enum class Severity : uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };
enum class Combine : uint8_t { kSingle, kAll, kAny };

struct FieldRef {
  FieldKind kind = FieldKind::kMethod;
  std::string header_name;  // lower case; empty unless kind is a header
};

struct Condition {
  FieldRef field;
  std::string pattern;  // as written in the rule file
};

struct Rule {
  uint32_t id = 0;
  std::string msg;
  Action action = Action::kLog;
  Severity severity = Severity::kMedium;
  std::vector<std::string> tags;
  Combine combine = Combine::kSingle;
  std::vector<Condition> conditions;  // one for kSingle, one or more for kAll/kAny
  int line = 0;                       // 1-based line of the rule in its file, 0 if unknown
};

struct RuleSet {
  std::vector<Rule> rules;
};

// Parses a field name such as "url.query" or "http.request.header.X-Api-Key". Header names are
// lower-cased. Returns false for an unknown field or an empty header name.
bool ParseFieldName(std::string_view name, FieldRef* out);
std::string FieldName(const FieldRef& field);

bool IsBodyField(FieldKind kind);
bool IsRequestSide(FieldKind kind);

const char* ActionName(Action action);
const char* SeverityName(Severity severity);
bool ParseAction(std::string_view text, Action* out);
bool ParseSeverity(std::string_view text, Severity* out);

}  // namespace sluice::matchers
