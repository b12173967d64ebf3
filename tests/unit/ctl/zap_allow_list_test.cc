// The ZAP decisions and the allowed-keys directory, without a handshake.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zmq.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "control/command/allow_list.h"
#include "control/command/curve_keys.h"
#include "control/command/zap_handler.h"

namespace sluice::control {
namespace {

std::string RawKey(const std::string& z85) {
  uint8_t raw[32];
  EXPECT_NE(zmq_z85_decode(raw, z85.c_str()), nullptr);
  return std::string(reinterpret_cast<const char*>(raw), sizeof(raw));
}

std::vector<std::string> CurveRequest(const std::string& raw_key) {
  return {"1.0", "7", "sluice-command", "127.0.0.1", "", "CURVE", raw_key};
}

std::string MakeTempDir() {
  char pattern[] = "/tmp/zap-allow-list-XXXXXX";
  const char* path = mkdtemp(pattern);
  EXPECT_NE(path, nullptr);
  return path;
}

TEST(ZapDecision, ListedKeyAdmittedWithItsName) {
  CurveKeyPair pair;
  std::string error;
  ASSERT_TRUE(GenerateKeyPair(&pair, &error)) << error;
  AllowList allowed;
  ASSERT_TRUE(allowed.Add("alice", pair.public_z85));

  const ZapDecision decision = DecideZapRequest(allowed, CurveRequest(RawKey(pair.public_z85)));
  EXPECT_TRUE(decision.admitted);
  EXPECT_EQ(decision.status_code, "200");
  EXPECT_EQ(decision.user_id, "alice");
  EXPECT_EQ(decision.client_key_z85, pair.public_z85);
}

TEST(ZapDecision, UnknownKeyRejectedWithItsText) {
  CurveKeyPair listed;
  CurveKeyPair stranger;
  std::string error;
  ASSERT_TRUE(GenerateKeyPair(&listed, &error)) << error;
  ASSERT_TRUE(GenerateKeyPair(&stranger, &error)) << error;
  AllowList allowed;
  ASSERT_TRUE(allowed.Add("alice", listed.public_z85));

  const ZapDecision decision = DecideZapRequest(allowed, CurveRequest(RawKey(stranger.public_z85)));
  EXPECT_FALSE(decision.admitted);
  EXPECT_EQ(decision.status_code, "400");
  EXPECT_TRUE(decision.user_id.empty());
  EXPECT_EQ(decision.client_key_z85, stranger.public_z85) << "the log needs the rejected key";
}

TEST(ZapDecision, EmptyListRejectsEveryone) {
  CurveKeyPair pair;
  std::string error;
  ASSERT_TRUE(GenerateKeyPair(&pair, &error)) << error;
  const ZapDecision decision = DecideZapRequest(AllowList{}, CurveRequest(RawKey(pair.public_z85)));
  EXPECT_FALSE(decision.admitted);
}

TEST(ZapDecision, MalformedRequests) {
  AllowList allowed;
  struct Case {
    const char* name;
    std::vector<std::string> frames;
    const char* status;
  };
  const std::vector<Case> cases = {
      {"too few frames", {"1.0", "1", "d"}, "500"},
      {"wrong version", {"2.0", "1", "d", "a", "", "CURVE", std::string(32, 'k')}, "500"},
      {"NULL mechanism", {"1.0", "1", "d", "a", "", "NULL"}, "400"},
      {"PLAIN mechanism", {"1.0", "1", "d", "a", "", "PLAIN", "user", "password"}, "400"},
      {"short key", {"1.0", "1", "d", "a", "", "CURVE", std::string(31, 'k')}, "400"},
      {"extra credential", {"1.0", "1", "d", "a", "", "CURVE", std::string(32, 'k'), "x"}, "400"},
  };
  for (const Case& c : cases) {
    const ZapDecision decision = DecideZapRequest(allowed, c.frames);
    EXPECT_FALSE(decision.admitted) << c.name;
    EXPECT_EQ(decision.status_code, c.status) << c.name;
  }
}

TEST(AllowList, LoadsPublicFilesByName) {
  const std::string directory = MakeTempDir();
  CurveKeyPair alice;
  CurveKeyPair bob;
  std::string error;
  ASSERT_TRUE(GenerateKeyPair(&alice, &error)) << error;
  ASSERT_TRUE(GenerateKeyPair(&bob, &error)) << error;
  ASSERT_TRUE(WriteKeyFile(directory + "/alice.public", alice.public_z85, false, &error)) << error;
  ASSERT_TRUE(WriteKeyFile(directory + "/bob.public", bob.public_z85, false, &error)) << error;
  // Not a .public file: ignored, so a secret left in the directory is never read as a key.
  ASSERT_TRUE(WriteKeyFile(directory + "/carol.secret", alice.secret_z85, false, &error)) << error;

  AllowList allowed;
  ASSERT_TRUE(allowed.LoadDirectory(directory, &error)) << error;
  EXPECT_EQ(allowed.size(), 2u);
  ASSERT_NE(allowed.Find(RawKey(bob.public_z85)), nullptr);
  EXPECT_EQ(*allowed.Find(RawKey(bob.public_z85)), "bob");
  EXPECT_EQ(allowed.Find(RawKey(alice.secret_z85)), nullptr);
}

TEST(AllowList, BadFileAndMissingDirectoryFail) {
  const std::string directory = MakeTempDir();
  std::ofstream(directory + "/broken.public") << "not a key\n";
  AllowList allowed;
  std::string error;
  EXPECT_FALSE(allowed.LoadDirectory(directory, &error));
  EXPECT_NE(error.find("broken.public"), std::string::npos) << error;

  error.clear();
  EXPECT_FALSE(allowed.LoadDirectory(directory + "/missing", &error));
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
}

TEST(CurveKeys, FilesAreWrittenPrivateAndNotReplaced) {
  const std::string directory = MakeTempDir() + "/keys";
  KeysInitResult result;
  std::string error;
  ASSERT_TRUE(InitKeyDirectory(directory, false, &result, &error)) << error;
  struct stat info {};
  ASSERT_EQ(stat((directory + "/server.secret").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(directory.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);

  std::string key;
  ASSERT_TRUE(ReadKeyFile(directory + "/allowed/client.public", &key, &error)) << error;
  EXPECT_EQ(key, result.client_public);

  EXPECT_FALSE(InitKeyDirectory(directory, false, &result, &error));
  EXPECT_NE(error.find("--force"), std::string::npos) << error;
  EXPECT_TRUE(InitKeyDirectory(directory, true, &result, &error)) << error;
}

TEST(CurveKeys, Z85Validation) {
  EXPECT_TRUE(IsZ85Key(std::string(40, 'a')));
  EXPECT_FALSE(IsZ85Key(std::string(39, 'a')));
  EXPECT_FALSE(IsZ85Key(std::string(41, 'a')));
  EXPECT_FALSE(IsZ85Key(std::string(39, 'a') + "\""));  // '"' is outside the Z85 alphabet
  EXPECT_FALSE(IsZ85Key(std::string(39, 'a') + " "));
}

}  // namespace
}  // namespace sluice::control
