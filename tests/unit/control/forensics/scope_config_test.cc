#include "control/forensics/scope_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace sluice::control::forensics {
namespace {

std::string Load(const std::string& yaml, ScopeThresholds& thresholds) {
  return LoadReportConfigText(yaml, "test.yaml", thresholds);
}

TEST(ReportConfig, SetsEveryKey) {
  ScopeThresholds t;
  const std::string error = Load(
      "control:\n  listen: tcp://127.0.0.1:7750\n"
      "report:\n"
      "  deep_min_pii_types: 3\n"
      "  deep_min_bytes_per_object: 512\n"
      "  deep_min_responses: 5\n"
      "  narrow_max_templates: 2\n"
      "  narrow_max_objects: 100\n"
      "  narrow_max_subjects: 0\n"
      "  subject_types: [email, national_id]\n"
      "  evidence_limit: 7\n",
      t);
  ASSERT_EQ(error, "");
  EXPECT_EQ(t.deep_min_pii_types, 3u);
  EXPECT_EQ(t.deep_min_bytes_per_object, 512u);
  EXPECT_EQ(t.deep_min_responses, 5u);
  EXPECT_EQ(t.narrow_max_templates, 2u);
  EXPECT_EQ(t.narrow_max_objects, 100u);
  EXPECT_EQ(t.narrow_max_subjects, 0u);
  EXPECT_EQ(t.subject_types, (std::vector<std::string>{"email", "national_id"}));
  EXPECT_EQ(t.evidence_limit, 7u);
}

TEST(ReportConfig, AbsentSectionKeepsDefaults) {
  for (const char* yaml : {"", "control:\n  listen: x\n", "report:\n", "report: ~\n"}) {
    ScopeThresholds t;
    EXPECT_EQ(Load(yaml, t), "") << yaml;
    EXPECT_EQ(t.deep_min_pii_types, ScopeThresholds().deep_min_pii_types) << yaml;
    EXPECT_EQ(t.subject_types, ScopeThresholds().subject_types) << yaml;
  }
}

TEST(ReportConfig, ErrorsNameTheKeyAndLeaveValues) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  const Case cases[] = {
      {"report:\n  narrow_max_objcts: 3\n", "unknown key report.narrow_max_objcts"},
      {"report:\n  narrow_max_objects: -1\n", "report.narrow_max_objects must be a whole number"},
      {"report:\n  narrow_max_objects: ten\n", "got 'ten'"},
      {"report:\n  narrow_max_objects: 1.5\n", "must be a whole number"},
      {"report:\n  narrow_max_objects: [1]\n", "must be a whole number"},
      {"report:\n  deep_min_pii_types: 65\n", "from 0 to 64"},
      {"report:\n  deep_min_pii_types: 0\n", "must be at least 1"},
      {"report:\n  deep_min_responses: 0\n", "must be at least 1"},
      {"report:\n  subject_types: email\n", "must be a list"},
      {"report:\n  subject_types: ['']\n", "non-empty type names"},
      {"report: [1, 2]\n", "report must be a mapping"},
      {"- a\n", "top level must be a mapping"},
      {"report:\n  a: [\n", "invalid YAML at line"},
  };
  for (const Case& c : cases) {
    ScopeThresholds t;
    t.narrow_max_objects = 42;
    const std::string error = Load(std::string(c.yaml) + "", t);
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.yaml << " -> " << error;
    EXPECT_EQ(error.rfind("config test.yaml: ", 0), 0u) << error;
    EXPECT_EQ(t.narrow_max_objects, 42u) << c.yaml;
  }
}

TEST(ReportConfig, LoadsFile) {
  const std::string path =
      ::testing::TempDir() + "report_config_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(path) << "report:\n  evidence_limit: 3\n";
  ScopeThresholds t;
  EXPECT_EQ(LoadReportConfigFile(path, t), "");
  EXPECT_EQ(t.evidence_limit, 3u);
  unlink(path.c_str());

  const std::string error = LoadReportConfigFile(path, t);
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

}  // namespace
}  // namespace sluice::control::forensics
