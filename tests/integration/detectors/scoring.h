// Scoring detector findings against the labels sluice-gen-scenario writes: which attack clients
// were found by their expected detector with the right client and template, which benign clients
// were flagged, and how many calls each attacker made before its finding.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace sluice::testing {

// One client from the labels file.
struct LabelledClient {
  std::string ip;
  std::string identity_kind;  // "ip", "api_key", "bearer", "jwt_sub".
  std::string identity;       // Raw credential or sub claim; "" for ip.
  std::string client_id;      // As records name it: the address, or the identity's pseudonym.
  std::string role;
  bool attack = false;
  std::string detector;  // Expected detector, "none" for benign roles.
  std::string endpoint;  // Expected template.
  bool template_required = false;
  std::string host;
  int64_t calls = 0;
};

struct Labels {
  std::string identity;  // The scenario's identity kind.
  int64_t calls = 0;
  std::vector<LabelledClient> clients;
};

// Reads a labels file and computes each client's id with `pii_key`, the data plane's
// fingerprint key. False with `error` when the file is missing or malformed.
bool LoadLabels(const std::string& path, const std::string& pii_key, Labels* labels,
                std::string* error);

// Lower-case hex of the first 16 bytes of HMAC-SHA256(key, value): the product's pseudonym.
std::string Pseudonym(const std::string& key, const std::string& value);

// A finding record, reduced to what is scored.
struct FoundFinding {
  std::string detector;
  std::string client_kind;
  std::string client_id;
  std::string endpoint;  // Any template, or "", for client-wide detectors.
  std::string host;
  int64_t detected_ns = 0;  // The last call the detector had counted, else the record time.
  int64_t calls = -1;       // sluice.finding.calls, -1 when absent.

  // (detector, client, template): what 1 and 2 workers must agree on.
  std::tuple<std::string, std::string, std::string> Key() const {
    return {detector, client_id, endpoint};
  }
};

// The finding records among `records` (sluice.record_type "finding").
std::vector<FoundFinding> ExtractFindings(const std::vector<const rapidjson::Document*>& records);

// The identity of a transaction record: sluice.client.id, else source.ip.
std::string TransactionClient(const rapidjson::Value& record);

// RFC 3339 text ("2024-03-12T09:00:00.123456789Z") or integer nanoseconds; -1 when neither.
int64_t TimestampNs(const rapidjson::Value* value);

struct AttackScore {
  const LabelledClient* client = nullptr;
  bool found = false;             // By the expected detector, right client, template and host.
  int64_t calls_before = -1;      // Calls of the client to the template up to the detection.
  std::string detected_by;        // Detectors that did report this client, for messages.
  std::string wrong_template;     // Templates the expected detector named instead, if any.
};

struct CaseScore {
  std::vector<AttackScore> attacks;
  std::vector<std::string> false_positives;  // "detector client template (role)" per benign hit.
  size_t findings = 0;                       // Distinct (detector, client, template).
  size_t findings_on_attackers = 0;
};

// Scores one run. `transactions` are its transaction records (for calls before detection).
CaseScore ScoreRun(const Labels& labels, const std::vector<FoundFinding>& findings,
                   const std::vector<const rapidjson::Document*>& transactions);

// One row per attack role and totals, as a Markdown table: role, detector, attacks found,
// median and maximum calls before detection; then precision and recall.
struct ScoreTable {
  struct RoleRow {
    std::string detector;
    int attacks = 0;
    int found = 0;
    std::vector<int64_t> calls_before;
  };
  std::map<std::string, RoleRow> roles;
  int benign_clients = 0;
  int benign_flagged = 0;
  size_t findings = 0;
  size_t findings_on_attackers = 0;

  void Add(const Labels& labels, const CaseScore& score);
  std::string Markdown(const std::string& title) const;
};

}  // namespace sluice::testing
