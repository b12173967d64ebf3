#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "perf/gen/frame_builder.h"
#include "perf/gen/rng.h"

namespace sluice::gen {

// HTTP client software. Each kind has its own header set, keep-alive habit and TCP stack.
enum class ClientKind {
  kCurl,
  kPythonRequests,
  kOkHttp,
  kGoHttp,
  kJavaHttpClient,
  kChrome,
  kFirefox,
  kSafariIos,
  kApacheBench,  // Sends HTTP/1.0 requests.
  kKubeProbe,    // Health checks with "Connection: close".
  kCount,
};

enum class OsKind { kLinux, kWindows, kMacOs };

struct Client {
  int id = 0;
  ClientKind kind = ClientKind::kCurl;
  OsKind os = OsKind::kLinux;
  FrameSource frame;          // Source MAC is the gateway's: clients are routed to the servers.
  uint16_t next_port = 0;     // Next ephemeral port.
  uint16_t port_low = 32768;  // Ephemeral port range of the client's OS.
  uint16_t port_high = 60999;
  uint16_t mss = 1460;
  double rtt_ms = 10;  // Round trip between the capture point and the client.
  double think_median_ms = 200;
  double weight = 1;  // Share of connections this client opens.
  bool sends_auth = true;
  std::string token;  // Bearer token.
  std::string api_key;  // When set, sent as X-API-Key in place of the bearer token.
  int favorite_server = 0;
};

// Header habits of the server software; the envoy style writes lower-case header names.
enum class ServerStyle { kNginx, kJetty, kGunicorn, kExpress, kEnvoy };

struct Server {
  ServerStyle style = ServerStyle::kNginx;
  std::string host;
  std::string host_header;  // Host header value: the name, plus ":port" for a non-default port.
  uint16_t port = 80;
  FrameSource frame_v4;
  FrameSource frame_v6;
  std::string server_header;   // Empty: no Server header.
  bool chunked_lists = false;  // List endpoints send Transfer-Encoding: chunked.
  uint32_t endpoint_mask = 0;  // Bit i set: EndpointKind i is served here.
  double latency_median_ms = 5;
  double weight = 1;
};

// Servers, clients and the gateway MAC that client frames arrive from.
struct Population {
  std::vector<Server> servers;
  std::vector<Client> clients;
  std::vector<double> client_weights;
  std::vector<double> server_weights;
};

// Builds `client_count` clients, an `ipv6_share` fraction of them IPv6, plus the fixed server set.
Population BuildPopulation(int client_count, double ipv6_share, Rng& rng);

// Takes the next ephemeral port of `client`, wrapping inside its OS range.
uint16_t TakeEphemeralPort(Client& client);

}  // namespace sluice::gen
