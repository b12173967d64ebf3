#include "control/sinks/ecs_json.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>

#include "control/sinks/community_id.h"
#include "control/sinks/rfc3339.h"
#include "control/sinks/utf8.h"

namespace sluice::control {
namespace {

using StringVector = flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>;
using RuleVector = flatbuffers::Vector<flatbuffers::Offset<wire::RuleMatch>>;
using PiiVector = flatbuffers::Vector<flatbuffers::Offset<wire::PiiCount>>;

std::string_view View(const flatbuffers::String* text) {
  return text == nullptr ? std::string_view() : text->string_view();
}

bool IsKnownIpVersion(wire::IpVersion version) {
  return version == wire::IpVersion::V4 || version == wire::IpVersion::V6;
}

size_t IpLength(wire::IpVersion version) { return version == wire::IpVersion::V4 ? 4 : 16; }

// Validates the fields that every record type needs before anything is written.
FormatResult CheckAddressing(wire::IpVersion version, const wire::Endpoint* client,
                             const wire::Endpoint* server) {
  if (!IsKnownIpVersion(version)) return FormatResult::kBadIpVersion;
  if (client == nullptr || server == nullptr) return FormatResult::kMissingEndpoint;
  return FormatResult::kOk;
}

bool IsKnownPiiType(std::string_view type) {
  for (const char* known : kPiiTypes) {
    if (type == known) return true;
  }
  return false;
}

// Returns whether `entry` is written under `key`. kOtherPiiType collects every type outside
// kPiiTypes, an absent type included.
bool PiiEntryMatches(const wire::PiiCount& entry, const char* key) {
  const std::string_view type = View(entry.type());
  if (std::strcmp(key, kOtherPiiType) == 0) return !IsKnownPiiType(type);
  return type == key;
}

// Returns `end - start`, or false when the data plane sent an end before the start.
bool Duration(uint64_t start_ns, uint64_t end_ns, uint64_t& duration_ns) {
  if (end_ns < start_ns) return false;
  duration_ns = end_ns - start_ns;
  return true;
}

}  // namespace

const char* FlowEndName(wire::FlowEnd end) {
  switch (end) {
    case wire::FlowEnd::Open: return "open";
    case wire::FlowEnd::Fin: return "fin";
    case wire::FlowEnd::Rst: return "rst";
    case wire::FlowEnd::IdleTimeout: return "idle_timeout";
    case wire::FlowEnd::Evicted: return "evicted";
    case wire::FlowEnd::HalfFin: return "half_fin";
    case wire::FlowEnd::Blocked: return "blocked";
  }
  return "unknown";
}

const char* VerdictName(wire::Verdict verdict) {
  switch (verdict) {
    case wire::Verdict::Pass: return "pass";
    case wire::Verdict::Tag: return "tag";
    case wire::Verdict::Block: return "block";
    case wire::Verdict::WouldBlock: return "would_block";
  }
  return "unknown";
}

EcsFormatter::EcsFormatter() : writer_(buffer_) {}

FormatResult EcsFormatter::Format(const wire::Record& record, const BatchContext& batch) {
  buffer_.Clear();
  writer_.Reset(buffer_);

  FormatResult result = FormatResult::kOk;
  switch (record.body_type()) {
    case wire::RecordBody::NONE:
      return FormatResult::kNoBody;
    case wire::RecordBody::Transaction: {
      const wire::Transaction& transaction = *record.body_as_Transaction();
      result = CheckAddressing(transaction.ip_version(), transaction.client(),
                               transaction.server());
      if (result == FormatResult::kOk) FormatTransaction(transaction, batch);
      break;
    }
    case wire::RecordBody::FlowSummary: {
      const wire::FlowSummary& flow = *record.body_as_FlowSummary();
      result = CheckAddressing(flow.ip_version(), flow.client(), flow.server());
      if (result == FormatResult::kOk) FormatFlow(flow, batch);
      break;
    }
    default:
      return FormatResult::kUnknownBody;
  }
  if (result != FormatResult::kOk) {
    buffer_.Clear();
    return result;
  }
  buffer_.Put('\n');
  return FormatResult::kOk;
}

void EcsFormatter::FormatTransaction(const wire::Transaction& transaction,
                                     const BatchContext& batch) {
  writer_.StartObject();
  WriteTimestamp("@timestamp", transaction.request_ts_ns());
  WriteTransactionEvent(transaction);

  Key("source");
  WriteEndpoint(transaction.ip_version(), *transaction.client());
  writer_.EndObject();
  Key("destination");
  WriteEndpoint(transaction.ip_version(), *transaction.server());
  writer_.EndObject();

  Key("network");
  writer_.StartObject();
  WriteCommunityId(transaction.ip_version(), *transaction.client(), *transaction.server());
  writer_.EndObject();

  WriteHttp(transaction);
  WriteUrl(transaction);
  if (!View(transaction.user_agent()).empty()) {
    Key("user_agent");
    writer_.StartObject();
    OptionalString("original", transaction.user_agent());
    writer_.EndObject();
  }

  Key("sluice");
  writer_.StartObject();
  Key("record_type");
  Literal("transaction");
  WriteSluiceBatch(transaction.flow_id(), batch);
  Key("transaction");
  writer_.Uint(transaction.index());
  if (!transaction.has_response()) {
    Key("response_missing");
    writer_.Bool(true);
  }
  WriteAnomalies(transaction.anomalies());
  WriteInspection(transaction);
  writer_.EndObject();

  writer_.EndObject();
}

void EcsFormatter::FormatFlow(const wire::FlowSummary& flow, const BatchContext& batch) {
  writer_.StartObject();
  WriteTimestamp("@timestamp", flow.first_ts_ns());
  WriteFlowEvent(flow);

  Key("source");
  WriteEndpoint(flow.ip_version(), *flow.client());
  Key("packets");
  writer_.Uint64(flow.packets_to_server());
  Key("bytes");
  writer_.Uint64(flow.bytes_to_server());
  writer_.EndObject();

  Key("destination");
  WriteEndpoint(flow.ip_version(), *flow.server());
  Key("packets");
  writer_.Uint64(flow.packets_to_client());
  Key("bytes");
  writer_.Uint64(flow.bytes_to_client());
  writer_.EndObject();

  // NOTE: a sum above 2^64 wraps; no real flow reaches it, and a hostile one only corrupts its own
  // record.
  Key("network");
  writer_.StartObject();
  WriteCommunityId(flow.ip_version(), *flow.client(), *flow.server());
  Key("packets");
  writer_.Uint64(flow.packets_to_server() + flow.packets_to_client());
  Key("bytes");
  writer_.Uint64(flow.bytes_to_server() + flow.bytes_to_client());
  writer_.EndObject();

  Key("sluice");
  writer_.StartObject();
  Key("record_type");
  Literal("flow");
  WriteSluiceBatch(flow.flow_id(), batch);
  Key("flow");
  writer_.StartObject();
  Key("end");
  Literal(FlowEndName(flow.end()));
  Key("http");
  writer_.Bool(flow.http());
  Key("transactions");
  writer_.Uint(flow.transactions());
  writer_.EndObject();
  WriteAnomalies(flow.anomalies());
  writer_.EndObject();

  writer_.EndObject();
}

void EcsFormatter::WriteTransactionEvent(const wire::Transaction& transaction) {
  Key("event");
  writer_.StartObject();
  Key("kind");
  Literal("event");
  Key("category");
  writer_.StartArray();
  Literal("network");
  Literal("web");
  writer_.EndArray();
  Key("type");
  writer_.StartArray();
  Literal("access");
  writer_.EndArray();
  Key("dataset");
  Literal("sluice.transaction");
  uint64_t duration_ns = 0;
  if (transaction.has_response() &&
      Duration(transaction.request_ts_ns(), transaction.response_end_ts_ns(), duration_ns)) {
    Key("duration");
    writer_.Uint64(duration_ns);
  }
  writer_.EndObject();
}

void EcsFormatter::WriteFlowEvent(const wire::FlowSummary& flow) {
  Key("event");
  writer_.StartObject();
  Key("kind");
  Literal("event");
  Key("category");
  writer_.StartArray();
  Literal("network");
  writer_.EndArray();
  Key("type");
  writer_.StartArray();
  Literal("connection");
  Literal("end");
  writer_.EndArray();
  Key("dataset");
  Literal("sluice.flow");
  WriteTimestamp("start", flow.first_ts_ns());
  WriteTimestamp("end", flow.last_ts_ns());
  uint64_t duration_ns = 0;
  if (Duration(flow.first_ts_ns(), flow.last_ts_ns(), duration_ns)) {
    Key("duration");
    writer_.Uint64(duration_ns);
  }
  writer_.EndObject();
}

// Opens an object with `ip` and `port`; the caller may add fields and must close it.
void EcsFormatter::WriteEndpoint(wire::IpVersion version, const wire::Endpoint& endpoint) {
  char text[INET6_ADDRSTRLEN] = {};
  const int family = version == wire::IpVersion::V4 ? AF_INET : AF_INET6;
  // inet_ntop cannot fail here: the family is valid and the buffer fits any IPv6 address.
  inet_ntop(family, endpoint.ip()->Data(), text, sizeof(text));

  writer_.StartObject();
  Key("ip");
  writer_.String(text, static_cast<rapidjson::SizeType>(std::strlen(text)));
  Key("port");
  writer_.Uint(endpoint.port());
}

// Writes transport, type and community_id into the open `network` object.
void EcsFormatter::WriteCommunityId(wire::IpVersion version, const wire::Endpoint& client,
                                    const wire::Endpoint& server) {
  Key("transport");
  Literal("tcp");
  Key("type");
  Literal(version == wire::IpVersion::V4 ? "ipv4" : "ipv6");

  char community_id[kCommunityIdSize];
  const std::string_view id =
      CommunityIdV1(IpLength(version), {client.ip()->Data(), client.port()},
                    {server.ip()->Data(), server.port()}, kIpProtoTcp, 0, community_id);
  if (!id.empty()) {
    Key("community_id");
    writer_.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
  }
}

void EcsFormatter::WriteHttp(const wire::Transaction& transaction) {
  Key("http");
  writer_.StartObject();
  OptionalString("version", transaction.http_version());

  Key("request");
  writer_.StartObject();
  OptionalString("method", transaction.method());
  Key("body");
  writer_.StartObject();
  Key("bytes");
  writer_.Uint64(transaction.request_body_bytes());
  writer_.EndObject();
  OptionalString("mime_type", transaction.request_mime_type());
  writer_.EndObject();

  if (transaction.has_response()) {
    Key("response");
    writer_.StartObject();
    Key("status_code");
    writer_.Uint(transaction.status_code());
    Key("body");
    writer_.StartObject();
    Key("bytes");
    writer_.Uint64(transaction.response_body_bytes());
    writer_.EndObject();
    OptionalString("mime_type", transaction.response_mime_type());
    writer_.EndObject();
  }
  writer_.EndObject();
}

void EcsFormatter::WriteUrl(const wire::Transaction& transaction) {
  const bool has_url = !View(transaction.url_original()).empty() ||
                       !View(transaction.url_path()).empty() ||
                       !View(transaction.url_query()).empty() ||
                       !View(transaction.host()).empty() || transaction.host_port() != 0;
  if (!has_url) return;

  Key("url");
  writer_.StartObject();
  OptionalString("original", transaction.url_original());
  OptionalString("path", transaction.url_path());
  OptionalString("query", transaction.url_query());
  OptionalString("domain", transaction.host());
  if (transaction.host_port() != 0) {
    Key("port");
    writer_.Uint(transaction.host_port());
  }
  writer_.EndObject();
}

// Writes the `sluice.*` fields shared by every record type into the open `sluice` object.
void EcsFormatter::WriteSluiceBatch(uint64_t flow_id, const BatchContext& batch) {
  Key("flow_id");
  writer_.Uint64(flow_id);
  Key("dataplane");
  UntrustedString(batch.dataplane_id);
  Key("worker");
  writer_.Uint(batch.worker_id);

  char run_id[17];
  std::snprintf(run_id, sizeof(run_id), "%016llx", static_cast<unsigned long long>(batch.run_id));
  Key("run_id");
  writer_.String(run_id, 16);

  Key("batch");
  writer_.StartObject();
  Key("sequence");
  writer_.Uint64(batch.sequence);
  writer_.EndObject();
}

void EcsFormatter::WriteAnomalies(const StringVector* list) {
  if (list == nullptr || list->size() == 0) return;
  Key("anomalies");
  writer_.StartArray();
  for (const flatbuffers::String* anomaly : *list) UntrustedString(View(anomaly));
  writer_.EndArray();
}

// Writes verdict, rules, pii and block into the open `sluice` object. A record from a data plane
// older than these fields reads them as defaults: verdict pass, and no rules, PII or block.
void EcsFormatter::WriteInspection(const wire::Transaction& transaction) {
  Key("verdict");
  Literal(VerdictName(transaction.verdict()));
  WriteRules(transaction.rules());
  WritePii(transaction.pii_request(), transaction.pii_response());
  WriteBlock(transaction.block());
}

void EcsFormatter::WriteRules(const RuleVector* rules) {
  if (rules == nullptr || rules->size() == 0) return;
  Key("rules");
  writer_.StartArray();
  for (const wire::RuleMatch* rule : *rules) {
    writer_.StartObject();
    Key("id");
    writer_.Uint(rule->id());
    OptionalString("msg", rule->msg());
    OptionalString("field", rule->field());
    OptionalString("action", rule->action());
    OptionalString("severity", rule->severity());
    writer_.EndObject();
  }
  writer_.EndArray();
}

void EcsFormatter::WritePii(const PiiVector* request, const PiiVector* response) {
  const bool has_request = request != nullptr && request->size() != 0;
  const bool has_response = response != nullptr && response->size() != 0;
  if (!has_request && !has_response) return;
  Key("pii");
  writer_.StartObject();
  WritePiiDirection("request", request);
  WritePiiDirection("response", response);
  writer_.EndObject();
}

void EcsFormatter::WritePiiDirection(const char* direction, const PiiVector* list) {
  if (list == nullptr || list->size() == 0) return;
  Key(direction);
  writer_.StartObject();
  for (const char* type : kPiiTypes) WritePiiType(type, *list);
  WritePiiType(kOtherPiiType, *list);
  writer_.EndObject();
}

// Writes the entries of `list` that belong under `key` as one object, so a type listed twice
// still gives one JSON key: counts are summed and fingerprints joined in wire order. Scanning the
// list once per key (11 keys) keeps the cost linear in its length and needs no allocation.
void EcsFormatter::WritePiiType(const char* key, const PiiVector& list) {
  uint64_t count = 0;
  bool found = false;
  for (const wire::PiiCount* entry : list) {
    if (!PiiEntryMatches(*entry, key)) continue;
    found = true;
    count += entry->count();  // fewer than 2^32 entries fit in 2 GiB, so the sum fits
  }
  if (!found) return;

  Key(key);
  writer_.StartObject();
  Key("count");
  writer_.Uint64(count);
  Key("fingerprints");
  writer_.StartArray();
  for (const wire::PiiCount* entry : list) {
    if (!PiiEntryMatches(*entry, key) || entry->fingerprints() == nullptr) continue;
    for (const flatbuffers::String* fingerprint : *entry->fingerprints()) {
      UntrustedString(View(fingerprint));
    }
  }
  writer_.EndArray();
  if (std::strcmp(key, kOtherPiiType) == 0) {
    // The type names go into a value, never a key, and may repeat.
    Key("types");
    writer_.StartArray();
    for (const wire::PiiCount* entry : list) {
      if (PiiEntryMatches(*entry, key)) UntrustedString(View(entry->type()));
    }
    writer_.EndArray();
  }
  writer_.EndObject();
}

void EcsFormatter::WriteBlock(const wire::BlockInfo* block) {
  if (block == nullptr) return;
  Key("block");
  writer_.StartObject();
  Key("packet");
  writer_.Uint64(block->packet());
  OptionalString("direction", block->direction());
  Key("bytes_passed");
  writer_.Uint64(block->bytes_passed());
  OptionalString("reason", block->reason());
  Key("reset");
  writer_.Bool(block->reset());
  writer_.EndObject();
}

void EcsFormatter::WriteTimestamp(const char* key, uint64_t unix_ns) {
  char text[kRfc3339NanosSize];
  const std::string_view formatted = FormatRfc3339Nanos(unix_ns, text);
  Key(key);
  writer_.String(formatted.data(), static_cast<rapidjson::SizeType>(formatted.size()));
}

void EcsFormatter::Key(const char* literal) {
  writer_.Key(literal, static_cast<rapidjson::SizeType>(std::strlen(literal)));
}

void EcsFormatter::Literal(const char* literal) {
  writer_.String(literal, static_cast<rapidjson::SizeType>(std::strlen(literal)));
}

void EcsFormatter::UntrustedString(std::string_view text) {
  const std::string_view repaired = RepairUtf8(text, utf8_scratch_);
  writer_.String(repaired.data(), static_cast<rapidjson::SizeType>(repaired.size()));
}

void EcsFormatter::OptionalString(const char* key, const flatbuffers::String* text) {
  const std::string_view view = View(text);
  if (view.empty()) return;
  Key(key);
  UntrustedString(view);
}

}  // namespace sluice::control
