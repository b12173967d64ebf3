// Checks the port of a ZeroMQ TCP endpoint before it is bound. libzmq 4.3 bound
// "tcp://127.0.0.1:99999" on port 34463 (99999 - 65536) without an error.
#pragma once

#include <string>
#include <string_view>

namespace sluice::control {

// Returns an empty string when `endpoint` is not TCP, or when its port is '*', 0 or a decimal
// number up to 65535; otherwise an error naming the endpoint and `setting`.
inline std::string CheckEndpointPort(std::string_view endpoint, std::string_view setting) {
  constexpr std::string_view kTcp = "tcp://";
  if (endpoint.substr(0, kTcp.size()) != kTcp) return {};
  const size_t colon = endpoint.rfind(':');
  const std::string_view port = colon == std::string_view::npos ? std::string_view() : endpoint.substr(colon + 1);
  if (port == "*") return {};
  bool valid = !port.empty() && port.size() <= 5;
  unsigned long value = 0;
  for (const char c : port) {
    valid = valid && c >= '0' && c <= '9';
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (valid && value <= 65535) return {};
  return "invalid port in " + std::string(endpoint) + ": expected a number up to 65535, or * for any, in " +
         std::string(setting);
}

}  // namespace sluice::control
