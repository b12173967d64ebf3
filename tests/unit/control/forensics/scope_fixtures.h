// Builders of transaction rows for the scope report's tests.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "control/forensics/scope_input.h"

namespace sluice::control::forensics::testing {

inline constexpr uint64_t kSecondNs = 1'000'000'000;
// 2026-01-01T00:00:00Z, so timestamps read like real ones.
inline constexpr uint64_t kBaseNs = 1'767'225'600ULL * kSecondNs;

// A call at kBaseNs + `seconds`, from client 10.0.0.1, to GET api.example.com /accounts/{id},
// answered 200 with no body; the setters change one field each.
class Call {
 public:
  explicit Call(uint64_t seconds) {
    row_.ts_ns = kBaseNs + seconds * kSecondNs;
    row_.response_end_ts_ns = row_.ts_ns + 1000;
    row_.ref = {"dp1", 7, 0, seconds, 0, 100 + seconds, 0};
    row_.client_kind = "ip";
    row_.client_id = "10.0.0.1";
    row_.client_address = "10.0.0.1";
    row_.host = "api.example.com";
    row_.method = "GET";
    row_.endpoint = "/accounts/{id}";
    row_.url_path = "/accounts/1";
    row_.has_response = true;
    row_.status_code = 200;
  }
  Call& AtNs(uint64_t ts_ns) { row_.ts_ns = ts_ns; return *this; }
  Call& Client(std::string kind, std::string id, std::string address) {
    row_.client_kind = std::move(kind);
    row_.client_id = std::move(id);
    row_.client_address = std::move(address);
    return *this;
  }
  Call& Host(std::string host) { row_.host = std::move(host); return *this; }
  Call& Method(std::string method) { row_.method = std::move(method); return *this; }
  Call& Path(std::string endpoint, std::string path) {
    row_.endpoint = std::move(endpoint);
    row_.url_path = std::move(path);
    return *this;
  }
  Call& Status(uint16_t status) { row_.status_code = status; return *this; }
  Call& NoResponse() {
    row_.has_response = false;
    row_.status_code = 0;
    return *this;
  }
  Call& Bytes(uint64_t response_bytes) { row_.response_bytes = response_bytes; return *this; }
  Call& Pii(std::string type, uint64_t count, std::vector<std::string> fingerprints) {
    row_.pii_response.push_back({std::move(type), count, std::move(fingerprints)});
    return *this;
  }
  Call& Finding(uint64_t id) { row_.finding_ids.push_back(id); return *this; }
  Call& Ref(std::string dataplane, uint64_t sequence, uint32_t index) {
    row_.ref.dataplane_id = std::move(dataplane);
    row_.ref.sequence = sequence;
    row_.ref.record_index = index;
    return *this;
  }
  operator TransactionRow() const { return row_; }  // NOLINT: builders convert implicitly

 private:
  TransactionRow row_;
};

// `n` distinct fingerprints with a prefix, e.g. Fingerprints("e", 3) = {e0, e1, e2}.
inline std::vector<std::string> Fingerprints(const std::string& prefix, size_t n,
                                             size_t first = 0) {
  std::vector<std::string> list;
  for (size_t i = first; i < first + n; ++i) list.push_back(prefix + std::to_string(i));
  return list;
}

}  // namespace sluice::control::forensics::testing
