#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace sluice::gen {

// Totals of one generator run, written as the JSON summary that tests compare captures against.
struct GenStats {
  uint64_t calls = 0;
  uint64_t connections = 0;
  uint64_t connections_ipv4 = 0;
  uint64_t connections_ipv6 = 0;
  uint64_t packets = 0;
  uint64_t frame_bytes = 0;  // Sum of Ethernet frame lengths.
  uint64_t tcp_payload_bytes = 0;
  uint64_t file_bytes = 0;  // Size of the pcap file, headers included.
  uint64_t http10_requests = 0;
  uint64_t chunked_responses = 0;
  uint64_t close_delimited_responses = 0;
  int64_t first_timestamp_ns = 0;
  int64_t last_timestamp_ns = 0;
  std::map<std::string, uint64_t> methods;
  std::map<int, uint64_t> statuses;
  std::map<std::string, uint64_t> hosts;            // Calls per Host name.
  std::map<std::string, uint64_t> connection_ends;  // Connections per teardown kind.
};

struct SummaryInfo {
  uint64_t seed = 0;
  int clients = 0;
  double ipv6_share = 0;
  std::string pcap_path;
};

// Writes `stats` as a JSON object to `path`. Returns false and fills `error` on failure.
bool WriteSummaryJson(const std::string& path, const GenStats& stats, const SummaryInfo& info,
                      std::string* error);

}  // namespace sluice::gen
