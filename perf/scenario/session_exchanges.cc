#include "perf/scenario/session_exchanges.h"

#include "perf/gen/http_text.h"
#include "perf/gen/json_bodies.h"
#include "perf/scenario/bodies.h"

namespace sluice::scenario {
namespace {

constexpr int64_t kNanosPerSecond = 1000000000;

void AppendErrorBody(std::string& out, int status, const std::string& target) {
  switch (status) {
    case 400:
      gen::AppendErrorJson(out, "validation_failed", "request body is invalid");
      break;
    case 401:
      gen::AppendErrorJson(out, "unauthorized", "invalid credentials");
      break;
    case 403:
      gen::AppendErrorJson(out, "forbidden", "access to this resource is denied");
      break;
    case 404:
      gen::AppendErrorJson(out, "not_found", target + " does not exist");
      break;
    default:
      gen::AppendErrorJson(out, "internal", "upstream failed");
      break;
  }
}

void BuildBody(const CallSpec& call, gen::Rng& rng, gen::ResponseParts& response) {
  std::string& body = response.body;
  switch (call.body) {
    case BodyKind::kNone:
      break;
    case BodyKind::kObject:
      AppendPersonJson(body, rng, rng.Between(1000, 999999), false);
      break;
    case BodyKind::kChildren:
      AppendChildrenJson(body, rng, rng.Between(1000, 999999));
      break;
    case BodyKind::kPeople:
      AppendPeoplePage(body, rng, call.items, call.first_item_id, false, "");
      break;
    case BodyKind::kCardholders:
      AppendPeoplePage(body, rng, call.items, call.first_item_id, true, "");
      break;
    case BodyKind::kCursorPage:
      AppendPeoplePage(body, rng, call.items, call.first_item_id, false, call.next_cursor);
      break;
    case BodyKind::kCreated: {
      const std::string uuid = gen::RandomUuid(rng);
      body = "{\"id\":\"" + uuid + "\",\"state\":\"created\"}";
      response.location = call.target + "/" + uuid;
      break;
    }
    case BodyKind::kSession:
      gen::AppendSessionJson(body, rng, rng.Between(1, 90000));
      break;
    case BodyKind::kHealth:
      body = "{\"status\":\"ok\"}";
      break;
    case BodyKind::kHistory:
      AppendHistoryJson(body, rng, rng.Between(1000, 999999), call.items);
      break;
    case BodyKind::kError:
      AppendErrorBody(body, call.status, call.target);
      break;
  }
}

}  // namespace

void SessionExchanges::Count(const CallSpec& call, int64_t timestamp_ns) {
  if (tally_->first_call_ns < 0) tally_->first_call_ns = timestamp_ns;
  tally_->last_call_ns = timestamp_ns;
  if (call.attack) {
    if (tally_->first_attack_index < 0) {
      tally_->first_attack_index = static_cast<int64_t>(tally_->calls);
      tally_->first_attack_ns = timestamp_ns;
    }
    ++tally_->attack_calls;
  }
  ++tally_->calls;
  ++tally_->calls_by_endpoint[call.endpoint];
  ++tally_->statuses[call.status];
}

gen::HttpExchange SessionExchanges::MakeCall(const gen::ExchangeContext& context, int index,
                                             gen::Rng& rng) {
  const CallSpec& call = session_.calls[static_cast<size_t>(index)];
  Count(call, context.timestamp_ns);

  gen::RequestParts request;
  request.method = call.method;
  request.target = call.target;
  request.host = context.server->host_header;
  request.body = call.request_body;
  request.with_auth = call.with_auth;

  gen::ResponseParts response;
  response.status = call.status;
  BuildBody(call, rng, response);
  response.connection_close = context.server_closes;
  response.unix_seconds = context.timestamp_ns / kNanosPerSecond;

  gen::HttpExchange exchange;
  exchange.method = call.method;
  exchange.status = call.status;
  exchange.request = gen::BuildRequestText(*context.client, request);
  // Larger pages take longer to assemble: about 1 ms per 20 records on top of the median.
  const double latency_median = context.server->latency_median_ms + call.items / 20.0;
  exchange.server_latency_ms = rng.LogNormal(latency_median, 0.6);
  response.upstream_ms = exchange.server_latency_ms;
  exchange.response_writes.push_back(gen::BuildResponseHead(*context.server, response) +
                                     response.body);
  return exchange;
}

}  // namespace sluice::scenario
