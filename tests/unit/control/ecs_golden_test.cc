// Pins whole ECS lines byte for byte, so that a change in the writer (escaping, number or
// timestamp format, member order) shows up here even when every field still parses the same.
// The expected lines were written by the RapidJSON-based formatter that this one replaced.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "control/sinks/ecs_json.h"
#include "tests/unit/control/wire_fixtures.h"

namespace sluice::control {
namespace {

using testing::BatchSpec;
using testing::BlockSpec;
using testing::FlowSpec;
using testing::Ip;
using testing::PiiSpec;
using testing::RuleSpec;
using testing::TransactionSpec;

// Every escape class (quote, backslash, short escapes, \u00XX, DEL left raw), repaired UTF-8,
// an embedded NUL, merged and unknown PII types, IPv6 without a response, extreme numbers and
// timestamps, and an unknown flow end.
BatchSpec GoldenBatch() {
  BatchSpec spec;
  spec.dataplane_id = "dp-\"east\"\x01";
  spec.run_id = 0x00000000deadbeefULL;
  spec.worker_id = 65535;
  spec.sequence = UINT64_MAX;

  TransactionSpec transaction;
  transaction.url_original = "/a?q=\"x\"\\y\x1f\x7f/\xc3\xa9\xff";
  transaction.user_agent = "ua\t\b\f\r\n";
  transaction.anomalies = {"bad\xc0\xaf", std::string("nul\0x", 5)};
  transaction.rules = {RuleSpec{7, "m", "url.query", "block", "high"}};
  transaction.verdict = wire::Verdict::Block;
  transaction.pii_request = {PiiSpec{"email", 2, {"f1"}}, PiiSpec{"zz", 4294967295u, {"f2", "f3"}},
                             PiiSpec{"email", 1, {"f4"}}};
  transaction.pii_response = {PiiSpec{"jwt", 1, {}, true}};
  transaction.block = BlockSpec{3, "request", 100, "rule 7", true};
  spec.records.push_back(transaction);

  TransactionSpec ipv6;
  ipv6.ip_version = wire::IpVersion::V6;
  ipv6.client_ip = Ip("2001:db8::10");
  ipv6.server_ip = Ip("::ffff:192.0.2.1");
  ipv6.has_response = false;
  ipv6.request_ts_ns = 0;
  ipv6.host_port = 0;
  ipv6.url_original = "";
  ipv6.url_path = "";
  ipv6.url_query = "";
  ipv6.host = "";
  spec.records.push_back(ipv6);

  FlowSpec flow;
  flow.flow_id = UINT64_MAX;
  flow.first_ts_ns = UINT64_MAX;
  flow.last_ts_ns = 1;
  flow.client_ip = Ip("10.0.0.255");
  flow.server_ip = Ip("0.0.0.0");
  flow.end = static_cast<wire::FlowEnd>(200);
  flow.anomalies = {"x"};
  spec.records.push_back(flow);
  return spec;
}

const char* const kGoldenLines[] = {
    "{\"@timestamp\":\"2024-05-01T10:00:00.123456789Z\",\"event\":{\"kind\":\"event\",\"categ"
    "ory\":[\"network\",\"web\"],\"type\":[\"access\"],\"dataset\":\"sluice.transaction\",\"d"
    "uration\":100000000},\"source\":{\"ip\":\"192.0.2.10\",\"port\":51000},\"destination\":{"
    "\"ip\":\"198.51.100.20\",\"port\":80},\"network\":{\"transport\":\"tcp\",\"type\":\"ipv4"
    "\",\"community_id\":\"1:n84MiYq5B1i+KTVypmll/cEiBrI=\"},\"http\":{\"version\":\"1.1\",\""
    "request\":{\"method\":\"GET\",\"body\":{\"bytes\":0}},\"response\":{\"status_code\":200,"
    "\"body\":{\"bytes\":512},\"mime_type\":\"application/json\"}},\"url\":{\"original\":\"/a"
    "?q=\\\"x\\\"\\\\y\\u001F\x7F/\xC3\xA9\xEF\xBF\xBD\",\"path\":\"/api/v1/users\",\"query\""
    ":\"id=42\",\"domain\":\"api.example.test\",\"port\":8080},\"user_agent\":{\"original\":\""
    "ua\\t\\b\\f\\r\\n\"},\"sluice\":{\"record_type\":\"transaction\",\"flow_id\":7,\"datapla"
    "ne\":\"dp-\\\"east\\\"\\u0001\",\"worker\":65535,\"run_id\":\"00000000deadbeef\",\"batch"
    "\":{\"sequence\":18446744073709551615},\"transaction\":0,\"anomalies\":[\"bad\xEF\xBF\xBD"
    "\xEF\xBF\xBD\",\"nul\\u0000x\"],\"verdict\":\"block\",\"rules\":[{\"id\":7,\"msg\":\"m\""
    ",\"field\":\"url.query\",\"action\":\"block\",\"severity\":\"high\"}],\"pii\":{\"request"
    "\":{\"email\":{\"count\":3,\"fingerprints\":[\"f1\",\"f4\"]},\"other\":{\"count\":429496"
    "7295,\"fingerprints\":[\"f2\",\"f3\"],\"types\":[\"zz\"]}},\"response\":{\"jwt\":{\"coun"
    "t\":1,\"fingerprints\":[]}}},\"block\":{\"packet\":3,\"direction\":\"request\",\"bytes_p"
    "assed\":100,\"reason\":\"rule 7\",\"reset\":true}}}",
    "{\"@timestamp\":\"1970-01-01T00:00:00.000000000Z\",\"event\":{\"kind\":\"event\",\"categ"
    "ory\":[\"network\",\"web\"],\"type\":[\"access\"],\"dataset\":\"sluice.transaction\"},\""
    "source\":{\"ip\":\"2001:db8::10\",\"port\":51000},\"destination\":{\"ip\":\"::ffff:192.0"
    ".2.1\",\"port\":80},\"network\":{\"transport\":\"tcp\",\"type\":\"ipv6\",\"community_id\""
    ":\"1:PK8WhoVD2kjNvbZiShgSFWiH6yk=\"},\"http\":{\"version\":\"1.1\",\"request\":{\"method"
    "\":\"GET\",\"body\":{\"bytes\":0}}},\"user_agent\":{\"original\":\"curl/8.0\"},\"sluice\""
    ":{\"record_type\":\"transaction\",\"flow_id\":7,\"dataplane\":\"dp-\\\"east\\\"\\u0001\""
    ",\"worker\":65535,\"run_id\":\"00000000deadbeef\",\"batch\":{\"sequence\":18446744073709"
    "551615},\"transaction\":0,\"response_missing\":true,\"verdict\":\"pass\"}}",
    "{\"@timestamp\":\"2554-07-21T23:34:33.709551615Z\",\"event\":{\"kind\":\"event\",\"categ"
    "ory\":[\"network\"],\"type\":[\"connection\",\"end\"],\"dataset\":\"sluice.flow\",\"star"
    "t\":\"2554-07-21T23:34:33.709551615Z\",\"end\":\"1970-01-01T00:00:00.000000001Z\"},\"sou"
    "rce\":{\"ip\":\"10.0.0.255\",\"port\":51000,\"packets\":6,\"bytes\":300},\"destination\""
    ":{\"ip\":\"0.0.0.0\",\"port\":80,\"packets\":5,\"bytes\":900},\"network\":{\"transport\""
    ":\"tcp\",\"type\":\"ipv4\",\"community_id\":\"1:qszNwfIk83g33uamPc+gbA+SMXI=\",\"packets"
    "\":11,\"bytes\":1200},\"sluice\":{\"record_type\":\"flow\",\"flow_id\":18446744073709551"
    "615,\"dataplane\":\"dp-\\\"east\\\"\\u0001\",\"worker\":65535,\"run_id\":\"00000000deadb"
    "eef\",\"batch\":{\"sequence\":18446744073709551615},\"flow\":{\"end\":\"unknown\",\"http"
    "\":true,\"transactions\":1},\"anomalies\":[\"x\"]}}"
};

TEST(EcsGolden, FormatMatchesPinnedLines) {
  const std::vector<uint8_t> frame = testing::BuildBatchFrame(GoldenBatch());
  const wire::Batch& batch = *wire::GetMessage(frame.data())->body_as_Batch();
  const BatchContext context{batch.dataplane_id()->string_view(), batch.run_id(),
                             batch.worker_id(), batch.sequence()};
  ASSERT_EQ(batch.records()->size(), std::size(kGoldenLines));

  EcsFormatter formatter;
  for (size_t i = 0; i < std::size(kGoldenLines); ++i) {
    ASSERT_EQ(formatter.Format(*batch.records()->Get(i), context), FormatResult::kOk) << i;
    EXPECT_EQ(formatter.line(), std::string(kGoldenLines[i]) + "\n") << "record " << i;
  }
}

TEST(EcsGolden, BatchIsConcatenatedLines) {
  const std::vector<uint8_t> frame = testing::BuildBatchFrame(GoldenBatch());
  const wire::Batch& batch = *wire::GetMessage(frame.data())->body_as_Batch();
  const BatchContext context{batch.dataplane_id()->string_view(), batch.run_id(),
                             batch.worker_id(), batch.sequence()};
  std::string expected;
  for (const char* line : kGoldenLines) expected += std::string(line) + "\n";

  EcsFormatter formatter;
  // Twice, so the second batch shows that BeginBatch dropped the first one's lines.
  for (int round = 0; round < 2; ++round) {
    formatter.BeginBatch(context);
    for (const wire::Record* record : *batch.records()) {
      ASSERT_EQ(formatter.Append(*record), FormatResult::kOk);
    }
    EXPECT_EQ(formatter.lines(), expected) << "round " << round;
  }
}

TEST(EcsGolden, SkippedRecordLeavesNoBytes) {
  BatchSpec spec = GoldenBatch();
  TransactionSpec no_client;
  no_client.omit_client = true;
  spec.records.insert(spec.records.begin() + 1, no_client);
  spec.records.insert(spec.records.begin() + 2, testing::EmptyRecordSpec{});
  const std::vector<uint8_t> frame = testing::BuildBatchFrame(spec);
  const wire::Batch& batch = *wire::GetMessage(frame.data())->body_as_Batch();
  const BatchContext context{batch.dataplane_id()->string_view(), batch.run_id(),
                             batch.worker_id(), batch.sequence()};
  std::string expected;
  for (const char* line : kGoldenLines) expected += std::string(line) + "\n";

  EcsFormatter formatter;
  formatter.BeginBatch(context);
  std::vector<FormatResult> results;
  for (const wire::Record* record : *batch.records()) results.push_back(formatter.Append(*record));

  const std::vector<FormatResult> kExpectedResults = {
      FormatResult::kOk, FormatResult::kMissingEndpoint, FormatResult::kNoBody, FormatResult::kOk,
      FormatResult::kOk};
  EXPECT_EQ(results, kExpectedResults);
  EXPECT_EQ(formatter.lines(), expected);
}

}  // namespace
}  // namespace sluice::control
