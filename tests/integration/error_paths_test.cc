// End to end: sluice-dataplane rejects bad input with exit status 2 and a message that names the
// file (and the byte offset, for damage inside it) or the control endpoint.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/harness/loopback.h"
#include "tests/integration/harness/sluice_runner.h"

namespace sluice::testing {
namespace {

constexpr int kExitInvalid = 2;
constexpr size_t kPcapFileHeader = 24;
constexpr size_t kPcapRecordHeader = 16;

// Any small little-endian microsecond pcap from the corpus works as raw material.
constexpr const char* kSourceCapture = "zeek/pipelined-requests.pcap";

uint32_t ReadLe32(const std::string& bytes, size_t offset) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = value << 8 | static_cast<uint8_t>(bytes[offset + i]);
  return value;
}

void AppendLe32(std::string* bytes, uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes->push_back(static_cast<char>(value >> (8 * i) & 0xff));
}

void AppendLe16(std::string* bytes, uint16_t value) {
  bytes->push_back(static_cast<char>(value & 0xff));
  bytes->push_back(static_cast<char>(value >> 8));
}

// Byte offsets at which the records of a little-endian pcap start.
std::vector<size_t> RecordOffsets(const std::string& pcap) {
  std::vector<size_t> offsets;
  size_t offset = kPcapFileHeader;
  while (offset + kPcapRecordHeader <= pcap.size()) {
    offsets.push_back(offset);
    offset += kPcapRecordHeader + ReadLe32(pcap, offset + 8);
  }
  return offsets;
}

// A pcap with one 4-byte frame and the given link type.
std::string PcapWithLinkType(uint32_t link_type) {
  std::string bytes;
  AppendLe32(&bytes, 0xa1b2c3d4);  // microsecond pcap, written little-endian
  AppendLe16(&bytes, 2);
  AppendLe16(&bytes, 4);
  AppendLe32(&bytes, 0);        // thiszone
  AppendLe32(&bytes, 0);        // sigfigs
  AppendLe32(&bytes, 65535);    // snaplen
  AppendLe32(&bytes, link_type);
  AppendLe32(&bytes, 1);        // ts_sec
  AppendLe32(&bytes, 0);        // ts_usec
  AppendLe32(&bytes, 4);        // incl_len
  AppendLe32(&bytes, 4);        // orig_len
  bytes += "abcd";
  return bytes;
}

class ErrorPaths : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_error_ = SluicePaths::FromEnvironment(&paths_);
    if (!setup_error_.empty()) return;
    if (!ReadFile(paths_.corpus_dir + "/" + kSourceCapture, &source_)) {
      setup_error_ = "cannot read " + paths_.corpus_dir + "/" + kSourceCapture;
      return;
    }
    control_ = std::make_unique<ControlServer>(paths_);
    setup_error_ = control_->Start();
  }

  static void TearDownTestSuite() {
    if (control_ != nullptr && setup_error_.empty()) {
      const std::string error = control_->Stop();
      EXPECT_TRUE(error.empty()) << error;
    }
    control_.reset();
  }

  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  // Writes `contents` to a scratch file and runs the data plane on it.
  DataplaneRun RunOn(const std::string& name, const std::string& contents) {
    const std::string path = scratch_.File(name);
    EXPECT_TRUE(WriteFile(path, contents)) << path;
    return control_->RunDataplane(path, 1, {}, std::chrono::seconds(60));
  }

  static SluicePaths paths_;
  static std::string source_;
  static std::unique_ptr<ControlServer> control_;
  static std::string setup_error_;
  TempDir scratch_{"sluice-error-paths"};
};

SluicePaths ErrorPaths::paths_;
std::string ErrorPaths::source_;
std::unique_ptr<ControlServer> ErrorPaths::control_;
std::string ErrorPaths::setup_error_;

TEST_F(ErrorPaths, MissingFileNamed) {
  const std::string path = scratch_.File("does-not-exist.pcap");
  const DataplaneRun run = control_->RunDataplane(path, 1);
  EXPECT_EQ(run.process.exit_code, kExitInvalid) << run.process.Describe();
  EXPECT_NE(run.process.stderr_text.find(path), std::string::npos) << run.process.stderr_text;
  EXPECT_TRUE(run.records.empty());
}

// Table: where the file is cut, relative to the start of one record.
struct TruncationCase {
  const char* name;
  size_t record;        // index of the record that is cut
  size_t bytes_kept;    // bytes of that record (header included) left in the file
};

TEST_F(ErrorPaths, TruncatedCaptureNamesFileAndOffset) {
  const std::vector<size_t> offsets = RecordOffsets(source_);
  ASSERT_GT(offsets.size(), 21u);
  const size_t data_length = ReadLe32(source_, offsets[20] + 8);
  const TruncationCase cases[] = {
      {"in-record-data", 20, kPcapRecordHeader + data_length / 2},
      {"in-record-header", 20, kPcapRecordHeader / 2},
      {"last-record-data", offsets.size() - 1, kPcapRecordHeader + 1},
  };
  for (const TruncationCase& c : cases) {
    SCOPED_TRACE(c.name);
    const size_t record_start = offsets[c.record];
    const std::string name = std::string("truncated-") + c.name + ".pcap";
    const DataplaneRun run = RunOn(name, source_.substr(0, record_start + c.bytes_kept));
    EXPECT_EQ(run.process.exit_code, kExitInvalid) << run.process.Describe();
    EXPECT_NE(run.process.stderr_text.find(name), std::string::npos) << run.process.stderr_text;
    EXPECT_NE(run.process.stderr_text.find("offset " + std::to_string(record_start)), std::string::npos)
        << "expected the offset of the damaged record, " << record_start << ": " << run.process.stderr_text;
  }
}

TEST_F(ErrorPaths, CorruptHeaderNamed) {
  std::string bytes = source_.substr(0, 200);
  std::memcpy(bytes.data(), "\x00\x01\x02\x03", 4);
  const DataplaneRun run = RunOn("bad-magic.pcap", bytes);
  EXPECT_EQ(run.process.exit_code, kExitInvalid) << run.process.Describe();
  EXPECT_NE(run.process.stderr_text.find("bad-magic.pcap"), std::string::npos) << run.process.stderr_text;
  EXPECT_NE(run.process.stderr_text.find("offset 0"), std::string::npos) << run.process.stderr_text;
}

TEST_F(ErrorPaths, EmptyFileNamed) {
  const DataplaneRun run = RunOn("empty.pcap", "");
  EXPECT_EQ(run.process.exit_code, kExitInvalid) << run.process.Describe();
  EXPECT_NE(run.process.stderr_text.find("empty.pcap"), std::string::npos) << run.process.stderr_text;
}

TEST_F(ErrorPaths, UnsupportedLinkTypeNamed) {
  constexpr uint32_t kLinkTypeUser0 = 147;
  const DataplaneRun run = RunOn("link-147.pcap", PcapWithLinkType(kLinkTypeUser0));
  EXPECT_EQ(run.process.exit_code, kExitInvalid) << run.process.Describe();
  EXPECT_NE(run.process.stderr_text.find("link-147.pcap"), std::string::npos) << run.process.stderr_text;
  EXPECT_NE(run.process.stderr_text.find("147"), std::string::npos) << run.process.stderr_text;
}

// Positive control for the table above: the same writer with Ethernet is accepted, so the
// rejection is about the link type and not about the file the test wrote.
TEST_F(ErrorPaths, EthernetLinkTypeAccepted) {
  constexpr uint32_t kLinkTypeEthernet = 1;
  const DataplaneRun run = RunOn("link-1.pcap", PcapWithLinkType(kLinkTypeEthernet));
  EXPECT_EQ(run.process.exit_code, 0) << run.process.Describe();
}

TEST_F(ErrorPaths, InvalidControlEndpointNamed) {
  const std::string endpoint = "tcp://no-such-host:not-a-port";
  const ProcessResult result = RunProcess({paths_.dataplane, "--pcap", paths_.corpus_dir + "/" + kSourceCapture,
                                           "--control", endpoint, "--progress", "off"},
                                          std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, kExitInvalid) << result.Describe();
  EXPECT_NE(result.stderr_text.find(endpoint), std::string::npos) << result.stderr_text;
}

// A value of the wrong type inside a section is named by its section, line and column, with
// what the keys take.
TEST_F(ErrorPaths, ConfigValueOfWrongTypeLocated) {
  const std::string config = scratch_.File("bad.yaml");
  ASSERT_TRUE(WriteFile(config, "dataplane:\n  pii:\n    redact: maybe\n"));
  const ProcessResult result =
      RunProcess({paths_.dataplane, "--config", config, "--pcap", paths_.corpus_dir + "/" + kSourceCapture,
                  "--progress", "off"},
                 std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, kExitInvalid) << result.Describe();
  EXPECT_NE(result.stderr_text.find("'dataplane.pii' has a value of the wrong type at line 3, column 13"),
            std::string::npos)
      << result.stderr_text;
  EXPECT_NE(result.stderr_text.find("true or false"), std::string::npos) << result.stderr_text;
}

TEST_F(ErrorPaths, UnreachableControlNamed) {
  // Nothing listens on a port that was free a moment ago.
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort());
  const ProcessResult result = RunProcess({paths_.dataplane, "--pcap", paths_.corpus_dir + "/" + kSourceCapture,
                                           "--control", endpoint, "--progress", "off"},
                                          std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, kExitInvalid) << result.Describe();
  EXPECT_NE(result.stderr_text.find(endpoint), std::string::npos) << result.stderr_text;
}

}  // namespace
}  // namespace sluice::testing
