#include "perf/micro/record_fixture.h"

#include <cstring>
#include <string>

namespace sluice::perf {

void MakeRecordFlow(uint32_t number, flow::Flow* flow) {
  *flow = flow::Flow{};
  decode::DecodedPacket packet;
  packet.ip_version = 4;
  packet.l4_protocol = 6;
  const uint8_t client[4] = {198, 18, static_cast<uint8_t>(number >> 8), static_cast<uint8_t>(number)};
  const uint8_t server[4] = {198, 19, 0, 10};
  std::memcpy(packet.src_ip, client, 4);
  std::memcpy(packet.dst_ip, server, 4);
  packet.src_port = static_cast<uint16_t>(40000 + number % 20000);
  packet.dst_port = 8080;
  bool a_to_b = false;
  flow->key = flow::MakeFlowKey(packet, &a_to_b);
  flow->client_is_a = a_to_b;
  flow->flow_id = 0x5100000000ull + number;
  flow->http = true;
  flow->first_ts_ns = 1710234000000000000ull + number * 1000000ull;
  flow->last_ts_ns = flow->first_ts_ns + 250000000ull;
  flow->packets[flow::kToServer] = 9;
  flow->packets[flow::kToClient] = 7;
  flow->bytes[flow::kToServer] = 1210;
  flow->bytes[flow::kToClient] = 4620;
  flow->transactions = 3;
}

void MakeRecordTransaction(uint32_t index, session::Transaction* transaction) {
  transaction->Reset();
  const std::string target =
      "/api/v1/customers/" + std::to_string(4711 + index) + "/orders?status=open&limit=20&offset=40";
  const std::string agent = "okhttp/4.12.0";
  transaction->index = index;
  transaction->request_ts_ns = 1710234000000000000ull + index * 1000000ull;
  transaction->response_end_ts_ns = transaction->request_ts_ns + 3500000ull;
  transaction->has_request = transaction->request_complete = true;
  transaction->has_response = transaction->response_complete = true;
  transaction->status_code = 200;
  transaction->host_port = 8080;
  transaction->request_body_bytes = 0;
  transaction->response_body_bytes = 1532;
  transaction->method.Assign("GET", 3);
  transaction->target.Assign(target.data(), static_cast<uint32_t>(target.size()));
  transaction->host.Assign("shop.example.com", 16);
  transaction->user_agent.Assign(agent.data(), static_cast<uint32_t>(agent.size()));
  transaction->response_mime.Assign("application/json; charset=utf-8", 31);
}

}  // namespace sluice::perf
