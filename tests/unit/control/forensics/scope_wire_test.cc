#include "control/forensics/scope_wire.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace sluice::control::forensics {
namespace {

wire::Endpoint Address(int family, const char* text, uint16_t port) {
  std::array<uint8_t, 16> bytes{};
  EXPECT_EQ(inet_pton(family, text, bytes.data()), 1) << text;
  return wire::Endpoint(bytes, port);
}

// Builds, verifies and returns a Record holding one transaction. `full` fills the fields added
// after the first schema (endpoint, client identity, findings).
const wire::Transaction* BuildTransaction(flatbuffers::FlatBufferBuilder& fbb, bool full,
                                          wire::IpVersion version, const wire::Endpoint& client) {
  const std::vector<std::string> fingerprints = {"aa11", "bb22"};
  const auto fingerprint_vector = fbb.CreateVectorOfStrings(fingerprints);
  const auto email = fbb.CreateString("email");
  std::vector<flatbuffers::Offset<wire::PiiCount>> response = {
      wire::CreatePiiCount(fbb, email, 3, fingerprint_vector)};
  std::vector<flatbuffers::Offset<wire::PiiCount>> request = {
      wire::CreatePiiCountDirect(fbb, "jwt", 1, nullptr)};
  std::vector<flatbuffers::Offset<wire::RuleMatch>> rules = {
      wire::CreateRuleMatchDirect(fbb, 1001, "msg", "url.path", "tag", "high"),
      wire::CreateRuleMatchDirect(fbb, 1002)};
  const std::vector<uint64_t> findings = {5, 281474976710657ULL};
  const wire::Endpoint server = Address(AF_INET, "198.51.100.20", 443);

  const auto transaction = wire::CreateTransactionDirect(
      fbb, /*flow_id=*/77, /*index=*/3, version, &client, &server,
      /*request_ts_ns=*/1'000, /*response_end_ts_ns=*/2'000, "1.1", "GET",
      "/accounts/42?x=1", "/accounts/42", "x=1", "api.example.com", 0, "ua",
      /*request_body_bytes=*/12, nullptr, /*has_response=*/true, /*status_code=*/200,
      /*response_body_bytes=*/512, nullptr, nullptr, &rules, wire::Verdict::Tag, &request,
      &response, 0, full ? "/accounts/{id}" : nullptr, full ? "api_key" : nullptr,
      full ? "k-9f2c" : nullptr, full ? &findings : nullptr);
  const auto record =
      wire::CreateRecord(fbb, wire::RecordBody::Transaction, transaction.Union());
  fbb.Finish(record);
  flatbuffers::Verifier verifier(fbb.GetBufferPointer(), fbb.GetSize());
  EXPECT_TRUE(verifier.VerifyBuffer<wire::Record>(nullptr));
  return flatbuffers::GetRoot<wire::Record>(fbb.GetBufferPointer())->body_as_Transaction();
}

TEST(TransactionRowFromWire, CopiesEveryField) {
  flatbuffers::FlatBufferBuilder fbb;
  const wire::Transaction* transaction =
      BuildTransaction(fbb, true, wire::IpVersion::V4, Address(AF_INET, "192.0.2.10", 51000));
  ASSERT_NE(transaction, nullptr);
  RecordRef ref;
  ref.dataplane_id = "dp-east";
  ref.run_id = 9;
  ref.worker_id = 2;
  ref.sequence = 41;
  ref.record_index = 6;
  const TransactionRow row = TransactionRowFromWire(*transaction, ref);

  EXPECT_EQ(row.ref.dataplane_id, "dp-east");
  EXPECT_EQ(row.ref.sequence, 41u);
  EXPECT_EQ(row.ref.record_index, 6u);
  EXPECT_EQ(row.ref.flow_id, 77u);
  EXPECT_EQ(row.ref.transaction_index, 3u);
  EXPECT_EQ(row.ts_ns, 1'000u);
  EXPECT_EQ(row.response_end_ts_ns, 2'000u);
  EXPECT_EQ(row.client_kind, "api_key");
  EXPECT_EQ(row.client_id, "k-9f2c");
  EXPECT_EQ(row.client_address, "192.0.2.10");
  EXPECT_EQ(row.host, "api.example.com");
  EXPECT_EQ(row.method, "GET");
  EXPECT_EQ(row.endpoint, "/accounts/{id}");
  EXPECT_EQ(row.url_path, "/accounts/42");
  EXPECT_TRUE(row.has_response);
  EXPECT_EQ(row.status_code, 200);
  EXPECT_EQ(row.request_bytes, 12u);
  EXPECT_EQ(row.response_bytes, 512u);
  ASSERT_EQ(row.pii_response.size(), 1u);
  EXPECT_EQ(row.pii_response[0].type, "email");
  EXPECT_EQ(row.pii_response[0].count, 3u);
  EXPECT_EQ(row.pii_response[0].fingerprints, (std::vector<std::string>{"aa11", "bb22"}));
  ASSERT_EQ(row.pii_request.size(), 1u);
  EXPECT_TRUE(row.pii_request[0].fingerprints.empty());
  EXPECT_EQ(row.rule_ids, (std::vector<uint32_t>{1001, 1002}));
  EXPECT_EQ(row.finding_ids, (std::vector<uint64_t>{5, 281474976710657ULL}));
}

TEST(TransactionRowFromWire, OlderRecordsAndIpv6) {
  flatbuffers::FlatBufferBuilder fbb;
  const wire::Transaction* transaction =
      BuildTransaction(fbb, false, wire::IpVersion::V6, Address(AF_INET6, "2001:db8::7", 51000));
  ASSERT_NE(transaction, nullptr);
  const TransactionRow row = TransactionRowFromWire(*transaction, {});
  EXPECT_EQ(row.client_address, "2001:db8::7");
  EXPECT_TRUE(row.client_kind.empty());
  EXPECT_TRUE(row.client_id.empty());
  EXPECT_EQ(row.endpoint, "/accounts/42");  // no template: the literal path
  EXPECT_TRUE(row.finding_ids.empty());
}

TEST(FindingRowFromWire, CopiesIdentity) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(wire::CreateFindingDirect(fbb, 281474976710657ULL, "enumeration", "ip", "192.0.2.10"));
  const auto* finding = flatbuffers::GetRoot<wire::Finding>(fbb.GetBufferPointer());
  const FindingRow row = FindingRowFromWire(*finding);
  EXPECT_EQ(row.finding_id, 281474976710657ULL);
  EXPECT_EQ(row.detector, "enumeration");
  EXPECT_EQ(row.client_kind, "ip");
  EXPECT_EQ(row.client_id, "192.0.2.10");
}

}  // namespace
}  // namespace sluice::control::forensics
