#include "perf/gen/population.h"

#include <cmath>
#include <set>

#include "perf/gen/endpoint_kind.h"

namespace sluice::gen {
namespace {

// OUIs as listed in Wireshark's manuf file: Dell and Intel for the two gateways, VMware,
// Proxmox and Intel for the server NICs.
constexpr MacAddress kGatewayMacs[] = {
    {0xf8, 0xbc, 0x12, 0x4a, 0x01, 0x01},
    {0x00, 0x1b, 0x21, 0x7c, 0x02, 0x02},
};

struct ClientKindProfile {
  double share;
  OsKind os;
  double rtt_low_ms;
  double rtt_high_ms;
  double think_median_ms;
  double auth_share;
};

// Indexed by ClientKind. Scripts and services sit in or near the data centre, so their RTT and
// think time are short. Browsers and phones are far away and slow to send the next call.
constexpr ClientKindProfile kClientProfiles[] = {
    {0.12, OsKind::kLinux, 5, 60, 400, 0.9},      // curl
    {0.24, OsKind::kLinux, 0.5, 20, 60, 0.95},    // python-requests
    {0.15, OsKind::kLinux, 30, 160, 1500, 0.95},  // okhttp (Android)
    {0.12, OsKind::kLinux, 0.3, 5, 15, 0.98},     // Go
    {0.09, OsKind::kLinux, 0.3, 8, 30, 0.98},     // Java
    {0.10, OsKind::kWindows, 8, 90, 900, 0.9},    // Chrome
    {0.04, OsKind::kWindows, 8, 90, 900, 0.9},    // Firefox
    {0.07, OsKind::kMacOs, 25, 140, 1200, 0.9},   // Safari on iOS
    {0.03, OsKind::kLinux, 0.3, 3, 0, 0.0},       // ApacheBench
    {0.04, OsKind::kLinux, 0.1, 0.4, 0, 0.0},     // kube-probe
};
static_assert(std::size(kClientProfiles) == static_cast<size_t>(ClientKind::kCount));

IpAddress Ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

// 2001:db8:<group>:<subnet>::<interface id>, inside the 2001:db8::/32 documentation prefix.
IpAddress Ipv6(uint16_t group, uint16_t subnet, uint64_t interface_id) {
  IpAddress ip;
  ip.is_v6 = true;
  const uint16_t head[4] = {0x2001, 0x0db8, group, subnet};
  for (int i = 0; i < 4; ++i) {
    ip.bytes[2 * i] = static_cast<uint8_t>(head[i] >> 8);
    ip.bytes[2 * i + 1] = static_cast<uint8_t>(head[i]);
  }
  for (int i = 0; i < 8; ++i) ip.bytes[8 + i] = static_cast<uint8_t>(interface_id >> (56 - 8 * i));
  return ip;
}

FrameSource ServerFrame(IpAddress ip, MacAddress mac, uint16_t port) {
  FrameSource frame;
  frame.ip = ip;
  frame.mac = mac;
  frame.port = port;
  frame.ttl = 64;
  return frame;
}

Server MakeServer(ServerStyle style, const char* host, uint16_t port, uint8_t v4_c, uint8_t v4_d,
                  MacAddress mac, const char* server_header, uint32_t mask, double latency_ms,
                  double weight) {
  Server server;
  server.style = style;
  server.host = host;
  server.port = port;
  server.host_header = port == 80 ? server.host : server.host + ":" + std::to_string(port);
  server.frame_v4 = ServerFrame(Ipv4(198, 19, v4_c, v4_d), mac, port);
  server.frame_v6 = ServerFrame(Ipv6(0x5e, v4_c, v4_d), mac, port);
  server.server_header = server_header;
  server.endpoint_mask = mask;
  server.latency_median_ms = latency_ms;
  server.weight = weight;
  return server;
}

std::vector<Server> BuildServers() {
  const uint32_t common = EndpointBit(kHealth);
  const uint32_t users = EndpointBit(kGetUser) | EndpointBit(kHeadUser) | EndpointBit(kPutUser) |
                         EndpointBit(kPatchUser) | EndpointBit(kGetRelated) |
                         EndpointBit(kListCustomers) | EndpointBit(kCreateSession) |
                         EndpointBit(kLegacyUser) | EndpointBit(kAdminAudit) | common;
  const uint32_t shop = EndpointBit(kGetOrder) | EndpointBit(kCreateOrder) |
                        EndpointBit(kDeleteOrder) | EndpointBit(kListProducts) | common;
  const uint32_t billing = EndpointBit(kGetRelated) | EndpointBit(kListCustomers) |
                           EndpointBit(kExportCustomers) | common;
  const uint32_t inventory = EndpointBit(kListProducts) | EndpointBit(kGetStock) | common;
  const uint32_t auth = EndpointBit(kCreateSession) | EndpointBit(kDeleteSession) | common;

  std::vector<Server> servers;
  servers.push_back(MakeServer(ServerStyle::kNginx, "api.example.com", 80, 10, 10,
                               {0x00, 0x50, 0x56, 0x8a, 0x10, 0x10}, "nginx/1.24.0", users, 8, 3));
  servers.push_back(MakeServer(ServerStyle::kNginx, "api.example.com", 80, 10, 11,
                               {0x00, 0x50, 0x56, 0x8a, 0x10, 0x11}, "nginx/1.24.0", users, 8, 3));
  servers.push_back(MakeServer(ServerStyle::kJetty, "shop.example.com", 8080, 20, 10,
                               {0xbc, 0x24, 0x11, 0x3e, 0x20, 0x10}, "Jetty(11.0.20)", shop, 15,
                               2));
  servers.back().chunked_lists = true;
  servers.push_back(MakeServer(ServerStyle::kGunicorn, "billing.example.com", 8443, 30, 10,
                               {0x3c, 0xfd, 0xfe, 0x5b, 0x30, 0x10}, "gunicorn", billing, 40, 1));
  servers.push_back(MakeServer(ServerStyle::kExpress, "inventory.example.com", 8081, 40, 10,
                               {0xbc, 0x24, 0x11, 0x3e, 0x40, 0x10}, "", inventory, 3, 1.5));
  servers.back().chunked_lists = true;
  servers.push_back(MakeServer(ServerStyle::kEnvoy, "auth.example.com", 80, 50, 10,
                               {0x00, 0x50, 0x56, 0x8a, 0x50, 0x10}, "envoy", auth, 25, 1));
  return servers;
}

std::string RandomToken(Rng& rng, ClientKind kind) {
  static constexpr char kBase62[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  static constexpr char kBase64Url[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const bool jwt = kind == ClientKind::kChrome || kind == ClientKind::kFirefox ||
                   kind == ClientKind::kSafariIos || kind == ClientKind::kOkHttp;
  std::string token;
  if (!jwt) {
    for (int i = 0; i < 40; ++i) token += kBase62[rng.Below(62)];
    return token;
  }
  // A JWT shape: the usual HS256 header, then a random payload and signature part.
  token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ";
  for (int i = 0; i < 60; ++i) token += kBase64Url[rng.Below(64)];
  token += '.';
  for (int i = 0; i < 43; ++i) token += kBase64Url[rng.Below(64)];
  return token;
}

void ApplyOs(Client& client) {
  switch (client.os) {
    case OsKind::kLinux:
      client.port_low = 32768;
      client.port_high = 60999;
      break;
    case OsKind::kWindows:
    case OsKind::kMacOs:
      client.port_low = 49152;
      client.port_high = 65535;
      break;
  }
}

Client MakeClient(int id, bool is_v6, std::set<uint32_t>& used_v4, Rng& rng,
                  const std::vector<double>& server_weights) {
  Client client;
  client.id = id;
  double kind_shares[static_cast<int>(ClientKind::kCount)];
  for (int i = 0; i < static_cast<int>(ClientKind::kCount); ++i) {
    kind_shares[i] = kClientProfiles[i].share;
  }
  client.kind =
      static_cast<ClientKind>(rng.Pick(kind_shares, static_cast<int>(ClientKind::kCount)));
  const ClientKindProfile& profile = kClientProfiles[static_cast<int>(client.kind)];
  client.os = profile.os;
  if (client.kind == ClientKind::kCurl && rng.Chance(0.3)) client.os = OsKind::kMacOs;
  ApplyOs(client);

  if (is_v6) {
    client.frame.ip = Ipv6(static_cast<uint16_t>(rng.Between(1, 0xfff)),
                           static_cast<uint16_t>(rng.Below(0x10000)), rng.Next());
  } else {
    uint32_t host;
    do {
      host = static_cast<uint32_t>(rng.Between(0x0100, 0xfffe));
    } while ((host & 0xff) == 0 || (host & 0xff) == 0xff || !used_v4.insert(host).second);
    client.frame.ip = Ipv4(198, 18, static_cast<uint8_t>(host >> 8), static_cast<uint8_t>(host));
  }
  client.frame.mac = kGatewayMacs[id % std::size(kGatewayMacs)];
  const int initial_ttl = client.os == OsKind::kWindows ? 128 : 64;
  const int hops = client.kind == ClientKind::kKubeProbe ? 1 : static_cast<int>(rng.Between(2, 14));
  client.frame.ttl = static_cast<uint8_t>(initial_ttl - hops);

  // Most paths allow a 1500-byte MTU; some clients sit behind PPPoE or a VPN tunnel.
  const uint16_t base_mss = is_v6 ? 1440 : 1460;
  const double mss_draw = rng.Unit();
  client.mss = base_mss;
  if (mss_draw >= 0.85) client.mss = mss_draw < 0.93 ? base_mss - 8 : base_mss - 80;

  client.rtt_ms = profile.rtt_low_ms + (profile.rtt_high_ms - profile.rtt_low_ms) * rng.Unit();
  client.think_median_ms = profile.think_median_ms;
  client.sends_auth = rng.Chance(profile.auth_share);
  client.token = RandomToken(rng, client.kind);
  client.next_port = static_cast<uint16_t>(rng.Between(client.port_low, client.port_high));
  client.favorite_server = rng.Pick(server_weights.data(), static_cast<int>(server_weights.size()));
  // Heavy-tailed activity: a few clients open most of the connections.
  client.weight = 1.0 / std::pow(1.0 + id, 0.7);
  return client;
}

}  // namespace

Population BuildPopulation(int client_count, double ipv6_share, Rng& rng) {
  Population population;
  population.servers = BuildServers();
  for (const Server& server : population.servers) {
    population.server_weights.push_back(server.weight);
  }
  std::set<uint32_t> used_v4;
  const int v6_count = static_cast<int>(std::lround(client_count * ipv6_share));
  for (int id = 0; id < client_count; ++id) {
    // Spread IPv6 clients across the activity ranking instead of putting them all at one end.
    const bool is_v6 = (static_cast<int64_t>(id + 1) * v6_count) / client_count !=
                       (static_cast<int64_t>(id) * v6_count) / client_count;
    population.clients.push_back(MakeClient(id, is_v6, used_v4, rng, population.server_weights));
    population.client_weights.push_back(population.clients.back().weight);
  }
  return population;
}

uint16_t TakeEphemeralPort(Client& client) {
  const uint16_t port = client.next_port;
  client.next_port = port >= client.port_high ? client.port_low : static_cast<uint16_t>(port + 1);
  return port;
}

}  // namespace sluice::gen
