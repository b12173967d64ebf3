#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "perf/gen/population.h"
#include "perf/gen/rng.h"

namespace sluice::gen {

struct ExchangeContext {
  const Client* client = nullptr;
  const Server* server = nullptr;
  int64_t timestamp_ns = 0;    // When the request is sent; drives the Date header.
  bool http10 = false;         // Request line is HTTP/1.0, so the server closes after the response.
  bool server_closes = false;  // The response carries "Connection: close".
};

// One HTTP transaction as bytes on the wire. The response is a list of server write() calls:
// a chunked body arrives in several writes with a pause between them.
struct HttpExchange {
  std::string request;
  std::vector<std::string> response_writes;
  int64_t write_gap_ns = 0;
  const char* method = "GET";
  int status = 200;
  bool chunked = false;
  bool body_until_close = false;  // No Content-Length: the body ends when the server closes.
  double server_latency_ms = 1;
};

HttpExchange MakeExchange(const ExchangeContext& context, Rng& rng);

}  // namespace sluice::gen
