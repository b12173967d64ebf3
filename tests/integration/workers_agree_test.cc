// End to end: one worker and two workers must produce the same records for every capture. Flows
// are spread over workers by a hash of the address pair, so a difference means state leaked
// between flows, or work was lost or done twice.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/harness/sluice_runner.h"
#include "tests/integration/harness/temp_dir.h"

namespace sluice::testing {
namespace {

// Fields that name the worker, the batch or the run, and so differ between runs by design.
// sluice.dataplane differs because every run gets its own --id.
constexpr const char* kRunSpecificFields[] = {
    "sluice.worker", "sluice.flow_id", "sluice.batch", "sluice.run_id", "sluice.dataplane",
};

std::vector<std::string> CapturesToCompare() {
  std::vector<std::string> captures;
  for (const char* variable : {"SLUICE_CORPUS_DIR", "SLUICE_SAMPLES_DIR"}) {
    const char* dir = std::getenv(variable);
    if (dir == nullptr || dir[0] == '\0') continue;
    const std::vector<std::string> found = FindCaptures(dir);
    captures.insert(captures.end(), found.begin(), found.end());
  }
  return captures;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  const char* corpus = std::getenv("SLUICE_CORPUS_DIR");
  std::string name = CaptureName(info.param, corpus == nullptr ? "" : corpus);
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return name;
}

// The records of a run as canonical JSON strings without the run-specific fields, sorted: a
// multiset that does not depend on which worker wrote what, or in which order.
std::vector<std::string> Canonical(DataplaneRun* run) {
  std::vector<std::string> lines;
  for (JsonRecord& record : run->records) {
    for (const char* field : kRunSpecificFields) RemoveMember(*record, field);
    lines.push_back(CanonicalJson(*record));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// Lines of `a` that `b` lacks (both sorted), as many times as they are missing.
std::vector<std::string> Missing(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

class WorkersAgree : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    // Detector findings reach other workers' later calls with a lag that depends on timing, so
    // verdicts and finding lists would differ by design; the detect_workers test compares the
    // findings themselves. Here the detectors are off.
    config_dir_ = std::make_unique<TempDir>("sluice-agree-");
    config_ = config_dir_->File("no-detectors.yaml");
    std::ofstream(config_) << "dataplane:\n  detectors:\n    enabled: false\n";
    SluicePaths paths;
    setup_error_ = SluicePaths::FromEnvironment(&paths);
    if (!setup_error_.empty()) return;
    control_ = std::make_unique<ControlServer>(paths);
    setup_error_ = control_->Start();
  }

  static void TearDownTestSuite() {
    // With two workers, flows must really have been spread: otherwise this test compares one
    // worker with itself and cannot fail.
    EXPECT_GT(records_from_second_worker_, 0u) << "no run with --workers 2 wrote a record from worker 1";
    if (control_ != nullptr && setup_error_.empty()) {
      const std::string error = control_->Stop();
      EXPECT_TRUE(error.empty()) << error;
    }
    control_.reset();
  }

  static std::unique_ptr<ControlServer> control_;
  static std::unique_ptr<TempDir> config_dir_;
  static std::string config_;
  static std::string setup_error_;
  static size_t records_from_second_worker_;
};

std::unique_ptr<ControlServer> WorkersAgree::control_;
std::unique_ptr<TempDir> WorkersAgree::config_dir_;
std::string WorkersAgree::config_;
std::string WorkersAgree::setup_error_;
size_t WorkersAgree::records_from_second_worker_ = 0;

TEST(WorkersAgreeSetup, CapturesFound) { EXPECT_FALSE(CapturesToCompare().empty()); }

TEST_P(WorkersAgree, OneAndTwoWorkersSameRecords) {
  ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  const std::string& capture = GetParam();

  DataplaneRun one = control_->RunDataplane(capture, 1, {"--config", config_});
  ASSERT_EQ(one.process.exit_code, 0) << capture << " with 1 worker: " << one.process.Describe();
  ASSERT_TRUE(one.records_error.empty()) << one.records_error;
  DataplaneRun two = control_->RunDataplane(capture, 2, {"--config", config_});
  ASSERT_EQ(two.process.exit_code, 0) << capture << " with 2 workers: " << two.process.Describe();
  ASSERT_TRUE(two.records_error.empty()) << two.records_error;

  for (const JsonRecord& record : two.records) {
    if (FindInt(*record, "sluice.worker") == 1) ++records_from_second_worker_;
  }

  // Every capture in the corpus has at least one flow, so an empty run is a failure too.
  EXPECT_FALSE(one.records.empty()) << capture << ": no records with 1 worker";
  const std::vector<std::string> with_one = Canonical(&one);
  const std::vector<std::string> with_two = Canonical(&two);
  EXPECT_EQ(with_one.size(), with_two.size()) << capture << ": record count differs";
  for (const std::string& line : Missing(with_one, with_two)) {
    ADD_FAILURE() << capture << ": only with 1 worker: " << line;
  }
  for (const std::string& line : Missing(with_two, with_one)) {
    ADD_FAILURE() << capture << ": only with 2 workers: " << line;
  }
}

INSTANTIATE_TEST_SUITE_P(Captures, WorkersAgree, ::testing::ValuesIn(CapturesToCompare()), TestName);

}  // namespace
}  // namespace sluice::testing
