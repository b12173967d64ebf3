#include "tests/integration/http_view.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace sluice::testing {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string Endpoint(const std::string& ip, uint16_t port) {
  const bool v6 = ip.find(':') != std::string::npos;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

// Sluice splits the Host header into url.domain and url.port. This joins them the way the header
// is usually written, so that it can be compared with the header tshark shows.
std::string HostFromUrl(const rapidjson::Document& record) {
  std::string host = FindString(record, "url.domain").value_or("");
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  if (const auto port = FindInt(record, "url.port")) host += ":" + std::to_string(*port);
  return host;
}

struct SluiceTransaction {
  std::string first_timestamp;  // of the flow, for ordering flows with the same endpoints
  int64_t flow_id = 0;
  int64_t index = 0;
  bool has_request = false;
  Exchange exchange;
};

bool ReadTransaction(const rapidjson::Document& record, ConnectionKey* key, SluiceTransaction* txn,
                     std::string* error) {
  const auto client_ip = FindString(record, "source.ip");
  const auto client_port = FindInt(record, "source.port");
  const auto server_ip = FindString(record, "destination.ip");
  const auto server_port = FindInt(record, "destination.port");
  // sluice.transaction is the index within the flow; early builds nested it as
  // sluice.transaction.index.
  auto index = FindInt(record, "sluice.transaction");
  if (!index) index = FindInt(record, "sluice.transaction.index");
  const auto flow_id = FindInt(record, "sluice.flow_id");
  if (!client_ip || !client_port || !server_ip || !server_port || !index || !flow_id) {
    *error = "transaction record lacks source, destination, sluice.flow_id or sluice.transaction: " +
             CanonicalJson(record);
    return false;
  }
  *key = {CanonicalIp(*client_ip), static_cast<uint16_t>(*client_port), CanonicalIp(*server_ip),
          static_cast<uint16_t>(*server_port)};
  txn->first_timestamp = FindString(record, "@timestamp").value_or("");
  txn->flow_id = *flow_id;
  txn->index = *index;
  const auto method = FindString(record, "http.request.method");
  txn->has_request = method.has_value();
  txn->exchange.request.method = method.value_or("");
  txn->exchange.request.uri = FindString(record, "url.original").value_or("");
  txn->exchange.request.host = HostFromUrl(record);
  if (!FindBool(record, "sluice.response_missing").value_or(false)) {
    const auto status = FindInt(record, "http.response.status_code");
    if (!status) {
      *error = "transaction record has a response but no http.response.status_code: " + CanonicalJson(record);
      return false;
    }
    txn->exchange.status = static_cast<int>(*status);
  }
  return true;
}

void AddMessage(const std::string& id_prefix, const std::string& what, const std::string& location,
                const std::string& sluice_says, const std::string& tshark_says,
                std::vector<Disagreement>* out) {
  out->push_back({id_prefix + "/" + what, what, location, sluice_says, tshark_says});
}

void CompareExchange(const std::string& prefix, const std::string& location, const Exchange& s,
                     const Exchange& t, std::vector<Disagreement>* out) {
  if (s.request.method != t.request.method) {
    AddMessage(prefix, "method", location, s.request.method, t.request.method, out);
  }
  if (s.request.uri != t.request.uri) {
    AddMessage(prefix, "uri", location, "'" + s.request.uri + "'", "'" + t.request.uri + "'", out);
  }
  // Host names are case-insensitive (RFC 9110 section 4.2.3), so case alone is no disagreement.
  if (Lower(s.request.host) != Lower(t.request.host)) {
    AddMessage(prefix, "host", location, "'" + s.request.host + "'", "'" + t.request.host + "'", out);
  }
  if (s.status != t.status) {
    const auto text = [](const std::optional<int>& status) {
      return status ? "status " + std::to_string(*status) : std::string("no response");
    };
    AddMessage(prefix, "status", location, text(s.status), text(t.status), out);
  }
}

std::string StatusList(const std::vector<int>& statuses) {
  if (statuses.empty()) return "none";
  std::string text;
  for (const int status : statuses) text += (text.empty() ? "" : ",") + std::to_string(status);
  return text;
}

}  // namespace

std::string CanonicalIp(const std::string& text) {
  unsigned char bytes[16];
  char buffer[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) return inet_ntop(AF_INET, bytes, buffer, sizeof(buffer));
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) return inet_ntop(AF_INET6, bytes, buffer, sizeof(buffer));
  return text;
}

std::string ConnectionKey::ToString() const {
  return Endpoint(client_ip, client_port) + "->" + Endpoint(server_ip, server_port);
}

std::string Exchange::ToString() const {
  std::string text = request.method + " '" + request.uri + "' Host '" + request.host + "' -> ";
  return text + (status ? std::to_string(*status) : std::string("no response"));
}

bool ViewFromSluiceRecords(const std::vector<const rapidjson::Document*>& transactions, CaptureView* view,
                           std::string* error) {
  std::map<ConnectionKey, std::vector<SluiceTransaction>> by_connection;
  for (const rapidjson::Document* record : transactions) {
    ConnectionKey key;
    SluiceTransaction txn;
    if (!ReadTransaction(*record, &key, &txn, error)) return false;
    by_connection[key].push_back(std::move(txn));
  }
  for (auto& [key, txns] : by_connection) {
    // A flow's first transaction carries its earliest timestamp; order flows by it.
    std::map<int64_t, std::string> flow_start;
    for (const SluiceTransaction& txn : txns) {
      auto [it, inserted] = flow_start.emplace(txn.flow_id, txn.first_timestamp);
      if (!inserted && txn.first_timestamp < it->second) it->second = txn.first_timestamp;
    }
    std::sort(txns.begin(), txns.end(), [&](const SluiceTransaction& a, const SluiceTransaction& b) {
      return std::tie(flow_start[a.flow_id], a.flow_id, a.index) < std::tie(flow_start[b.flow_id], b.flow_id, b.index);
    });
    ConnectionView& connection = (*view)[key];
    for (SluiceTransaction& txn : txns) {
      if (txn.has_request) {
        connection.exchanges.push_back(std::move(txn.exchange));
      } else if (txn.exchange.status) {
        connection.orphan_statuses.push_back(*txn.exchange.status);
      }
    }
  }
  return true;
}

std::vector<Disagreement> CompareViews(const CaptureView& sluice, const CaptureView& tshark) {
  std::vector<Disagreement> out;
  std::map<ConnectionKey, std::pair<const ConnectionView*, const ConnectionView*>> joined;
  for (const auto& [key, view] : sluice) joined[key].first = &view;
  for (const auto& [key, view] : tshark) joined[key].second = &view;
  for (const auto& [key, pair] : joined) {
    static const ConnectionView kEmpty;
    const ConnectionView& s = pair.first != nullptr ? *pair.first : kEmpty;
    const ConnectionView& t = pair.second != nullptr ? *pair.second : kEmpty;
    const size_t count = std::max(s.exchanges.size(), t.exchanges.size());
    for (size_t i = 0; i < count; ++i) {
      const std::string prefix = key.ToString() + "#" + std::to_string(i);
      const std::string location = "message " + std::to_string(i) + " on " + key.ToString();
      if (i >= s.exchanges.size()) {
        AddMessage(prefix, "request", location, "no request", t.exchanges[i].ToString(), &out);
      } else if (i >= t.exchanges.size()) {
        AddMessage(prefix, "request", location, s.exchanges[i].ToString(), "no request", &out);
      } else {
        CompareExchange(prefix, location, s.exchanges[i], t.exchanges[i], &out);
      }
    }
    if (s.orphan_statuses != t.orphan_statuses) {
      AddMessage(key.ToString(), "orphan_responses", "responses without a request on " + key.ToString(),
                 StatusList(s.orphan_statuses), StatusList(t.orphan_statuses), &out);
    }
  }
  return out;
}

}  // namespace sluice::testing
