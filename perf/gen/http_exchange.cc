#include "perf/gen/http_exchange.h"

#include <cstdio>

#include "perf/gen/endpoint_kind.h"
#include "perf/gen/http_text.h"
#include "perf/gen/json_bodies.h"

namespace sluice::gen {
namespace {

struct EndpointInfo {
  const char* method;
  double weight;          // Relative call frequency among the endpoints a server offers.
  double latency_factor;  // Multiplies the server's median latency.
  bool needs_auth;
};

// Indexed by EndpointKind.
constexpr EndpointInfo kEndpoints[] = {
    {"GET", 20, 1, true},       // kGetUser
    {"HEAD", 2, 0.6, true},     // kHeadUser
    {"PUT", 3, 2, true},        // kPutUser
    {"PATCH", 4, 2, true},      // kPatchUser
    {"GET", 8, 1.5, true},      // kGetRelated
    {"GET", 5, 3, true},        // kListCustomers
    {"GET", 0.25, 12, true},    // kExportCustomers
    {"GET", 12, 1, true},       // kGetOrder
    {"POST", 5, 3, true},       // kCreateOrder
    {"DELETE", 2, 1.5, true},   // kDeleteOrder
    {"GET", 6, 1.5, true},      // kListProducts
    {"GET", 10, 0.5, true},     // kGetStock
    {"POST", 4, 1, false},      // kCreateSession
    {"DELETE", 2, 0.4, true},   // kDeleteSession
    {"GET", 6, 0.05, false},    // kHealth
    {"GET", 1.5, 0.05, false},  // kLegacyUser
    {"GET", 1, 1, true},        // kAdminAudit
};
static_assert(std::size(kEndpoints) == kEndpointCount);

constexpr int64_t kNanosPerSecond = 1000000000;

EndpointKind ChooseEndpoint(const Client& client, const Server& server, Rng& rng) {
  if (client.kind == ClientKind::kKubeProbe) return kHealth;
  if (client.kind == ClientKind::kApacheBench) return rng.Chance(0.5) ? kHealth : kGetStock;
  double weights[kEndpointCount];
  for (int i = 0; i < kEndpointCount; ++i) {
    weights[i] = (server.endpoint_mask & (1u << i)) != 0 ? kEndpoints[i].weight : 0;
  }
  return static_cast<EndpointKind>(rng.Pick(weights, kEndpointCount));
}

bool SendsConditional(const Client& client, Rng& rng) {
  const bool caches = client.kind == ClientKind::kOkHttp || client.kind == ClientKind::kChrome ||
                      client.kind == ClientKind::kFirefox || client.kind == ClientKind::kSafariIos;
  return caches && rng.Chance(0.3);
}

std::string EntityTag(Rng& rng) {
  char text[24];
  std::snprintf(text, sizeof(text), "W/\"%08x\"", static_cast<unsigned>(rng.Next()));
  return text;
}

std::string HostValue(const ExchangeContext& context) {
  if (context.client->kind != ClientKind::kKubeProbe || context.client->frame.ip.is_v6) {
    return context.server->host_header;
  }
  // Kubernetes probes address the pod by IP and port, not by name.
  const auto& b = context.server->frame_v4.ip.bytes;
  return std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." +
         std::to_string(b[3]) + ":" + std::to_string(context.server->port);
}

// State shared between request and response of one transaction.
struct Transaction {
  EndpointKind endpoint = kHealth;
  RequestParts request;
  ResponseParts response;
  int64_t resource_id = 0;
  std::string uuid;
  std::string sku;
  const char* category = "books";
  int per_page = 0;
  int page = 1;
};

void BuildRequest(Transaction& t, Rng& rng, const Client& client) {
  RequestParts& r = t.request;
  r.method = kEndpoints[t.endpoint].method;
  t.resource_id = rng.Between(1, 250000);
  switch (t.endpoint) {
    case kGetUser:
    case kHeadUser:
      r.target = "/api/v1/users/" + std::to_string(t.resource_id);
      break;
    case kPutUser:
    case kPatchUser:
      r.target = "/api/v1/users/" + std::to_string(t.resource_id);
      AppendUserUpdateJson(r.body, rng, t.resource_id, t.endpoint == kPutUser);
      break;
    case kGetRelated:
      r.target = "/api/v1/accounts/" + std::to_string(t.resource_id) + "/related";
      break;
    case kListCustomers: {
      static constexpr int kPageSizes[] = {10, 25, 50, 100, 500};
      static constexpr double kPageWeights[] = {52, 30, 13, 3, 2};
      t.per_page = kPageSizes[rng.Pick(kPageWeights, 5)];
      t.page = static_cast<int>(rng.Between(1, 40));
      r.target = "/api/v1/customers?page=" + std::to_string(t.page) +
                 "&per_page=" + std::to_string(t.per_page);
      break;
    }
    case kExportCustomers:
      r.target = "/api/v1/customers/export?since=2024-01-01&format=json";
      break;
    case kGetOrder:
    case kDeleteOrder:
      t.uuid = RandomUuid(rng);
      r.target = "/api/v1/orders/" + t.uuid;
      break;
    case kCreateOrder:
      r.target = "/api/v1/orders";
      AppendOrderCreateJson(r.body, rng, t.resource_id);
      break;
    case kListProducts:
      t.category = RandomCategory(rng);
      t.page = static_cast<int>(rng.Between(1, 12));
      t.per_page = rng.Chance(0.75) ? 10 : 25;
      r.target = std::string("/api/v1/products?category=") + t.category +
                 "&page=" + std::to_string(t.page) + "&per_page=" + std::to_string(t.per_page);
      break;
    case kGetStock:
      t.sku = RandomSku(rng);
      r.target = "/api/v1/stock/" + t.sku;
      break;
    case kCreateSession:
      r.target = "/api/v1/sessions";
      AppendLoginJson(r.body, rng, t.resource_id);
      break;
    case kDeleteSession:
      r.target = "/api/v1/sessions/current";
      break;
    case kHealth:
      r.target = "/health";
      break;
    case kLegacyUser:
      r.target = "/v1/users/" + std::to_string(t.resource_id);
      break;
    default:  // kAdminAudit
      r.target = "/api/v1/admin/audit-log?limit=20";
      break;
  }
  const bool cacheable = t.endpoint == kGetUser || t.endpoint == kListProducts;
  if (cacheable && SendsConditional(client, rng)) r.if_none_match = EntityTag(rng);
  r.with_auth = client.sends_auth && t.endpoint != kHealth && t.endpoint != kCreateSession;
}

// Picks the status with weights for 2xx/3xx outcomes and rarer client and server errors.
int ChooseStatus(const Transaction& t, Rng& rng) {
  const EndpointInfo& info = kEndpoints[t.endpoint];
  if (info.needs_auth && !t.request.with_auth) return 401;
  if (info.needs_auth && rng.Chance(0.01)) return 401;  // Expired token.
  if (t.endpoint != kHealth && rng.Chance(0.006)) return 500;
  const double draw = rng.Unit();
  switch (t.endpoint) {
    case kGetUser:
      if (!t.request.if_none_match.empty() && draw < 0.7) return 304;
      return draw < 0.92 ? 200 : 404;
    case kHeadUser:
    case kGetRelated:
      return draw < 0.9 ? 200 : 404;
    case kPutUser:
    case kPatchUser:
      if (draw < 0.82) return 200;
      return draw < 0.95 ? 400 : 404;
    case kListCustomers:
      return t.per_page > 100 ? 400 : 200;
    case kExportCustomers:
      return draw < 0.9 ? 200 : 403;
    case kGetOrder:
      return draw < 0.88 ? 200 : 404;
    case kCreateOrder:
      return draw < 0.86 ? 201 : 400;
    case kDeleteOrder:
      return draw < 0.85 ? 204 : 404;
    case kListProducts:
      if (!t.request.if_none_match.empty() && draw < 0.6) return 304;
      return 200;
    case kGetStock:
      return draw < 0.95 ? 200 : 404;
    case kCreateSession:
      if (draw < 0.78) return 201;
      return draw < 0.97 ? 401 : 400;
    case kDeleteSession:
    case kHealth:
      return t.endpoint == kHealth ? 200 : 204;
    case kLegacyUser:
      return 301;
    default:  // kAdminAudit
      return draw < 0.85 ? 403 : 200;
  }
}

void AppendList(std::string& out, int count, Rng& rng,
                void (*append_item)(std::string&, Rng&, int64_t), int64_t first_id) {
  out += "{\"data\":[";
  for (int i = 0; i < count; ++i) {
    if (i > 0) out += ',';
    append_item(out, rng, first_id + i);
  }
  out += ']';
}

void AppendProductItem(std::string& out, Rng& rng, int64_t) {
  AppendProductJson(out, rng, RandomCategory(rng));
}

void AppendRelatedItem(std::string& out, Rng& rng, int64_t) { AppendRelatedAccountJson(out, rng); }

void AppendAuditItem(std::string& out, Rng& rng, int64_t) { AppendAuditEntryJson(out, rng); }

void BuildSuccessBody(Transaction& t, Rng& rng) {
  std::string& body = t.response.body;
  switch (t.endpoint) {
    case kGetUser:
    case kHeadUser:
    case kPutUser:
    case kPatchUser:
      AppendUserJson(body, rng, t.resource_id);
      t.response.etag = EntityTag(rng);
      break;
    case kGetRelated:
      AppendList(body, static_cast<int>(rng.Between(0, 8)), rng, AppendRelatedItem, 0);
      body += '}';
      break;
    case kListCustomers: {
      const int64_t total = 1800 + rng.Between(0, 200);
      const int64_t first = static_cast<int64_t>(t.page - 1) * t.per_page + 1;
      const int count =
          first > total ? 0 : static_cast<int>(std::min<int64_t>(t.per_page, total - first + 1));
      AppendList(body, count, rng, AppendCustomerJson, first);
      body += ",\"page\":" + std::to_string(t.page) +
              ",\"per_page\":" + std::to_string(t.per_page) +
              ",\"total\":" + std::to_string(total) + '}';
      break;
    }
    case kExportCustomers:
      AppendList(body, static_cast<int>(rng.Between(700, 780)), rng, AppendCustomerJson, 1);
      body += '}';
      break;
    case kGetOrder:
      AppendOrderJson(body, rng, t.uuid, t.resource_id);
      break;
    case kCreateOrder:
      t.uuid = RandomUuid(rng);
      AppendOrderJson(body, rng, t.uuid, t.resource_id);
      t.response.location = "/api/v1/orders/" + t.uuid;
      break;
    case kListProducts:
      AppendList(body, t.per_page, rng, AppendProductItem, 0);
      body += ",\"page\":" + std::to_string(t.page) + '}';
      t.response.etag = EntityTag(rng);
      break;
    case kGetStock:
      AppendStockJson(body, rng, t.sku);
      break;
    case kCreateSession:
      AppendSessionJson(body, rng, t.resource_id);
      break;
    case kHealth:
      body = "{\"status\":\"ok\",\"version\":\"2.14.3\",\"uptime_s\":" +
             std::to_string(rng.Between(1000, 9000000)) + '}';
      break;
    case kAdminAudit:
      AppendList(body, 20, rng, AppendAuditItem, 0);
      body += '}';
      break;
    default:
      break;
  }
}

void BuildResponseBody(Transaction& t, Rng& rng) {
  ResponseParts& r = t.response;
  switch (r.status) {
    case 200:
    case 201:
      BuildSuccessBody(t, rng);
      break;
    case 204:
      break;
    case 304:
      r.etag = t.request.if_none_match;
      break;
    case 301:
      r.location = "https://" + t.request.host + "/api" + t.request.target;
      r.content_type = "text/html";
      r.body =
          "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n<center>"
          "<h1>301 Moved Permanently</h1></center>\r\n</body>\r\n</html>\r\n";
      break;
    case 400:
      AppendErrorJson(r.body, "validation_failed", "field 'email' must be a valid address");
      break;
    case 401:
      AppendErrorJson(r.body, "unauthorized", "missing or expired bearer token");
      break;
    case 403:
      AppendErrorJson(r.body, "forbidden", "role 'member' may not read this resource");
      break;
    case 404:
      AppendErrorJson(r.body, "not_found", t.request.target + " does not exist");
      break;
    default:
      AppendErrorJson(r.body, "internal", "upstream timeout, request id " + RandomUuid(rng));
      break;
  }
}

bool IsListEndpoint(EndpointKind endpoint) {
  return endpoint == kListCustomers || endpoint == kExportCustomers || endpoint == kListProducts ||
         endpoint == kGetRelated || endpoint == kAdminAudit;
}

// Splits the body into chunks (RFC 9112 section 7.1), one server write per chunk, the head going
// out with the first chunk and the last-chunk marker with the last one.
void WriteChunked(HttpExchange& exchange, const std::string& head, const std::string& body,
                  Rng& rng) {
  std::string write = head;
  size_t position = 0;
  while (position < body.size()) {
    const size_t size = std::min<size_t>(body.size() - position, rng.Between(512, 8192));
    char size_line[16];
    std::snprintf(size_line, sizeof(size_line), "%zx\r\n", size);
    write += size_line;
    write.append(body, position, size);
    write += "\r\n";
    position += size;
    if (position < body.size()) {
      exchange.response_writes.push_back(std::move(write));
      write.clear();
    }
  }
  write += "0\r\n\r\n";
  exchange.response_writes.push_back(std::move(write));
  exchange.write_gap_ns = rng.Between(30000, 2000000);
}

}  // namespace

HttpExchange MakeExchange(const ExchangeContext& context, Rng& rng) {
  const Client& client = *context.client;
  const Server& server = *context.server;
  Transaction t;
  t.endpoint = ChooseEndpoint(client, server, rng);
  t.request.host = HostValue(context);
  t.request.http10 = context.http10;
  BuildRequest(t, rng, client);

  HttpExchange exchange;
  exchange.method = t.request.method;
  exchange.request = BuildRequestText(client, t.request);

  ResponseParts& r = t.response;
  r.status = ChooseStatus(t, rng);
  exchange.status = r.status;
  BuildResponseBody(t, rng);
  const double latency_median = server.latency_median_ms * kEndpoints[t.endpoint].latency_factor;
  exchange.server_latency_ms = rng.LogNormal(latency_median, 0.7);
  r.upstream_ms = exchange.server_latency_ms;
  r.unix_seconds = context.timestamp_ns / kNanosPerSecond;
  r.head_request = t.endpoint == kHeadUser;
  r.connection_close = context.server_closes;
  const bool has_body = !r.body.empty() && !r.head_request;
  r.chunked =
      server.chunked_lists && r.status == 200 && IsListEndpoint(t.endpoint) && !context.http10;
  r.body_until_close = context.http10 && has_body && rng.Chance(0.4);
  r.http10_status_line = r.body_until_close;
  exchange.chunked = r.chunked;
  exchange.body_until_close = r.body_until_close;

  const std::string head = BuildResponseHead(server, r);
  if (r.chunked) {
    WriteChunked(exchange, head, r.body, rng);
  } else {
    exchange.response_writes.push_back(has_body ? head + r.body : head);
  }
  return exchange;
}

}  // namespace sluice::gen
