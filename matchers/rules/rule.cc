#include "matchers/rules/rule.h"

#include <array>
#include <cctype>

namespace sluice::matchers {
namespace {

struct FixedFieldName {
  std::string_view name;
  FieldKind kind;
};

constexpr std::array<FixedFieldName, 7> kFixedFields = {{
    {"http.request.method", FieldKind::kMethod},
    {"url.original", FieldKind::kUrlOriginal},
    {"url.path", FieldKind::kUrlPath},
    {"url.query", FieldKind::kUrlQuery},
    {"http.response.status_code", FieldKind::kStatusCode},
    {"http.request.body", FieldKind::kRequestBody},
    {"http.response.body", FieldKind::kResponseBody},
}};

constexpr std::string_view kRequestHeaderPrefix = "http.request.header.";
constexpr std::string_view kResponseHeaderPrefix = "http.response.header.";

// RFC 9110 section 5.6.2: a header name is a token.
bool IsTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool ParseHeaderName(std::string_view name, std::string* out) {
  if (name.empty()) return false;
  out->clear();
  for (char c : name) {
    if (!IsTokenChar(c)) return false;
    out->push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return true;
}

}  // namespace

bool ParseFieldName(std::string_view name, FieldRef* out) {
  for (const auto& fixed : kFixedFields) {
    if (name == fixed.name) {
      out->kind = fixed.kind;
      out->header_name.clear();
      return true;
    }
  }
  if (name.starts_with(kRequestHeaderPrefix)) {
    out->kind = FieldKind::kRequestHeader;
    return ParseHeaderName(name.substr(kRequestHeaderPrefix.size()), &out->header_name);
  }
  if (name.starts_with(kResponseHeaderPrefix)) {
    out->kind = FieldKind::kResponseHeader;
    return ParseHeaderName(name.substr(kResponseHeaderPrefix.size()), &out->header_name);
  }
  return false;
}

std::string FieldName(const FieldRef& field) {
  if (field.kind == FieldKind::kRequestHeader) {
    return std::string(kRequestHeaderPrefix) + field.header_name;
  }
  if (field.kind == FieldKind::kResponseHeader) {
    return std::string(kResponseHeaderPrefix) + field.header_name;
  }
  for (const auto& fixed : kFixedFields) {
    if (fixed.kind == field.kind) return std::string(fixed.name);
  }
  return "unknown";
}

bool IsBodyField(FieldKind kind) {
  return kind == FieldKind::kRequestBody || kind == FieldKind::kResponseBody;
}

bool IsRequestSide(FieldKind kind) {
  switch (kind) {
    case FieldKind::kStatusCode:
    case FieldKind::kResponseHeader:
    case FieldKind::kResponseBody:
      return false;
    default:
      return true;
  }
}

const char* ActionName(Action action) {
  switch (action) {
    case Action::kLog: return "log";
    case Action::kTag: return "tag";
    case Action::kBlock: return "block";
  }
  return "unknown";
}

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo: return "info";
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "unknown";
}

bool ParseAction(std::string_view text, Action* out) {
  for (Action a : {Action::kLog, Action::kTag, Action::kBlock}) {
    if (text == ActionName(a)) {
      *out = a;
      return true;
    }
  }
  return false;
}

bool ParseSeverity(std::string_view text, Severity* out) {
  for (Severity s : {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh,
                     Severity::kCritical}) {
    if (text == SeverityName(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

}  // namespace sluice::matchers
