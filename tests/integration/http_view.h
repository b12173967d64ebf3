// The HTTP messages of a capture as one observer saw them, grouped per TCP connection, in a form
// that both Sluice's records and tshark's dissection can be reduced to and compared.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "tests/integration/harness/jsonl.h"

namespace sluice::testing {

// A TCP connection by its endpoints, oriented client -> server. Addresses are in the canonical
// text form of inet_ntop, so "::1" from one side matches "0:0:0:0:0:0:0:1" from the other.
struct ConnectionKey {
  std::string client_ip;
  uint16_t client_port = 0;
  std::string server_ip;
  uint16_t server_port = 0;

  auto Tie() const { return std::tie(client_ip, client_port, server_ip, server_port); }
  bool operator<(const ConnectionKey& other) const { return Tie() < other.Tie(); }
  bool operator==(const ConnectionKey& other) const { return Tie() == other.Tie(); }
  std::string ToString() const;  // "10.0.0.1:1234->10.0.0.2:80", IPv6 in brackets
};

// Returns the canonical text form of an IPv4 or IPv6 address, or `text` unchanged if it is neither.
std::string CanonicalIp(const std::string& text);

struct RequestLine {
  std::string method;
  std::string uri;   // the request-target as sent
  std::string host;  // the Host header as sent ("" when absent)
};

// One request with the final response paired to it (if any). Interim 1xx responses other than
// 101 are not exchanges: they precede the final response to the same request.
struct Exchange {
  RequestLine request;
  std::optional<int> status;

  std::string ToString() const;  // "GET /a Host: h -> 200" or "... -> no response"
};

struct ConnectionView {
  std::vector<Exchange> exchanges;   // in the order the requests were sent
  std::vector<int> orphan_statuses;  // final responses paired to no request, in order
};

using CaptureView = std::map<ConnectionKey, ConnectionView>;

// Reduces Sluice transaction records to a view. A record without http.request.method is a
// response that Sluice paired to no request (anomaly http.unexpected_response). Several flows
// with the same endpoints (port reuse) are concatenated in the order of their first record's
// @timestamp. Returns false with `*error` when a record lacks a field the comparison needs.
bool ViewFromSluiceRecords(const std::vector<const rapidjson::Document*>& transactions, CaptureView* view,
                           std::string* error);

// One difference between the two views. `id` is stable across runs and is what the table of
// expected differences refers to: "CONNECTION#INDEX/what" for an exchange, or
// "CONNECTION/orphan_responses" for the responses paired to no request.
struct Disagreement {
  std::string id;
  std::string what;  // method, uri, host, status, request (present on one side only), orphan_responses
  std::string location;
  std::string sluice_says;
  std::string tshark_says;
};

// Compares message by message. Exchanges are matched by connection and position.
std::vector<Disagreement> CompareViews(const CaptureView& sluice, const CaptureView& tshark);

}  // namespace sluice::testing
