// Canonical key of a TCP connection: the same for both directions.
#pragma once

#include <cstdint>
#include <cstring>

#include "dataplane/decode/packet_decoder.h"

namespace sluice::flow {

// Endpoint A is the smaller (address, port) pair, so both directions build the same key.
struct FlowKey {
  uint8_t ip_a[16];
  uint8_t ip_b[16];
  uint16_t port_a;
  uint16_t port_b;
  uint8_t ip_version;
  uint8_t protocol;
  uint8_t pad[2];  // always zero: rte_hash compares the whole key
};
static_assert(sizeof(FlowKey) == 40);

// Builds the canonical key and reports whether the packet goes from A to B.
inline FlowKey MakeFlowKey(const decode::DecodedPacket& packet, bool* a_to_b) {
  FlowKey key;
  const int address_order = std::memcmp(packet.src_ip, packet.dst_ip, 16);
  const bool src_is_a =
      address_order < 0 || (address_order == 0 && packet.src_port <= packet.dst_port);
  if (src_is_a) {
    std::memcpy(key.ip_a, packet.src_ip, 16);
    std::memcpy(key.ip_b, packet.dst_ip, 16);
    key.port_a = packet.src_port;
    key.port_b = packet.dst_port;
  } else {
    std::memcpy(key.ip_a, packet.dst_ip, 16);
    std::memcpy(key.ip_b, packet.src_ip, 16);
    key.port_a = packet.dst_port;
    key.port_b = packet.src_port;
  }
  key.ip_version = packet.ip_version;
  key.protocol = packet.l4_protocol;
  key.pad[0] = key.pad[1] = 0;
  *a_to_b = src_is_a;
  return key;
}

}  // namespace sluice::flow
