#include "control/sinks/ecs_json.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "control/sinks/utf8.h"
#include "tests/unit/control/ecs_schema_check.h"
#include "tests/unit/control/wire_fixtures.h"

namespace sluice::control {
namespace {

using testing::BatchSpec;
using testing::BlockSpec;
using testing::BuildBatchFrame;
using testing::EmptyRecordSpec;
using testing::FlowSpec;
using testing::Ip;
using testing::PiiSpec;
using testing::RuleSpec;
using testing::TransactionSpec;

// Formats each record of one batch and keeps the lines and results.
struct Formatted {
  std::vector<FormatResult> results;
  std::vector<std::string> lines;  // without the final '\n'
};

Formatted FormatBatch(const BatchSpec& spec) {
  const std::vector<uint8_t> frame = BuildBatchFrame(spec);
  const wire::Batch& batch = *wire::GetMessage(frame.data())->body_as_Batch();
  const BatchContext context{batch.dataplane_id()->string_view(), batch.run_id(),
                             batch.worker_id(), batch.sequence()};
  EcsFormatter formatter;
  Formatted formatted;
  for (const wire::Record* record : *batch.records()) {
    formatted.results.push_back(formatter.Format(*record, context));
    std::string line(formatter.line());
    if (!line.empty()) {
      EXPECT_EQ(line.back(), '\n');
      EXPECT_EQ(line.find('\n'), line.size() - 1) << "a record must be exactly one line";
      line.pop_back();
    }
    formatted.lines.push_back(line);
  }
  return formatted;
}

rapidjson::Document FormatOne(const testing::RecordSpec& record, BatchSpec spec = {}) {
  spec.records = {record};
  const Formatted formatted = FormatBatch(spec);
  EXPECT_EQ(formatted.results.at(0), FormatResult::kOk);
  static const testing::EcsSchemaCheck schema;
  EXPECT_EQ(schema.Check(formatted.lines.at(0)), "");
  rapidjson::Document document;
  document.Parse(formatted.lines.at(0).c_str());
  EXPECT_FALSE(document.HasParseError()) << formatted.lines.at(0);
  return document;
}

const rapidjson::Value* Find(const rapidjson::Document& document, const char* pointer) {
  return rapidjson::Pointer(pointer).Get(document);
}

std::string StringAt(const rapidjson::Document& document, const char* pointer) {
  const rapidjson::Value* value = Find(document, pointer);
  if (value == nullptr || !value->IsString()) return "<missing " + std::string(pointer) + ">";
  return std::string(value->GetString(), value->GetStringLength());
}

uint64_t UintAt(const rapidjson::Document& document, const char* pointer) {
  const rapidjson::Value* value = Find(document, pointer);
  EXPECT_NE(value, nullptr) << pointer;
  if (value == nullptr) return UINT64_MAX;
  EXPECT_TRUE(value->IsUint64()) << pointer;
  return value->IsUint64() ? value->GetUint64() : UINT64_MAX;
}

TEST(EcsTransaction, StringFields) {
  const rapidjson::Document document = FormatOne(TransactionSpec{});
  const std::pair<const char*, const char*> kExpected[] = {
      {"/@timestamp", "2024-05-01T10:00:00.123456789Z"},
      {"/event/kind", "event"},
      {"/event/category/0", "network"},
      {"/event/category/1", "web"},
      {"/event/type/0", "access"},
      {"/event/dataset", "sluice.transaction"},
      {"/source/ip", "192.0.2.10"},
      {"/destination/ip", "198.51.100.20"},
      {"/network/transport", "tcp"},
      {"/network/type", "ipv4"},
      {"/http/version", "1.1"},
      {"/http/request/method", "GET"},
      {"/http/response/mime_type", "application/json"},
      {"/url/original", "/api/v1/users?id=42"},
      {"/url/path", "/api/v1/users"},
      {"/url/query", "id=42"},
      {"/url/domain", "api.example.test"},
      {"/user_agent/original", "curl/8.0"},
      {"/sluice/record_type", "transaction"},
      {"/sluice/dataplane", "dp-test"},
      {"/sluice/run_id", "0123456789abcdef"},
  };
  for (const auto& [pointer, expected] : kExpected) {
    EXPECT_EQ(StringAt(document, pointer), expected) << pointer;
  }
  EXPECT_EQ(StringAt(document, "/network/community_id").substr(0, 2), "1:");
}

TEST(EcsTransaction, NumberFields) {
  const rapidjson::Document document = FormatOne(TransactionSpec{});
  const std::pair<const char*, uint64_t> kExpected[] = {
      {"/event/duration", 100'000'000},
      {"/source/port", 51000},
      {"/destination/port", 80},
      {"/http/request/body/bytes", 0},
      {"/http/response/status_code", 200},
      {"/http/response/body/bytes", 512},
      {"/url/port", 8080},
      {"/sluice/flow_id", 7},
      {"/sluice/transaction", 0},
      {"/sluice/worker", 1},
      {"/sluice/batch/sequence", 0},
  };
  for (const auto& [pointer, expected] : kExpected) {
    EXPECT_EQ(UintAt(document, pointer), expected) << pointer;
  }
}

TEST(EcsTransaction, NestedObjectsNotDottedKeys) {
  BatchSpec spec;
  spec.records = {TransactionSpec{}};
  const std::string line = FormatBatch(spec).lines.at(0);
  EXPECT_EQ(line.find("\"source.ip\""), std::string::npos);
  EXPECT_NE(line.find("\"source\":{\"ip\":"), std::string::npos) << line;
}

TEST(EcsTransaction, WithoutResponse) {
  TransactionSpec transaction;
  transaction.has_response = false;
  transaction.response_end_ts_ns = 0;
  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(Find(document, "/http/response"), nullptr);
  EXPECT_EQ(Find(document, "/event/duration"), nullptr);
  const rapidjson::Value* missing = Find(document, "/sluice/response_missing");
  ASSERT_NE(missing, nullptr);
  ASSERT_TRUE(missing->IsBool());
  EXPECT_TRUE(missing->GetBool());
}

TEST(EcsTransaction, ResponseMissingAbsentWithResponse) {
  const rapidjson::Document document = FormatOne(TransactionSpec{});
  EXPECT_EQ(Find(document, "/sluice/response_missing"), nullptr);
  EXPECT_EQ(Find(document, "/sluice/anomalies"), nullptr);
}

TEST(EcsTransaction, EndBeforeStartOmitsDuration) {
  TransactionSpec transaction;
  transaction.response_end_ts_ns = transaction.request_ts_ns - 1;
  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(Find(document, "/event/duration"), nullptr);
}

TEST(EcsTransaction, EmptyFieldsOmitted) {
  TransactionSpec transaction;
  transaction.http_version.clear();
  transaction.url_original.clear();
  transaction.url_path.clear();
  transaction.url_query.clear();
  transaction.host.clear();
  transaction.host_port = 0;
  transaction.user_agent.clear();
  transaction.response_mime_type.clear();
  transaction.method.clear();
  const rapidjson::Document document = FormatOne(transaction);
  for (const char* pointer : {"/url", "/user_agent", "/http/version", "/http/request/method",
                              "/http/response/mime_type", "/http/request/mime_type"}) {
    EXPECT_EQ(Find(document, pointer), nullptr) << pointer;
  }
  EXPECT_EQ(UintAt(document, "/http/request/body/bytes"), 0u);
}

TEST(EcsTransaction, OnlyPortKeepsUrl) {
  TransactionSpec transaction;
  transaction.url_original.clear();
  transaction.url_path.clear();
  transaction.url_query.clear();
  transaction.host.clear();
  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(UintAt(document, "/url/port"), 8080u);
  EXPECT_EQ(Find(document, "/url/domain"), nullptr);
}

TEST(EcsTransaction, Anomalies) {
  TransactionSpec transaction;
  transaction.anomalies = {"duplicate_content_length", "bare_lf"};
  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(StringAt(document, "/sluice/anomalies/0"), "duplicate_content_length");
  EXPECT_EQ(StringAt(document, "/sluice/anomalies/1"), "bare_lf");
}

struct Ipv6Case {
  const char* address;
  const char* expected;  // RFC 5952 text
};

TEST(EcsTransaction, Ipv6Rfc5952) {
  const Ipv6Case kCases[] = {
      {"2001:db8:0:0:0:0:0:1", "2001:db8::1"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      {"fe80::211:25ff:fe82:95b5", "fe80::211:25ff:fe82:95b5"},
      {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
  };
  for (const Ipv6Case& test_case : kCases) {
    TransactionSpec transaction;
    transaction.ip_version = wire::IpVersion::V6;
    transaction.client_ip = Ip(test_case.address);
    transaction.server_ip = Ip("2001:db8::80");
    const rapidjson::Document document = FormatOne(transaction);
    EXPECT_EQ(StringAt(document, "/source/ip"), test_case.expected) << test_case.address;
    EXPECT_EQ(StringAt(document, "/destination/ip"), "2001:db8::80");
    EXPECT_EQ(StringAt(document, "/network/type"), "ipv6");
  }
}

TEST(EcsTransaction, CommunityIdOfKnownFlow) {
  // Connection from zeek/get-gzip.pcap in the pcap corpus; value from tshark 4.0.17.
  TransactionSpec transaction;
  transaction.client_ip = Ip("141.142.228.5");
  transaction.client_port = 50153;
  transaction.server_ip = Ip("54.243.118.187");
  transaction.server_port = 80;
  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(StringAt(document, "/network/community_id"), "1:sSwqNMUITelgfp6OCeS3Fj/C3v4=");
}

struct EscapeCase {
  const char* name;
  std::string wire_value;
  std::string parsed_value;  // what a JSON parser must read back
};

TEST(EcsTransaction, HostileStringsRoundTrip) {
  const std::string r(kReplacementCharacter);
  const EscapeCase kCases[] = {
      {"quote_backslash", "a\"b\\c", "a\"b\\c"},
      {"newline_tab", "a\nb\r\tc", "a\nb\r\tc"},
      {"nul", std::string("a\0b", 3), std::string("a\0b", 3)},
      {"control_bytes", "\x01\x1f\x7f", "\x01\x1f\x7f"},
      {"json_injection", "x\",\"evil\":\"1", "x\",\"evil\":\"1"},
      {"valid_utf8", "caf\xC3\xA9 \xF0\x9F\x98\x80", "caf\xC3\xA9 \xF0\x9F\x98\x80"},
      {"invalid_utf8", "a\xFF\xFE" "b", "a" + r + r + "b"},
      {"truncated_utf8", "\xE2\x82", r},
      {"surrogate", "\xED\xA0\x80", r + r + r},
  };
  for (const EscapeCase& test_case : kCases) {
    TransactionSpec transaction;
    transaction.method = test_case.wire_value;
    transaction.user_agent = test_case.wire_value;
    transaction.anomalies = {test_case.wire_value};
    BatchSpec batch;
    batch.dataplane_id = "dp" + test_case.wire_value;
    const rapidjson::Document document = FormatOne(transaction, batch);
    EXPECT_EQ(StringAt(document, "/http/request/method"), test_case.parsed_value) << test_case.name;
    EXPECT_EQ(StringAt(document, "/user_agent/original"), test_case.parsed_value) << test_case.name;
    EXPECT_EQ(StringAt(document, "/sluice/anomalies/0"), test_case.parsed_value) << test_case.name;
    EXPECT_EQ(StringAt(document, "/sluice/dataplane"), "dp" + test_case.parsed_value)
        << test_case.name;
    EXPECT_EQ(Find(document, "/evil"), nullptr) << test_case.name;
  }
}

TEST(EcsTransaction, OutputIsValidUtf8) {
  TransactionSpec transaction;
  transaction.url_original = "/\xC0\xAF\xE0\x80\xAF\xF8\x88\x80\x80\x80";
  BatchSpec spec;
  spec.records = {transaction};
  const std::string line = FormatBatch(spec).lines.at(0);
  EXPECT_TRUE(IsValidUtf8(line));
}

TEST(EcsFlow, Fields) {
  FlowSpec flow;
  flow.anomalies = {"syn_after_data"};
  const rapidjson::Document document = FormatOne(flow);
  const std::pair<const char*, const char*> kStrings[] = {
      {"/@timestamp", "2024-05-01T10:00:00.000000000Z"},
      {"/event/kind", "event"},
      {"/event/category/0", "network"},
      {"/event/type/0", "connection"},
      {"/event/type/1", "end"},
      {"/event/dataset", "sluice.flow"},
      {"/event/start", "2024-05-01T10:00:00.000000000Z"},
      {"/event/end", "2024-05-01T10:00:01.500000000Z"},
      {"/source/ip", "192.0.2.10"},
      {"/destination/ip", "198.51.100.20"},
      {"/network/transport", "tcp"},
      {"/network/type", "ipv4"},
      {"/sluice/record_type", "flow"},
      {"/sluice/flow/end", "fin"},
      {"/sluice/anomalies/0", "syn_after_data"},
  };
  for (const auto& [pointer, expected] : kStrings) {
    EXPECT_EQ(StringAt(document, pointer), expected) << pointer;
  }
  const std::pair<const char*, uint64_t> kNumbers[] = {
      {"/event/duration", 1'500'000'000},
      {"/source/packets", 6},
      {"/source/bytes", 300},
      {"/destination/packets", 5},
      {"/destination/bytes", 900},
      {"/network/packets", 11},
      {"/network/bytes", 1200},
      {"/sluice/flow/transactions", 1},
      {"/sluice/flow_id", 7},
  };
  for (const auto& [pointer, expected] : kNumbers) {
    EXPECT_EQ(UintAt(document, pointer), expected) << pointer;
  }
  EXPECT_TRUE(Find(document, "/sluice/flow/http")->GetBool());
  EXPECT_EQ(Find(document, "/http"), nullptr);
}

TEST(EcsFlow, EndNames) {
  const std::pair<wire::FlowEnd, const char*> kCases[] = {
      {wire::FlowEnd::Open, "open"},
      {wire::FlowEnd::Fin, "fin"},
      {wire::FlowEnd::Rst, "rst"},
      {wire::FlowEnd::IdleTimeout, "idle_timeout"},
      {wire::FlowEnd::Evicted, "evicted"},
      {wire::FlowEnd::HalfFin, "half_fin"},
      {wire::FlowEnd::Blocked, "blocked"},
      {static_cast<wire::FlowEnd>(200), "unknown"},
  };
  for (const auto& [end, expected] : kCases) {
    FlowSpec flow;
    flow.end = end;
    const rapidjson::Document document = FormatOne(flow);
    EXPECT_EQ(StringAt(document, "/sluice/flow/end"), expected);
  }
}

TEST(EcsRecord, InvalidRecordsAreSkipped) {
  TransactionSpec bad_version;
  bad_version.ip_version = static_cast<wire::IpVersion>(5);
  TransactionSpec no_client;
  no_client.omit_client = true;
  FlowSpec flow_bad_version;
  flow_bad_version.ip_version = static_cast<wire::IpVersion>(0);
  BatchSpec spec;
  spec.records = {bad_version, no_client, EmptyRecordSpec{}, flow_bad_version, TransactionSpec{}};

  const Formatted formatted = FormatBatch(spec);
  const std::vector<FormatResult> expected = {
      FormatResult::kBadIpVersion, FormatResult::kMissingEndpoint, FormatResult::kNoBody,
      FormatResult::kBadIpVersion, FormatResult::kOk};
  EXPECT_EQ(formatted.results, expected);
  for (size_t i = 0; i + 1 < formatted.lines.size(); ++i) EXPECT_TRUE(formatted.lines[i].empty());
  EXPECT_FALSE(formatted.lines.back().empty());
}

TEST(EcsRecord, ExtremeValuesStaySchemaValid) {
  TransactionSpec transaction;
  transaction.flow_id = UINT64_MAX;
  transaction.index = UINT32_MAX;
  transaction.request_ts_ns = 0;
  transaction.response_end_ts_ns = UINT64_MAX;
  transaction.request_body_bytes = UINT64_MAX;
  transaction.status_code = 65535;
  transaction.client_port = 0;
  BatchSpec spec;
  spec.run_id = 0;
  spec.worker_id = 65535;
  spec.sequence = UINT64_MAX;
  const rapidjson::Document document = FormatOne(transaction, spec);
  EXPECT_EQ(StringAt(document, "/sluice/run_id"), "0000000000000000");
  EXPECT_EQ(UintAt(document, "/sluice/flow_id"), UINT64_MAX);
  EXPECT_EQ(UintAt(document, "/event/duration"), UINT64_MAX);
}

TEST(EcsSchema, RejectsBrokenLines) {
  const testing::EcsSchemaCheck schema;
  BatchSpec spec;
  spec.records = {TransactionSpec{}};
  const std::string line = FormatBatch(spec).lines.at(0);
  ASSERT_EQ(schema.Check(line), "");

  std::string renamed = line;
  renamed.replace(renamed.find("\"dataset\""), 9, "\"datasat\"");
  EXPECT_NE(schema.Check(renamed), "");
  std::string bad_time = line;
  bad_time.replace(bad_time.find("T10:00"), 1, " ");
  EXPECT_NE(schema.Check(bad_time), "");
  std::string bad_run = line;
  bad_run.replace(bad_run.find("0123456789abcdef"), 1, "X");
  EXPECT_NE(schema.Check(bad_run), "");
}

// Inspection fields: sluice.verdict, sluice.rules, sluice.pii, sluice.block.

// Two fingerprints in the 32-hex-digit form the data plane sends.
const char kFingerprintA[] = "00112233445566778899aabbccddeeff";
const char kFingerprintB[] = "ffeeddccbbaa99887766554433221100";

bool BoolAt(const rapidjson::Document& document, const char* pointer) {
  const rapidjson::Value* value = Find(document, pointer);
  EXPECT_NE(value, nullptr) << pointer;
  EXPECT_TRUE(value != nullptr && value->IsBool()) << pointer;
  return value != nullptr && value->IsBool() && value->GetBool();
}

size_t ArraySizeAt(const rapidjson::Document& document, const char* pointer) {
  const rapidjson::Value* value = Find(document, pointer);
  EXPECT_NE(value, nullptr) << pointer;
  EXPECT_TRUE(value != nullptr && value->IsArray()) << pointer;
  return value != nullptr && value->IsArray() ? value->Size() : SIZE_MAX;
}

size_t MemberCountAt(const rapidjson::Document& document, const char* pointer) {
  const rapidjson::Value* value = Find(document, pointer);
  EXPECT_NE(value, nullptr) << pointer;
  EXPECT_TRUE(value != nullptr && value->IsObject()) << pointer;
  return value != nullptr && value->IsObject() ? value->MemberCount() : SIZE_MAX;
}

TEST(EcsInspection, VerdictNames) {
  const std::pair<wire::Verdict, const char*> kCases[] = {
      {wire::Verdict::Pass, "pass"},
      {wire::Verdict::Tag, "tag"},
      {wire::Verdict::Block, "block"},
      {wire::Verdict::WouldBlock, "would_block"},
      {static_cast<wire::Verdict>(200), "unknown"},
  };
  for (const auto& [verdict, expected] : kCases) {
    TransactionSpec transaction;
    transaction.verdict = verdict;
    const rapidjson::Document document = FormatOne(transaction);
    EXPECT_EQ(StringAt(document, "/sluice/verdict"), expected);
  }
}

TEST(EcsInspection, AbsentFieldsOmitted) {
  const rapidjson::Document document = FormatOne(TransactionSpec{});
  EXPECT_EQ(StringAt(document, "/sluice/verdict"), "pass");
  EXPECT_EQ(Find(document, "/sluice/rules"), nullptr);
  EXPECT_EQ(Find(document, "/sluice/pii"), nullptr);
  EXPECT_EQ(Find(document, "/sluice/block"), nullptr);
}

TEST(EcsInspection, EmptyVectorsOmitted) {
  TransactionSpec transaction;
  transaction.empty_vectors = true;
  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(Find(document, "/sluice/rules"), nullptr);
  EXPECT_EQ(Find(document, "/sluice/pii"), nullptr);
}

TEST(EcsInspection, FlowHasNoVerdict) {
  const rapidjson::Document document = FormatOne(FlowSpec{});
  EXPECT_EQ(Find(document, "/sluice/verdict"), nullptr);
}

TEST(EcsInspection, Rules) {
  TransactionSpec transaction;
  transaction.verdict = wire::Verdict::Tag;
  transaction.rules = {
      {1001, "SQL injection in query", "query", "tag", "high"},
      {UINT32_MAX, "", "", "", ""},
      {0, "any header", "request.headers,response.headers", "log", "info"},
  };
  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(StringAt(document, "/sluice/verdict"), "tag");
  ASSERT_EQ(ArraySizeAt(document, "/sluice/rules"), 3u);

  EXPECT_EQ(UintAt(document, "/sluice/rules/0/id"), 1001u);
  EXPECT_EQ(StringAt(document, "/sluice/rules/0/msg"), "SQL injection in query");
  EXPECT_EQ(StringAt(document, "/sluice/rules/0/field"), "query");
  EXPECT_EQ(StringAt(document, "/sluice/rules/0/action"), "tag");
  EXPECT_EQ(StringAt(document, "/sluice/rules/0/severity"), "high");

  // A rule with only an id keeps the id and drops the empty strings.
  EXPECT_EQ(UintAt(document, "/sluice/rules/1/id"), UINT32_MAX);
  EXPECT_EQ(MemberCountAt(document, "/sluice/rules/1"), 1u);

  EXPECT_EQ(UintAt(document, "/sluice/rules/2/id"), 0u);
  EXPECT_EQ(StringAt(document, "/sluice/rules/2/field"), "request.headers,response.headers");
}

TEST(EcsInspection, PiiBothDirections) {
  TransactionSpec transaction;
  transaction.pii_request = {{"email", 3, {kFingerprintA, kFingerprintB}}};
  transaction.pii_response = {{"credit_card", 1, {kFingerprintA}}, {"us_ssn", 2, {}}};
  const rapidjson::Document document = FormatOne(transaction);

  EXPECT_EQ(UintAt(document, "/sluice/pii/request/email/count"), 3u);
  ASSERT_EQ(ArraySizeAt(document, "/sluice/pii/request/email/fingerprints"), 2u);
  EXPECT_EQ(StringAt(document, "/sluice/pii/request/email/fingerprints/0"), kFingerprintA);
  EXPECT_EQ(StringAt(document, "/sluice/pii/request/email/fingerprints/1"), kFingerprintB);
  EXPECT_EQ(MemberCountAt(document, "/sluice/pii/request"), 1u);

  EXPECT_EQ(UintAt(document, "/sluice/pii/response/credit_card/count"), 1u);
  EXPECT_EQ(StringAt(document, "/sluice/pii/response/credit_card/fingerprints/0"), kFingerprintA);
  EXPECT_EQ(UintAt(document, "/sluice/pii/response/us_ssn/count"), 2u);
  EXPECT_EQ(ArraySizeAt(document, "/sluice/pii/response/us_ssn/fingerprints"), 0u);
  EXPECT_EQ(MemberCountAt(document, "/sluice/pii/response"), 2u);
}

TEST(EcsInspection, PiiOneDirectionOnly) {
  struct Case {
    const char* name;
    bool in_request;
    const char* present;
    const char* absent;
  };
  const Case kCases[] = {
      {"request", true, "/sluice/pii/request/jwt", "/sluice/pii/response"},
      {"response", false, "/sluice/pii/response/jwt", "/sluice/pii/request"},
  };
  for (const Case& test_case : kCases) {
    TransactionSpec transaction;
    transaction.empty_vectors = true;  // the other direction is an empty vector, not absent
    (test_case.in_request ? transaction.pii_request : transaction.pii_response) = {{"jwt", 1, {}}};
    const rapidjson::Document document = FormatOne(transaction);
    EXPECT_NE(Find(document, test_case.present), nullptr) << test_case.name;
    EXPECT_EQ(Find(document, test_case.absent), nullptr) << test_case.name;
  }
}

TEST(EcsInspection, PiiEveryKnownTypeIsAKey) {
  for (const char* type : kPiiTypes) {
    TransactionSpec transaction;
    transaction.pii_request = {{type, 5, {kFingerprintA}}};
    const rapidjson::Document document = FormatOne(transaction);
    const std::string pointer = std::string("/sluice/pii/request/") + type + "/count";
    EXPECT_EQ(UintAt(document, pointer.c_str()), 5u) << type;
    EXPECT_EQ(Find(document, "/sluice/pii/request/other"), nullptr) << type;
  }
}

TEST(EcsInspection, PiiDuplicateTypesMerged) {
  TransactionSpec transaction;
  transaction.pii_request = {
      {"email", 2, {kFingerprintA}},
      {"phone", 1, {kFingerprintB}},
      {"email", 7, {kFingerprintB}},
  };
  BatchSpec spec;
  spec.records = {transaction};
  const std::string line = FormatBatch(spec).lines.at(0);
  EXPECT_EQ(line.find("\"email\""), line.rfind("\"email\"")) << "one key per type: " << line;

  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(UintAt(document, "/sluice/pii/request/email/count"), 9u);
  ASSERT_EQ(ArraySizeAt(document, "/sluice/pii/request/email/fingerprints"), 2u);
  EXPECT_EQ(StringAt(document, "/sluice/pii/request/email/fingerprints/0"), kFingerprintA);
  EXPECT_EQ(StringAt(document, "/sluice/pii/request/email/fingerprints/1"), kFingerprintB);
  EXPECT_EQ(UintAt(document, "/sluice/pii/request/phone/count"), 1u);
}

TEST(EcsInspection, PiiUnknownTypesSummedUnderOther) {
  TransactionSpec transaction;
  PiiSpec without_fingerprints{"passport", 4, {}};
  without_fingerprints.omit_fingerprints = true;
  transaction.pii_response = {
      {"ipv4_address", 1, {kFingerprintA}},
      {"EMAIL", 2, {kFingerprintB}},  // type names are case-sensitive
      {"", 3, {}},                    // absent type
      without_fingerprints,
      {"email", 1, {}},
  };
  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(UintAt(document, "/sluice/pii/response/other/count"), 10u);
  ASSERT_EQ(ArraySizeAt(document, "/sluice/pii/response/other/fingerprints"), 2u);
  ASSERT_EQ(ArraySizeAt(document, "/sluice/pii/response/other/types"), 4u);
  EXPECT_EQ(StringAt(document, "/sluice/pii/response/other/types/0"), "ipv4_address");
  EXPECT_EQ(StringAt(document, "/sluice/pii/response/other/types/1"), "EMAIL");
  EXPECT_EQ(StringAt(document, "/sluice/pii/response/other/types/2"), "");
  EXPECT_EQ(StringAt(document, "/sluice/pii/response/other/types/3"), "passport");
  EXPECT_EQ(UintAt(document, "/sluice/pii/response/email/count"), 1u);
  EXPECT_EQ(MemberCountAt(document, "/sluice/pii/response"), 2u);
}

TEST(EcsInspection, PiiCountsSumPastUint32) {
  TransactionSpec transaction;
  transaction.pii_request = {{"iban", UINT32_MAX, {}}, {"iban", UINT32_MAX, {}}};
  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(UintAt(document, "/sluice/pii/request/iban/count"), 2ULL * UINT32_MAX);
}

TEST(EcsInspection, Block) {
  TransactionSpec transaction;
  transaction.verdict = wire::Verdict::Block;
  transaction.block = BlockSpec{4, "request", 1460, "rule 1001", true};
  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(StringAt(document, "/sluice/verdict"), "block");
  EXPECT_EQ(UintAt(document, "/sluice/block/packet"), 4u);
  EXPECT_EQ(StringAt(document, "/sluice/block/direction"), "request");
  EXPECT_EQ(UintAt(document, "/sluice/block/bytes_passed"), 1460u);
  EXPECT_EQ(StringAt(document, "/sluice/block/reason"), "rule 1001");
  EXPECT_TRUE(BoolAt(document, "/sluice/block/reset"));
}

TEST(EcsInspection, BlockWithoutResetOrStrings) {
  TransactionSpec transaction;
  transaction.verdict = wire::Verdict::Block;
  transaction.block = BlockSpec{UINT64_MAX, "", UINT64_MAX, "", false};
  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(UintAt(document, "/sluice/block/packet"), UINT64_MAX);
  EXPECT_EQ(UintAt(document, "/sluice/block/bytes_passed"), UINT64_MAX);
  EXPECT_FALSE(BoolAt(document, "/sluice/block/reset"));
  EXPECT_EQ(Find(document, "/sluice/block/direction"), nullptr);
  EXPECT_EQ(Find(document, "/sluice/block/reason"), nullptr);
}

TEST(EcsInspection, BlockWithoutBlockVerdict) {
  // The formatter writes what the wire holds; it does not reconcile verdict and block.
  TransactionSpec transaction;
  transaction.block = BlockSpec{2, "response", 0, "rule 7", true};
  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(StringAt(document, "/sluice/verdict"), "pass");
  EXPECT_EQ(StringAt(document, "/sluice/block/direction"), "response");
}

TEST(EcsInspection, HostileStringsRoundTrip) {
  const std::string r(kReplacementCharacter);
  const EscapeCase kCases[] = {
      {"quote_backslash", "a\"b\\c", "a\"b\\c"},
      {"newline_tab", "a\nb\r\tc", "a\nb\r\tc"},
      {"nul", std::string("a\0b", 3), std::string("a\0b", 3)},
      {"control_bytes", "\x01\x1f\x7f", "\x01\x1f\x7f"},
      {"json_injection", "x\",\"evil\":\"1", "x\",\"evil\":\"1"},
      {"key_injection", "x\"}},\"evil\":{\"a\":\"", "x\"}},\"evil\":{\"a\":\""},
      {"valid_utf8", "caf\xC3\xA9 \xF0\x9F\x98\x80", "caf\xC3\xA9 \xF0\x9F\x98\x80"},
      {"invalid_utf8", "a\xFF\xFE" "b", "a" + r + r + "b"},
      {"truncated_utf8", "\xE2\x82", r},
      {"surrogate", "\xED\xA0\x80", r + r + r},
  };
  for (const EscapeCase& test_case : kCases) {
    const std::string& hostile = test_case.wire_value;
    const std::string& expected = test_case.parsed_value;
    TransactionSpec transaction;
    transaction.verdict = wire::Verdict::Block;
    transaction.rules = {{9, hostile, hostile, hostile, hostile}};
    // A hostile type is never a key: it lands in other.types.
    transaction.pii_request = {{hostile, 1, {hostile}}};
    transaction.block = BlockSpec{1, hostile, 0, hostile, true};
    const rapidjson::Document document = FormatOne(transaction);

    for (const char* pointer :
         {"/sluice/rules/0/msg", "/sluice/rules/0/field", "/sluice/rules/0/action",
          "/sluice/rules/0/severity", "/sluice/pii/request/other/types/0",
          "/sluice/pii/request/other/fingerprints/0", "/sluice/block/direction",
          "/sluice/block/reason"}) {
      EXPECT_EQ(StringAt(document, pointer), expected) << test_case.name << " " << pointer;
    }
    EXPECT_EQ(MemberCountAt(document, "/sluice/pii/request"), 1u) << test_case.name;
    EXPECT_EQ(Find(document, "/evil"), nullptr) << test_case.name;
    EXPECT_EQ(Find(document, "/sluice/evil"), nullptr) << test_case.name;
  }
}

TEST(EcsInspection, AllFieldsTogether) {
  TransactionSpec transaction;
  transaction.verdict = wire::Verdict::WouldBlock;
  transaction.anomalies = {"bare_lf"};
  transaction.rules = {{1, "a", "body", "block", "critical"}, {2, "b", "path", "log", "low"}};
  transaction.pii_request = {{"bearer_token", 1, {kFingerprintA}}};
  transaction.pii_response = {{"private_key", 1, {kFingerprintB}}};
  transaction.block = BlockSpec{3, "response", 10, "rule 1", true};
  const rapidjson::Document document = FormatOne(transaction);
  EXPECT_EQ(StringAt(document, "/sluice/verdict"), "would_block");
  EXPECT_EQ(StringAt(document, "/sluice/anomalies/0"), "bare_lf");
  EXPECT_EQ(ArraySizeAt(document, "/sluice/rules"), 2u);
  EXPECT_EQ(UintAt(document, "/sluice/pii/request/bearer_token/count"), 1u);
  EXPECT_EQ(UintAt(document, "/sluice/pii/response/private_key/count"), 1u);
  EXPECT_EQ(UintAt(document, "/sluice/block/packet"), 3u);
}

// A data plane older than the inspection fields builds transactions whose vtable ends at
// `anomalies`. Building without them must give that same layout, and sluice-control must read it,
// format it with verdict pass and pass the schema.
TEST(EcsSchemaEvolution, RecordWithoutInspectionFields) {
  TransactionSpec old_transaction;
  old_transaction.anomalies = {"bare_lf"};
  BatchSpec spec;
  spec.records = {old_transaction};
  const std::vector<uint8_t> frame = BuildBatchFrame(spec);

  flatbuffers::Verifier verifier(frame.data(), frame.size());
  ASSERT_TRUE(wire::VerifyMessageBuffer(verifier));
  const wire::Batch& batch = *wire::GetMessage(frame.data())->body_as_Batch();
  const wire::Record& record = *batch.records()->Get(0);
  const wire::Transaction& transaction = *record.body_as_Transaction();

  // The vtable's first entry is its own size in bytes; a vtable that stops before the slot of
  // `rules` has no entry for any inspection field, as in the old schema.
  // wire::Transaction derives privately from flatbuffers::Table, so the cast reaches the vtable.
  const uint8_t* vtable = reinterpret_cast<const flatbuffers::Table&>(transaction).GetVTable();
  const auto vtable_bytes = flatbuffers::ReadScalar<flatbuffers::voffset_t>(vtable);
  EXPECT_LE(vtable_bytes, wire::Transaction::VT_RULES);
  EXPECT_EQ(transaction.rules(), nullptr);
  EXPECT_EQ(transaction.verdict(), wire::Verdict::Pass);
  EXPECT_EQ(transaction.pii_request(), nullptr);
  EXPECT_EQ(transaction.pii_response(), nullptr);
  EXPECT_EQ(transaction.block(), nullptr);

  EcsFormatter formatter;
  const BatchContext context{batch.dataplane_id()->string_view(), batch.run_id(),
                             batch.worker_id(), batch.sequence()};
  ASSERT_EQ(formatter.Format(record, context), FormatResult::kOk);
  std::string line(formatter.line());
  line.pop_back();
  const testing::EcsSchemaCheck schema;
  EXPECT_EQ(schema.Check(line), "");
  rapidjson::Document document;
  document.Parse(line.c_str());
  EXPECT_EQ(StringAt(document, "/sluice/verdict"), "pass");
  EXPECT_EQ(StringAt(document, "/sluice/anomalies/0"), "bare_lf");
  EXPECT_EQ(StringAt(document, "/http/request/method"), "GET");
}

rapidjson::Document LoadSchema() {
  std::ifstream file(testing::EcsSchemaPath());
  std::stringstream text;
  text << file.rdbuf();
  rapidjson::Document document;
  document.Parse(text.str().c_str());
  EXPECT_FALSE(document.HasParseError());
  return document;
}

TEST(EcsSchema, PiiKeysMatchFormatter) {
  const rapidjson::Document schema = LoadSchema();
  const rapidjson::Value* properties = Find(schema, "/definitions/pii_direction/properties");
  ASSERT_NE(properties, nullptr);
  ASSERT_TRUE(properties->IsObject());
  std::vector<std::string> schema_keys;
  for (const auto& member : properties->GetObject()) {
    schema_keys.emplace_back(member.name.GetString());
  }
  std::vector<std::string> formatter_keys(std::begin(kPiiTypes), std::end(kPiiTypes));
  formatter_keys.emplace_back(kOtherPiiType);
  EXPECT_EQ(schema_keys, formatter_keys);
}

TEST(EcsSchema, VerdictNamesMatchFormatter) {
  const rapidjson::Document schema = LoadSchema();
  const rapidjson::Value* names =
      Find(schema, "/definitions/transaction/properties/sluice/properties/verdict/enum");
  ASSERT_NE(names, nullptr);
  ASSERT_TRUE(names->IsArray());
  std::vector<std::string> schema_names;
  for (const auto& name : names->GetArray()) schema_names.emplace_back(name.GetString());
  std::vector<std::string> formatter_names;
  for (int value = 0; value <= 4; ++value) {
    formatter_names.emplace_back(VerdictName(static_cast<wire::Verdict>(value)));
  }
  EXPECT_EQ(schema_names, formatter_names);
}

struct SchemaBreakCase {
  const char* name;
  const char* from;  // first occurrence in a valid line
  const char* to;
};

TEST(EcsSchema, RejectsBrokenInspectionFields) {
  TransactionSpec transaction;
  transaction.verdict = wire::Verdict::Block;
  transaction.rules = {{1001, "m", "query", "block", "high"}};
  transaction.pii_request = {{"email", 1, {kFingerprintA}}};
  transaction.block = BlockSpec{4, "request", 10, "rule 1001", true};
  BatchSpec spec;
  spec.records = {transaction};
  const std::string line = FormatBatch(spec).lines.at(0);
  const testing::EcsSchemaCheck schema;
  ASSERT_EQ(schema.Check(line), "");

  const SchemaBreakCase kCases[] = {
      {"verdict_value", "\"verdict\":\"block\"", "\"verdict\":\"maybe\""},
      {"verdict_missing", "\"verdict\":\"block\",", ""},
      {"pii_type_not_listed", "\"email\":{", "\"ssn\":{"},
      {"pii_count_missing", "\"count\":1,", ""},
      {"rule_id_text", "\"id\":1001", "\"id\":\"1001\""},
      {"rules_empty", "\"rules\":[{\"id\":1001,\"msg\":\"m\",\"field\":\"query\",\"action\":"
                      "\"block\",\"severity\":\"high\"}]", "\"rules\":[]"},
      {"block_reset_missing", ",\"reset\":true", ""},
      {"block_extra_field", "\"reset\":true", "\"reset\":true,\"x\":1"},
  };
  for (const SchemaBreakCase& test_case : kCases) {
    std::string broken = line;
    const size_t at = broken.find(test_case.from);
    ASSERT_NE(at, std::string::npos) << test_case.name << ": " << line;
    broken.replace(at, std::strlen(test_case.from), test_case.to);
    EXPECT_NE(schema.Check(broken), "") << test_case.name;
  }
}

}  // namespace
}  // namespace sluice::control
