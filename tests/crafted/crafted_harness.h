// Harness of the crafted-traffic catalogue. A Script lists the TCP segments of one connection,
// with sequence numbers relative to each side's initial sequence number. Materialize turns it
// into Ethernet frames for chosen initial sequence numbers and segment sizes, and RunFrames
// passes the frames through a fresh in-process Worker and reads the records back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/reassembly/tcp_reassembler.h"
#include "records_generated.h"

namespace sluice::crafted {

// How data segments marked splittable are cut before they become frames: kWhole sends each in
// segments of one MSS (1460 bytes), kOneByte in 1-byte segments, kRandom in 1 to 24 bytes.
enum class Split : uint8_t { kWhole, kOneByte, kRandom };
const char* SplitName(Split split);

// Link and network layer around the TCP segment.
enum class Encapsulation : uint8_t { kPlain, kVlan, kQinQ, kIpv6, kIpv6ExtensionHeaders };

struct ScriptSegment {
  bool from_client = true;
  uint8_t flags = 0;
  uint32_t relative_seq = 0;  // seq minus the sender's initial sequence number
  uint32_t relative_ack = 0;  // ack minus the receiver's initial sequence number
  std::string payload;
  bool splittable = false;
};

// The segments of one connection, in capture order. Each side's next sequence number starts
// at 1 (the byte after a SYN), whether or not a SYN is sent.
class Script {
 public:
  // SYN, SYN-ACK, ACK.
  void Handshake();
  // SYN from the client or SYN-ACK from the server at relative sequence 0, optionally with data
  // (TCP Fast Open). Only the first call advances the next sequence number past `data`, so a
  // retransmitted SYN may repeat it.
  void Syn(bool from_client, const std::string& data = "");
  // Data at the side's next sequence number, which advances. Cut by the run's Split.
  void Send(bool from_client, const std::string& data);
  // Data at a chosen relative sequence number, sent as one segment; nothing advances.
  void SendAt(bool from_client, uint32_t relative_seq, const std::string& data);
  // Advances the side's next sequence number without sending: those bytes are lost.
  void Lose(bool from_client, uint32_t bytes);
  void Ack(bool from_client);
  // FIN at the next sequence number, which advances by one.
  void Fin(bool from_client);
  void Reset(bool from_client);
  uint32_t next(bool from_client) const { return from_client ? client_next_ : server_next_; }

  Encapsulation encapsulation = Encapsulation::kPlain;
  const std::vector<ScriptSegment>& segments() const { return segments_; }

 private:
  void Add(bool from_client, uint8_t flags, uint32_t relative_seq, const std::string& payload,
           bool splittable);

  uint32_t client_next_ = 1;
  uint32_t server_next_ = 1;
  std::vector<ScriptSegment> segments_;
};

// Frames of `script` for the given initial sequence numbers. `seed` drives Split::kRandom.
std::vector<std::vector<uint8_t>> Materialize(const Script& script, uint32_t client_isn,
                                              uint32_t server_isn, Split split, uint32_t seed);

struct TransactionView {
  std::string method, original, path;
  uint64_t request_body = 0;
  bool has_response = false;
  uint16_t status = 0;
  uint64_t response_body = 0;
  std::vector<std::string> anomalies;  // sorted
};

struct FlowView {
  wire::FlowEnd end = wire::FlowEnd::Open;
  uint32_t transactions = 0;
  std::vector<std::string> anomalies;  // sorted
};

struct RunOutput {
  std::vector<TransactionView> transactions;
  std::vector<FlowView> flows;
  uint64_t overlap_conflicts = 0;  // reassembly counter of the worker
  uint64_t tcp_decoded = 0;        // frames the decoder accepted as TCP
};

// Runs `frames` through a fresh Worker, closes every flow and collects the records. The server
// is 198.19.0.1 (IPv4) or 2001:db8::2 (IPv6), the client 198.18.0.1 or 2001:db8::1.
RunOutput RunFrames(const std::vector<std::vector<uint8_t>>& frames,
                    const reassembly::OverlapPolicyTable& overlap_policies = {});

// "GET /a req=0 -> 200 resp=5 [http.bare_lf]" or "GET /a req=0 -> none [...]".
std::string Describe(const TransactionView& transaction);
std::string Describe(const FlowView& flow);

}  // namespace sluice::crafted
