// Runs sluice-gen-api (path in $SLUICE_GEN_API) and checks its capture with libpcap against the
// JSON summary it writes.

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <rapidjson/document.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string GeneratorPath() {
  const char* path = std::getenv("SLUICE_GEN_API");
  return path != nullptr ? path : "";
}

std::string TempPath(const std::string& name) { return testing::TempDir() + "gen_api_" + name; }

// Runs the generator with `arguments` and returns its exit status, or -1 if it did not exit.
int RunGenerator(const std::string& arguments) {
  const std::string command = "'" + GeneratorPath() + "' " + arguments + " 2>/dev/null >/dev/null";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

uint32_t SumWords(const uint8_t* p, size_t length, uint32_t sum) {
  for (size_t i = 0; i + 1 < length; i += 2) sum += Get16(p + i);
  if (length % 2 != 0) sum += static_cast<uint32_t>(p[length - 1]) << 8;
  return sum;
}

uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// Facts about one frame, decoded here independently of the generator's own code.
struct FrameCheck {
  bool decoded = false;
  bool ip_checksum_ok = true;
  bool tcp_checksum_ok = false;
  bool is_v6 = false;
  uint8_t tcp_flags = 0;
};

FrameCheck CheckFrame(const uint8_t* frame, size_t length) {
  FrameCheck check;
  if (length < 14) return check;

  const uint16_t ether_type = Get16(frame + 12);
  const uint8_t* ip = frame + 14;
  const uint8_t* source = nullptr;
  size_t address_length = 0;
  const uint8_t* tcp = nullptr;
  size_t tcp_length = 0;
  if (ether_type == 0x0800 && length >= 34) {
    const size_t header = (ip[0] & 0xf) * 4u;
    const size_t total = Get16(ip + 2);
    if (ip[9] != 6 || total > length - 14 || total < header + 20) return check;
    check.ip_checksum_ok = Fold(SumWords(ip, header, 0)) == 0xffff;
    source = ip + 12;
    address_length = 4;
    tcp = ip + header;
    tcp_length = total - header;
  } else if (ether_type == 0x86dd && length >= 54) {
    check.is_v6 = true;
    tcp_length = Get16(ip + 4);
    if (ip[6] != 6 || tcp_length > length - 54 || tcp_length < 20) return check;
    source = ip + 8;
    address_length = 16;
    tcp = ip + 40;
  } else {
    return check;
  }

  uint32_t sum = SumWords(source, 2 * address_length, 0) + 6 + static_cast<uint32_t>(tcp_length);
  check.tcp_checksum_ok = Fold(SumWords(tcp, tcp_length, sum)) == 0xffff;
  check.tcp_flags = tcp[13];
  check.decoded = true;
  return check;
}

struct CaptureFacts {
  int link_type = -1;
  int precision = -1;
  uint64_t packets = 0;
  uint64_t frame_bytes = 0;
  uint64_t syn_only = 0;
  uint64_t undecoded = 0;
  uint64_t bad_ip_checksums = 0;
  uint64_t bad_tcp_checksums = 0;
  uint64_t ipv6_frames = 0;
  uint64_t time_reversals = 0;
};

CaptureFacts ReadCapture(const std::string& path) {
  CaptureFacts facts;
  char error[PCAP_ERRBUF_SIZE];
  pcap_t* pcap =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, error);
  if (pcap == nullptr) {
    ADD_FAILURE() << "libpcap cannot open " << path << ": " << error;
    return facts;
  }
  facts.link_type = pcap_datalink(pcap);
  facts.precision = pcap_get_tstamp_precision(pcap);

  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int64_t previous_ns = 0;
  int result;
  while ((result = pcap_next_ex(pcap, &header, &data)) == 1) {
    ++facts.packets;
    facts.frame_bytes += header->caplen;
    const int64_t ns = header->ts.tv_sec * 1000000000LL + header->ts.tv_usec;
    if (ns < previous_ns) ++facts.time_reversals;
    previous_ns = ns;
    const FrameCheck check = CheckFrame(data, header->caplen);
    if (!check.decoded) ++facts.undecoded;
    if (!check.ip_checksum_ok) ++facts.bad_ip_checksums;
    if (check.decoded && !check.tcp_checksum_ok) ++facts.bad_tcp_checksums;
    if (check.is_v6) ++facts.ipv6_frames;
    if (check.tcp_flags == 0x02) ++facts.syn_only;
  }

  EXPECT_EQ(result, PCAP_ERROR_BREAK) << pcap_geterr(pcap);
  pcap_close(pcap);
  return facts;
}

uint64_t SumOfCounts(const rapidjson::Value& object) {
  uint64_t total = 0;
  for (const auto& member : object.GetObject()) total += member.value.GetUint64();
  return total;
}

struct GenCase {
  const char* name;
  uint64_t calls;
  uint64_t seed;
  int clients;
  double ipv6_share;
};

class GenApiCaptureTest : public testing::TestWithParam<GenCase> {};

TEST_P(GenApiCaptureTest, CaptureMatchesSummary) {
  ASSERT_FALSE(GeneratorPath().empty()) << "set SLUICE_GEN_API to the sluice-gen-api binary";
  const GenCase& c = GetParam();
  const std::string pcap_path = TempPath(std::string(c.name) + ".pcap");
  const std::string summary_path = TempPath(std::string(c.name) + ".json");
  std::ostringstream arguments;
  arguments << "--calls " << c.calls << " --seed " << c.seed << " --clients " << c.clients
            << " --ipv6-share " << c.ipv6_share << " --out '" << pcap_path << "' --summary '"
            << summary_path << "'";
  ASSERT_EQ(RunGenerator(arguments.str()), 0);

  const std::string raw = ReadFile(pcap_path);
  ASSERT_GE(raw.size(), 24u);
  uint32_t magic = 0;
  std::memcpy(&magic, raw.data(), sizeof(magic));
  EXPECT_EQ(magic, 0xa1b23c4du);

  rapidjson::Document summary;
  summary.Parse(ReadFile(summary_path).c_str());
  ASSERT_FALSE(summary.HasParseError());
  const CaptureFacts facts = ReadCapture(pcap_path);

  EXPECT_EQ(facts.link_type, DLT_EN10MB);
  EXPECT_EQ(facts.precision, PCAP_TSTAMP_PRECISION_NANO);
  EXPECT_EQ(summary["calls"].GetUint64(), c.calls);
  EXPECT_EQ(facts.packets, summary["packets"].GetUint64());
  EXPECT_EQ(facts.frame_bytes, summary["frame_bytes"].GetUint64());
  EXPECT_EQ(raw.size(), summary["file_bytes"].GetUint64());
  EXPECT_EQ(facts.syn_only, summary["connections"].GetUint64());
  EXPECT_EQ(SumOfCounts(summary["methods"]), c.calls);
  EXPECT_EQ(SumOfCounts(summary["statuses"]), c.calls);
  EXPECT_EQ(SumOfCounts(summary["connection_ends"]), summary["connections"].GetUint64());
  EXPECT_EQ(facts.undecoded, 0u);
  EXPECT_EQ(facts.bad_ip_checksums, 0u);
  EXPECT_EQ(facts.bad_tcp_checksums, 0u);
  EXPECT_EQ(facts.time_reversals, 0u);
  if (c.ipv6_share == 0) {
    EXPECT_EQ(facts.ipv6_frames, 0u);
  }
  if (c.ipv6_share == 1) {
    EXPECT_EQ(facts.ipv6_frames, facts.packets);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GenApiCaptureTest,
    testing::Values(GenCase{"single_call", 1, 7, 1, 0}, GenCase{"mixed", 400, 42, 60, 0.25},
                    GenCase{"ipv4_only", 250, 3, 120, 0}, GenCase{"ipv6_only", 250, 9, 40, 1},
                    GenCase{"many_clients", 1500, 11, 500, 0.15}),
    [](const testing::TestParamInfo<GenCase>& info) { return std::string(info.param.name); });

TEST(GenApiTest, SameSeedSameBytes) {
  const std::string first = TempPath("repeat_a.pcap");
  const std::string second = TempPath("repeat_b.pcap");
  ASSERT_EQ(
      RunGenerator("--calls 300 --seed 5 --out '" + first + "' --summary '" + first + ".json'"), 0);
  ASSERT_EQ(
      RunGenerator("--calls 300 --seed 5 --out '" + second + "' --summary '" + second + ".json'"),
      0);
  const std::string first_bytes = ReadFile(first);
  EXPECT_GT(first_bytes.size(), 24u);
  EXPECT_TRUE(first_bytes == ReadFile(second)) << "same seed produced different captures";
  EXPECT_EQ(ReadFile(first + ".json"), ReadFile(second + ".json"));
}

TEST(GenApiTest, OtherSeedOtherBytes) {
  const std::string first = TempPath("seed_a.pcap");
  const std::string second = TempPath("seed_b.pcap");
  ASSERT_EQ(RunGenerator("--calls 100 --seed 1 --out '" + first + "'"), 0);
  ASSERT_EQ(RunGenerator("--calls 100 --seed 2 --out '" + second + "'"), 0);
  EXPECT_FALSE(ReadFile(first) == ReadFile(second));
}

struct BadArguments {
  const char* name;
  const char* arguments;
  bool add_out = true;  // Append a writable --out so only the bad part can fail.
};

class GenApiUsageTest : public testing::TestWithParam<BadArguments> {};

TEST_P(GenApiUsageTest, ExitsWithStatusTwo) {
  const std::string out = TempPath("usage.pcap");
  std::string arguments = GetParam().arguments;
  if (GetParam().add_out) arguments += " --out '" + out + "'";
  EXPECT_EQ(RunGenerator(arguments), 2) << arguments;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GenApiUsageTest,
    testing::Values(
        BadArguments{"unknown_option", "--frobnicate 1"}, BadArguments{"zero_calls", "--calls 0"},
        BadArguments{"text_calls", "--calls many"}, BadArguments{"negative_calls", "--calls -5"},
        BadArguments{"share_above_one", "--ipv6-share 1.5"},
        BadArguments{"zero_clients", "--clients 0"}, BadArguments{"missing_value", "--calls"},
        BadArguments{"missing_out", "--calls 10", false},
        BadArguments{"unwritable_out", "--calls 10 --out /nonexistent-dir/x.pcap", false},
        BadArguments{"unwritable_summary", "--calls 10 --summary /nonexistent-dir/x.json"}),
    [](const testing::TestParamInfo<BadArguments>& info) { return std::string(info.param.name); });

TEST(GenApiTest, HelpExitsZero) { EXPECT_EQ(RunGenerator("--help"), 0); }

}  // namespace
