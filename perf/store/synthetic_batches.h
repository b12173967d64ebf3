// Synthetic record batches for the store's benchmark and tests, built with the FlatBuffers
// builder exactly as a data plane sends them (a Message with a Batch body).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::perf {

struct SyntheticPii {
  std::string type;
  uint32_t count = 0;
  std::vector<std::string> fingerprints;
};

struct SyntheticTransaction {
  uint32_t client_ipv4 = 0x0a000001;  // host order, e.g. 10.0.0.1
  uint16_t client_port = 40000;
  uint32_t server_ipv4 = 0xc0a80001;
  uint16_t server_port = 80;
  uint64_t request_ts_ns = 0;
  std::string client_kind = "ip";
  std::string client_id;  // empty for kind ip: the address
  std::string method = "GET";
  std::string host = "api.example.com";
  std::string url_path = "/";
  std::string endpoint;
  uint16_t status = 200;
  uint64_t response_bytes = 0;
  std::vector<uint32_t> rule_ids;
  std::vector<uint64_t> findings;
  std::vector<SyntheticPii> pii_response;
};

struct SyntheticFinding {
  uint64_t finding_id = 0;
  std::string detector;
  std::string client_kind = "ip";
  std::string client_id;
};

struct SyntheticBatch {
  std::string dataplane_id = "dp-1";
  uint64_t run_id = 1;
  uint16_t worker_id = 0;
  uint64_t sequence = 0;
  std::vector<SyntheticTransaction> transactions;
  std::vector<SyntheticFinding> findings;  // appended after the transactions
  bool with_flow = false;                  // appends one FlowSummary record
};

// Returns the finished Message buffer.
std::vector<uint8_t> BuildBatchMessage(const SyntheticBatch& batch);

// Dotted-quad text of a host-order IPv4 address.
std::string Ipv4Text(uint32_t address);

// A reproducible stream of API calls from `clients` clients over `endpoints` endpoint templates,
// about 5% of responses carrying personal data and 2% matching a rule.
class SyntheticTraffic {
 public:
  SyntheticTraffic(uint64_t seed, uint32_t clients, uint32_t endpoints);
  // The next call, at `ts_ns`.
  SyntheticTransaction Next(uint64_t ts_ns);
  uint32_t ClientAddress(uint32_t client) const { return 0x0a000000 + 1 + client; }

 private:
  uint64_t Random();
  uint64_t state_;
  uint32_t clients_;
  uint32_t endpoints_;
};

}  // namespace sluice::perf
