// PcapReader against captures written byte by byte: the offsets it reports while reading and in
// its error messages must be where the records lie in the file.
#include "dataplane/capture/pcap_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace sluice::capture {
namespace {

void AppendLittleEndian(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

std::string ClassicHeader(uint32_t snaplen) {
  std::string out;
  AppendLittleEndian(&out, 0xa1b2c3d4, 4);
  AppendLittleEndian(&out, 2, 2);
  AppendLittleEndian(&out, 4, 2);
  AppendLittleEndian(&out, 0, 8);  // time zone and accuracy
  AppendLittleEndian(&out, snaplen, 4);
  AppendLittleEndian(&out, 1, 4);  // Ethernet
  return out;
}

// A record claiming `claimed` captured bytes, followed by `present` bytes of data.
void ClassicRecord(std::string* out, uint32_t claimed, uint32_t present) {
  AppendLittleEndian(out, 1700000000, 4);
  AppendLittleEndian(out, 0, 4);
  AppendLittleEndian(out, claimed, 4);
  AppendLittleEndian(out, claimed, 4);
  out->append(present, '\x5a');
}

std::string PcapngStart() {
  std::string out;
  AppendLittleEndian(&out, 0x0a0d0d0a, 4);  // section header block
  AppendLittleEndian(&out, 28, 4);
  AppendLittleEndian(&out, 0x1a2b3c4d, 4);
  AppendLittleEndian(&out, 1, 2);
  AppendLittleEndian(&out, 0, 2);
  AppendLittleEndian(&out, UINT64_MAX, 8);
  AppendLittleEndian(&out, 28, 4);
  AppendLittleEndian(&out, 1, 4);  // interface description block: Ethernet, snaplen 65535
  AppendLittleEndian(&out, 20, 4);
  AppendLittleEndian(&out, 1, 2);
  AppendLittleEndian(&out, 0, 2);
  AppendLittleEndian(&out, 65535, 4);
  AppendLittleEndian(&out, 20, 4);
  return out;
}

void PcapngPacket(std::string* out, uint32_t length) {
  const uint32_t padded = (length + 3) & ~3u;
  AppendLittleEndian(out, 6, 4);  // enhanced packet block
  AppendLittleEndian(out, 32 + padded, 4);
  AppendLittleEndian(out, 0, 4);
  AppendLittleEndian(out, 0, 8);
  AppendLittleEndian(out, length, 4);
  AppendLittleEndian(out, length, 4);
  out->append(padded, '\x5a');
  AppendLittleEndian(out, 32 + padded, 4);
}

class PcapReaderTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& bytes) {
    path_ = ::testing::TempDir() + "pcap_reader_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::ofstream(path_, std::ios::binary) << bytes;
    return path_;
  }
  void TearDown() override {
    if (!path_.empty()) unlink(path_.c_str());
  }

  std::string path_;
};

TEST_F(PcapReaderTest, ClassicOffsetsFollowRecords) {
  std::string bytes = ClassicHeader(65535);
  const uint32_t lengths[] = {60, 1514, 77};
  for (uint32_t length : lengths) ClassicRecord(&bytes, length, length);
  PcapReader reader;
  std::string error;
  ASSERT_TRUE(reader.Open(Write(bytes), &error)) << error;
  uint64_t expected = 24;
  EXPECT_EQ(reader.offset(), expected);
  for (uint32_t length : lengths) {
    const uint8_t* data = nullptr;
    uint32_t captured = 0;
    uint64_t ts = 0;
    ASSERT_EQ(reader.Next(&data, &captured, &ts), PcapReader::Status::kFrame);
    EXPECT_EQ(captured, length);
    expected += 16 + length;
    EXPECT_EQ(reader.offset(), expected);
  }
  const uint8_t* data = nullptr;
  uint32_t captured = 0;
  uint64_t ts = 0;
  EXPECT_EQ(reader.Next(&data, &captured, &ts), PcapReader::Status::kEnd);
  EXPECT_EQ(reader.offset(), bytes.size());
}

TEST_F(PcapReaderTest, CutRecordKeepsLaterOffsets) {
  // libpcap cuts the 100-byte record to the file's snapshot length, 64, and skips the rest.
  std::string bytes = ClassicHeader(64);
  ClassicRecord(&bytes, 100, 100);
  ClassicRecord(&bytes, 60, 60);
  const size_t damaged = bytes.size();
  ClassicRecord(&bytes, 60, 10);
  PcapReader reader;
  std::string error;
  ASSERT_TRUE(reader.Open(Write(bytes), &error)) << error;
  const uint8_t* data = nullptr;
  uint32_t captured = 0;
  uint64_t ts = 0;
  ASSERT_EQ(reader.Next(&data, &captured, &ts), PcapReader::Status::kFrame);
  EXPECT_EQ(captured, 64u);
  EXPECT_EQ(reader.offset(), 24u + 16 + 100);
  ASSERT_EQ(reader.Next(&data, &captured, &ts), PcapReader::Status::kFrame);
  EXPECT_EQ(reader.offset(), damaged);
  ASSERT_EQ(reader.Next(&data, &captured, &ts), PcapReader::Status::kError);
  EXPECT_NE(reader.error().find("at offset " + std::to_string(damaged) + " (after frame 2)"),
            std::string::npos)
      << reader.error();
}

TEST_F(PcapReaderTest, PcapngErrorNamesDamagedBlock) {
  std::string bytes = PcapngStart();
  PcapngPacket(&bytes, 60);
  PcapngPacket(&bytes, 61);
  const size_t damaged = bytes.size();
  std::string last;
  PcapngPacket(&last, 60);
  bytes += last.substr(0, 40);
  PcapReader reader;
  std::string error;
  ASSERT_TRUE(reader.Open(Write(bytes), &error)) << error;
  const uint8_t* data = nullptr;
  uint32_t captured = 0;
  uint64_t ts = 0;
  ASSERT_EQ(reader.Next(&data, &captured, &ts), PcapReader::Status::kFrame);
  ASSERT_EQ(reader.Next(&data, &captured, &ts), PcapReader::Status::kFrame);
  EXPECT_EQ(captured, 61u);
  EXPECT_EQ(reader.offset(), damaged);
  ASSERT_EQ(reader.Next(&data, &captured, &ts), PcapReader::Status::kError);
  EXPECT_NE(reader.error().find("at offset " + std::to_string(damaged)), std::string::npos)
      << reader.error();
}

TEST_F(PcapReaderTest, NotACaptureIsNamed) {
  PcapReader reader;
  std::string error;
  EXPECT_FALSE(reader.Open(Write("this is not a capture file at all"), &error));
  EXPECT_NE(error.find("at offset 0"), std::string::npos) << error;
  EXPECT_NE(error.find(path_), std::string::npos) << error;
}

}  // namespace
}  // namespace sluice::capture
