#include "control/store/record_fields.h"

#include <arpa/inet.h>

#include <string_view>

namespace sluice::control::store {
namespace {

constexpr const char* kTypeNames[] = {"unknown", "transaction", "flow", "finding", "inventory",
                                      "gap"};

std::string Text(const flatbuffers::String* text) {
  return text == nullptr ? std::string() : text->str();
}

void ExtractPii(const flatbuffers::Vector<flatbuffers::Offset<wire::PiiCount>>* list,
                PiiDirection direction, RecordFields& fields) {
  if (list == nullptr) return;
  for (const wire::PiiCount* entry : *list) {
    if (entry == nullptr || entry->type() == nullptr) continue;
    PiiEntry pii;
    pii.direction = direction;
    pii.type = entry->type()->str();
    pii.count = entry->count();
    if (entry->fingerprints() != nullptr) {
      for (const flatbuffers::String* fingerprint : *entry->fingerprints()) {
        if (fingerprint != nullptr) pii.fingerprints.push_back(fingerprint->str());
      }
    }
    fields.pii.push_back(std::move(pii));
  }
}

void ExtractTransaction(const wire::Transaction& transaction, RecordFields& fields) {
  fields.ts_ns = transaction.request_ts_ns();
  if (transaction.client() != nullptr) {
    fields.client_ip = FormatAddress(transaction.ip_version(), *transaction.client());
    fields.client_port = transaction.client()->port();
  }
  if (transaction.server() != nullptr) {
    fields.server_ip = FormatAddress(transaction.ip_version(), *transaction.server());
    fields.server_port = transaction.server()->port();
  }
  fields.client_kind = Text(transaction.client_kind());
  fields.client_id = Text(transaction.client_id());
  // An address-identified client is found through client_ip; storing it twice costs space.
  if (fields.client_kind == "ip" || fields.client_id == fields.client_ip) fields.client_id.clear();
  fields.host = Text(transaction.host());
  fields.method = Text(transaction.method());
  fields.url_path = Text(transaction.url_path());
  fields.endpoint = Text(transaction.endpoint());
  fields.status = transaction.has_response() ? transaction.status_code() : 0;
  fields.request_bytes = transaction.request_body_bytes();
  fields.response_bytes = transaction.response_body_bytes();
  fields.verdict = static_cast<int>(transaction.verdict());
  if (transaction.rules() != nullptr) {
    for (const wire::RuleMatch* rule : *transaction.rules()) {
      if (rule != nullptr) fields.rule_ids.push_back(rule->id());
    }
  }
  if (transaction.findings() != nullptr) {
    for (const uint64_t id : *transaction.findings()) fields.finding_ids.push_back(id);
  }
  ExtractPii(transaction.pii_request(), PiiDirection::kRequest, fields);
  ExtractPii(transaction.pii_response(), PiiDirection::kResponse, fields);
}

void ExtractFlow(const wire::FlowSummary& flow, RecordFields& fields) {
  fields.ts_ns = flow.first_ts_ns();
  if (flow.client() != nullptr) {
    fields.client_ip = FormatAddress(flow.ip_version(), *flow.client());
    fields.client_port = flow.client()->port();
  }
  if (flow.server() != nullptr) {
    fields.server_ip = FormatAddress(flow.ip_version(), *flow.server());
    fields.server_port = flow.server()->port();
  }
  fields.request_bytes = flow.bytes_to_server();
  fields.response_bytes = flow.bytes_to_client();
}

void ExtractFinding(const wire::Finding& finding, RecordFields& fields) {
  fields.finding_ids.push_back(finding.finding_id());
  fields.detector = Text(finding.detector());
  fields.client_kind = Text(finding.client_kind());
  fields.client_id = Text(finding.client_id());
  fields.host = Text(finding.host());
  fields.method = Text(finding.method());
  fields.endpoint = Text(finding.endpoint());
  // Indexed at the last call it counted, as the JSON-lines sink stamps it. Older findings
  // without call times keep their arrival time.
  if (finding.last_ts_ns() != 0) fields.ts_ns = finding.last_ts_ns();
  // Findings about an address-identified client name the address as client_id.
  if (fields.client_kind == "ip") {
    fields.client_ip = fields.client_id;
    fields.client_id.clear();
  } else if (finding.client() != nullptr) {
    fields.client_ip = FormatAddress(finding.ip_version(), *finding.client());
  }
}

}  // namespace

void RecordFields::Clear() { *this = RecordFields{}; }

const char* RecordTypeName(RecordType type) {
  const auto index = static_cast<size_t>(type);
  return index < std::size(kTypeNames) ? kTypeNames[index] : "unknown";
}

bool ParseRecordType(std::string_view name, RecordType& type) {
  for (size_t i = 1; i < std::size(kTypeNames); ++i) {
    if (name == kTypeNames[i]) {
      type = static_cast<RecordType>(i);
      return true;
    }
  }
  return false;
}

std::string FormatAddress(wire::IpVersion version, const wire::Endpoint& endpoint) {
  char text[INET6_ADDRSTRLEN] = {};
  const uint8_t* bytes = endpoint.ip()->data();
  if (version == wire::IpVersion::V6) {
    inet_ntop(AF_INET6, bytes, text, sizeof(text));
  } else {
    inet_ntop(AF_INET, bytes, text, sizeof(text));
  }
  return text;
}

void ExtractRecordFields(const wire::Record& record, uint64_t received_ns, RecordFields& fields) {
  fields.Clear();
  fields.ts_ns = received_ns;
  switch (record.body_type()) {
    case wire::RecordBody::Transaction:
      fields.type = RecordType::kTransaction;
      ExtractTransaction(*record.body_as_Transaction(), fields);
      return;
    case wire::RecordBody::FlowSummary:
      fields.type = RecordType::kFlowSummary;
      ExtractFlow(*record.body_as_FlowSummary(), fields);
      return;
    case wire::RecordBody::Finding:
      fields.type = RecordType::kFinding;
      ExtractFinding(*record.body_as_Finding(), fields);
      return;
    case wire::RecordBody::Inventory:
      fields.type = RecordType::kInventory;
      fields.ts_ns = record.body_as_Inventory()->window_end_ns();
      return;
    case wire::RecordBody::Gap:
      fields.type = RecordType::kGap;
      return;
    default:
      // NOTE: a body type newer than this build is stored and kept, but indexed only by its
      // batch and arrival time.
      return;
  }
}

}  // namespace sluice::control::store
