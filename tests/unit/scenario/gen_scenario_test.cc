// Runs sluice-gen-scenario (path in $SLUICE_GEN_SCENARIO) and checks its capture, decoded here
// with libpcap, against the labels it writes; plus the name sets and card numbers of the library.

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <rapidjson/document.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "perf/gen/rng.h"
#include "perf/scenario/bodies.h"
#include "perf/scenario/name_sets.h"
#include "perf/scenario/roles.h"

namespace {

std::string GeneratorPath() {
  const char* path = std::getenv("SLUICE_GEN_SCENARIO");
  return path != nullptr ? path : "";
}

std::string TempPath(const std::string& name) {
  return testing::TempDir() + "gen_scenario_" + name;
}

// Runs the generator with `arguments`; returns its exit status, or -1 if it did not exit.
int RunGenerator(const std::string& arguments) {
  const std::string command = "'" + GeneratorPath() + "' " + arguments + " 2>/dev/null >/dev/null";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Generates a short capture; `name` distinguishes the files. Returns the generator's exit status.
int Generate(const std::string& name, const std::string& options) {
  return RunGenerator("--out '" + TempPath(name + ".pcap") + "' --labels '" +
                      TempPath(name + ".json") + "' --minutes 4 --normal-clients 12 --nat-users 4 " +
                      options);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool LoadJson(const std::string& path, rapidjson::Document* document) {
  const std::string text = ReadFile(path);
  document->Parse(text.c_str(), text.size());
  return !document->HasParseError() && document->IsObject();
}

// The value of header `name` (case-sensitive, as the generator writes it) in a request, or "".
std::string HeaderValue(const std::string& request, const std::string& name) {
  const std::string key = "\r\n" + name + ": ";
  const size_t at = request.find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size();
  return request.substr(start, request.find("\r\n", start) - start);
}

// What the capture holds, decoded without the generator's code.
struct CaptureFacts {
  bool opened = false;
  uint64_t packets = 0;
  uint64_t syns = 0;
  bool time_ordered = true;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  // Requests per "address|credential", the credential being the X-API-Key value or the bearer
  // token; request paths seen.
  std::map<std::string, uint64_t> requests;
  std::set<std::string> paths;
};

CaptureFacts ReadCapture(const std::string& path) {
  CaptureFacts facts;
  char error[PCAP_ERRBUF_SIZE];
  pcap_t* pcap = pcap_open_offline_with_tstamp_precision(path.c_str(),
                                                         PCAP_TSTAMP_PRECISION_NANO, error);
  if (pcap == nullptr) return facts;
  facts.opened = true;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(pcap, &header, &data) == 1) {
    const int64_t ns = header->ts.tv_sec * 1000000000LL + header->ts.tv_usec;
    if (facts.packets == 0) facts.first_ns = ns;
    if (ns < facts.last_ns) facts.time_ordered = false;
    facts.last_ns = ns;
    ++facts.packets;
    if (header->caplen < 54 || data[12] != 0x08 || data[13] != 0x00 || data[23] != 6) continue;
    const size_t ip_header = (data[14] & 0xf) * 4u;
    const size_t ip_total = static_cast<size_t>((data[16] << 8) | data[17]);
    const u_char* tcp = data + 14 + ip_header;
    const size_t tcp_header = (tcp[12] >> 4) * 4u;
    if ((tcp[13] & 0x02) != 0 && (tcp[13] & 0x10) == 0) ++facts.syns;
    const uint16_t destination_port = static_cast<uint16_t>((tcp[2] << 8) | tcp[3]);
    const size_t payload_length = ip_total - ip_header - tcp_header;
    if (destination_port != 80 || payload_length == 0) continue;
    const std::string payload(reinterpret_cast<const char*>(tcp + tcp_header), payload_length);
    const size_t space = payload.find(' ');
    if (space == std::string::npos || payload.find(" HTTP/1.") == std::string::npos) continue;
    const std::string method = payload.substr(0, space);
    if (method != "GET" && method != "POST" && method != "DELETE") continue;
    const std::string target = payload.substr(space + 1, payload.find(' ', space + 1) - space - 1);
    facts.paths.insert(target.substr(0, target.find('?')));
    const std::string address = std::to_string(data[26]) + "." + std::to_string(data[27]) + "." +
                                std::to_string(data[28]) + "." + std::to_string(data[29]);
    std::string credential = HeaderValue(payload, "X-API-Key");
    if (credential.empty()) {
      const std::string authorization = HeaderValue(payload, "Authorization");
      if (authorization.rfind("Bearer ", 0) == 0) credential = authorization.substr(7);
    }
    ++facts.requests[address + "|" + credential];
  }
  pcap_close(pcap);
  return facts;
}

TEST(GenScenario, SameSeedSameBytes) {
  ASSERT_FALSE(GeneratorPath().empty()) << "SLUICE_GEN_SCENARIO is not set";
  ASSERT_EQ(Generate("same1", "--seed 7"), 0);
  ASSERT_EQ(Generate("same2", "--seed 7"), 0);
  ASSERT_EQ(Generate("other", "--seed 8"), 0);
  const std::string first = ReadFile(TempPath("same1.pcap"));
  ASSERT_GT(first.size(), 100000u);
  EXPECT_EQ(first, ReadFile(TempPath("same2.pcap")));
  EXPECT_NE(first, ReadFile(TempPath("other.pcap")));
  // The labels name the capture path, which differs, so compare the clients only.
  rapidjson::Document one;
  rapidjson::Document two;
  ASSERT_TRUE(LoadJson(TempPath("same1.json"), &one));
  ASSERT_TRUE(LoadJson(TempPath("same2.json"), &two));
  EXPECT_TRUE(one["clients"] == two["clients"]);
}

// Every labelled client's call count equals the requests the capture holds from its address
// (and credential), and the totals match the capture.
void ExpectLabelsMatchCapture(const std::string& name) {
  rapidjson::Document labels;
  ASSERT_TRUE(LoadJson(TempPath(name + ".json"), &labels));
  const CaptureFacts facts = ReadCapture(TempPath(name + ".pcap"));
  ASSERT_TRUE(facts.opened);
  EXPECT_TRUE(facts.time_ordered);
  EXPECT_EQ(static_cast<uint64_t>(labels["capture"]["packets"].GetInt64()), facts.packets);
  EXPECT_EQ(static_cast<uint64_t>(labels["capture"]["connections"].GetInt64()), facts.syns);
  EXPECT_EQ(labels["capture"]["first_ts_ns"].GetInt64(), facts.first_ns);
  EXPECT_EQ(labels["capture"]["last_ts_ns"].GetInt64(), facts.last_ns);

  const bool by_address = std::string(labels["identity"].GetString()) == "ip";
  std::map<std::string, uint64_t> labelled;
  uint64_t calls = 0;
  for (const rapidjson::Value& client : labels["clients"].GetArray()) {
    calls += static_cast<uint64_t>(client["calls"].GetInt64());
    const std::string address = client["ip"].GetString();
    labelled[address + "|" + client["identity"].GetString()] +=
        static_cast<uint64_t>(client["calls"].GetInt64());
  }
  EXPECT_EQ(static_cast<uint64_t>(labels["capture"]["calls"].GetInt64()), calls);

  std::map<std::string, uint64_t> seen;
  uint64_t requests = 0;
  for (const auto& [key, count] : facts.requests) {
    requests += count;
    // With ip identity the bearer tokens are not identities: fold them into the address.
    seen[by_address ? key.substr(0, key.find('|')) + "|" : key] += count;
  }
  EXPECT_EQ(requests, calls);
  // A health checker sends no credential, so its key is "address|" in every mode.
  EXPECT_EQ(seen, labelled);
}

TEST(GenScenario, LabelsMatchCaptureByAddress) {
  ASSERT_EQ(Generate("ip", "--seed 3 --shape full"), 0);
  ExpectLabelsMatchCapture("ip");
}

TEST(GenScenario, LabelsMatchCaptureByApiKey) {
  ASSERT_EQ(Generate("key", "--seed 3 --shape full --identity api_key"), 0);
  ExpectLabelsMatchCapture("key");
  rapidjson::Document labels;
  ASSERT_TRUE(LoadJson(TempPath("key.json"), &labels));
  std::set<std::string> addresses;
  size_t keyed = 0;
  for (const rapidjson::Value& client : labels["clients"].GetArray()) {
    if (std::string(client["identity_kind"].GetString()) != "api_key") continue;
    ++keyed;
    addresses.insert(client["ip"].GetString());
    EXPECT_EQ(std::string(client["identity"].GetString()).rfind("sk_live_", 0), 0u);
  }
  // Clients share a few egress addresses (4 plus the NAT's), so only the key tells them apart.
  EXPECT_GT(keyed, 20u);
  EXPECT_LE(addresses.size(), 5u);
}

TEST(GenScenario, AttackLabelsAreConsistent) {
  ASSERT_EQ(Generate("roles", "--seed 11 --shape full --endpoint-names patients"), 0);
  rapidjson::Document labels;
  ASSERT_TRUE(LoadJson(TempPath("roles.json"), &labels));
  std::set<std::string> detectors;
  for (const rapidjson::Value& client : labels["clients"].GetArray()) {
    const std::string role = client["role"].GetString();
    const std::string detector = client["expected_detector"].GetString();
    const std::string endpoint = client["endpoint"].GetString();
    SCOPED_TRACE(role);
    if (!client["attack"].GetBool()) {
      EXPECT_EQ(detector, "none");
      EXPECT_EQ(client["attack_calls"].GetInt64(), 0);
      continue;
    }
    detectors.insert(detector);
    EXPECT_GT(client["attack_calls"].GetInt64(), 0);
    EXPECT_EQ(client["attack_calls"].GetInt64(), client["calls"].GetInt64());
    EXPECT_EQ(client["first_attack_call_index"].GetInt64(), 0);
    EXPECT_EQ(client["first_attack_ts_ns"].GetInt64(), client["first_call_ts_ns"].GetInt64());
    if (role == "forced_browsing") {
      EXPECT_EQ(endpoint, "");
      continue;
    }
    ASSERT_TRUE(client["calls_by_endpoint"].HasMember(endpoint.c_str())) << endpoint;
    EXPECT_EQ(client["calls_by_endpoint"][endpoint.c_str()].GetInt64(),
              client["attack_calls"].GetInt64());
    const std::string host = client["host"].GetString();
    EXPECT_EQ(host, role == "credential_stuffing" ? "id.example.org" : "records.example.org");
  }
  const std::set<std::string> expected = {"enumeration",     "scraping",        "exfiltration",
                                          "auth_failures",   "forced_browsing", "baseline_deviation"};
  EXPECT_EQ(detectors, expected);
}

TEST(GenScenario, NameSetsChangeTemplates) {
  ASSERT_EQ(Generate("names_a", "--seed 5 --shape enumeration --endpoint-names accounts"), 0);
  ASSERT_EQ(Generate("names_b", "--seed 5 --shape enumeration --endpoint-names orders"), 0);
  rapidjson::Document a;
  rapidjson::Document b;
  ASSERT_TRUE(LoadJson(TempPath("names_a.json"), &a));
  ASSERT_TRUE(LoadJson(TempPath("names_b.json"), &b));
  EXPECT_EQ(std::string(a["templates"]["child"].GetString()), "/accounts/{id}/related");
  EXPECT_EQ(std::string(b["templates"]["child"].GetString()), "/api/v3/orders/{id}/items");
  const CaptureFacts facts = ReadCapture(TempPath("names_b.pcap"));
  bool any_child = false;
  for (const std::string& path : facts.paths) {
    EXPECT_EQ(path.find("/accounts/"), std::string::npos) << path;
    if (path.rfind("/api/v3/orders/", 0) == 0 && path.size() > 21 &&
        path.substr(path.size() - 6) == "/items") {
      any_child = true;
    }
  }
  EXPECT_TRUE(any_child);
}

TEST(GenScenario, RejectsInvalidOptions) {
  EXPECT_EQ(RunGenerator("--out /dev/null --labels /dev/null --shape nonsense"), 2);
  EXPECT_EQ(RunGenerator("--out /dev/null --labels /dev/null --endpoint-names nonsense"), 2);
  EXPECT_EQ(RunGenerator("--out /dev/null --labels /dev/null --identity mac"), 2);
  EXPECT_EQ(RunGenerator("--out /dev/null --labels /dev/null --minutes 0"), 2);
  EXPECT_EQ(RunGenerator("--out /dev/null"), 2);
  EXPECT_EQ(RunGenerator("--out /nonexistent-dir/x.pcap --labels /dev/null"), 2);
}

TEST(ScenarioLibrary, CardNumbersPassLuhn) {
  EXPECT_TRUE(sluice::scenario::LuhnValid("4111111111111111"));
  EXPECT_FALSE(sluice::scenario::LuhnValid("4111111111111112"));
  sluice::gen::Rng rng(42);
  for (int i = 0; i < 200; ++i) {
    const std::string number = sluice::scenario::RandomCardNumber(rng);
    EXPECT_EQ(number.size(), 16u);
    EXPECT_EQ(number[0], '4');
    EXPECT_TRUE(sluice::scenario::LuhnValid(number)) << number;
  }
}

TEST(ScenarioLibrary, NameSetsHaveDistinctTemplates) {
  std::set<std::string> children;
  for (const std::string& name : sluice::scenario::NameSetNames()) {
    const sluice::scenario::NameSet* set = sluice::scenario::FindNameSet(name);
    ASSERT_NE(set, nullptr);
    EXPECT_NE(set->child_path.find("{id}"), std::string::npos) << name;
    EXPECT_TRUE(children.insert(set->child_path).second) << name;
  }
  EXPECT_GE(children.size(), 4u);
  EXPECT_EQ(sluice::scenario::FillTemplate("/a/{id}/b", "42"), "/a/42/b");
}

TEST(ScenarioLibrary, ShapesExpand) {
  std::vector<sluice::scenario::Role> roles;
  std::string error;
  ASSERT_TRUE(sluice::scenario::ExpandShape("auth,enum_slow", &roles, &error)) << error;
  EXPECT_EQ(roles.front(), sluice::scenario::Role::kCredentialStuffing);
  EXPECT_EQ(roles.back(), sluice::scenario::Role::kEnumSlow);
  EXPECT_FALSE(sluice::scenario::ExpandShape("auth,bogus", &roles, &error));
  EXPECT_NE(error.find("bogus"), std::string::npos);
}

}  // namespace
