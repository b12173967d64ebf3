#include "control/sinks/ecs_json.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>

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

// Lower-case letters, digits and '_', 1 to 32 of them.
bool IsEvidenceKey(std::string_view key) {
  if (key.empty() || key.size() > 32) return false;
  for (const char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
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
// kPiiTypes, an absent type included. `key_is_other` is true when `key` is kOtherPiiType.
bool PiiEntryMatches(const wire::PiiCount& entry, std::string_view key, bool key_is_other) {
  const std::string_view type = View(entry.type());
  if (key_is_other) return !IsKnownPiiType(type);
  return type == key;
}

// Returns `end - start`, or false when the data plane sent an end before the start.
bool Duration(uint64_t start_ns, uint64_t end_ns, uint64_t& duration_ns) {
  if (end_ns < start_ns) return false;
  duration_ns = end_ns - start_ns;
  return true;
}

// The run id is written as 16 lower-case hex digits with leading zeros.
constexpr size_t kRunIdDigits = 16;

std::string_view FormatRunId(uint64_t run_id, char (&out)[kRunIdDigits]) {
  constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = kRunIdDigits; i-- > 0;) {
    out[i] = kDigits[run_id & 0xF];
    run_id >>= 4;
  }
  return std::string_view(out, kRunIdDigits);
}

// Writes `value` (0..255) in decimal without leading zeros and returns the end.
char* PutOctet(char* out, unsigned value) {
  if (value >= 100) *out++ = static_cast<char>('0' + value / 100);
  if (value >= 10) *out++ = static_cast<char>('0' + value / 10 % 10);
  *out++ = static_cast<char>('0' + value % 10);
  return out;
}

// Formats an address in the text form of inet_ntop: dotted decimal for IPv4, RFC 5952 for IPv6.
// IPv4 is written here because glibc's inet_ntop formats it with sprintf, a measurable cost per
// record.
std::string_view FormatIp(wire::IpVersion version, const uint8_t* ip,
                          char (&out)[INET6_ADDRSTRLEN]) {
  if (version == wire::IpVersion::V4) {
    char* end = out;
    for (int i = 0; i < 4; ++i) {
      if (i != 0) *end++ = '.';
      end = PutOctet(end, ip[i]);
    }
    return std::string_view(out, static_cast<size_t>(end - out));
  }
  // inet_ntop cannot fail here: the family is valid and the buffer fits any IPv6 address.
  inet_ntop(AF_INET6, ip, out, sizeof(out));
  return std::string_view(out);
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

void EcsFormatter::BeginBatch(const BatchContext& batch) {
  json_.Clear();

  batch_members_.Clear();
  batch_members_.Key("dataplane");
  UntrustedString(batch_members_, batch.dataplane_id);
  batch_members_.Key("worker");
  batch_members_.Uint(batch.worker_id);
  char run_id[kRunIdDigits];
  batch_members_.Key("run_id");
  batch_members_.PlainString(FormatRunId(batch.run_id, run_id));
  batch_members_.Key("batch");
  batch_members_.StartObject();
  batch_members_.Key("sequence");
  batch_members_.Uint(batch.sequence);
  batch_members_.EndObject();
}

FormatResult EcsFormatter::Format(const wire::Record& record, const BatchContext& batch) {
  BeginBatch(batch);
  return Append(record);
}

FormatResult EcsFormatter::Append(const wire::Record& record) {
  const size_t line_start = json_.size();
  FormatResult result = FormatResult::kOk;
  switch (record.body_type()) {
    case wire::RecordBody::NONE:
      return FormatResult::kNoBody;
    case wire::RecordBody::Transaction: {
      const wire::Transaction& transaction = *record.body_as_Transaction();
      result = CheckAddressing(transaction.ip_version(), transaction.client(),
                               transaction.server());
      if (result == FormatResult::kOk) FormatTransaction(transaction);
      break;
    }
    case wire::RecordBody::FlowSummary: {
      const wire::FlowSummary& flow = *record.body_as_FlowSummary();
      result = CheckAddressing(flow.ip_version(), flow.client(), flow.server());
      if (result == FormatResult::kOk) FormatFlow(flow);
      break;
    }
    case wire::RecordBody::Gap:
      FormatGap(*record.body_as_Gap());
      break;
    case wire::RecordBody::Finding: {
      const wire::Finding& finding = *record.body_as_Finding();
      if (finding.client() == nullptr) return FormatResult::kMissingEndpoint;
      if (!IsKnownIpVersion(finding.ip_version())) return FormatResult::kBadIpVersion;
      FormatFinding(finding);
      break;
    }
    case wire::RecordBody::Inventory: {
      FormatInventory(*record.body_as_Inventory());
      break;
    }
    default:
      return FormatResult::kUnknownBody;
  }
  if (result != FormatResult::kOk) {
    json_.Truncate(line_start);
    return result;
  }
  json_.Newline();
  return FormatResult::kOk;
}

void EcsFormatter::FormatTransaction(const wire::Transaction& transaction) {
  json_.StartObject();
  WriteTimestamp("@timestamp", transaction.request_ts_ns());
  WriteTransactionEvent(transaction);

  json_.Key("source");
  WriteEndpoint(transaction.ip_version(), *transaction.client());
  json_.EndObject();
  json_.Key("destination");
  WriteEndpoint(transaction.ip_version(), *transaction.server());
  json_.EndObject();

  json_.Key("network");
  json_.StartObject();
  WriteCommunityId(transaction.ip_version(), *transaction.client(), *transaction.server());
  json_.EndObject();

  WriteHttp(transaction);
  WriteUrl(transaction);
  if (!View(transaction.user_agent()).empty()) {
    json_.Key("user_agent");
    json_.StartObject();
    OptionalString("original", transaction.user_agent());
    json_.EndObject();
  }

  json_.Key("sluice");
  json_.StartObject();
  json_.Key("record_type");
  json_.PlainString("transaction");
  WriteSluiceBatch(transaction.flow_id());
  json_.Key("transaction");
  json_.Uint(transaction.index());
  if (!transaction.has_response()) {
    json_.Key("response_missing");
    json_.Bool(true);
  }
  WriteAnomalies(transaction.anomalies());
  WriteInspection(transaction);
  WriteTransactionDetection(transaction);
  json_.EndObject();

  json_.EndObject();
}

// `sluice.endpoint`, `sluice.client` and `sluice.findings` of a transaction, when the data plane
// ran detectors.
void EcsFormatter::WriteTransactionDetection(const wire::Transaction& transaction) {
  OptionalString("endpoint", transaction.endpoint());
  WriteClient(transaction.client_kind(), transaction.client_id());
  const flatbuffers::Vector<uint64_t>* findings = transaction.findings();
  if (findings == nullptr || findings->size() == 0) return;
  // Finding ids use all 64 bits; strings keep them exact in SIEMs that read numbers as doubles.
  json_.Key("findings");
  json_.StartArray();
  for (const uint64_t id : *findings) {
    char text[24];
    const auto end = std::to_chars(text, text + sizeof(text), id).ptr;
    json_.PlainString(std::string_view(text, static_cast<size_t>(end - text)));
  }
  json_.EndArray();
}

void EcsFormatter::WriteClient(const flatbuffers::String* kind, const flatbuffers::String* id) {
  if (View(kind).empty() && View(id).empty()) return;
  json_.Key("client");
  json_.StartObject();
  OptionalString("kind", kind);
  OptionalString("id", id);
  json_.EndObject();
}

void EcsFormatter::FormatFinding(const wire::Finding& finding) {
  json_.StartObject();
  WriteTimestamp("@timestamp", finding.last_ts_ns());
  WriteFindingEvent(finding);

  char text[INET6_ADDRSTRLEN];
  json_.Key("source");
  json_.StartObject();
  json_.Key("ip");
  json_.PlainString(FormatIp(finding.ip_version(), finding.client()->ip()->Data(), text));
  json_.EndObject();

  if (!View(finding.method()).empty()) {
    json_.Key("http");
    json_.StartObject();
    json_.Key("request");
    json_.StartObject();
    OptionalString("method", finding.method());
    json_.EndObject();
    json_.EndObject();
  }
  if (!View(finding.host()).empty()) {
    json_.Key("url");
    json_.StartObject();
    OptionalString("domain", finding.host());
    json_.EndObject();
  }

  json_.Key("sluice");
  json_.StartObject();
  json_.Key("record_type");
  json_.PlainString("finding");
  json_.Raw(batch_members_.view());
  WriteFindingDetails(finding);
  WriteClient(finding.client_kind(), finding.client_id());
  json_.Key("verdict");
  json_.PlainString(VerdictName(finding.verdict()));
  json_.EndObject();

  json_.EndObject();
}

void EcsFormatter::WriteFindingEvent(const wire::Finding& finding) {
  json_.Key("event");
  json_.StartObject();
  json_.Key("kind");
  json_.PlainString("alert");
  json_.Key("category");
  json_.StartArray();
  json_.PlainString("web");
  json_.PlainString("intrusion_detection");
  json_.EndArray();
  json_.Key("type");
  json_.StartArray();
  json_.PlainString("info");
  json_.EndArray();
  json_.Key("dataset");
  json_.PlainString("sluice.finding");
  OptionalString("action", finding.detector());
  WriteTimestamp("start", finding.first_ts_ns());
  WriteTimestamp("end", finding.last_ts_ns());
  json_.EndObject();
}

void EcsFormatter::WriteFindingDetails(const wire::Finding& finding) {
  json_.Key("finding");
  json_.StartObject();
  char id[24];
  const auto end = std::to_chars(id, id + sizeof(id), finding.finding_id()).ptr;
  json_.Key("id");
  json_.PlainString(std::string_view(id, static_cast<size_t>(end - id)));
  json_.Key("detector");
  UntrustedString(View(finding.detector()));
  json_.Key("endpoint");
  UntrustedString(View(finding.endpoint()));
  OptionalString("host", finding.host());
  OptionalString("method", finding.method());
  WriteTimestamp("first_ts", finding.first_ts_ns());
  WriteTimestamp("last_ts", finding.last_ts_ns());
  json_.Key("calls");
  json_.Uint(finding.calls());
  WriteEvidence(finding.evidence());
  if (finding.sample_ids() != nullptr && finding.sample_ids()->size() > 0) {
    json_.Key("sample_ids");
    json_.StartArray();
    for (const flatbuffers::String* sample : *finding.sample_ids()) UntrustedString(View(sample));
    json_.EndArray();
  }
  if (finding.records() != nullptr && finding.records()->size() > 0) {
    json_.Key("records");
    json_.StartArray();
    for (const wire::RecordRef* ref : *finding.records()) {
      json_.StartObject();
      json_.Key("flow_id");
      json_.Uint(ref->flow_id());
      json_.Key("transaction");
      json_.Uint(ref->index());
      json_.EndObject();
    }
    json_.EndArray();
  }
  OptionalString("action", finding.action());
  json_.EndObject();
}

// Evidence keys become JSON keys, so only short snake_case names from the wire are written. A
// newer or hostile data plane therefore cannot add fields of another shape.
void EcsFormatter::WriteEvidence(const flatbuffers::Vector<flatbuffers::Offset<wire::Evidence>>* evidence) {
  if (evidence == nullptr || evidence->size() == 0) return;
  json_.Key("evidence");
  json_.StartObject();
  for (size_t i = 0; i < evidence->size(); ++i) {
    const wire::Evidence* item = evidence->Get(static_cast<flatbuffers::uoffset_t>(i));
    const std::string_view key = View(item->key());
    if (!IsEvidenceKey(key)) continue;
    bool repeated = false;  // a key seen earlier in the list: the first value wins
    for (size_t j = 0; j < i && !repeated; ++j) {
      repeated = View(evidence->Get(static_cast<flatbuffers::uoffset_t>(j))->key()) == key;
    }
    if (repeated) continue;
    json_.Key(key);
    json_.Double(item->value());
  }
  json_.EndObject();
}

void EcsFormatter::FormatInventory(const wire::Inventory& inventory) {
  json_.StartObject();
  WriteTimestamp("@timestamp", inventory.window_end_ns());
  json_.Key("event");
  json_.StartObject();
  json_.Key("kind");
  json_.PlainString("state");
  json_.Key("category");
  json_.StartArray();
  json_.PlainString("web");
  json_.EndArray();
  json_.Key("type");
  json_.StartArray();
  json_.PlainString("info");
  json_.EndArray();
  json_.Key("dataset");
  json_.PlainString("sluice.inventory");
  WriteTimestamp("start", inventory.window_start_ns());
  WriteTimestamp("end", inventory.window_end_ns());
  json_.EndObject();

  json_.Key("sluice");
  json_.StartObject();
  json_.Key("record_type");
  json_.PlainString("inventory");
  json_.Raw(batch_members_.view());
  json_.Key("inventory");
  json_.StartArray();
  if (inventory.entries() != nullptr) {
    for (const wire::InventoryEntry* entry : *inventory.entries()) WriteInventoryEntry(*entry);
  }
  json_.EndArray();
  json_.EndObject();

  json_.EndObject();
}

void EcsFormatter::WriteInventoryEntry(const wire::InventoryEntry& entry) {
  static constexpr const char* kClasses[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
  json_.StartObject();
  json_.Key("host");
  UntrustedString(View(entry.host()));
  json_.Key("method");
  UntrustedString(View(entry.method()));
  json_.Key("endpoint");
  UntrustedString(View(entry.endpoint()));
  json_.Key("calls");
  json_.Uint(entry.calls());
  json_.Key("status");
  json_.StartObject();
  const auto* classes = entry.status_classes();
  for (size_t i = 0; i < 6; ++i) {
    json_.Key(kClasses[i]);
    json_.Uint(classes != nullptr && i < classes->size() ? classes->Get(static_cast<flatbuffers::uoffset_t>(i)) : 0);
  }
  json_.EndObject();
  json_.Key("response_bytes");
  json_.StartObject();
  json_.Key("sum");
  json_.Uint(entry.response_bytes());
  json_.Key("p50");
  json_.Uint(entry.response_bytes_p50());
  json_.Key("p90");
  json_.Uint(entry.response_bytes_p90());
  json_.Key("p99");
  json_.Uint(entry.response_bytes_p99());
  json_.EndObject();
  json_.Key("distinct_clients");
  json_.Uint(entry.distinct_clients());
  WriteTimestamp("first_seen", entry.first_ts_ns());
  WriteTimestamp("last_seen", entry.last_ts_ns());
  json_.Key("baseline_learned");
  json_.Bool(entry.baseline_learned());
  json_.EndObject();
}

void EcsFormatter::FormatFlow(const wire::FlowSummary& flow) {
  json_.StartObject();
  WriteTimestamp("@timestamp", flow.first_ts_ns());
  WriteFlowEvent(flow);

  json_.Key("source");
  WriteEndpoint(flow.ip_version(), *flow.client());
  json_.Key("packets");
  json_.Uint(flow.packets_to_server());
  json_.Key("bytes");
  json_.Uint(flow.bytes_to_server());
  json_.EndObject();

  json_.Key("destination");
  WriteEndpoint(flow.ip_version(), *flow.server());
  json_.Key("packets");
  json_.Uint(flow.packets_to_client());
  json_.Key("bytes");
  json_.Uint(flow.bytes_to_client());
  json_.EndObject();

  // NOTE: a sum above 2^64 wraps; no real flow reaches it, and a hostile one only corrupts its own
  // record.
  json_.Key("network");
  json_.StartObject();
  WriteCommunityId(flow.ip_version(), *flow.client(), *flow.server());
  json_.Key("packets");
  json_.Uint(flow.packets_to_server() + flow.packets_to_client());
  json_.Key("bytes");
  json_.Uint(flow.bytes_to_server() + flow.bytes_to_client());
  json_.EndObject();

  json_.Key("sluice");
  json_.StartObject();
  json_.Key("record_type");
  json_.PlainString("flow");
  WriteSluiceBatch(flow.flow_id());
  json_.Key("flow");
  json_.StartObject();
  json_.Key("end");
  json_.PlainString(FlowEndName(flow.end()));
  json_.Key("http");
  json_.Bool(flow.http());
  json_.Key("transactions");
  json_.Uint(flow.transactions());
  json_.EndObject();
  WriteAnomalies(flow.anomalies());
  json_.EndObject();

  json_.EndObject();
}

void EcsFormatter::WriteTransactionEvent(const wire::Transaction& transaction) {
  json_.Key("event");
  json_.StartObject();
  json_.Key("kind");
  json_.PlainString("event");
  json_.Key("category");
  json_.StartArray();
  json_.PlainString("network");
  json_.PlainString("web");
  json_.EndArray();
  json_.Key("type");
  json_.StartArray();
  json_.PlainString("access");
  json_.EndArray();
  json_.Key("dataset");
  json_.PlainString("sluice.transaction");
  uint64_t duration_ns = 0;
  if (transaction.has_response() &&
      Duration(transaction.request_ts_ns(), transaction.response_end_ts_ns(), duration_ns)) {
    json_.Key("duration");
    json_.Uint(duration_ns);
  }
  json_.EndObject();
}

void EcsFormatter::WriteFlowEvent(const wire::FlowSummary& flow) {
  json_.Key("event");
  json_.StartObject();
  json_.Key("kind");
  json_.PlainString("event");
  json_.Key("category");
  json_.StartArray();
  json_.PlainString("network");
  json_.EndArray();
  json_.Key("type");
  json_.StartArray();
  json_.PlainString("connection");
  json_.PlainString("end");
  json_.EndArray();
  json_.Key("dataset");
  json_.PlainString("sluice.flow");
  WriteTimestamp("start", flow.first_ts_ns());
  WriteTimestamp("end", flow.last_ts_ns());
  uint64_t duration_ns = 0;
  if (Duration(flow.first_ts_ns(), flow.last_ts_ns(), duration_ns)) {
    json_.Key("duration");
    json_.Uint(duration_ns);
  }
  json_.EndObject();
}

// Opens an object with `ip` and `port`; the caller may add fields and must close it.
void EcsFormatter::WriteEndpoint(wire::IpVersion version, const wire::Endpoint& endpoint) {
  char text[INET6_ADDRSTRLEN];
  json_.StartObject();
  json_.Key("ip");
  json_.PlainString(FormatIp(version, endpoint.ip()->Data(), text));
  json_.Key("port");
  json_.Uint(endpoint.port());
}

// Writes transport, type and community_id into the open `network` object.
void EcsFormatter::WriteCommunityId(wire::IpVersion version, const wire::Endpoint& client,
                                    const wire::Endpoint& server) {
  json_.Key("transport");
  json_.PlainString("tcp");
  json_.Key("type");
  json_.PlainString(version == wire::IpVersion::V4 ? "ipv4" : "ipv6");

  char community_id[kCommunityIdSize];
  const std::string_view id = community_id_hasher_.Compute(
      IpLength(version), {client.ip()->Data(), client.port()},
      {server.ip()->Data(), server.port()}, kIpProtoTcp, 0, community_id);
  if (!id.empty()) {
    json_.Key("community_id");
    json_.PlainString(id);
  }
}

void EcsFormatter::WriteHttp(const wire::Transaction& transaction) {
  json_.Key("http");
  json_.StartObject();
  OptionalString("version", transaction.http_version());

  json_.Key("request");
  json_.StartObject();
  OptionalString("method", transaction.method());
  json_.Key("body");
  json_.StartObject();
  json_.Key("bytes");
  json_.Uint(transaction.request_body_bytes());
  json_.EndObject();
  OptionalString("mime_type", transaction.request_mime_type());
  json_.EndObject();

  if (transaction.has_response()) {
    json_.Key("response");
    json_.StartObject();
    json_.Key("status_code");
    json_.Uint(transaction.status_code());
    json_.Key("body");
    json_.StartObject();
    json_.Key("bytes");
    json_.Uint(transaction.response_body_bytes());
    json_.EndObject();
    OptionalString("mime_type", transaction.response_mime_type());
    json_.EndObject();
  }
  json_.EndObject();
}

void EcsFormatter::WriteUrl(const wire::Transaction& transaction) {
  const bool has_url = !View(transaction.url_original()).empty() ||
                       !View(transaction.url_path()).empty() ||
                       !View(transaction.url_query()).empty() ||
                       !View(transaction.host()).empty() || transaction.host_port() != 0;
  if (!has_url) return;

  json_.Key("url");
  json_.StartObject();
  OptionalString("original", transaction.url_original());
  OptionalString("path", transaction.url_path());
  OptionalString("query", transaction.url_query());
  OptionalString("domain", transaction.host());
  if (transaction.host_port() != 0) {
    json_.Key("port");
    json_.Uint(transaction.host_port());
  }
  json_.EndObject();
}

// Writes the `sluice.*` fields shared by every record type into the open `sluice` object.
void EcsFormatter::WriteSluiceBatch(uint64_t flow_id) {
  json_.Key("flow_id");
  json_.Uint(flow_id);
  json_.Raw(batch_members_.view());
}

void EcsFormatter::WriteAnomalies(const StringVector* list) {
  if (list == nullptr || list->size() == 0) return;
  json_.Key("anomalies");
  json_.StartArray();
  for (const flatbuffers::String* anomaly : *list) UntrustedString(View(anomaly));
  json_.EndArray();
}

// Writes verdict, rules, pii and block into the open `sluice` object. A record from a data plane
// older than these fields reads them as defaults: verdict pass, and no rules, PII or block.
void EcsFormatter::WriteInspection(const wire::Transaction& transaction) {
  json_.Key("verdict");
  json_.PlainString(VerdictName(transaction.verdict()));
  WriteRules(transaction.rules());
  WritePii(transaction.pii_request(), transaction.pii_response());
  WriteBlock(transaction.block());
}

void EcsFormatter::WriteRules(const RuleVector* rules) {
  if (rules == nullptr || rules->size() == 0) return;
  json_.Key("rules");
  json_.StartArray();
  for (const wire::RuleMatch* rule : *rules) {
    json_.StartObject();
    json_.Key("id");
    json_.Uint(rule->id());
    OptionalString("msg", rule->msg());
    OptionalString("field", rule->field());
    OptionalString("action", rule->action());
    OptionalString("severity", rule->severity());
    json_.EndObject();
  }
  json_.EndArray();
}

void EcsFormatter::WritePii(const PiiVector* request, const PiiVector* response) {
  const bool has_request = request != nullptr && request->size() != 0;
  const bool has_response = response != nullptr && response->size() != 0;
  if (!has_request && !has_response) return;
  json_.Key("pii");
  json_.StartObject();
  WritePiiDirection("request", request);
  WritePiiDirection("response", response);
  json_.EndObject();
}

void EcsFormatter::WritePiiDirection(const char* direction, const PiiVector* list) {
  if (list == nullptr || list->size() == 0) return;
  json_.Key(direction);
  json_.StartObject();
  for (const char* type : kPiiTypes) WritePiiType(type, *list);
  WritePiiType(kOtherPiiType, *list);
  json_.EndObject();
}

// Writes the entries of `list` that belong under `key` as one object, so a type listed twice
// still gives one JSON key: counts are summed and fingerprints joined in wire order. Scanning the
// list once per key (12 keys) keeps the cost linear in its length and needs no allocation.
void EcsFormatter::WritePiiType(const char* key, const PiiVector& list) {
  const std::string_view key_view = key;
  const bool key_is_other = key_view == kOtherPiiType;
  uint64_t count = 0;
  bool found = false;
  for (const wire::PiiCount* entry : list) {
    if (!PiiEntryMatches(*entry, key_view, key_is_other)) continue;
    found = true;
    count += entry->count();  // fewer than 2^32 entries fit in 2 GiB, so the sum fits
  }
  if (!found) return;

  json_.Key(key_view);
  json_.StartObject();
  json_.Key("count");
  json_.Uint(count);
  json_.Key("fingerprints");
  json_.StartArray();
  for (const wire::PiiCount* entry : list) {
    if (!PiiEntryMatches(*entry, key_view, key_is_other) || entry->fingerprints() == nullptr) continue;
    for (const flatbuffers::String* fingerprint : *entry->fingerprints()) {
      UntrustedString(View(fingerprint));
    }
  }
  json_.EndArray();
  if (key_is_other) {
    // The type names go into a value, never a key, and may repeat.
    json_.Key("types");
    json_.StartArray();
    for (const wire::PiiCount* entry : list) {
      if (PiiEntryMatches(*entry, key_view, key_is_other)) UntrustedString(View(entry->type()));
    }
    json_.EndArray();
  }
  json_.EndObject();
}

void EcsFormatter::WriteBlock(const wire::BlockInfo* block) {
  if (block == nullptr) return;
  json_.Key("block");
  json_.StartObject();
  json_.Key("packet");
  json_.Uint(block->packet());
  OptionalString("direction", block->direction());
  json_.Key("bytes_passed");
  json_.Uint(block->bytes_passed());
  OptionalString("reason", block->reason());
  json_.Key("reset");
  json_.Bool(block->reset());
  json_.EndObject();
}

void EcsFormatter::WriteTimestamp(std::string_view key, uint64_t unix_ns) {
  char text[kRfc3339NanosSize];
  json_.Key(key);
  json_.PlainString(FormatRfc3339Nanos(unix_ns, text));
}

void EcsFormatter::UntrustedString(JsonWriter& json, std::string_view text) {
  json.String(RepairUtf8(text, utf8_scratch_));
}

void EcsFormatter::OptionalString(std::string_view key, const flatbuffers::String* text) {
  const std::string_view view = View(text);
  if (view.empty()) return;
  json_.Key(key);
  UntrustedString(view);
}

}  // namespace sluice::control
