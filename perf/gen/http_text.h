#pragma once

#include <cstdint>
#include <string>

#include "perf/gen/population.h"

namespace sluice::gen {

// Request fields chosen by MakeExchange, before they are written out as text.
struct RequestParts {
  const char* method = "GET";
  std::string target;         // Path and query.
  std::string host;           // Host header value.
  std::string body;           // JSON; empty for bodyless requests.
  std::string if_none_match;  // Entity tag for a conditional GET, or empty.
  bool http10 = false;
  bool with_auth = true;
};

struct ResponseParts {
  int status = 200;
  std::string body;
  const char* content_type = "application/json";
  std::string location;  // Location header for 301, 201.
  std::string etag;
  bool head_request = false;  // Headers announce the body length but no body follows.
  bool chunked = false;
  bool body_until_close = false;
  bool connection_close = false;
  bool http10_status_line = false;
  int64_t unix_seconds = 0;  // Date header.
  double upstream_ms = 0;    // Envoy's x-envoy-upstream-service-time.
};

// Writes the request line and headers in the order and spelling `client` kind uses, followed by
// the blank line and the body.
std::string BuildRequestText(const Client& client, const RequestParts& parts);

// Writes the status line and headers as `server` style does. For a chunked response only the
// head is returned; the caller appends the chunks.
std::string BuildResponseHead(const Server& server, const ResponseParts& parts);

const char* ReasonPhrase(int status);

}  // namespace sluice::gen
