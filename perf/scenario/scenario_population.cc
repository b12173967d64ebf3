#include "perf/scenario/scenario_population.h"

#include <set>

namespace sluice::scenario {
namespace {

using gen::ClientKind;
using gen::OsKind;

constexpr gen::MacAddress kGatewayMac = {0xf8, 0xbc, 0x12, 0x4a, 0x01, 0x01};

gen::IpAddress Ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  gen::IpAddress ip;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

std::string FormatIpv4(const gen::IpAddress& ip) {
  return std::to_string(ip.bytes[0]) + "." + std::to_string(ip.bytes[1]) + "." +
         std::to_string(ip.bytes[2]) + "." + std::to_string(ip.bytes[3]);
}

gen::Server MakeServer(gen::ServerStyle style, const std::string& host, uint8_t last_octet,
                       const char* server_header, double latency_ms) {
  gen::Server server;
  server.style = style;
  server.host = host;
  server.host_header = host;
  server.port = 80;
  server.frame_v4.ip = Ipv4(198, 19, 60, last_octet);
  server.frame_v4.mac = {0x00, 0x50, 0x56, 0x8a, 0x60, last_octet};
  server.frame_v4.port = 80;
  server.frame_v4.ttl = 64;
  server.frame_v6 = server.frame_v4;  // Scenario clients are IPv4 only.
  server.server_header = server_header;
  server.latency_median_ms = latency_ms;
  return server;
}

std::string RandomText(gen::Rng& rng, const char* alphabet, size_t alphabet_size, int length) {
  std::string text;
  for (int i = 0; i < length; ++i) text += alphabet[rng.Below(alphabet_size)];
  return text;
}

std::string Base64Url(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 0x3f];
  return out;  // Unpadded, as JWTs are written (RFC 7515 section 2).
}

const char* KindName(ClientKind kind) {
  switch (kind) {
    case ClientKind::kCurl:
      return "curl";
    case ClientKind::kPythonRequests:
      return "python-requests";
    case ClientKind::kOkHttp:
      return "okhttp";
    case ClientKind::kGoHttp:
      return "go";
    case ClientKind::kJavaHttpClient:
      return "java";
    case ClientKind::kChrome:
      return "chrome";
    case ClientKind::kFirefox:
      return "firefox";
    case ClientKind::kSafariIos:
      return "safari-ios";
    case ClientKind::kApacheBench:
      return "apachebench";
    default:
      return "kube-probe";
  }
}

class PopulationBuilder {
 public:
  PopulationBuilder(const ScenarioOptions& options, const ScenarioContext& context, gen::Rng& rng,
                    ScenarioPopulation* population)
      : options_(options), context_(context), rng_(rng), population_(population) {}

  void Build(const std::vector<Role>& roles) {
    const NameSet& names = *context_.names;
    population_->servers.push_back(
        MakeServer(gen::ServerStyle::kNginx, names.api_host, 10, "nginx/1.24.0", 12));
    population_->servers.push_back(
        MakeServer(gen::ServerStyle::kEnvoy, names.auth_host, 20, "envoy", 30));
    if (options_.identity != IdentityKind::kIp) {
      for (int i = 0; i < options_.shared_addresses; ++i) shared_.push_back(NewAddress());
    }
    for (int i = 0; i < options_.normal_clients; ++i) AddClient(Role::kNormal);
    for (Role role : roles) {
      if (role == Role::kNatAddress) {
        AddNatAddress();
      } else {
        AddClient(role);
      }
    }
  }

 private:
  size_t NewAddress() {
    uint32_t host;
    do {
      host = static_cast<uint32_t>(rng_.Between(0x0100, 0xfffe));
    } while ((host & 0xff) == 0 || (host & 0xff) == 0xff || !used_.insert(host).second);
    addresses_.push_back(Ipv4(198, 18, static_cast<uint8_t>(host >> 8), static_cast<uint8_t>(host)));
    population_->next_ports.push_back(static_cast<uint16_t>(rng_.Between(32768, 60999)));
    return addresses_.size() - 1;
  }

  // Gives `client` its credential for the scenario's identity kind and returns the identity
  // string the labels carry ("" for kIp).
  std::string AssignCredential(gen::Client& client) {
    static constexpr char kBase62[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    client.token = RandomText(rng_, kBase62, 62, 40);
    switch (options_.identity) {
      case IdentityKind::kIp:
        return "";
      case IdentityKind::kApiKey:
        client.api_key = "sk_live_" + RandomText(rng_, kBase62, 62, 32);
        return client.api_key;
      case IdentityKind::kBearer:
        return client.token;
      case IdentityKind::kJwtSub: {
        const std::string sub = "user-" + std::to_string(100000 + client.id * 7919 % 900000);
        const std::string header = Base64Url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
        const std::string payload =
            Base64Url("{\"sub\":\"" + sub + "\",\"iat\":1710230000,\"scope\":\"api\"}");
        client.token = header + "." + payload + "." + RandomText(rng_, kBase62, 62, 43);
        return sub;
      }
    }
    return "";
  }

  gen::Client NewClient(ClientKind kind, double think_ms, size_t address) {
    gen::Client client;
    client.id = next_id_++;
    client.kind = kind;
    client.os = OsKind::kLinux;
    if (kind == ClientKind::kChrome || kind == ClientKind::kFirefox) client.os = OsKind::kWindows;
    if (kind == ClientKind::kSafariIos) client.os = OsKind::kMacOs;
    if (client.os != OsKind::kLinux) {
      client.port_low = 49152;
      client.port_high = 65535;
    }
    client.frame.ip = addresses_[address];
    client.frame.mac = kGatewayMac;
    client.frame.ttl = static_cast<uint8_t>((client.os == OsKind::kWindows ? 128 : 64) -
                                            rng_.Between(2, 14));
    client.mss = 1460;
    client.rtt_ms = kind == ClientKind::kKubeProbe ? 0.3 : 2 + 80 * rng_.Unit();
    client.think_median_ms = think_ms;
    return client;
  }

  void AddClient(Role role) {
    ScenarioClient scenario_client;
    scenario_client.rng = rng_.Fork();
    RoleProfile profile;
    scenario_client.behaviour = MakeBehaviour(role, context_, scenario_client.rng, &profile);
    const bool own_address =
        options_.identity == IdentityKind::kIp || role == Role::kHealthChecker;
    scenario_client.address = own_address ? NewAddress() : shared_[rng_.Below(shared_.size())];
    scenario_client.client = NewClient(profile.kind, profile.think_median_ms, scenario_client.address);

    LabelEntry label;
    label.ip = FormatIpv4(addresses_[scenario_client.address]);
    const bool keyed = options_.identity != IdentityKind::kIp && role != Role::kHealthChecker;
    label.identity = AssignCredential(scenario_client.client);
    if (!keyed) label.identity.clear();
    label.identity_kind = keyed ? IdentityKindName(options_.identity) : "ip";
    label.user_agent_kind = KindName(profile.kind);
    label.role = role;
    scenario_client.label = population_->labels.size();
    population_->labels.push_back(label);
    population_->clients.push_back(std::move(scenario_client));
  }

  // Users behind one address. With kIp they form one labelled client; otherwise each user's
  // credential makes it a client of its own.
  void AddNatAddress() {
    const size_t address = NewAddress();
    const bool per_user = options_.identity != IdentityKind::kIp;
    size_t shared_label = 0;
    for (int user = 0; user < options_.nat_users; ++user) {
      ScenarioClient scenario_client;
      scenario_client.rng = rng_.Fork();
      RoleProfile profile;
      scenario_client.behaviour =
          MakeBehaviour(Role::kNatAddress, context_, scenario_client.rng, &profile);
      scenario_client.address = address;
      scenario_client.client = NewClient(profile.kind, profile.think_median_ms, address);
      const std::string identity = AssignCredential(scenario_client.client);
      if (per_user || user == 0) {
        LabelEntry label;
        label.ip = FormatIpv4(addresses_[address]);
        label.identity = identity;
        label.identity_kind = IdentityKindName(options_.identity);
        label.user_agent_kind = per_user ? KindName(profile.kind) : "mixed";
        label.role = Role::kNatAddress;
        label.users = per_user ? 1 : options_.nat_users;
        shared_label = population_->labels.size();
        population_->labels.push_back(label);
      }
      scenario_client.label = per_user ? population_->labels.size() - 1 : shared_label;
      population_->clients.push_back(std::move(scenario_client));
    }
  }

  const ScenarioOptions& options_;
  const ScenarioContext& context_;
  gen::Rng& rng_;
  ScenarioPopulation* population_;
  std::vector<gen::IpAddress> addresses_;
  std::vector<size_t> shared_;
  std::set<uint32_t> used_;
  int next_id_ = 0;
};

}  // namespace

bool BuildScenarioPopulation(const ScenarioOptions& options, const ScenarioContext& context,
                             gen::Rng& rng, ScenarioPopulation* population, std::string* error) {
  std::vector<Role> roles;
  if (!ExpandShape(options.shape, &roles, error)) return false;
  PopulationBuilder(options, context, rng, population).Build(roles);
  return true;
}

}  // namespace sluice::scenario
