#include "perf/store/synthetic_batches.h"

#include <flatbuffers/flatbuffers.h>

#include "records_generated.h"

namespace sluice::perf {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

wire::Endpoint MakeEndpoint(uint32_t address, uint16_t port) {
  const uint8_t bytes[16] = {static_cast<uint8_t>(address >> 24),
                             static_cast<uint8_t>(address >> 16),
                             static_cast<uint8_t>(address >> 8), static_cast<uint8_t>(address)};
  return wire::Endpoint(flatbuffers::span<const uint8_t, 16>(bytes, 16), port);
}

Offset<wire::Record> BuildTransaction(FlatBufferBuilder& builder, const SyntheticTransaction& t) {
  std::vector<Offset<wire::RuleMatch>> rules;
  for (const uint32_t id : t.rule_ids) {
    rules.push_back(wire::CreateRuleMatchDirect(builder, id, "synthetic rule", "url.path", "log",
                                                "medium"));
  }
  std::vector<Offset<wire::PiiCount>> pii;
  for (const SyntheticPii& entry : t.pii_response) {
    std::vector<Offset<flatbuffers::String>> fingerprints;
    for (const std::string& fingerprint : entry.fingerprints) {
      fingerprints.push_back(builder.CreateString(fingerprint));
    }
    pii.push_back(wire::CreatePiiCountDirect(builder, entry.type.c_str(), entry.count,
                                             &fingerprints));
  }
  const wire::Endpoint client = MakeEndpoint(t.client_ipv4, t.client_port);
  const wire::Endpoint server = MakeEndpoint(t.server_ipv4, t.server_port);
  const std::string client_id = t.client_id.empty() ? Ipv4Text(t.client_ipv4) : t.client_id;
  const auto transaction = wire::CreateTransactionDirect(
      builder, /*flow_id=*/t.request_ts_ns, /*index=*/0, wire::IpVersion::V4, &client, &server,
      t.request_ts_ns, t.request_ts_ns + 1'000'000, "1.1", t.method.c_str(), t.url_path.c_str(),
      t.url_path.c_str(), nullptr, t.host.c_str(), 0, "synthetic/1.0", 0, nullptr,
      /*has_response=*/true, t.status, t.response_bytes, "application/json", nullptr,
      rules.empty() ? nullptr : &rules, wire::Verdict::Pass, nullptr, pii.empty() ? nullptr : &pii,
      0, t.endpoint.empty() ? nullptr : t.endpoint.c_str(), t.client_kind.c_str(),
      client_id.c_str(), t.findings.empty() ? nullptr : &t.findings);
  return wire::CreateRecord(builder, wire::RecordBody::Transaction, transaction.Union());
}

Offset<wire::Record> BuildFinding(FlatBufferBuilder& builder, const SyntheticFinding& f) {
  const auto finding = wire::CreateFindingDirect(builder, f.finding_id, f.detector.c_str(),
                                                 f.client_kind.c_str(), f.client_id.c_str());
  return wire::CreateRecord(builder, wire::RecordBody::Finding, finding.Union());
}

Offset<wire::Record> BuildFlow(FlatBufferBuilder& builder) {
  const wire::Endpoint client = MakeEndpoint(0x0a0000fe, 50000);
  const wire::Endpoint server = MakeEndpoint(0xc0a80001, 80);
  const auto flow = wire::CreateFlowSummaryDirect(builder, 7, wire::IpVersion::V4, &client,
                                                  &server, 1000, 2000, 3, 3, 100, 200,
                                                  wire::FlowEnd::Fin, true, 1, nullptr);
  return wire::CreateRecord(builder, wire::RecordBody::FlowSummary, flow.Union());
}

}  // namespace

std::string Ipv4Text(uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 255) + "." +
         std::to_string((address >> 8) & 255) + "." + std::to_string(address & 255);
}

std::vector<uint8_t> BuildBatchMessage(const SyntheticBatch& batch) {
  FlatBufferBuilder builder(4096);
  std::vector<Offset<wire::Record>> records;
  for (const SyntheticTransaction& transaction : batch.transactions) {
    records.push_back(BuildTransaction(builder, transaction));
  }
  for (const SyntheticFinding& finding : batch.findings) {
    records.push_back(BuildFinding(builder, finding));
  }
  if (batch.with_flow) records.push_back(BuildFlow(builder));
  const auto body = wire::CreateBatchDirect(builder, batch.dataplane_id.c_str(), batch.run_id,
                                            batch.worker_id, batch.sequence, &records);
  builder.Finish(wire::CreateMessage(builder, wire::MessageBody::Batch, body.Union()),
                 wire::MessageIdentifier());
  return std::vector<uint8_t>(builder.GetBufferPointer(),
                              builder.GetBufferPointer() + builder.GetSize());
}

SyntheticTraffic::SyntheticTraffic(uint64_t seed, uint32_t clients, uint32_t endpoints)
    : state_(seed * 0x9e3779b97f4a7c15ull + 1), clients_(clients), endpoints_(endpoints) {}

uint64_t SyntheticTraffic::Random() {
  // splitmix64: fast, and reproducible across platforms.
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

SyntheticTransaction SyntheticTraffic::Next(uint64_t ts_ns) {
  SyntheticTransaction t;
  const uint64_t random = Random();
  const uint32_t client = static_cast<uint32_t>(random % clients_);
  const uint32_t endpoint = static_cast<uint32_t>((random >> 20) % endpoints_);
  const uint32_t object = static_cast<uint32_t>((random >> 36) % 100000);
  t.client_ipv4 = ClientAddress(client);
  t.client_port = static_cast<uint16_t>(32768 + (random >> 8) % 28000);
  t.request_ts_ns = ts_ns;
  t.url_path = "/api/v1/resource" + std::to_string(endpoint) + "/" + std::to_string(object);
  t.endpoint = "/api/v1/resource" + std::to_string(endpoint) + "/{id}";
  const uint32_t roll = static_cast<uint32_t>((random >> 53) % 100);
  t.status = roll < 90 ? 200 : (roll < 96 ? 404 : 500);
  t.method = roll % 7 == 0 ? "POST" : "GET";
  t.response_bytes = 200 + (random >> 40) % 4000;
  if (roll < 5) {
    t.pii_response.push_back(SyntheticPii{"email", 1, {std::to_string(object * 2654435761u)}});
  }
  if (roll == 7 || roll == 8) t.rule_ids.push_back(1000 + roll);
  return t;
}

}  // namespace sluice::perf
