// The control.store section of the configuration file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "control/daemon/config.h"

namespace sluice::control {
namespace {

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path =
      ::testing::TempDir() + "store_" + name + "_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(path) << text;
  return path;
}

TEST(StoreConfig, DefaultsOnWithDerivedKey) {
  const ControlConfig config;
  EXPECT_TRUE(config.store.enabled);
  EXPECT_EQ(config.store.path, "/var/lib/sluice/store");
  EXPECT_EQ(config.store.SigningKeyPath(), "/var/lib/sluice/store-signing.pem");
}

TEST(StoreConfig, ReadsEveryKey) {
  const std::string path = WriteFile(
      "good", "control:\n  store:\n    enabled: false\n    path: /data/store\n"
              "    signing_key: /etc/sluice/key.pem\n    segment_max_mb: 8\n"
              "    segment_max_age_s: 60\n    retention_max_gb: 5\n    retention_max_days: 7\n");
  ControlConfig config;
  ASSERT_EQ(LoadConfigFile(path, {}, config), "");
  EXPECT_FALSE(config.store.enabled);
  EXPECT_EQ(config.store.path, "/data/store");
  EXPECT_EQ(config.store.SigningKeyPath(), "/etc/sluice/key.pem");
  EXPECT_EQ(config.store.segment_max_mb, 8u);
  EXPECT_EQ(config.store.segment_max_age_s, 60u);
  EXPECT_EQ(config.store.retention_max_gb, 5u);
  EXPECT_EQ(config.store.retention_max_days, 7u);
  unlink(path.c_str());
}

TEST(StoreConfig, FlagsWinOverFile) {
  const std::string path =
      WriteFile("flags", "control:\n  store:\n    enabled: true\n    path: /data/store\n");
  ControlConfig config;
  config.store.enabled = false;
  config.store.path = "/flag/store";
  ConfigOverrides overrides;
  overrides.store_enabled = true;
  overrides.store_path = true;
  ASSERT_EQ(LoadConfigFile(path, overrides, config), "");
  EXPECT_FALSE(config.store.enabled);
  EXPECT_EQ(config.store.path, "/flag/store");
  unlink(path.c_str());
}

TEST(StoreConfig, BadValuesNameTheKey) {
  const std::pair<const char*, const char*> kCases[] = {
      {"control:\n  store:\n    enabled: maybe\n", "control.store.enabled"},
      {"control:\n  store:\n    segment_max_mb: -1\n", "control.store.segment_max_mb"},
      {"control:\n  store:\n    segment_max_mb: 0\n", "control.store.segment_max_mb"},
      {"control:\n  store:\n    retention_max_gb: lots\n", "control.store.retention_max_gb"},
      {"control:\n  store:\n    path: \"\"\n", "control.store.path"},
      {"control:\n  store:\n    retention: 5\n", "control.store.retention"},
      {"control:\n  store: 5\n", "control.store must be a mapping"},
  };
  int index = 0;
  for (const auto& [yaml, expected] : kCases) {
    const std::string path = WriteFile("bad" + std::to_string(index++), yaml);
    ControlConfig config;
    const std::string error = LoadConfigFile(path, {}, config);
    EXPECT_NE(error.find(expected), std::string::npos) << yaml << " -> " << error;
    EXPECT_NE(error.find(path), std::string::npos) << error;
    unlink(path.c_str());
  }
}

}  // namespace
}  // namespace sluice::control
