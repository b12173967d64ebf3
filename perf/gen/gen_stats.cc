#include "perf/gen/gen_stats.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sluice::gen {
namespace {

template <typename Key>
std::string KeyText(const Key& key) {
  if constexpr (std::is_same_v<Key, int>) {
    return std::to_string(key);
  } else {
    return key;
  }
}

// Keys are fixed ASCII words from the generator, so no JSON escaping is needed.
template <typename Key>
std::string CountObject(const std::map<Key, uint64_t>& counts) {
  std::string out = "{";
  for (const auto& [key, count] : counts) {
    if (out.size() > 1) out += ", ";
    out += "\"" + KeyText(key) + "\": " + std::to_string(count);
  }
  return out + "}";
}

void Field(std::string& out, const char* name, const std::string& value, bool last = false) {
  out += "  \"";
  out += name;
  out += "\": ";
  out += value;
  out += last ? "\n" : ",\n";
}

}  // namespace

bool WriteSummaryJson(const std::string& path, const GenStats& stats, const SummaryInfo& info,
                      std::string* error) {
  char share[32];
  std::snprintf(share, sizeof(share), "%.3f", info.ipv6_share);
  char duration[32];
  std::snprintf(duration, sizeof(duration), "%.6f",
                static_cast<double>(stats.last_timestamp_ns - stats.first_timestamp_ns) / 1e9);

  std::string out = "{\n";
  Field(out, "generator", "\"sluice-gen-api\"");
  Field(out, "format_version", "1");
  Field(out, "seed", std::to_string(info.seed));
  Field(out, "clients", std::to_string(info.clients));
  Field(out, "ipv6_share", share);
  Field(out, "calls", std::to_string(stats.calls));
  Field(out, "http_requests", std::to_string(stats.calls));
  Field(out, "http_responses", std::to_string(stats.calls));
  Field(out, "connections", std::to_string(stats.connections));
  Field(out, "connections_ipv4", std::to_string(stats.connections_ipv4));
  Field(out, "connections_ipv6", std::to_string(stats.connections_ipv6));
  Field(out, "packets", std::to_string(stats.packets));
  Field(out, "frame_bytes", std::to_string(stats.frame_bytes));
  Field(out, "tcp_payload_bytes", std::to_string(stats.tcp_payload_bytes));
  Field(out, "file_bytes", std::to_string(stats.file_bytes));
  Field(out, "http10_requests", std::to_string(stats.http10_requests));
  Field(out, "chunked_responses", std::to_string(stats.chunked_responses));
  Field(out, "close_delimited_responses", std::to_string(stats.close_delimited_responses));
  Field(out, "first_timestamp_ns", std::to_string(stats.first_timestamp_ns));
  Field(out, "last_timestamp_ns", std::to_string(stats.last_timestamp_ns));
  Field(out, "duration_s", duration);
  Field(out, "methods", CountObject(stats.methods));
  Field(out, "statuses", CountObject(stats.statuses));
  Field(out, "hosts", CountObject(stats.hosts));
  Field(out, "connection_ends", CountObject(stats.connection_ends), true);
  out += "}\n";

  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    *error = "cannot open summary file '" + path + "' for writing: " + std::strerror(errno);
    return false;
  }
  const bool written = std::fwrite(out.data(), 1, out.size(), file) == out.size();
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) {
    *error = "failed to write summary file '" + path + "': " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace sluice::gen
