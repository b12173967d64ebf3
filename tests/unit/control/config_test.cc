#include "control/daemon/config.h"
#include "control/forensics/scope_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace sluice::control {
namespace {

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name + "_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(path) << text;
  return path;
}

struct BadConfigCase {
  const char* name;
  const char* yaml;
  std::vector<const char*> expected_parts;  // each must appear in the error line
};

const BadConfigCase kBadCases[] = {
    {"yaml_syntax", "control:\n  listen: [unclosed\n", {"invalid YAML", "line"}},
    {"unknown_key", "control:\n  lisen: tcp://127.0.0.1:1\n", {"control.lisen", "known keys"}},
    {"listen_list", "control:\n  listen: [a, b]\n", {"control.listen", "a list"}},
    {"jsonl_map", "control:\n  jsonl: {a: 1}\n", {"control.jsonl", "a mapping"}},
    {"jsonl_empty", "control:\n  jsonl: \"\"\n", {"control.jsonl", "non-empty string"}},
    {"control_scalar", "control: 5\n", {"control must be a mapping"}},
    {"top_level_list", "- a\n- b\n", {"top level"}},
    {"curve_not_bool", "control:\n  dataplane_curve: maybe\n", {"control.dataplane_curve", "true or false"}},
    {"timeout_zero", "control:\n  update_timeout_s: 0\n", {"control.update_timeout_s", "1 to 3600"}},
    {"metrics_empty", "control:\n  metrics_listen: \"\"\n", {"control.metrics_listen", "non-empty"}},
};

// The shipped example lists every key; it must load as it stands.
TEST(LoadConfigFile, ShippedExampleLoads) {
  const std::string path = std::string(SLUICE_SOURCE_ROOT) + "/appliance/sluice.example.yaml";
  ControlConfig config;
  ASSERT_EQ(LoadConfigFile(path, {}, config), "");
  EXPECT_EQ(config.listen, kDefaultListen);
  EXPECT_TRUE(config.store.enabled);
  EXPECT_EQ(forensics::LoadReportConfigFile(path, config.report), "");
  EXPECT_EQ(config.report.evidence_limit, 50u);
}

TEST(LoadConfigFile, CommandChannelKeys) {
  const std::string path = WriteFile(
      "command_keys",
      "control:\n  command_listen: tcp://127.0.0.1:1\n  dataplane_command_listen: off\n"
      "  command_keys: /k\n  metrics_listen: 127.0.0.1:2\n  dataplane_curve: true\n"
      "  update_timeout_s: 5\n");
  ControlConfig config;
  ASSERT_EQ(LoadConfigFile(path, {}, config), "");
  EXPECT_EQ(config.command.command_listen, "tcp://127.0.0.1:1");
  EXPECT_EQ(config.command.dataplane_command_listen, "off");
  EXPECT_EQ(config.command.ServerSecretPath(), "/k/server.secret");
  EXPECT_EQ(config.command.AllowedKeysDirectory(), "/k/allowed");
  EXPECT_EQ(config.command.metrics_listen, "127.0.0.1:2");
  EXPECT_TRUE(config.command.dataplane_curve);
  EXPECT_EQ(config.command.update_timeout_s, 5u);
}

TEST(LoadConfigFile, BadFilesNameFileAndKey) {
  for (const BadConfigCase& test_case : kBadCases) {
    const std::string path = WriteFile(test_case.name, test_case.yaml);
    ControlConfig config;
    const std::string error = LoadConfigFile(path, {}, config);
    EXPECT_NE(error.find(path), std::string::npos) << test_case.name << ": " << error;
    for (const char* part : test_case.expected_parts) {
      EXPECT_NE(error.find(part), std::string::npos) << test_case.name << ": " << error;
    }
    EXPECT_EQ(error.find('\n'), std::string::npos) << "one line: " << error;
    unlink(path.c_str());
  }
}

TEST(LoadConfigFile, MissingFile) {
  ControlConfig config;
  const std::string error = LoadConfigFile("/nonexistent/sluice.yaml", {}, config);
  EXPECT_NE(error.find("/nonexistent/sluice.yaml"), std::string::npos) << error;
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
}

TEST(LoadConfigFile, ReadsControlSectionIgnoresOthers) {
  const std::string path = WriteFile(
      "good", "dataplane:\n  ports: [0, 1]\ncontrol:\n  listen: tcp://127.0.0.1:9\n"
              "  jsonl: /tmp/out.jsonl\n");
  ControlConfig config;
  EXPECT_EQ(LoadConfigFile(path, {}, config), "");
  EXPECT_EQ(config.listen, "tcp://127.0.0.1:9");
  EXPECT_EQ(config.jsonl, "/tmp/out.jsonl");
  unlink(path.c_str());
}

TEST(LoadConfigFile, LeavesReportSectionToItsReader) {
  const std::string path = WriteFile(
      "report", "control:\n  listen: tcp://127.0.0.1:9\n  report:\n    narrow_max_objects: 3\n");
  ControlConfig config;
  EXPECT_EQ(LoadConfigFile(path, {}, config), "");
  EXPECT_EQ(config.listen, "tcp://127.0.0.1:9");
  unlink(path.c_str());
}

TEST(LoadConfigFile, FlagsWin) {
  const std::string path =
      WriteFile("flags", "control:\n  listen: tcp://127.0.0.1:9\n  jsonl: /tmp/file.jsonl\n");
  ControlConfig config;
  config.listen = "tcp://127.0.0.1:1234";
  ConfigOverrides overrides;
  overrides.listen = true;
  EXPECT_EQ(LoadConfigFile(path, overrides, config), "");
  EXPECT_EQ(config.listen, "tcp://127.0.0.1:1234");
  EXPECT_EQ(config.jsonl, "/tmp/file.jsonl");
  unlink(path.c_str());
}

TEST(LoadConfigFile, EmptyFileAndSectionKeepDefaults) {
  for (const char* yaml : {"", "control:\n", "dataplane:\n  id: a\n"}) {
    const std::string path = WriteFile("empty", yaml);
    ControlConfig config;
    EXPECT_EQ(LoadConfigFile(path, {}, config), "") << yaml;
    EXPECT_EQ(config.listen, kDefaultListen);
    EXPECT_EQ(config.jsonl, kDefaultJsonl);
    unlink(path.c_str());
  }
}

TEST(LoadConfigFile, ErrorLeavesConfigUnchanged) {
  const std::string path =
      WriteFile("partial", "control:\n  listen: tcp://127.0.0.1:9\n  bogus: 1\n");
  ControlConfig config;
  EXPECT_NE(LoadConfigFile(path, {}, config), "");
  EXPECT_EQ(config.listen, kDefaultListen);
  unlink(path.c_str());
}

}  // namespace
}  // namespace sluice::control
