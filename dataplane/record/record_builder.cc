#include "dataplane/record/record_builder.h"

#include <rte_pause.h>

#include <string_view>

namespace sluice::record {

namespace {

wire::Endpoint MakeEndpoint(const uint8_t* ip, uint16_t port) {
  return wire::Endpoint(flatbuffers::span<const uint8_t, 16>(ip, 16), port);
}

// Client and server endpoints of a flow, from its canonical key.
void FlowEndpoints(const flow::Flow& flow, wire::Endpoint* client, wire::Endpoint* server) {
  const flow::FlowKey& key = flow.key;
  if (flow.client_is_a) {
    *client = MakeEndpoint(key.ip_a, key.port_a);
    *server = MakeEndpoint(key.ip_b, key.port_b);
  } else {
    *client = MakeEndpoint(key.ip_b, key.port_b);
    *server = MakeEndpoint(key.ip_a, key.port_a);
  }
}

wire::IpVersion VersionOf(const flow::Flow& flow) {
  return flow.key.ip_version == 6 ? wire::IpVersion::V6 : wire::IpVersion::V4;
}

// Strips parameters from a media type: "application/json; charset=utf-8" -> "application/json".
std::string_view MimeType(const char* text, uint32_t length) {
  std::string_view mime(text, length);
  const size_t semicolon = mime.find(';');
  if (semicolon != std::string_view::npos) mime = mime.substr(0, semicolon);
  while (!mime.empty() && (mime.back() == ' ' || mime.back() == '\t')) mime.remove_suffix(1);
  return mime;
}

}  // namespace

RecordBuilder::RecordBuilder(exporter::BatchChannel* channel, RecordBuilderOptions options)
    : channel_(channel), options_(std::move(options)) {
  records_.reserve(options_.records_per_batch);
  anomaly_names_.reserve(32);
}

void RecordBuilder::SplitTarget(const char* target, uint32_t length, std::string_view* path,
                                std::string_view* query) {
  std::string_view text(target, length);
  const size_t scheme_end = text.find("://");
  if (scheme_end != std::string_view::npos && text.find('/') > scheme_end) {
    const size_t path_start = text.find('/', scheme_end + 3);
    text = path_start == std::string_view::npos ? std::string_view("/") : text.substr(path_start);
  }
  const size_t mark = text.find('?');
  if (mark == std::string_view::npos) {
    *path = text;
    *query = std::string_view();
  } else {
    *path = text.substr(0, mark);
    *query = text.substr(mark + 1);
  }
  const size_t fragment = path->find('#');
  if (fragment != std::string_view::npos) *path = path->substr(0, fragment);
}

bool RecordBuilder::EnsureBatch() {
  if (batch_ != nullptr) return true;
  batch_ = channel_->TakeFree();
  while (batch_ == nullptr && options_.wait_for_buffers) {
    ++counters_.buffer_waits;
    rte_pause();
    batch_ = channel_->TakeFree();
  }
  if (batch_ == nullptr) return false;
  batch_->sequence = next_sequence_++;
  records_.clear();
  return true;
}

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>>
RecordBuilder::Anomalies(uint32_t anomaly_set) {
  if (anomaly_set == 0) return 0;
  anomaly_names_.clear();
  for (uint8_t bit = 0; bit < static_cast<uint8_t>(http::Anomaly::kCount); ++bit) {
    if (anomaly_set & (1u << bit)) {
      anomaly_names_.push_back(
          batch_->builder.CreateSharedString(http::AnomalyName(static_cast<http::Anomaly>(bit))));
    }
  }
  return batch_->builder.CreateVector(anomaly_names_);
}

bool RecordBuilder::AddTransaction(const flow::Flow& flow, const session::Transaction& txn) {
  if (!EnsureBatch()) {
    ++counters_.dropped;
    return false;
  }
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  std::string_view path;
  std::string_view query;
  SplitTarget(txn.target.data, txn.target.length, &path, &query);
  const auto version = fbb.CreateSharedString(txn.version_minor == 0 ? "1.0" : "1.1");
  const auto method = fbb.CreateString(txn.method.data, txn.method.length);
  const auto original = fbb.CreateString(txn.target.data, txn.target.length);
  const auto path_offset = fbb.CreateString(path.data(), path.size());
  const auto query_offset = fbb.CreateString(query.data(), query.size());
  const auto host = fbb.CreateString(txn.host.data, txn.host.length);
  const auto agent = fbb.CreateString(txn.user_agent.data, txn.user_agent.length);
  const std::string_view request_mime = MimeType(txn.request_mime.data, txn.request_mime.length);
  const std::string_view response_mime = MimeType(txn.response_mime.data, txn.response_mime.length);
  const auto request_mime_offset = fbb.CreateString(request_mime.data(), request_mime.size());
  const auto response_mime_offset = fbb.CreateString(response_mime.data(), response_mime.size());
  const auto anomalies = Anomalies(txn.anomalies);

  wire::Endpoint client;
  wire::Endpoint server;
  FlowEndpoints(flow, &client, &server);
  wire::TransactionBuilder builder(fbb);
  builder.add_flow_id(flow.flow_id);
  builder.add_index(txn.index);
  builder.add_ip_version(VersionOf(flow));
  builder.add_client(&client);
  builder.add_server(&server);
  builder.add_request_ts_ns(txn.request_ts_ns);
  builder.add_response_end_ts_ns(txn.response_end_ts_ns);
  builder.add_http_version(version);
  builder.add_method(method);
  builder.add_url_original(original);
  builder.add_url_path(path_offset);
  builder.add_url_query(query_offset);
  builder.add_host(host);
  builder.add_host_port(txn.host_port);
  builder.add_user_agent(agent);
  builder.add_request_body_bytes(txn.request_body_bytes);
  builder.add_request_mime_type(request_mime_offset);
  builder.add_has_response(txn.has_response);
  builder.add_status_code(txn.status_code);
  builder.add_response_body_bytes(txn.response_body_bytes);
  builder.add_response_mime_type(response_mime_offset);
  if (!anomalies.IsNull()) builder.add_anomalies(anomalies);
  const auto body = builder.Finish();
  Commit(wire::CreateRecord(fbb, wire::RecordBody::Transaction, body.Union()));
  ++counters_.transactions;
  return true;
}

bool RecordBuilder::AddFlowSummary(const flow::Flow& flow, flow::FlowEnd end) {
  if (!EnsureBatch()) {
    ++counters_.dropped;
    return false;
  }
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  const auto anomalies = Anomalies(flow.anomalies);
  wire::Endpoint client;
  wire::Endpoint server;
  FlowEndpoints(flow, &client, &server);
  wire::FlowSummaryBuilder builder(fbb);
  builder.add_flow_id(flow.flow_id);
  builder.add_ip_version(VersionOf(flow));
  builder.add_client(&client);
  builder.add_server(&server);
  builder.add_first_ts_ns(flow.first_ts_ns);
  builder.add_last_ts_ns(flow.last_ts_ns);
  builder.add_packets_to_server(flow.packets[flow::kToServer]);
  builder.add_packets_to_client(flow.packets[flow::kToClient]);
  builder.add_bytes_to_server(flow.bytes[flow::kToServer]);
  builder.add_bytes_to_client(flow.bytes[flow::kToClient]);
  builder.add_end(static_cast<wire::FlowEnd>(end));
  builder.add_http(flow.http);
  builder.add_transactions(flow.transactions);
  if (!anomalies.IsNull()) builder.add_anomalies(anomalies);
  const auto body = builder.Finish();
  Commit(wire::CreateRecord(fbb, wire::RecordBody::FlowSummary, body.Union()));
  ++counters_.flows;
  return true;
}

void RecordBuilder::Commit(flatbuffers::Offset<wire::Record> record) {
  records_.push_back(record);
  if (records_.size() >= options_.records_per_batch) Flush();
}

void RecordBuilder::Flush() {
  if (batch_ == nullptr || records_.empty()) return;
  flatbuffers::FlatBufferBuilder& fbb = batch_->builder;
  const auto records = fbb.CreateVector(records_);
  const auto dataplane = fbb.CreateString(options_.dataplane_id);
  const auto batch = wire::CreateBatch(fbb, dataplane, options_.run_id, options_.worker_id,
                                       batch_->sequence, records);
  fbb.Finish(wire::CreateMessage(fbb, wire::MessageBody::Batch, batch.Union()),
             wire::MessageIdentifier());
  batch_->records = static_cast<uint32_t>(records_.size());
  records_.clear();
  channel_->PutReady(batch_);
  batch_ = nullptr;
  ++counters_.batches;
}

}  // namespace sluice::record
