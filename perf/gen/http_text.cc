#include "perf/gen/http_text.h"

#include <ctime>

namespace sluice::gen {
namespace {

constexpr const char* kChromeAgent =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36";
constexpr const char* kFirefoxAgent =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0";
constexpr const char* kSafariAgent =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.3.1 Mobile/15E148 Safari/604.1";

// Appends "Name: value\r\n".
void Header(std::string& out, const char* name, const std::string& value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

bool HasBody(const RequestParts& parts) { return !parts.body.empty(); }

void AuthHeader(std::string& out, const Client& client, const RequestParts& parts) {
  if (!parts.with_auth) return;
  if (client.api_key.empty()) {
    Header(out, "Authorization", "Bearer " + client.token);
  } else {
    Header(out, "X-API-Key", client.api_key);
  }
}

void BodyHeaders(std::string& out, const RequestParts& parts, const char* content_type) {
  if (!HasBody(parts)) return;
  Header(out, "Content-Type", content_type);
  Header(out, "Content-Length", std::to_string(parts.body.size()));
}

void ConditionalHeader(std::string& out, const RequestParts& parts) {
  if (!parts.if_none_match.empty()) Header(out, "If-None-Match", parts.if_none_match);
}

void ScriptHeaders(std::string& out, const Client& client, const RequestParts& parts) {
  switch (client.kind) {
    case ClientKind::kCurl:
      Header(out, "Host", parts.host);
      Header(out, "User-Agent", "curl/8.5.0");
      Header(out, "Accept", "*/*");
      AuthHeader(out, client, parts);
      BodyHeaders(out, parts, "application/json");
      break;
    case ClientKind::kPythonRequests:
      Header(out, "Host", parts.host);
      Header(out, "User-Agent", "python-requests/2.31.0");
      Header(out, "Accept-Encoding", "gzip, deflate");
      Header(out, "Accept", "*/*");
      Header(out, "Connection", "keep-alive");
      AuthHeader(out, client, parts);
      if (HasBody(parts)) Header(out, "Content-Length", std::to_string(parts.body.size()));
      if (HasBody(parts)) Header(out, "Content-Type", "application/json");
      break;
    case ClientKind::kGoHttp:
      Header(out, "Host", parts.host);
      Header(out, "User-Agent", "Go-http-client/1.1");
      if (HasBody(parts)) Header(out, "Content-Length", std::to_string(parts.body.size()));
      Header(out, "Accept", "application/json");
      AuthHeader(out, client, parts);
      if (HasBody(parts)) Header(out, "Content-Type", "application/json");
      Header(out, "Accept-Encoding", "gzip");
      break;
    default:  // Java
      Header(out, "Accept", "application/json");
      AuthHeader(out, client, parts);
      BodyHeaders(out, parts, "application/json; charset=UTF-8");
      Header(out, "Host", parts.host);
      Header(out, "Connection", "Keep-Alive");
      Header(out, "User-Agent", "Apache-HttpClient/4.5.14 (Java/17.0.10)");
      Header(out, "Accept-Encoding", "gzip,deflate");
      break;
  }
}

void AppHeaders(std::string& out, const Client& client, const RequestParts& parts) {
  switch (client.kind) {
    case ClientKind::kOkHttp:
      AuthHeader(out, client, parts);
      BodyHeaders(out, parts, "application/json; charset=utf-8");
      ConditionalHeader(out, parts);
      Header(out, "Host", parts.host);
      Header(out, "Connection", "Keep-Alive");
      Header(out, "Accept-Encoding", "gzip");
      Header(out, "User-Agent", "okhttp/4.12.0");
      break;
    case ClientKind::kChrome:
      Header(out, "Host", parts.host);
      Header(out, "Connection", "keep-alive");
      BodyHeaders(out, parts, "application/json");
      Header(out, "Accept", "application/json, text/plain, */*");
      AuthHeader(out, client, parts);
      Header(out, "User-Agent", kChromeAgent);
      Header(out, "Origin", "https://app.example.com");
      Header(out, "Referer", "https://app.example.com/");
      Header(out, "Accept-Encoding", "gzip, deflate, br");
      Header(out, "Accept-Language", "en-US,en;q=0.9");
      ConditionalHeader(out, parts);
      break;
    case ClientKind::kFirefox:
      Header(out, "Host", parts.host);
      Header(out, "User-Agent", kFirefoxAgent);
      Header(out, "Accept", "application/json, text/plain, */*");
      Header(out, "Accept-Language", "en-US,en;q=0.5");
      Header(out, "Accept-Encoding", "gzip, deflate, br");
      BodyHeaders(out, parts, "application/json");
      AuthHeader(out, client, parts);
      Header(out, "Origin", "https://app.example.com");
      Header(out, "Connection", "keep-alive");
      ConditionalHeader(out, parts);
      break;
    default:  // Safari on iOS
      Header(out, "Host", parts.host);
      BodyHeaders(out, parts, "application/json");
      Header(out, "Accept", "application/json");
      AuthHeader(out, client, parts);
      ConditionalHeader(out, parts);
      Header(out, "Accept-Language", "en-GB,en;q=0.9");
      Header(out, "Accept-Encoding", "gzip, deflate, br");
      Header(out, "User-Agent", kSafariAgent);
      Header(out, "Connection", "keep-alive");
      break;
  }
}

void AppendHttpDate(std::string& out, int64_t unix_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const time_t seconds = static_cast<time_t>(unix_seconds);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char text[32];
  // IMF-fixdate (RFC 9110 section 5.6.7), written by hand so the locale cannot change it.
  std::snprintf(text, sizeof(text), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[utc.tm_wday],
                utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  out += text;
}

std::string StatusLine(const ResponseParts& parts) {
  std::string line = parts.http10_status_line ? "HTTP/1.0 " : "HTTP/1.1 ";
  line += std::to_string(parts.status);
  line += ' ';
  line += ReasonPhrase(parts.status);
  line += "\r\n";
  return line;
}

// 204 and 304 never carry a body or a length (RFC 9110 sections 15.3.5 and 15.4.5).
bool StatusForbidsBody(int status) { return status == 204 || status == 304; }

void LengthHeaders(std::string& out, const ResponseParts& parts, bool lower_case) {
  if (StatusForbidsBody(parts.status) || parts.body_until_close) return;
  if (parts.chunked) {
    Header(out, lower_case ? "transfer-encoding" : "Transfer-Encoding", "chunked");
  } else {
    Header(out, lower_case ? "content-length" : "Content-Length",
           std::to_string(parts.body.size()));
  }
}

void TypeHeader(std::string& out, const ResponseParts& parts, bool lower_case) {
  if (StatusForbidsBody(parts.status)) return;
  Header(out, lower_case ? "content-type" : "Content-Type", parts.content_type);
}

void OptionalHeaders(std::string& out, const ResponseParts& parts, bool lower_case) {
  if (!parts.location.empty()) Header(out, lower_case ? "location" : "Location", parts.location);
  if (!parts.etag.empty()) Header(out, lower_case ? "etag" : "ETag", parts.etag);
  if (parts.status == 401) {
    Header(out, lower_case ? "www-authenticate" : "WWW-Authenticate",
           "Bearer realm=\"api\", error=\"invalid_token\"");
  }
}

void ConnectionHeader(std::string& out, const ResponseParts& parts, bool keep_alive_default) {
  if (parts.connection_close) {
    Header(out, "Connection", "close");
  } else if (keep_alive_default) {
    Header(out, "Connection", "keep-alive");
  }
}

}  // namespace

std::string BuildRequestText(const Client& client, const RequestParts& parts) {
  std::string out;
  out.reserve(512 + parts.body.size());
  out += parts.method;
  out += ' ';
  out += parts.target;
  out += parts.http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n";
  switch (client.kind) {
    case ClientKind::kApacheBench:
      Header(out, "Host", parts.host);
      Header(out, "User-Agent", "ApacheBench/2.3");
      Header(out, "Accept", "*/*");
      break;
    case ClientKind::kKubeProbe:
      Header(out, "Host", parts.host);
      Header(out, "User-Agent", "kube-probe/1.29");
      Header(out, "Accept", "*/*");
      Header(out, "Connection", "close");
      break;
    case ClientKind::kOkHttp:
    case ClientKind::kChrome:
    case ClientKind::kFirefox:
    case ClientKind::kSafariIos:
      AppHeaders(out, client, parts);
      break;
    default:
      ScriptHeaders(out, client, parts);
      break;
  }
  out += "\r\n";
  out += parts.body;
  return out;
}

std::string BuildResponseHead(const Server& server, const ResponseParts& parts) {
  std::string out = StatusLine(parts);
  std::string date;
  AppendHttpDate(date, parts.unix_seconds);
  switch (server.style) {
    case ServerStyle::kNginx:
    case ServerStyle::kGunicorn:
      Header(out, "Server", server.server_header);
      Header(out, "Date", date);
      TypeHeader(out, parts, false);
      LengthHeaders(out, parts, false);
      ConnectionHeader(out, parts, true);
      OptionalHeaders(out, parts, false);
      break;
    case ServerStyle::kJetty:
      Header(out, "Date", date);
      TypeHeader(out, parts, false);
      OptionalHeaders(out, parts, false);
      LengthHeaders(out, parts, false);
      ConnectionHeader(out, parts, false);
      Header(out, "Server", server.server_header);
      break;
    case ServerStyle::kExpress:
      Header(out, "X-Powered-By", "Express");
      TypeHeader(out, parts, false);
      LengthHeaders(out, parts, false);
      OptionalHeaders(out, parts, false);
      Header(out, "Date", date);
      ConnectionHeader(out, parts, true);
      if (!parts.connection_close) Header(out, "Keep-Alive", "timeout=5");
      break;
    case ServerStyle::kEnvoy:
      TypeHeader(out, parts, true);
      LengthHeaders(out, parts, true);
      OptionalHeaders(out, parts, true);
      Header(out, "date", date);
      Header(out, "server", server.server_header);
      Header(out, "x-envoy-upstream-service-time",
             std::to_string(static_cast<int64_t>(parts.upstream_ms)));
      if (parts.connection_close) Header(out, "connection", "close");
      break;
  }
  out += "\r\n";
  return out;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    default:
      return "Unknown";
  }
}

}  // namespace sluice::gen
