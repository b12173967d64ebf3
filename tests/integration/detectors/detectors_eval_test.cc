// Scores the stateful detectors on labelled captures from sluice-gen-scenario, run through real
// sluice-control and sluice-dataplane processes with 1 and 2 workers.
//
// ScenarioCapture.* checks the captures alone against tshark (no detector needed).
// DetectorsEval.* needs the detector engine: every attack client must be found by its expected
// detector with the right client and template, no benign client may be flagged, and both worker
// counts must report the same (detector, client, template) set. The cases use seeds, rates and
// endpoint names that are not used for tuning; SLUICE_DETECTORS_CASES=tuning runs the tuning
// cases instead. Either way the score table is printed at the end and, when
// SLUICE_DETECTORS_TABLE names a file, written there.

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/detectors/scoring.h"
#include "tests/integration/harness/process.h"
#include "tests/integration/harness/sluice_runner.h"
#include "tests/integration/harness/temp_dir.h"

namespace sluice::testing {
namespace {

struct EvalCase {
  const char* name;
  uint64_t seed;
  const char* shape;
  const char* endpoint_names;
  const char* identity;
  double attack_rate;
  double normal_rate;
};

// Tuning: thresholds may be chosen by looking at these.
const std::vector<EvalCase> kTuningCases = {
    {"accounts_ip", 1, "full", "accounts", "ip", 1.0, 1.0},
    {"tickets_ip", 2, "full", "tickets", "ip", 1.0, 1.0},
    {"accounts_api_key", 3, "full", "accounts", "api_key", 1.0, 1.0},
};

// Evaluation: other seeds, rates and endpoint names than the tuning cases.
const std::vector<EvalCase> kEvaluationCases = {
    {"patients_ip_slower", 101, "full", "patients", "ip", 0.7, 1.2},
    {"orders_ip_faster", 202, "full", "orders", "ip", 1.4, 0.8},
    {"orders_api_key", 303, "full", "orders", "api_key", 1.0, 1.0},
};

// Names the case in gtest's failure messages instead of dumping its bytes.
void PrintTo(const EvalCase& eval_case, std::ostream* out) { *out << eval_case.name; }

std::string Environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

bool TuningMode() { return Environment("SLUICE_DETECTORS_CASES") == "tuning"; }

const std::vector<EvalCase>& SelectedCases() {
  return TuningMode() ? kTuningCases : kEvaluationCases;
}

// Generates the capture and labels of `eval_case` into `directory`. Returns "" or the reason.
std::string GenerateCase(const EvalCase& eval_case, const TempDir& directory) {
  const std::string generator = Environment("SLUICE_GEN_SCENARIO");
  if (generator.empty()) return "SLUICE_GEN_SCENARIO is not set (run through meson test)";
  const ProcessResult result = RunProcess(
      {generator, "--out", directory.File("capture.pcap"), "--labels",
       directory.File("labels.json"), "--seed", std::to_string(eval_case.seed), "--shape",
       eval_case.shape, "--endpoint-names", eval_case.endpoint_names, "--identity",
       eval_case.identity, "--attack-rate", std::to_string(eval_case.attack_rate),
       "--normal-rate", std::to_string(eval_case.normal_rate)},
      std::chrono::seconds(60));
  if (result.exit_code != 0) return "sluice-gen-scenario failed: " + result.Describe();
  return "";
}

std::string CaseName(const ::testing::TestParamInfo<EvalCase>& info) { return info.param.name; }

// ---------------------------------------------------------------------------------------------
// The captures against tshark.

// HTTP requests per "address|credential" as tshark decodes them; the credential is the
// X-API-Key value or the bearer token, "" when the request has neither.
std::map<std::string, int64_t> TsharkRequests(const std::string& capture, std::string* error) {
  const ProcessResult result =
      RunProcess({"tshark", "-n", "-r", capture, "-Y", "http.request", "-T", "fields", "-E",
                  "separator=\t", "-E", "occurrence=a", "-e", "ip.src", "-e", "http.authorization",
                  "-e", "http.request.line"},
                 std::chrono::seconds(120));
  std::map<std::string, int64_t> requests;
  if (result.exit_code != 0) {
    *error = "tshark failed: " + result.Describe();
    return requests;
  }
  std::istringstream lines(result.stdout_text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::istringstream parts(line);
    std::string field;
    while (std::getline(parts, field, '\t')) fields.push_back(field);
    if (fields.empty()) continue;
    std::string credential;
    if (fields.size() > 1 && fields[1].rfind("Bearer ", 0) == 0) credential = fields[1].substr(7);
    if (fields.size() > 2) {
      const size_t key = fields[2].find("X-API-Key: ");
      if (key != std::string::npos) {
        const size_t start = key + 11;
        credential = fields[2].substr(start, fields[2].find_first_of("\\,\r", start) - start);
      }
    }
    ++requests[fields[0] + "|" + credential];
  }
  return requests;
}

class ScenarioCapture : public ::testing::TestWithParam<EvalCase> {};

TEST_P(ScenarioCapture, RequestsPerClientMatchTshark) {
  const EvalCase& eval_case = GetParam();
  TempDir directory("sluice-scenario");
  ASSERT_EQ(GenerateCase(eval_case, directory), "");
  Labels labels;
  std::string error;
  ASSERT_TRUE(LoadLabels(directory.File("labels.json"), "unused", &labels, &error)) << error;

  std::set<std::string> detectors;
  std::map<std::string, int64_t> expected;
  for (const LabelledClient& client : labels.clients) {
    if (client.attack) detectors.insert(client.detector);
    expected[client.ip + "|" + client.identity] += client.calls;
  }
  const std::set<std::string> all_detectors = {"enumeration",   "scraping",
                                               "exfiltration",  "auth_failures",
                                               "forced_browsing", "baseline_deviation"};
  EXPECT_EQ(detectors, all_detectors) << "the full shape must exercise every detector";

  const std::map<std::string, int64_t> seen = TsharkRequests(directory.File("capture.pcap"), &error);
  ASSERT_EQ(error, "");
  std::map<std::string, int64_t> folded;
  int64_t total = 0;
  for (const auto& [key, count] : seen) {
    total += count;
    // With ip identity the bearer tokens are not identities: count per address.
    folded[labels.identity == "ip" ? key.substr(0, key.find('|')) + "|" : key] += count;
  }
  EXPECT_EQ(total, labels.calls);
  EXPECT_EQ(folded, expected);
}

INSTANTIATE_TEST_SUITE_P(Cases, ScenarioCapture, ::testing::ValuesIn(SelectedCases()), CaseName);

// ---------------------------------------------------------------------------------------------
// The detectors.

ScoreTable& Table() {
  static ScoreTable table;
  return table;
}

class DetectorsEval : public ::testing::TestWithParam<EvalCase> {
 protected:
  static void SetUpTestSuite() {
    SluicePaths paths;
    setup_error_ = SluicePaths::FromEnvironment(&paths);
    if (!setup_error_.empty()) return;
    control_ = std::make_unique<ControlServer>(paths);
    setup_error_ = control_->Start();
  }

  static void TearDownTestSuite() {
    if (control_ != nullptr && setup_error_.empty()) {
      const std::string error = control_->Stop();
      if (!error.empty()) ADD_FAILURE() << error;
    }
    control_.reset();
    const std::string title = TuningMode() ? "Tuning cases" : "Evaluation cases";
    const std::string table = Table().Markdown(title + " (1 worker)");
    std::printf("\n%s\n", table.c_str());
    const std::string path = Environment("SLUICE_DETECTORS_TABLE");
    if (!path.empty() && !WriteFile(path, table)) ADD_FAILURE() << "cannot write " << path;
  }

  // Runs the data plane on the case's capture; the api_key cases get the identity config.
  DataplaneRun Run(const EvalCase& eval_case, const TempDir& directory, unsigned workers) {
    std::vector<std::string> extra;
    if (std::string(eval_case.identity) != "ip") {
      extra = {"--config", Environment("SLUICE_DETECTORS_DIR") + "/identity_" +
                               eval_case.identity + ".yaml"};
    }
    return control_->RunDataplane(directory.File("capture.pcap"), workers, extra);
  }

  static std::unique_ptr<ControlServer> control_;
  static std::string setup_error_;
};

std::unique_ptr<ControlServer> DetectorsEval::control_;
std::string DetectorsEval::setup_error_;

std::set<std::tuple<std::string, std::string, std::string>> KeySet(
    const std::vector<FoundFinding>& findings) {
  std::set<std::tuple<std::string, std::string, std::string>> keys;
  for (const FoundFinding& finding : findings) keys.insert(finding.Key());
  return keys;
}

std::string Describe(const std::set<std::tuple<std::string, std::string, std::string>>& keys) {
  std::string text;
  for (const auto& [detector, client, endpoint] : keys) {
    text += "  " + detector + " " + client + " '" + endpoint + "'\n";
  }
  return text.empty() ? "  (none)\n" : text;
}

TEST_P(DetectorsEval, FindsEveryAttackAndNoBenignClient) {
  ASSERT_EQ(setup_error_, "");
  const EvalCase& eval_case = GetParam();
  TempDir directory("sluice-detectors");
  ASSERT_EQ(GenerateCase(eval_case, directory), "");
  Labels labels;
  std::string error;
  ASSERT_TRUE(LoadLabels(directory.File("labels.json"), kIntegrationPiiKey, &labels, &error))
      << error;

  std::map<unsigned, std::vector<FoundFinding>> findings;
  for (unsigned workers : {1u, 2u}) {
    SCOPED_TRACE("workers " + std::to_string(workers));
    const DataplaneRun run = Run(eval_case, directory, workers);
    ASSERT_EQ(run.process.exit_code, 0) << run.process.Describe();
    ASSERT_EQ(run.records_error, "");
    const std::vector<const rapidjson::Document*> transactions = run.RecordsOfType("transaction");
    ASSERT_EQ(static_cast<int64_t>(transactions.size()), labels.calls);
    std::vector<const rapidjson::Document*> all;
    for (const JsonRecord& record : run.records) all.push_back(record.get());
    findings[workers] = ExtractFindings(all);

    const CaseScore score = ScoreRun(labels, findings[workers], transactions);
    if (workers == 1) Table().Add(labels, score);
    for (const AttackScore& attack : score.attacks) {
      EXPECT_TRUE(attack.found)
          << attack.client->role << " client " << attack.client->client_id << " ("
          << attack.client->ip << ") not found by " << attack.client->detector << " on '"
          << attack.client->endpoint << "'; findings on this client: "
          << (attack.detected_by.empty() ? "none" : attack.detected_by)
          << (attack.wrong_template.empty() ? "" : "; other templates: " + attack.wrong_template);
    }
    for (const std::string& false_positive : score.false_positives) {
      ADD_FAILURE() << "benign client flagged: " << false_positive;
    }
  }
  EXPECT_EQ(KeySet(findings[1]), KeySet(findings[2]))
      << "1 worker found:\n" << Describe(KeySet(findings[1])) << "2 workers found:\n"
      << Describe(KeySet(findings[2]));
}

INSTANTIATE_TEST_SUITE_P(Cases, DetectorsEval, ::testing::ValuesIn(SelectedCases()), CaseName);

}  // namespace
}  // namespace sluice::testing
