// One worker lcore's pipeline: decode -> flow lookup -> TCP state -> reassembly -> HTTP -> records.
//
// Ownership: a Worker and everything it holds belong to the lcore that runs it. It is built on the
// main lcore before the workers start and touched by its own lcore only afterwards.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/decode/packet_decoder.h"
#include "dataplane/detect/agent.h"
#include "dataplane/export/batch_channel.h"
#include "dataplane/flow/flow_table.h"
#include "dataplane/fragment/fragment_reassembler.h"
#include "dataplane/record/record_builder.h"
#include "dataplane/inspect/inspector.h"
#include "dataplane/session/http_session.h"
#include "dataplane/verdict/block_frames.h"

struct rte_mbuf;
struct rte_mempool;

namespace sluice::worker {

struct WorkerConfig {
  uint16_t worker_id = 0;
  uint32_t link_type = decode::kLinkEthernet;
  uint32_t max_flows = 65536;
  uint64_t idle_timeout_ns = 120ull * 1000 * 1000 * 1000;
  uint32_t transaction_slots = 4096;
  uint32_t segment_chunks = 16384;       // 2 KiB each: 32 MiB of out-of-order data
  uint32_t line_buffers = 4096;
  uint32_t line_bytes = 8192;
  bool verify_checksums = true;          // off: checksums are not looked at
  // Whether a segment with a bad TCP or IP checksum is parsed. A receiver discards such a segment,
  // so it is not reassembled, except one whose checksum was left for the NIC to fill in (offload:
  // captures taken on the sending host) when `trust_offloaded` is set.
  bool skip_bad_checksums = true;
  bool trust_offloaded = true;
  uint32_t fragment_datagrams = 4096;    // IP datagrams being reassembled at once
  uint64_t fragment_timeout_ns = 30ull * 1000 * 1000 * 1000;  // Linux's default ipfrag_time
  session::SessionLimits limits;
  // Overlap policy per server network, looked up once per new flow.
  reassembly::OverlapPolicyTable overlap_policies;
  record::RecordBuilderOptions records;
  // Inline mode: blocks drop packets and send resets built from this pool.
  bool inline_mode = false;
  bool fail_closed = false;              // inline: never forward uninspected when behind
  rte_mempool* pool = nullptr;
  verdict::BlockResponse block_response;
  // Detectors: null policy, none. The policy must outlive the worker.
  const detect::DetectorPolicy* detect_policy = nullptr;
  std::string detect_key;                // HMAC key that pseudonymises client identities
  uint32_t workers = 1;                  // all workers: picks each client's owner
};

// Where ProcessBurstInline puts each mbuf it does not drop.
struct InlineOutput {
  static constexpr uint16_t kCapacity = 64;
  rte_mbuf* forward[kCapacity];   // to the peer port: received frames and resets to the destination
  uint16_t forward_count = 0;
  rte_mbuf* back[kCapacity];      // out of the receiving port: resets or errors to the sender
  uint16_t back_count = 0;
};

struct WorkerCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;                    // captured frame bytes
  uint64_t decode[static_cast<int>(decode::DecodeResult::kCount)] = {};
  uint64_t ip_checksum_bad = 0;
  uint64_t tcp_checksum_bad = 0;
  uint64_t tcp_checksum_offloaded = 0;   // bad only because the sender offloaded it: parsed
  uint64_t bad_checksum_skipped = 0;     // segments not reassembled because of a bad checksum
  uint64_t tcp_without_flow = 0;         // ACK, FIN or RST of a connection not tracked
  uint64_t flows_created = 0;
  uint64_t flows_ended[flow::kFlowEndCount] = {};  // by flow::FlowEnd
  uint64_t flow_table_full = 0;          // a flow could not be tracked even after eviction
  uint64_t multi_segment_frames = 0;     // frames copied out of chained mbufs
  uint64_t forwarded = 0;                // inline: frames sent on to the peer port
  uint64_t dropped_verdict = 0;          // inline: frames dropped because their flow was blocked
  uint64_t blocked_flows = 0;            // connections stopped by a block verdict (gap stops apart)
  uint64_t block_frames_failed = 0;      // resets or error responses not sent: no free mbuf
  uint64_t uninspected = 0;              // inline fail-open: frames forwarded without inspection
  uint64_t gapped_flows = 0;             // inline: connections whose stream skipped a hole (see NOTE)
  uint64_t clock_ticks = 0;              // offline: packet-time ticks from the capture reader

  WorkerCounters& operator+=(const WorkerCounters& other) {
    packets += other.packets;
    bytes += other.bytes;
    for (int i = 0; i < static_cast<int>(decode::DecodeResult::kCount); ++i) decode[i] += other.decode[i];
    ip_checksum_bad += other.ip_checksum_bad;
    tcp_checksum_bad += other.tcp_checksum_bad;
    tcp_checksum_offloaded += other.tcp_checksum_offloaded;
    bad_checksum_skipped += other.bad_checksum_skipped;
    tcp_without_flow += other.tcp_without_flow;
    flows_created += other.flows_created;
    for (int i = 0; i < flow::kFlowEndCount; ++i) flows_ended[i] += other.flows_ended[i];
    flow_table_full += other.flow_table_full;
    multi_segment_frames += other.multi_segment_frames;
    forwarded += other.forwarded;
    dropped_verdict += other.dropped_verdict;
    blocked_flows += other.blocked_flows;
    block_frames_failed += other.block_frames_failed;
    uninspected += other.uninspected;
    gapped_flows += other.gapped_flows;
    clock_ticks += other.clock_ticks;
    return *this;
  }
};

class Worker {
 public:
  // `inspector` may be null: no rules and no PII detection.
  Worker(WorkerConfig config, exporter::BatchChannel* channel,
         std::unique_ptr<inspect::Inspector> inspector = nullptr);

  // Allocates the flow table and pools. Called on the main lcore before launch.
  bool Init(std::string* error);

  // Processes `count` mbufs and frees them. Timestamps come from the mbuf timestamp field.
  void ProcessBurst(rte_mbuf** mbufs, uint16_t count);
  // Inline: processes `count` mbufs and puts each one to forward, and any reset or error frame,
  // into `out`; frames of blocked flows are freed. `inspect` false forwards them uninspected.
  void ProcessBurstInline(rte_mbuf** mbufs, uint16_t count, bool inspect, InlineOutput* out);
  // Processes one frame; used by ProcessBurst and by tests. Fragments are counted but not
  // reassembled here: reassembly needs the frame's mbuf.
  void ProcessFrame(const uint8_t* frame, uint32_t length, uint64_t ts_ns);
  // Closes flows idle for longer than the idle timeout, at most `budget` of them.
  void ExpireIdle(uint64_t now_ns, uint32_t budget);
  // Packet time reached `ts_ns` (a clock tick from a capture reader): every idle flow closes.
  void OnClockTick(uint64_t ts_ns);
  // End of input: closes every flow (as still open) and hands over the last batch.
  void CloseAll();
  // From now on, wait for a free batch buffer instead of dropping records. For shutdown, while
  // the main lcore still exports.
  void WaitForRecordBuffers() { records_.WaitForBuffers(); }
  // Hands over a partly filled batch so records are not held back while traffic is slow.
  void FlushRecords() { records_.Flush(); }
  // Switches to a rule set offered by the main lcore, if any (see Inspector::OfferRules).
  bool AdoptPendingRules() { return inspector_ != nullptr && inspector_->AdoptPendingRules(); }
  inspect::Inspector* inspector() { return inspector_.get(); }
  // Makes the matchers' counters readable from the main lcore (see Inspector::PublishCounters).
  void PublishInspectionCounters() {
    if (inspector_ != nullptr) inspector_->PublishCounters();
  }
  // Null without rules and PII detection.
  const inspect::InspectionCounters* inspection_counters() const {
    return inspector_ != nullptr ? &inspector_->counters() : nullptr;
  }
  // Whether rules or PII detection are in use now (rules may arrive with a reload).
  bool inspection_active() const { return inspector_ != nullptr && inspector_->active(); }
  // Null without detectors.
  detect::Agent* detector() { return detector_.get(); }
  const detect::Agent* detector() const { return detector_.get(); }
  // Runs the detectors on calls and notices other workers sent. Returns messages handled.
  uint32_t PollDetectors(uint32_t budget) { return detector_ ? detector_->Poll(budget) : 0; }
  // End of input, after every worker closed its flows and this one drained its ring: exports
  // the inventory and hands over the last batch.
  void FinishDetection();

  uint64_t last_ts_ns() const { return last_ts_ns_; }
  const WorkerCounters& counters() const { return counters_; }
  const session::SessionCounters& session_counters() const { return session_.counters(); }
  const reassembly::ReassemblyCounters& reassembly_counters() const { return reassembly_counters_; }
  const fragment::FragmentCounters& fragment_counters() const { return fragments_.counters(); }
  const record::RecordCounters& record_counters() const { return records_.counters(); }
  const flow::FlowTable& flows() const { return flows_; }

 private:
  // Decodes a frame and, for TCP, runs the rest of the pipeline.
  decode::DecodeResult DecodeAndProcess(const uint8_t* frame, uint32_t length, uint64_t ts_ns,
                                        decode::DecodedPacket* packet);
  // Processes one mbuf. Returns false when the mbuf was kept (a fragment waiting for the rest).
  bool ProcessMbuf(rte_mbuf* mbuf);
  void ProcessDatagram(rte_mbuf* datagram, uint64_t ts_ns);
  void ProcessTcp(const decode::DecodedPacket& packet, uint64_t ts_ns);
  bool ChecksumsAcceptable(const decode::DecodedPacket& packet, const flow::Flow& flow,
                           flow::Direction direction) const;
  uint32_t CreateFlow(const flow::FlowKey& key, uint32_t hash, const decode::DecodedPacket& packet,
                      bool a_to_b, uint64_t ts_ns);
  void CloseFlow(uint32_t slot, flow::FlowEnd end, uint64_t ts_ns);
  // `by_rule`: a block verdict; otherwise fail-closed after a reassembly gap.
  void Block(uint32_t slot, const decode::DecodedPacket& packet, flow::Direction direction, uint64_t ts_ns,
             bool by_rule);
  void OfferFragment(rte_mbuf* mbuf, const uint8_t* data, const decode::DecodedPacket& packet,
                     uint64_t ts_ns, bool copy);

  WorkerConfig config_;
  std::unique_ptr<inspect::Inspector> inspector_;
  flow::FlowTable flows_;
  fragment::FragmentReassembler fragments_;
  reassembly::SegmentPool segments_;
  http::LinePool lines_;
  session::TransactionPool transactions_;
  record::RecordBuilder records_;
  reassembly::ReassemblyCounters reassembly_counters_;
  session::HttpSession session_;
  std::unique_ptr<detect::Agent> detector_;
  WorkerCounters counters_;
  uint64_t next_flow_number_ = 0;
  uint64_t last_ts_ns_ = 0;
  std::vector<uint8_t> linear_;  // chained mbufs are copied here; sized for the largest frame
  // Per packet: the frame being processed, and whether it may leave (inline only).
  const uint8_t* current_frame_ = nullptr;
  bool drop_current_ = false;
  InlineOutput* inline_out_ = nullptr;
};

// Offset of the per-mbuf capture timestamp (ns since the epoch), registered once per process.
bool RegisterTimestampField(std::string* error);
uint64_t& MbufTimestamp(rte_mbuf* mbuf);

// A clock tick from a capture reader (see dataplane/app/packet_clock.h): an empty mbuf with this
// packet type, which no driver sets, stamped with the packet time it announces.
inline constexpr uint32_t kClockTickPacketType = UINT32_MAX;
// Allocates a tick stamped `ts_ns`; null when the pool is empty.
rte_mbuf* NewClockTick(rte_mempool* pool, uint64_t ts_ns);

}  // namespace sluice::worker
