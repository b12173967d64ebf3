// End to end: every capture in the corpus through sluice-dataplane and sluice-control, compared
// message by message with tshark's HTTP dissection of the same file.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/harness/sluice_runner.h"
#include "tests/integration/http_view.h"
#include "tests/integration/tshark_oracle.h"

namespace sluice::testing {
namespace {

// A difference between Sluice and tshark that is understood and accepted: tshark's own limits
// or cases where both readings are defensible. A Sluice bug never goes here.
struct ExpectedDifference {
  const char* capture;  // path relative to the corpus directory
  const char* id;       // Disagreement::id
  const char* reason;
};

constexpr ExpectedDifference kExpectedDifferences[] = {
    {"suricata-verify/http-connect-fragmented.pcap", "127.0.0.1:60484->127.0.0.1:8001#1/request",
     "after CONNECT abc:443 is answered 200 the connection is a tunnel for another protocol (TLS in "
     "practice), so Sluice stops parsing HTTP on it and records anomaly http.connect_tunnel; tshark "
     "goes on dissecting the plain GET sent inside the tunnel"},
    {"suricata-verify/http-uri-spaces.pcap", "127.0.0.1:55771->127.0.0.1:8000#0/uri",
     "the request line \"GET /uri afterspace HTTP/1.1\" has an unescaped space in its target; "
     "tshark ends the URI at the first space, Sluice takes the version after the last space and "
     "keeps the whole target, as libhtp does, with anomaly http.space_in_target"},
    {"arkime/twovlan.pcap", "10.0.0.1:54422->10.0.0.2:80#0/status",
     "the capture ends inside the response body (frame 6 carries 4344 of its bytes); with "
     "http.desegment_body tshark shows a response only once its body is complete, while Sluice "
     "records the 200 with anomaly http.incomplete_message"},
    {"suricata-verify/http-close-headers.pcap", "100.64.0.14:52398->100.64.0.200:80#0/status",
     "the server closes the connection before the blank line that ends its headers; tshark waits "
     "for the end of the header block and shows no response, Sluice records the status line it "
     "saw with anomalies http.bare_lf and http.incomplete_message; both readings are defensible"},
    {"suricata-verify/http-gap-simple.pcap", "127.0.0.1:51297->127.0.0.1:8080#1/status",
     "a segment of response 1's body is missing from the capture; tshark's TCP reassembly never "
     "gets past the hole, so it shows no later response on this connection (without reassembly it "
     "shows all three 200s). Sluice records the 200 with anomaly http.body_gap"},
    {"suricata-verify/http-gap-simple.pcap", "127.0.0.1:51297->127.0.0.1:8080#2/status",
     "same hole as message 1: tshark's reassembly is stuck behind it; the third 200 is in frame 26"},
    {"zeek/261-variant-10-multi_value_te.pcap", "192.168.1.100:40010->192.168.1.200:80#1/request",
     "request smuggling probe: \"Transfer-Encoding: chunked, identity\" leaves the body length "
     "undetermined (RFC 9112 section 6.3: a server must answer 400 and close), so whether the "
     "bytes after the empty chunk are a second request depends on the server. tshark reads them "
     "as GET /smuggled-multi-te; Sluice stops parsing the request side and records anomaly "
     "http.unknown_transfer_encoding on the POST"},
};

std::string CorpusDir() {
  const char* dir = std::getenv("SLUICE_CORPUS_DIR");
  return dir == nullptr ? "" : dir;
}

std::vector<std::string> CorpusCaptures() {
  const std::string dir = CorpusDir();
  return dir.empty() ? std::vector<std::string>{} : FindCaptures(dir);
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = CaptureName(info.param, CorpusDir());
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return name;
}

const ExpectedDifference* FindExpected(const std::string& capture, const std::string& id) {
  for (const ExpectedDifference& expected : kExpectedDifferences) {
    if (capture == expected.capture && id == expected.id) return &expected;
  }
  return nullptr;
}

class CorpusVsTshark : public ::testing::TestWithParam<std::string> {
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
      EXPECT_TRUE(error.empty()) << error;
    }
    control_.reset();
  }

  static std::unique_ptr<ControlServer> control_;
  static std::string setup_error_;
};

std::unique_ptr<ControlServer> CorpusVsTshark::control_;
std::string CorpusVsTshark::setup_error_;

size_t CountExchanges(const CaptureView& view) {
  size_t count = 0;
  for (const auto& [key, connection] : view) count += connection.exchanges.size();
  return count;
}

size_t CountOrphans(const CaptureView& view) {
  size_t count = 0;
  for (const auto& [key, connection] : view) count += connection.orphan_statuses.size();
  return count;
}

TEST(CorpusVsTsharkSetup, CorpusHasCaptures) {
  ASSERT_FALSE(CorpusDir().empty()) << "SLUICE_CORPUS_DIR is not set";
  EXPECT_FALSE(CorpusCaptures().empty()) << "no *.pcap or *.pcapng under " << CorpusDir();
}

TEST_P(CorpusVsTshark, SameHttpMessages) {
  ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  const std::string& capture = GetParam();
  const std::string name = CaptureName(capture, CorpusDir());

  const DataplaneRun run = control_->RunDataplane(capture, 1);
  ASSERT_EQ(run.process.exit_code, 0) << name << ": sluice-dataplane " << run.process.Describe();
  ASSERT_TRUE(run.records_error.empty()) << run.records_error;
  CaptureView sluice_view;
  std::string error;
  ASSERT_TRUE(ViewFromSluiceRecords(run.RecordsOfType("transaction"), &sluice_view, &error)) << error;

  // tshark dissects HTTP by port: force it on every port a connection was opened to and every
  // port Sluice saw a server on, so that tshark is not blind where Sluice looks.
  std::set<uint16_t> ports;
  ASSERT_TRUE(TsharkServerPorts(capture, &ports, &error)) << error;
  for (const auto& [key, connection] : sluice_view) ports.insert(key.server_port);
  CaptureView tshark_view;
  ASSERT_TRUE(TsharkHttpView(capture, ports, &tshark_view, &error)) << error;
  EXPECT_GT(CountExchanges(sluice_view) + CountExchanges(tshark_view), 0u)
      << name << ": neither Sluice nor tshark found an HTTP request";

  std::printf("%s: Sluice %zu requests, tshark %zu requests, %zu HTTP ports\n", name.c_str(),
              CountExchanges(sluice_view), CountExchanges(tshark_view), ports.size());

  const std::vector<Disagreement> disagreements = CompareViews(sluice_view, tshark_view);
  // The summary counter and the records are two outputs of the same data plane: they must agree.
  EXPECT_EQ(run.SummaryCounter("response without request"), static_cast<int64_t>(CountOrphans(sluice_view)))
      << name << ": the summary's 'response without request' differs from the records without a request";

  std::set<std::string> matched;
  for (const Disagreement& d : disagreements) {
    const std::string line = name + ": " + d.location + ": sluice says " + d.sluice_says + ", tshark says " +
                             d.tshark_says + " [" + d.id + "]";
    if (const ExpectedDifference* expected = FindExpected(name, d.id)) {
      matched.insert(d.id);
      std::printf("expected difference: %s (%s)\n", line.c_str(), expected->reason);
    } else {
      ADD_FAILURE() << line;
    }
  }
  for (const ExpectedDifference& expected : kExpectedDifferences) {
    if (name == expected.capture && matched.count(expected.id) == 0) {
      ADD_FAILURE() << name << ": expected difference " << expected.id
                    << " no longer occurs; remove it from kExpectedDifferences";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusVsTshark, ::testing::ValuesIn(CorpusCaptures()), TestName);

}  // namespace
}  // namespace sluice::testing
