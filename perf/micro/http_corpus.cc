#include "perf/micro/http_corpus.h"

#include "perf/micro/sample_capture.h"

namespace sluice::perf {

namespace {

constexpr const char* kNames[kCorpusCount] = {
    "sample_requests",      "sample_responses",       "small_requests", "large_header_requests",
    "small_responses",      "large_header_responses", "chunked_responses",
};

// Keep-alive connections of this many messages each, so per-stream setup is amortised as on a
// real connection.
constexpr int kMessagesPerStream = 32;
constexpr int kStreams = 8;

std::string Repeat(const std::string& message) {
  std::string stream;
  for (int i = 0; i < kMessagesPerStream; ++i) stream += message;
  return stream;
}

std::string SmallRequest() {
  return "GET /api/v1/users/4711/orders?limit=20&offset=40 HTTP/1.1\r\n"
         "Host: api.example.com\r\n"
         "User-Agent: curl/8.5.0\r\n"
         "Accept: */*\r\n"
         "\r\n";
}

// A browser request with a long cookie and bearer token: about 2.6 KB of headers.
std::string LargeHeaderRequest() {
  std::string cookie = "Cookie: session=a8f3c2d1e9b7f6e5d4c3b2a1";
  for (int i = 0; i < 30; ++i) {
    cookie += "; pref_" + std::to_string(i) + "=value-" + std::to_string(i * 7919) +
              "-0123456789abcdef0123456789abcdef";
  }
  const std::string body = "{\"sku\":\"ABC-12345\",\"quantity\":2,\"gift\":false,\"note\":\"\"}";
  return "POST /api/v2/shop/carts/9f3a77c1/items?currency=EUR&locale=de-DE HTTP/1.1\r\n"
         "Host: shop.example.com:8080\r\n"
         "Connection: keep-alive\r\n"
         "sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n"
         "sec-ch-ua-mobile: ?0\r\n"
         "sec-ch-ua-platform: \"Linux\"\r\n"
         "Authorization: Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTcxMDIzNDAwMH0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJl\r\n"
         "Content-Type: application/json\r\n"
         "Accept: application/json, text/plain, */*\r\n"
         "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n"
         "Origin: https://shop.example.com\r\n"
         "Sec-Fetch-Site: same-origin\r\n"
         "Sec-Fetch-Mode: cors\r\n"
         "Sec-Fetch-Dest: empty\r\n"
         "Referer: https://shop.example.com/cart?step=2&utm_source=newsletter&utm_medium=email\r\n"
         "Accept-Encoding: gzip, deflate, br, zstd\r\n"
         "Accept-Language: de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7\r\n"
         "X-Request-Id: 2b7e1516-28ae-d2a6-abf7-158809cf4f3c\r\n"
         "X-Forwarded-For: 198.18.4.7, 198.18.0.1\r\n" +
         cookie + "\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n"
         "\r\n" +
         body;
}

std::string SmallResponse() {
  const std::string body = "{\"id\":4711,\"name\":\"Ada\",\"email\":\"a@example.com\"}";
  return "HTTP/1.1 200 OK\r\n"
         "Content-Type: application/json\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n"
         "\r\n" +
         body;
}

// An nginx-fronted response with security headers and cookies: about 2.3 KB of headers.
std::string LargeHeaderResponse() {
  std::string csp = "Content-Security-Policy: default-src 'self'";
  for (int i = 0; i < 24; ++i) {
    csp += "; script-src-elem https://cdn" + std::to_string(i) + ".example.com 'nonce-r4nd0m" +
           std::to_string(i) + "'";
  }
  std::string body(512, 'x');
  return "HTTP/1.1 200 OK\r\n"
         "Server: nginx/1.24.0\r\n"
         "Date: Tue, 12 Mar 2024 09:00:00 GMT\r\n"
         "Content-Type: application/json; charset=utf-8\r\n"
         "Connection: keep-alive\r\n"
         "Vary: Accept-Encoding, Origin\r\n"
         "Cache-Control: no-store, no-cache, must-revalidate, max-age=0\r\n"
         "Strict-Transport-Security: max-age=63072000; includeSubDomains; preload\r\n"
         "X-Content-Type-Options: nosniff\r\n"
         "X-Frame-Options: DENY\r\n"
         "Referrer-Policy: strict-origin-when-cross-origin\r\n" +
         csp + "\r\n"
         "Set-Cookie: session=8d2f9c1a7b3e4d5f6a7b8c9d0e1f2a3b; Path=/; HttpOnly; Secure; SameSite=Lax\r\n"
         "Set-Cookie: csrftoken=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0; Path=/; Secure; SameSite=Strict\r\n"
         "X-Request-Id: 2b7e1516-28ae-d2a6-abf7-158809cf4f3c\r\n"
         "X-RateLimit-Limit: 1000\r\n"
         "X-RateLimit-Remaining: 998\r\n"
         "ETag: W/\"5f3a-1710234000\"\r\n"
         "Content-Length: 512\r\n"
         "\r\n" +
         body;
}

// 16 chunks of 256 bytes, as a server streams a JSON list.
std::string ChunkedResponse() {
  std::string message =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n";
  const std::string chunk(256, 'c');
  for (int i = 0; i < 16; ++i) message += "100\r\n" + chunk + "\r\n";
  message += "0\r\n\r\n";
  return message;
}

HttpCorpus Synthetic(CorpusId id, bool requests, const std::string& message) {
  HttpCorpus corpus{kNames[id], requests, {}, 0};
  for (int i = 0; i < kStreams; ++i) corpus.streams.push_back(Repeat(message));
  return corpus;
}

HttpCorpus FromSample(CorpusId id, bool requests) {
  HttpCorpus corpus{kNames[id], requests, {}, 0};
  for (const SampleStream& stream : LoadSampleCapture().streams) {
    if (stream.to_server != requests || stream.has_head_request) continue;
    corpus.streams.push_back(stream.bytes);
  }
  return corpus;
}

HttpCorpus Build(CorpusId id) {
  switch (id) {
    case kSampleRequests: return FromSample(id, true);
    case kSampleResponses: return FromSample(id, false);
    case kSmallRequests: return Synthetic(id, true, SmallRequest());
    case kLargeHeaderRequests: return Synthetic(id, true, LargeHeaderRequest());
    case kSmallResponses: return Synthetic(id, false, SmallResponse());
    case kLargeHeaderResponses: return Synthetic(id, false, LargeHeaderResponse());
    case kChunkedResponses: return Synthetic(id, false, ChunkedResponse());
    case kCorpusCount: break;
  }
  return {};
}

}  // namespace

const char* HttpCorpusName(CorpusId id) { return kNames[id]; }

const HttpCorpus& GetHttpCorpus(CorpusId id) {
  static HttpCorpus corpora[kCorpusCount];
  HttpCorpus& corpus = corpora[id];
  if (corpus.name == nullptr) {
    corpus = Build(id);
    for (const std::string& stream : corpus.streams) corpus.bytes += stream.size();
  }
  return corpus;
}

}  // namespace sluice::perf
