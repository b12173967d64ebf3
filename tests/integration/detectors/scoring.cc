#include "tests/integration/detectors/scoring.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "tests/integration/harness/jsonl.h"
#include "tests/integration/harness/temp_dir.h"

namespace sluice::testing {
namespace {

std::string StringMember(const rapidjson::Value& object, const char* name) {
  if (!object.HasMember(name) || !object[name].IsString()) return "";
  return object[name].GetString();
}

// Hosts compare without a ":port" suffix: the scenario serves on port 80 only.
std::string HostWithoutPort(const std::string& host) { return host.substr(0, host.find(':')); }

}  // namespace

std::string Pseudonym(const std::string& key, const std::string& value) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(value.data()), value.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < 16 && i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

bool LoadLabels(const std::string& path, const std::string& pii_key, Labels* labels,
                std::string* error) {
  std::string text;
  if (!ReadFile(path, &text)) {
    *error = "cannot read labels file " + path;
    return false;
  }
  rapidjson::Document document;
  document.Parse(text.c_str(), text.size());
  if (document.HasParseError() || !document.IsObject() || !document.HasMember("clients") ||
      !document["clients"].IsArray() || !document.HasMember("capture")) {
    *error = "labels file " + path + " is not a sluice-gen-scenario labels object";
    return false;
  }
  labels->identity = StringMember(document, "identity");
  labels->calls = document["capture"]["calls"].GetInt64();
  for (const rapidjson::Value& entry : document["clients"].GetArray()) {
    LabelledClient client;
    client.ip = StringMember(entry, "ip");
    client.identity_kind = StringMember(entry, "identity_kind");
    client.identity = StringMember(entry, "identity");
    client.client_id =
        client.identity_kind == "ip" ? client.ip : Pseudonym(pii_key, client.identity);
    client.role = StringMember(entry, "role");
    client.attack = entry["attack"].GetBool();
    client.detector = StringMember(entry, "expected_detector");
    client.endpoint = StringMember(entry, "endpoint");
    client.template_required = entry["template_required"].GetBool();
    client.host = StringMember(entry, "host");
    client.calls = entry["calls"].GetInt64();
    labels->clients.push_back(client);
  }
  return true;
}

int64_t TimestampNs(const rapidjson::Value* value) {
  if (value == nullptr) return -1;
  if (value->IsInt64()) return value->GetInt64();
  if (value->IsUint64()) return static_cast<int64_t>(value->GetUint64());
  if (!value->IsString()) return -1;
  // "YYYY-MM-DDTHH:MM:SS[.fraction]Z", as sluice-control writes them.
  struct tm parts = {};
  int fraction_start = 0;
  if (std::sscanf(value->GetString(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &parts.tm_year, &parts.tm_mon,
                  &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec,
                  &fraction_start) != 6) {
    return -1;
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  int64_t ns = static_cast<int64_t>(timegm(&parts)) * 1000000000LL;
  const char* rest = value->GetString() + fraction_start;
  if (*rest == '.') {
    int64_t scale = 100000000;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest) {
      ns += (*rest - '0') * scale;
      scale /= 10;
    }
  }
  return ns;
}

std::vector<FoundFinding> ExtractFindings(const std::vector<const rapidjson::Document*>& records) {
  std::vector<FoundFinding> findings;
  for (const rapidjson::Document* record : records) {
    if (FindString(*record, "sluice.record_type") != "finding") continue;
    FoundFinding finding;
    finding.detector = FindString(*record, "sluice.finding.detector").value_or("");
    finding.client_kind = FindString(*record, "sluice.client.kind").value_or("");
    finding.client_id = FindString(*record, "sluice.client.id")
                            .value_or(FindString(*record, "source.ip").value_or(""));
    finding.endpoint = FindString(*record, "sluice.finding.endpoint").value_or("");
    finding.host = FindString(*record, "sluice.finding.host").value_or("");
    finding.detected_ns = TimestampNs(Find(*record, "sluice.finding.last_ts"));
    if (finding.detected_ns < 0) finding.detected_ns = TimestampNs(Find(*record, "@timestamp"));
    finding.calls = FindInt(*record, "sluice.finding.calls").value_or(-1);
    findings.push_back(finding);
  }
  return findings;
}

std::string TransactionClient(const rapidjson::Value& record) {
  const std::optional<std::string> id = FindString(record, "sluice.client.id");
  if (id && !id->empty()) return *id;
  return FindString(record, "source.ip").value_or("");
}

namespace {

bool Matches(const LabelledClient& client, const FoundFinding& finding) {
  if (finding.detector != client.detector || finding.client_id != client.client_id) return false;
  // Client-wide detectors (auth failures, forced browsing) may name any template or none.
  const bool template_ok = !client.template_required || finding.endpoint == client.endpoint;
  if (!template_ok) return false;
  return finding.host.empty() || client.host.empty() ||
         HostWithoutPort(finding.host) == HostWithoutPort(client.host);
}

int64_t CallsBefore(const LabelledClient& client, int64_t detected_ns,
                    const std::vector<const rapidjson::Document*>& transactions) {
  int64_t calls = 0;
  for (const rapidjson::Document* record : transactions) {
    if (TransactionClient(*record) != client.client_id) continue;
    if (client.template_required &&
        FindString(*record, "sluice.endpoint").value_or("") != client.endpoint) {
      continue;
    }
    const int64_t ns = TimestampNs(Find(*record, "@timestamp"));
    if (ns >= 0 && ns <= detected_ns) ++calls;
  }
  return calls;
}

}  // namespace

CaseScore ScoreRun(const Labels& labels, const std::vector<FoundFinding>& findings,
                   const std::vector<const rapidjson::Document*>& transactions) {
  CaseScore score;
  std::map<std::string, const LabelledClient*> by_id;
  for (const LabelledClient& client : labels.clients) by_id[client.client_id] = &client;

  std::set<std::tuple<std::string, std::string, std::string>> distinct;
  for (const FoundFinding& finding : findings) {
    if (!distinct.insert(finding.Key()).second) continue;
    const auto client = by_id.find(finding.client_id);
    if (client != by_id.end() && client->second->attack) {
      ++score.findings_on_attackers;
      continue;
    }
    const std::string role = client == by_id.end() ? "unlabelled client" : client->second->role;
    score.false_positives.push_back(finding.detector + " " + finding.client_id + " '" +
                                    finding.endpoint + "' (" + role + ")");
  }
  score.findings = distinct.size();

  for (const LabelledClient& client : labels.clients) {
    if (!client.attack) continue;
    AttackScore attack;
    attack.client = &client;
    int64_t first_detection = -1;
    for (const FoundFinding& finding : findings) {
      if (finding.client_id != client.client_id) continue;
      attack.detected_by += finding.detector + "(" + finding.endpoint + ") ";
      if (Matches(client, finding)) {
        attack.found = true;
        if (first_detection < 0 || finding.detected_ns < first_detection) {
          first_detection = finding.detected_ns;
        }
      } else if (finding.detector == client.detector) {
        attack.wrong_template += finding.endpoint + " ";
      }
    }
    if (attack.found) attack.calls_before = CallsBefore(client, first_detection, transactions);
    score.attacks.push_back(attack);
  }
  return score;
}

void ScoreTable::Add(const Labels& labels, const CaseScore& score) {
  for (const AttackScore& attack : score.attacks) {
    RoleRow& row = roles[attack.client->role];
    row.detector = attack.client->detector;
    ++row.attacks;
    if (attack.found) {
      ++row.found;
      row.calls_before.push_back(attack.calls_before);
    }
  }
  for (const LabelledClient& client : labels.clients) {
    if (!client.attack) ++benign_clients;
  }
  benign_flagged += static_cast<int>(score.false_positives.size());
  findings += score.findings;
  findings_on_attackers += score.findings_on_attackers;
}

std::string ScoreTable::Markdown(const std::string& title) const {
  std::string text = "### " + title + "\n\n";
  text += "| attack | detector | found | calls before detection (median) | (max) |\n";
  text += "|---|---|---|---|---|\n";
  int attacks = 0;
  int found = 0;
  for (const auto& [role, row] : roles) {
    attacks += row.attacks;
    found += row.found;
    std::vector<int64_t> sorted = row.calls_before;
    std::sort(sorted.begin(), sorted.end());
    const std::string median = sorted.empty() ? "-" : std::to_string(sorted[sorted.size() / 2]);
    const std::string maximum = sorted.empty() ? "-" : std::to_string(sorted.back());
    text += "| " + role + " | " + row.detector + " | " + std::to_string(row.found) + "/" +
            std::to_string(row.attacks) + " | " + median + " | " + maximum + " |\n";
  }
  char precision[32] = "-";  // Undefined without findings.
  if (findings > 0) {
    std::snprintf(precision, sizeof(precision), "%.3f",
                  static_cast<double>(findings_on_attackers) / static_cast<double>(findings));
  }
  char summary[320];
  std::snprintf(summary, sizeof(summary),
                "\nPrecision %s (%zu of %zu distinct findings name an attack client). Recall %.3f "
                "(%d of %d attacks found by their detector). Findings on benign clients: %d "
                "(%d benign clients over all cases).\n",
                precision, findings_on_attackers, findings,
                attacks == 0 ? 0.0 : static_cast<double>(found) / attacks, found, attacks,
                benign_flagged, benign_clients);
  text += summary;
  return text;
}

}  // namespace sluice::testing
