// Builders of wire messages for the sluice-control tests.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "records_generated.h"

namespace sluice::control::testing {

// An address in the 16-byte wire form; IPv4 fills the first 4 bytes.
inline std::array<uint8_t, 16> Ip(const char* text) {
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, text, bytes.data()) != 1) inet_pton(AF_INET6, text, bytes.data());
  return bytes;
}

struct RuleSpec {
  uint32_t id = 1001;
  std::string msg;
  std::string field;
  std::string action;
  std::string severity;
};

struct PiiSpec {
  std::string type;
  uint32_t count = 0;
  std::vector<std::string> fingerprints;
  bool omit_fingerprints = false;  // leave the vector absent instead of empty
};

struct BlockSpec {
  uint64_t packet = 0;
  std::string direction;
  uint64_t bytes_passed = 0;
  std::string reason;
  bool reset = false;
};

// Defaults leave every inspection field absent, as a data plane older than them sends records.
struct TransactionSpec {
  uint64_t flow_id = 7;
  uint32_t index = 0;
  wire::IpVersion ip_version = wire::IpVersion::V4;
  std::array<uint8_t, 16> client_ip = Ip("192.0.2.10");
  uint16_t client_port = 51000;
  std::array<uint8_t, 16> server_ip = Ip("198.51.100.20");
  uint16_t server_port = 80;
  uint64_t request_ts_ns = 1714557600123456789ULL;
  uint64_t response_end_ts_ns = 1714557600223456789ULL;
  std::string http_version = "1.1";
  std::string method = "GET";
  std::string url_original = "/api/v1/users?id=42";
  std::string url_path = "/api/v1/users";
  std::string url_query = "id=42";
  std::string host = "api.example.test";
  uint16_t host_port = 8080;
  std::string user_agent = "curl/8.0";
  uint64_t request_body_bytes = 0;
  std::string request_mime_type;
  bool has_response = true;
  uint16_t status_code = 200;
  uint64_t response_body_bytes = 512;
  std::string response_mime_type = "application/json";
  std::vector<std::string> anomalies;
  bool omit_client = false;
  std::vector<RuleSpec> rules;
  wire::Verdict verdict = wire::Verdict::Pass;
  std::vector<PiiSpec> pii_request;
  std::vector<PiiSpec> pii_response;
  std::optional<BlockSpec> block;
  // Sends rules, pii_request and pii_response that have no entries as empty vectors, not absent.
  bool empty_vectors = false;
};

struct FlowSpec {
  uint64_t flow_id = 7;
  wire::IpVersion ip_version = wire::IpVersion::V4;
  std::array<uint8_t, 16> client_ip = Ip("192.0.2.10");
  uint16_t client_port = 51000;
  std::array<uint8_t, 16> server_ip = Ip("198.51.100.20");
  uint16_t server_port = 80;
  uint64_t first_ts_ns = 1714557600000000000ULL;
  uint64_t last_ts_ns = 1714557601500000000ULL;
  uint64_t packets_to_server = 6;
  uint64_t packets_to_client = 5;
  uint64_t bytes_to_server = 300;
  uint64_t bytes_to_client = 900;
  wire::FlowEnd end = wire::FlowEnd::Fin;
  bool http = true;
  uint32_t transactions = 1;
  std::vector<std::string> anomalies;
};

// A record without a body, to test that it is skipped.
struct EmptyRecordSpec {};

using RecordSpec = std::variant<TransactionSpec, FlowSpec, EmptyRecordSpec>;

struct BatchSpec {
  std::string dataplane_id = "dp-test";
  uint64_t run_id = 0x0123456789abcdefULL;
  uint16_t worker_id = 1;
  uint64_t sequence = 0;
  std::vector<RecordSpec> records;
  bool omit_records = false;
};

inline flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>>
BuildAnomalies(flatbuffers::FlatBufferBuilder& builder, const std::vector<std::string>& names) {
  if (names.empty()) return 0;
  return builder.CreateVectorOfStrings(names);
}

inline wire::Endpoint MakeEndpoint(const std::array<uint8_t, 16>& ip, uint16_t port) {
  return wire::Endpoint(flatbuffers::span<const uint8_t, 16>(ip.data(), 16), port);
}

// Empty strings become absent fields, as a data plane that omits them would send.
inline flatbuffers::Offset<flatbuffers::String> OptionalString(
    flatbuffers::FlatBufferBuilder& builder, const std::string& text) {
  if (text.empty()) return 0;
  return builder.CreateString(text.data(), text.size());  // keeps embedded NUL bytes
}

inline flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::RuleMatch>>> BuildRules(
    flatbuffers::FlatBufferBuilder& builder, const std::vector<RuleSpec>& rules,
    bool empty_vector) {
  if (rules.empty() && !empty_vector) return 0;
  std::vector<flatbuffers::Offset<wire::RuleMatch>> offsets;
  for (const RuleSpec& rule : rules) {
    const auto msg = OptionalString(builder, rule.msg);
    const auto field = OptionalString(builder, rule.field);
    const auto action = OptionalString(builder, rule.action);
    const auto severity = OptionalString(builder, rule.severity);
    offsets.push_back(wire::CreateRuleMatch(builder, rule.id, msg, field, action, severity));
  }
  return builder.CreateVector(offsets);
}

inline flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::PiiCount>>> BuildPii(
    flatbuffers::FlatBufferBuilder& builder, const std::vector<PiiSpec>& entries,
    bool empty_vector) {
  if (entries.empty() && !empty_vector) return 0;
  std::vector<flatbuffers::Offset<wire::PiiCount>> offsets;
  for (const PiiSpec& entry : entries) {
    const auto type = OptionalString(builder, entry.type);
    std::vector<flatbuffers::Offset<flatbuffers::String>> fingerprint_offsets;
    for (const std::string& fingerprint : entry.fingerprints) {
      fingerprint_offsets.push_back(builder.CreateString(fingerprint.data(), fingerprint.size()));
    }
    const auto fingerprints =
        entry.omit_fingerprints ? 0 : builder.CreateVector(fingerprint_offsets);
    offsets.push_back(wire::CreatePiiCount(builder, type, entry.count, fingerprints));
  }
  return builder.CreateVector(offsets);
}

inline flatbuffers::Offset<wire::BlockInfo> BuildBlock(flatbuffers::FlatBufferBuilder& builder,
                                                       const std::optional<BlockSpec>& block) {
  if (!block.has_value()) return 0;
  const auto direction = OptionalString(builder, block->direction);
  const auto reason = OptionalString(builder, block->reason);
  return wire::CreateBlockInfo(builder, block->packet, direction, block->bytes_passed, reason,
                               block->reset);
}

inline flatbuffers::Offset<wire::Record> BuildRecord(flatbuffers::FlatBufferBuilder& builder,
                                                     const TransactionSpec& spec) {
  const wire::Endpoint client = MakeEndpoint(spec.client_ip, spec.client_port);
  const wire::Endpoint server = MakeEndpoint(spec.server_ip, spec.server_port);
  const auto http_version = OptionalString(builder, spec.http_version);
  const auto method = OptionalString(builder, spec.method);
  const auto url_original = OptionalString(builder, spec.url_original);
  const auto url_path = OptionalString(builder, spec.url_path);
  const auto url_query = OptionalString(builder, spec.url_query);
  const auto host = OptionalString(builder, spec.host);
  const auto user_agent = OptionalString(builder, spec.user_agent);
  const auto request_mime_type = OptionalString(builder, spec.request_mime_type);
  const auto response_mime_type = OptionalString(builder, spec.response_mime_type);
  const auto anomalies = BuildAnomalies(builder, spec.anomalies);
  const auto rules = BuildRules(builder, spec.rules, spec.empty_vectors);
  const auto pii_request = BuildPii(builder, spec.pii_request, spec.empty_vectors);
  const auto pii_response = BuildPii(builder, spec.pii_response, spec.empty_vectors);
  const auto block = BuildBlock(builder, spec.block);
  const auto transaction = wire::CreateTransaction(
      builder, spec.flow_id, spec.index, spec.ip_version, spec.omit_client ? nullptr : &client,
      &server, spec.request_ts_ns, spec.response_end_ts_ns, http_version, method, url_original,
      url_path, url_query, host, spec.host_port, user_agent, spec.request_body_bytes,
      request_mime_type, spec.has_response, spec.status_code, spec.response_body_bytes,
      response_mime_type, anomalies, rules, spec.verdict, pii_request, pii_response, block);
  return wire::CreateRecord(builder, wire::RecordBody::Transaction, transaction.Union());
}

inline flatbuffers::Offset<wire::Record> BuildRecord(flatbuffers::FlatBufferBuilder& builder,
                                                     const FlowSpec& spec) {
  const wire::Endpoint client = MakeEndpoint(spec.client_ip, spec.client_port);
  const wire::Endpoint server = MakeEndpoint(spec.server_ip, spec.server_port);
  const auto anomalies = BuildAnomalies(builder, spec.anomalies);
  const auto flow = wire::CreateFlowSummary(
      builder, spec.flow_id, spec.ip_version, &client, &server, spec.first_ts_ns, spec.last_ts_ns,
      spec.packets_to_server, spec.packets_to_client, spec.bytes_to_server, spec.bytes_to_client,
      spec.end, spec.http, spec.transactions, anomalies);
  return wire::CreateRecord(builder, wire::RecordBody::FlowSummary, flow.Union());
}

inline flatbuffers::Offset<wire::Record> BuildRecord(flatbuffers::FlatBufferBuilder& builder,
                                                     const EmptyRecordSpec&) {
  return wire::CreateRecord(builder);
}

// Returns one finished Message frame carrying `spec` as a Batch.
inline std::vector<uint8_t> BuildBatchFrame(const BatchSpec& spec) {
  flatbuffers::FlatBufferBuilder builder;
  std::vector<flatbuffers::Offset<wire::Record>> records;
  for (const RecordSpec& record : spec.records) {
    records.push_back(std::visit([&](const auto& body) { return BuildRecord(builder, body); },
                                 record));
  }
  const auto record_vector = spec.omit_records ? 0 : builder.CreateVector(records);
  const auto dataplane_id = OptionalString(builder, spec.dataplane_id);
  const auto batch = wire::CreateBatch(builder, dataplane_id, spec.run_id, spec.worker_id,
                                       spec.sequence, record_vector);
  builder.Finish(wire::CreateMessage(builder, wire::MessageBody::Batch, batch.Union()),
                 wire::MessageIdentifier());
  return {builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize()};
}

inline std::vector<uint8_t> BuildHelloFrame(const std::string& dataplane_id, uint64_t run_id,
                                            uint16_t workers) {
  flatbuffers::FlatBufferBuilder builder;
  const auto hello = wire::CreateHelloDirect(builder, dataplane_id.c_str(), run_id, workers, "0.1.0");
  builder.Finish(wire::CreateMessage(builder, wire::MessageBody::Hello, hello.Union()),
                 wire::MessageIdentifier());
  return {builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize()};
}

inline std::vector<uint8_t> BuildBatchAckFrame() {
  flatbuffers::FlatBufferBuilder builder;
  const auto ack = wire::CreateBatchAck(builder, 1, 2, 3, 4);
  builder.Finish(wire::CreateMessage(builder, wire::MessageBody::BatchAck, ack.Union()),
                 wire::MessageIdentifier());
  return {builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize()};
}

}  // namespace sluice::control::testing
