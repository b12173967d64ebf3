// State of one TCP connection, owned by the worker lcore whose flow table holds it.
#pragma once

#include <cstdint>

#include "dataplane/flow/flow_key.h"
#include "dataplane/http/http_parser.h"
#include "dataplane/reassembly/tcp_reassembler.h"

namespace sluice::flow {

// Direction index inside a flow: requests travel kToServer, responses kToClient.
enum Direction : uint8_t { kToServer = 0, kToClient = 1 };

// How a flow ended; values match sluice.wire.FlowEnd.
enum class FlowEnd : uint8_t {
  kOpen = 0, kFin = 1, kRst = 2, kIdleTimeout = 3, kEvicted = 4, kHalfFin = 5, kBlocked = 6
};
inline constexpr int kFlowEndCount = 7;

inline constexpr uint32_t kNoIndex = UINT32_MAX;
// Requests waiting for their response on one connection (HTTP pipelining depth).
inline constexpr uint32_t kMaxPendingTransactions = 16;

struct Flow {
  FlowKey key;
  uint64_t flow_id;
  bool client_is_a;        // which key endpoint is the client
  bool syn_seen;
  bool http;               // decided to parse as HTTP
  bool not_http;           // decided this flow is not HTTP
  bool fin_seen[2];
  bool finished[2];        // parser of that direction finished
  uint32_t fin_seq[2];     // sequence number after the FIN
  uint64_t first_ts_ns;
  uint64_t last_ts_ns;
  uint64_t packets[2];
  uint64_t bytes[2];       // TCP payload bytes
  uint32_t transactions;   // transactions emitted so far
  uint32_t next_index;     // index the next transaction of this flow gets
  uint32_t request_txn;    // transaction whose request is being parsed, or kNoIndex
  uint32_t trial_bytes;    // mid-stream flows: bytes skipped while looking for a message start
  bool synced[2];          // mid-stream flows: a message start was found in that direction
  uint8_t pending_conflicts;  // directions (bit per Direction) with an overlap conflict not yet
                              // attached to a transaction
  bool block_requested;    // inspection of the current packet asked to stop the connection
  bool blocked;            // inline: every later packet of the connection is dropped
  bool closed;             // records emitted; the entry stays only to drop a blocked flow's packets
  bool gapped;             // reassembly skipped bytes: what follows was not all inspected
  bool gap_counted;
  bool checksums_good[2];  // the sender in that direction produced a valid checksum
  uint32_t anomalies;      // http::AnomalySet seen outside any transaction
  // How the receiving stack of each direction resolves overlapping segments: kToServer from the
  // server's address, kToClient from the client's. Set once when the flow is created.
  reassembly::OverlapPolicy overlap_policy[2];
  reassembly::TcpStream streams[2];
  http::HttpParser parsers[2];
  // FIFO of transaction slots: requests seen, response not finished yet.
  uint32_t pending[kMaxPendingTransactions];
  uint8_t pending_head;
  uint8_t pending_count;
  // Requests not tracked because the transaction pool was full, whose responses have not come
  // yet. Those responses are skipped, not counted again as responses without a request, and
  // later requests of the connection are not tracked either until then, so no response pairs
  // with the wrong request.
  uint16_t untracked_requests;
  // Least-recently-used list links (indices into the flow array).
  uint32_t lru_prev;
  uint32_t lru_next;
};

}  // namespace sluice::flow
