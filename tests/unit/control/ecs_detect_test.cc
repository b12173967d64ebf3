// ECS lines of detector output: finding and inventory records, and the detector fields of
// transactions. Every line is also checked against schemas/ecs-record.schema.json.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <string>

#include "control/sinks/ecs_json.h"
#include "records_generated.h"
#include "tests/unit/control/ecs_schema_check.h"
#include "tests/unit/control/wire_fixtures.h"

namespace sluice::control {
namespace {

using testing::Ip;

constexpr uint64_t kFirstNs = 1714557600000000000ULL;
constexpr uint64_t kLastNs = 1714557660500000000ULL;

const BatchContext kContext{"dp-1", 0xfeedfacecafebeefULL, 2, 9};

struct Formatted {
  FormatResult result;
  std::string line;
  rapidjson::Document document;
};

Formatted FormatBuffer(const flatbuffers::FlatBufferBuilder& fbb) {
  Formatted out;
  EcsFormatter formatter;
  const auto* record = flatbuffers::GetRoot<wire::Record>(fbb.GetBufferPointer());
  out.result = formatter.Format(*record, kContext);
  out.line = std::string(formatter.line());
  if (!out.line.empty() && out.line.back() == '\n') out.line.pop_back();
  out.document.Parse(out.line.c_str());
  return out;
}

std::string StringAt(const rapidjson::Document& document, const char* pointer) {
  const rapidjson::Value* value = rapidjson::Pointer(pointer).Get(document);
  return value != nullptr && value->IsString() ? value->GetString() : std::string("<absent>");
}

struct FindingSpec {
  uint64_t id = (1ULL << 48) | 7;
  std::string detector = "enumeration";
  std::string evidence_key = "distinct_ids";
  double evidence_value = 31;
  wire::IpVersion version = wire::IpVersion::V4;
  const char* ip = "192.0.2.10";
};

Formatted FormatFinding(const FindingSpec& spec) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto detector = fbb.CreateString(spec.detector);
  const auto kind = fbb.CreateString("api_key");
  const auto client_id = fbb.CreateString("0123456789abcdef0123456789abcdef");
  const auto host = fbb.CreateString("api.example");
  const auto method = fbb.CreateString("GET");
  const auto endpoint = fbb.CreateString("/accounts/{id}/related");
  const std::vector<flatbuffers::Offset<wire::Evidence>> evidence = {
      wire::CreateEvidence(fbb, fbb.CreateString(spec.evidence_key), spec.evidence_value),
      wire::CreateEvidence(fbb, fbb.CreateString("sequential_share"), 0.96875),
      wire::CreateEvidence(fbb, fbb.CreateString("Bad Key\""), 1),
  };
  const auto evidence_offset = fbb.CreateVector(evidence);
  const auto samples = fbb.CreateVectorOfStrings({"1041", "1042"});
  const std::vector<wire::RecordRef> refs = {wire::RecordRef(11, 0), wire::RecordRef(12, 3)};
  const auto refs_offset = fbb.CreateVectorOfStructs(refs);
  const auto action = fbb.CreateString("block");
  const std::array<uint8_t, 16> ip = Ip(spec.ip);
  const wire::Endpoint client(flatbuffers::span<const uint8_t, 16>(ip.data(), 16), 0);
  wire::FindingBuilder builder(fbb);
  builder.add_finding_id(spec.id);
  builder.add_detector(detector);
  builder.add_client_kind(kind);
  builder.add_client_id(client_id);
  builder.add_ip_version(spec.version);
  builder.add_client(&client);
  builder.add_host(host);
  builder.add_method(method);
  builder.add_endpoint(endpoint);
  builder.add_first_ts_ns(kFirstNs);
  builder.add_last_ts_ns(kLastNs);
  builder.add_calls(40);
  builder.add_evidence(evidence_offset);
  builder.add_sample_ids(samples);
  builder.add_records(refs_offset);
  builder.add_action(action);
  builder.add_verdict(wire::Verdict::WouldBlock);
  const auto body = builder.Finish();
  fbb.Finish(wire::CreateRecord(fbb, wire::RecordBody::Finding, body.Union()));
  return FormatBuffer(fbb);
}

TEST(EcsFinding, NamesAndKinds) {
  const Formatted out = FormatFinding({});
  ASSERT_EQ(out.result, FormatResult::kOk);
  ASSERT_FALSE(out.document.HasParseError()) << out.line;
  EXPECT_EQ(StringAt(out.document, "/event/kind"), "alert");
  EXPECT_EQ(StringAt(out.document, "/event/action"), "enumeration");
  EXPECT_EQ(StringAt(out.document, "/sluice/record_type"), "finding");
  EXPECT_EQ(StringAt(out.document, "/sluice/finding/detector"), "enumeration");
  EXPECT_EQ(StringAt(out.document, "/sluice/finding/endpoint"), "/accounts/{id}/related");
  EXPECT_EQ(StringAt(out.document, "/sluice/finding/id"), std::to_string((1ULL << 48) | 7));
  EXPECT_EQ(StringAt(out.document, "/sluice/finding/action"), "block");
  EXPECT_EQ(StringAt(out.document, "/sluice/client/kind"), "api_key");
  EXPECT_EQ(StringAt(out.document, "/sluice/client/id"), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(StringAt(out.document, "/sluice/verdict"), "would_block");
  EXPECT_EQ(StringAt(out.document, "/source/ip"), "192.0.2.10");
  EXPECT_EQ(StringAt(out.document, "/sluice/finding/sample_ids/1"), "1042");
  EXPECT_EQ(StringAt(out.document, "/sluice/finding/first_ts"), "2024-05-01T10:00:00.000000000Z");
  EXPECT_EQ(StringAt(out.document, "/@timestamp"), "2024-05-01T10:01:00.500000000Z");
}

TEST(EcsFinding, EvidenceAndRecords) {
  const Formatted out = FormatFinding({});
  ASSERT_FALSE(out.document.HasParseError()) << out.line;
  const rapidjson::Value* distinct = rapidjson::Pointer("/sluice/finding/evidence/distinct_ids").Get(out.document);
  ASSERT_NE(distinct, nullptr);
  EXPECT_EQ(distinct->GetDouble(), 31);
  const rapidjson::Value* share = rapidjson::Pointer("/sluice/finding/evidence/sequential_share").Get(out.document);
  ASSERT_NE(share, nullptr);
  EXPECT_EQ(share->GetDouble(), 0.96875);
  const rapidjson::Value* evidence = rapidjson::Pointer("/sluice/finding/evidence").Get(out.document);
  EXPECT_EQ(evidence->MemberCount(), 2u) << "a key that is not snake_case must be left out: " << out.line;
  const rapidjson::Value* index = rapidjson::Pointer("/sluice/finding/records/1/transaction").Get(out.document);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->GetUint(), 3u);
}

TEST(EcsFinding, MatchesSchema) {
  const testing::EcsSchemaCheck schema;
  EXPECT_EQ(schema.Check(FormatFinding({}).line), "");
  FindingSpec ipv6;
  ipv6.version = wire::IpVersion::V6;
  ipv6.ip = "2001:db8::7";
  const Formatted out = FormatFinding(ipv6);
  EXPECT_EQ(StringAt(out.document, "/source/ip"), "2001:db8::7");
  EXPECT_EQ(schema.Check(out.line), "");
}

TEST(EcsFinding, NonFiniteEvidenceIsNull) {
  FindingSpec spec;
  spec.evidence_value = std::numeric_limits<double>::quiet_NaN();
  const Formatted out = FormatFinding(spec);
  ASSERT_FALSE(out.document.HasParseError()) << out.line;
  const rapidjson::Value* value = rapidjson::Pointer("/sluice/finding/evidence/distinct_ids").Get(out.document);
  ASSERT_NE(value, nullptr);
  EXPECT_TRUE(value->IsNull());
  EXPECT_EQ(testing::EcsSchemaCheck().Check(out.line), "");
}

TEST(EcsFinding, HostileDetectorNameEscaped) {
  FindingSpec spec;
  spec.detector = "enum\"\n\xff";
  const Formatted out = FormatFinding(spec);
  ASSERT_EQ(out.result, FormatResult::kOk);
  ASSERT_FALSE(out.document.HasParseError()) << out.line;
  EXPECT_EQ(StringAt(out.document, "/sluice/finding/detector"), "enum\"\n\xef\xbf\xbd");
}

TEST(EcsFinding, MissingClientEndpointRejected) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto detector = fbb.CreateString("scraping");
  wire::FindingBuilder builder(fbb);
  builder.add_detector(detector);
  const auto body = builder.Finish();
  fbb.Finish(wire::CreateRecord(fbb, wire::RecordBody::Finding, body.Union()));
  const Formatted out = FormatBuffer(fbb);
  EXPECT_EQ(out.result, FormatResult::kMissingEndpoint);
  EXPECT_TRUE(out.line.empty());
}

Formatted FormatInventory(bool with_entries) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<wire::InventoryEntry>> entries;
  if (with_entries) {
    const std::vector<uint64_t> classes = {1, 0, 90, 2, 5, 2};
    entries.push_back(wire::CreateInventoryEntry(fbb, fbb.CreateString("api.example"), fbb.CreateString("GET"),
                                                 fbb.CreateString("/users/{id}"), 100, fbb.CreateVector(classes),
                                                 123456, 1023, 2047, 4095, 17, kFirstNs, kLastNs, true));
  }
  const auto list = fbb.CreateVector(entries);
  const auto body = wire::CreateInventory(fbb, kFirstNs, kLastNs, list);
  fbb.Finish(wire::CreateRecord(fbb, wire::RecordBody::Inventory, body.Union()));
  return FormatBuffer(fbb);
}

TEST(EcsInventory, Fields) {
  const Formatted out = FormatInventory(true);
  ASSERT_EQ(out.result, FormatResult::kOk);
  ASSERT_FALSE(out.document.HasParseError()) << out.line;
  EXPECT_EQ(StringAt(out.document, "/event/kind"), "state");
  EXPECT_EQ(StringAt(out.document, "/sluice/record_type"), "inventory");
  EXPECT_EQ(StringAt(out.document, "/sluice/inventory/0/endpoint"), "/users/{id}");
  const rapidjson::Value* ok = rapidjson::Pointer("/sluice/inventory/0/status/2xx").Get(out.document);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->GetUint64(), 90u);
  const rapidjson::Value* p99 = rapidjson::Pointer("/sluice/inventory/0/response_bytes/p99").Get(out.document);
  ASSERT_NE(p99, nullptr);
  EXPECT_EQ(p99->GetUint64(), 4095u);
  EXPECT_EQ(testing::EcsSchemaCheck().Check(out.line), "");
}

TEST(EcsInventory, EmptyListMatchesSchema) {
  const Formatted out = FormatInventory(false);
  ASSERT_EQ(out.result, FormatResult::kOk);
  EXPECT_EQ(testing::EcsSchemaCheck().Check(out.line), "");
}

TEST(EcsTransactionDetection, EndpointClientFindings) {
  testing::TransactionSpec spec;
  flatbuffers::FlatBufferBuilder fbb;
  const auto method = fbb.CreateString("GET");
  const auto endpoint = fbb.CreateString("/accounts/{id}/related");
  const auto kind = fbb.CreateString("ip");
  const auto id = fbb.CreateString("192.0.2.10");
  const std::vector<uint64_t> ids = {(1ULL << 48) | 2, 18446744073709551615ULL};
  const auto findings = fbb.CreateVector(ids);
  const wire::Endpoint client(flatbuffers::span<const uint8_t, 16>(spec.client_ip.data(), 16), spec.client_port);
  const wire::Endpoint server(flatbuffers::span<const uint8_t, 16>(spec.server_ip.data(), 16), spec.server_port);
  wire::TransactionBuilder builder(fbb);
  builder.add_flow_id(3);
  builder.add_client(&client);
  builder.add_server(&server);
  builder.add_request_ts_ns(kFirstNs);
  builder.add_method(method);
  builder.add_has_response(true);
  builder.add_status_code(200);
  builder.add_verdict(wire::Verdict::Tag);
  builder.add_endpoint(endpoint);
  builder.add_client_kind(kind);
  builder.add_client_id(id);
  builder.add_findings(findings);
  const auto body = builder.Finish();
  fbb.Finish(wire::CreateRecord(fbb, wire::RecordBody::Transaction, body.Union()));
  const Formatted out = FormatBuffer(fbb);
  ASSERT_EQ(out.result, FormatResult::kOk);
  ASSERT_FALSE(out.document.HasParseError()) << out.line;
  EXPECT_EQ(StringAt(out.document, "/sluice/endpoint"), "/accounts/{id}/related");
  EXPECT_EQ(StringAt(out.document, "/sluice/client/kind"), "ip");
  EXPECT_EQ(StringAt(out.document, "/sluice/client/id"), "192.0.2.10");
  EXPECT_EQ(StringAt(out.document, "/sluice/findings/0"), std::to_string((1ULL << 48) | 2));
  EXPECT_EQ(StringAt(out.document, "/sluice/findings/1"), "18446744073709551615");
  EXPECT_EQ(StringAt(out.document, "/sluice/verdict"), "tag");
  EXPECT_EQ(testing::EcsSchemaCheck().Check(out.line), "");
}

}  // namespace
}  // namespace sluice::control
