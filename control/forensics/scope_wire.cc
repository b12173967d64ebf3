#include "control/forensics/scope_wire.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <string_view>

#include "control/sinks/ecs_json.h"

namespace sluice::control::forensics {
namespace {

using PiiVector = flatbuffers::Vector<flatbuffers::Offset<wire::PiiCount>>;

std::string Text(const flatbuffers::String* text) {
  return text == nullptr ? std::string() : text->str();
}

// Formats the client address in inet_ntop's text form; empty when the record has none or its IP
// version is not one the schema defines.
std::string AddressText(wire::IpVersion version, const wire::Endpoint* endpoint) {
  if (endpoint == nullptr || endpoint->ip() == nullptr) return {};
  const int family = version == wire::IpVersion::V4   ? AF_INET
                     : version == wire::IpVersion::V6 ? AF_INET6
                                                      : -1;
  if (family < 0) return {};
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, endpoint->ip()->data(), text, sizeof(text)) == nullptr) return {};
  return text;
}

std::vector<PiiItems> PiiFromWire(const PiiVector* list) {
  std::vector<PiiItems> result;
  if (list == nullptr) return result;
  for (const wire::PiiCount* entry : *list) {
    if (entry == nullptr) continue;
    PiiItems items;
    items.type = Text(entry->type());
    items.count = entry->count();
    if (entry->fingerprints() != nullptr) {
      for (const flatbuffers::String* fingerprint : *entry->fingerprints()) {
        if (fingerprint != nullptr) items.fingerprints.push_back(fingerprint->str());
      }
    }
    result.push_back(std::move(items));
  }
  return result;
}

}  // namespace

TransactionRow TransactionRowFromWire(const wire::Transaction& transaction, RecordRef ref) {
  TransactionRow row;
  ref.flow_id = transaction.flow_id();
  ref.transaction_index = transaction.index();
  row.ref = std::move(ref);

  row.ts_ns = transaction.request_ts_ns();
  row.response_end_ts_ns = transaction.response_end_ts_ns();
  row.client_kind = Text(transaction.client_kind());
  row.client_id = Text(transaction.client_id());
  row.client_address = AddressText(transaction.ip_version(), transaction.client());

  row.host = Text(transaction.host());
  row.method = Text(transaction.method());
  row.endpoint = Text(transaction.endpoint());
  row.url_path = Text(transaction.url_path());
  // Records from before endpoint templates existed are grouped by their literal path.
  if (row.endpoint.empty()) row.endpoint = row.url_path;
  row.has_response = transaction.has_response();
  row.status_code = row.has_response ? transaction.status_code() : 0;
  row.request_bytes = transaction.request_body_bytes();
  row.response_bytes = transaction.response_body_bytes();

  row.pii_response = PiiFromWire(transaction.pii_response());
  row.pii_request = PiiFromWire(transaction.pii_request());
  if (transaction.rules() != nullptr) {
    for (const wire::RuleMatch* rule : *transaction.rules()) {
      if (rule != nullptr) row.rule_ids.push_back(rule->id());
    }
  }
  if (transaction.findings() != nullptr) {
    row.finding_ids.assign(transaction.findings()->begin(), transaction.findings()->end());
  }
  return row;
}

FindingRow FindingRowFromWire(const wire::Finding& finding) {
  FindingRow row;
  row.finding_id = finding.finding_id();
  row.detector = Text(finding.detector());
  row.client_kind = Text(finding.client_kind());
  row.client_id = Text(finding.client_id());
  row.endpoint = Text(finding.endpoint());
  row.first_ts_ns = finding.first_ts_ns();
  row.last_ts_ns = finding.last_ts_ns();
  row.calls = finding.calls();
  row.verdict = VerdictName(finding.verdict());
  return row;
}

}  // namespace sluice::control::forensics
