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
      "dataplane:\n  workers: 2\n"
      "control:\n  listen: tcp://127.0.0.1:7750\n"
      "  report:\n"
      "    deep_min_pii_types: 3\n"
      "    deep_min_bytes_per_object: 512\n"
      "    deep_min_responses: 5\n"
      "    narrow_max_templates: 2\n"
      "    narrow_max_objects: 100\n"
      "    narrow_max_subjects: 0\n"
      "    subject_types: [email, iban]\n"
      "    evidence_limit: 7\n",
      t);
  ASSERT_EQ(error, "");
  EXPECT_EQ(t.deep_min_pii_types, 3u);
  EXPECT_EQ(t.deep_min_bytes_per_object, 512u);
  EXPECT_EQ(t.deep_min_responses, 5u);
  EXPECT_EQ(t.narrow_max_templates, 2u);
  EXPECT_EQ(t.narrow_max_objects, 100u);
  EXPECT_EQ(t.narrow_max_subjects, 0u);
  EXPECT_EQ(t.subject_types, (std::vector<std::string>{"email", "iban"}));
  EXPECT_EQ(t.evidence_limit, 7u);
}

TEST(ReportConfig, AbsentSectionKeepsDefaults) {
  for (const char* yaml : {"", "control:\n  listen: x\n", "control:\n  report:\n",
                           "control:\n  report: ~\n", "report:\n  narrow_max_objects: 3\n"}) {
    ScopeThresholds t;
    EXPECT_EQ(Load(yaml, t), "") << yaml;
    EXPECT_EQ(t.deep_min_pii_types, ScopeThresholds().deep_min_pii_types) << yaml;
    EXPECT_EQ(t.subject_types, ScopeThresholds().subject_types) << yaml;
  }
}

struct Case {
  const char* yaml;
  const char* expected;
};

TEST(ReportConfig, ErrorsNameTheKeyAndLeaveValues) {
  const Case cases[] = {
      {"narrow_max_objcts: 3", "unknown key control.report.narrow_max_objcts"},
      {"narrow_max_objects: -1", "control.report.narrow_max_objects must be a whole number"},
      {"narrow_max_objects: ten", "got 'ten'"},
      {"narrow_max_objects: 1.5", "must be a whole number"},
      {"narrow_max_objects: [1]", "must be a whole number"},
      {"deep_min_pii_types: 65", "from 0 to 64"},
      {"deep_min_pii_types: 0", "control.report.deep_min_pii_types must be at least 1"},
      {"deep_min_responses: 0", "must be at least 1"},
      {"subject_types: email", "must be a list"},
      {"subject_types: ['']", "non-empty type names"},
      {"subject_types: [email, shoe_size]", "unknown PII type 'shoe_size'; use the names email, credit_card"},
      {"a: [", "invalid YAML at line"},
  };
  for (const Case& c : cases) {
    ScopeThresholds t;
    t.narrow_max_objects = 42;
    const std::string error = Load("control:\n  report:\n    " + std::string(c.yaml) + "\n", t);
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.yaml << " -> " << error;
    EXPECT_EQ(error.rfind("config test.yaml: ", 0), 0u) << error;
    EXPECT_EQ(t.narrow_max_objects, 42u) << c.yaml;
  }
}

TEST(ReportConfig, SectionShapeErrors) {
  const Case cases[] = {
      {"control:\n  report: [1, 2]\n", "control.report must be a mapping"},
      {"control: 3\n", "control must be a mapping"},
      {"- a\n", "top level must be a mapping"},
  };
  for (const Case& c : cases) {
    ScopeThresholds t;
    const std::string error = Load(c.yaml, t);
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.yaml << " -> " << error;
  }
}

TEST(ReportConfig, LoadsFile) {
  const std::string path =
      ::testing::TempDir() + "report_config_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(path) << "control:\n  report:\n    evidence_limit: 3\n";
  ScopeThresholds t;
  EXPECT_EQ(LoadReportConfigFile(path, t), "");
  EXPECT_EQ(t.evidence_limit, 3u);
  unlink(path.c_str());

  const std::string error = LoadReportConfigFile(path, t);
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

}  // namespace
}  // namespace sluice::control::forensics
