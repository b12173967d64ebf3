// Frames that end a blocked connection inline: TCP resets with the exact sequence numbers each
// endpoint expects (RFC 5961 section 3.2: a reset is accepted only when its sequence number is the
// receiver's next expected one), or an HTTP error response to the client.
#pragma once

#include <cstdint>
#include <string>

#include "dataplane/decode/packet_decoder.h"

struct rte_mbuf;
struct rte_mempool;

namespace sluice::verdict {

// What the client gets when its request is blocked. The server side is always reset.
struct BlockResponse {
  bool http_error = false;     // false: a TCP reset
  uint16_t status = 403;
  std::string body = "{\"error\":\"blocked by policy\"}";
};

struct BlockFrames {
  rte_mbuf* toward_source = nullptr;       // leaves through the port the packet came in on
  rte_mbuf* toward_destination = nullptr;  // leaves through the peer port
};

// Builds the frames for `packet` (an Ethernet frame, VLAN tags kept), the packet that is dropped.
// The endpoint that sent it gets `source_reset` (or the HTTP error when `answer` is set); the
// endpoint it was going to gets a reset. Returns false when no mbuf was free (counted by caller).
bool BuildBlockFrames(rte_mempool* pool, const uint8_t* frame, const decode::DecodedPacket& packet,
                      const BlockResponse* answer, BlockFrames* out);

}  // namespace sluice::verdict
