#include "dataplane/worker/worker.h"

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>

namespace sluice::worker {

namespace {

int g_timestamp_offset = -1;
constexpr uint32_t kMaxFrameBytes = 256 * 1024;  // pcap's largest snapshot length

// Mbufs whose headers are fetched ahead of the one processed. The reader or the NIC wrote the
// headers and the bytes from another core, so each first read is a cache miss. While frame i is
// processed, the header of frame i + 4 is fetched, and the bytes of frame i + 1, whose header is
// in the cache by then.
constexpr uint16_t kHeadersAhead = 4;

// Fetches both cache lines of the header. The second contains the capture timestamp (a dynamic
// field).
void PrefetchHeader(const rte_mbuf* mbuf) {
  rte_mbuf_prefetch_part1(const_cast<rte_mbuf*>(mbuf));
  rte_mbuf_prefetch_part2(const_cast<rte_mbuf*>(mbuf));
}

void PrefetchFrame(const rte_mbuf* mbuf) {
  const char* data = rte_pktmbuf_mtod(mbuf, const char*);
  const uint32_t length = mbuf->data_len < 2048 ? mbuf->data_len : 2048;
  for (uint32_t offset = 0; offset < length; offset += RTE_CACHE_LINE_SIZE) rte_prefetch0(data + offset);
}

// Fetches what the frames after frame `i` of the burst need. Called before frame `i` is processed.
void PrefetchAhead(rte_mbuf* const* mbufs, uint16_t count, uint16_t i) {
  if (i == 0) {
    for (uint16_t k = 0; k < count && k < kHeadersAhead; ++k) PrefetchHeader(mbufs[k]);
  }
  if (i + kHeadersAhead < count) PrefetchHeader(mbufs[i + kHeadersAhead]);
  if (i + 1 < count) PrefetchFrame(mbufs[i + 1]);
}

}  // namespace

bool RegisterTimestampField(std::string* error) {
  static const rte_mbuf_dynfield kField = {"sluice_capture_ts_ns", sizeof(uint64_t),
                                           alignof(uint64_t), 0};
  g_timestamp_offset = rte_mbuf_dynfield_register(&kField);
  if (g_timestamp_offset < 0) {
    *error = std::string("cannot register the mbuf timestamp field: ") + rte_strerror(rte_errno);
    return false;
  }
  return true;
}

uint64_t& MbufTimestamp(rte_mbuf* mbuf) {
  return *RTE_MBUF_DYNFIELD(mbuf, g_timestamp_offset, uint64_t*);
}

rte_mbuf* NewClockTick(rte_mempool* pool, uint64_t ts_ns) {
  rte_mbuf* tick = rte_pktmbuf_alloc(pool);
  if (tick == nullptr) return nullptr;
  tick->packet_type = kClockTickPacketType;
  MbufTimestamp(tick) = ts_ns;
  return tick;
}

Worker::Worker(WorkerConfig config, exporter::BatchChannel* channel,
               std::unique_ptr<inspect::Inspector> inspector)
    : config_(config),
      inspector_(std::move(inspector)),
      segments_(config.segment_chunks),
      lines_(config.line_buffers, config.line_bytes),
      transactions_(config.transaction_slots),
      records_(channel, config.records),
      session_(&transactions_, &lines_, &segments_, &records_, &reassembly_counters_, config.limits,
               inspector_.get()) {
  linear_.resize(kMaxFrameBytes);
  records_.SetInspector(inspector_.get());
  if (config_.detect_policy != nullptr && config_.detect_policy->enabled) {
    detector_ = std::make_unique<detect::Agent>(config_.worker_id, config_.workers, config_.detect_policy,
                                                config_.detect_key, config_.inline_mode, &records_,
                                                inspector_.get());
    session_.SetObserver(detector_.get());
  }
}

void Worker::FinishDetection() {
  if (detector_ != nullptr) detector_->Tick(last_ts_ns_, /*force=*/true);
  records_.Flush();
}

bool Worker::Init(std::string* error) {
  if (!flows_.Init("sl_flows_" + std::to_string(config_.worker_id), config_.max_flows, error)) return false;
  return fragments_.Init(config_.fragment_datagrams, config_.fragment_timeout_ns, error);
}

void Worker::ProcessBurst(rte_mbuf** mbufs, uint16_t count) {
  uint16_t done = 0;
  for (uint16_t i = 0; i < count; ++i) {
    PrefetchAhead(mbufs, count, i);
    if (ProcessMbuf(mbufs[i])) mbufs[done++] = mbufs[i];
  }
  rte_pktmbuf_free_bulk(mbufs, done);
  fragments_.FreeDropped();
}

bool Worker::ProcessMbuf(rte_mbuf* mbuf) {
  const uint64_t ts_ns = MbufTimestamp(mbuf);
  if (mbuf->packet_type == kClockTickPacketType && mbuf->data_len == 0) {
    OnClockTick(ts_ns);
    return true;
  }
  const uint8_t* data = rte_pktmbuf_mtod(mbuf, const uint8_t*);
  uint32_t length = mbuf->data_len;
  if (mbuf->nb_segs != 1) {
    ++counters_.multi_segment_frames;
    length = rte_pktmbuf_pkt_len(mbuf) < kMaxFrameBytes ? rte_pktmbuf_pkt_len(mbuf) : kMaxFrameBytes;
    data = static_cast<const uint8_t*>(rte_pktmbuf_read(mbuf, 0, length, linear_.data()));
  }
  decode::DecodedPacket packet;
  if (DecodeAndProcess(data, length, ts_ns, &packet) != decode::DecodeResult::kFragment) return true;
  if (mbuf->nb_segs != 1) return true;  // counted as unsupported by the reassembler's rules
  OfferFragment(mbuf, data, packet, ts_ns, false);
  return false;
}

// Hands a fragment to the reassembler. Inline, the original must leave unchanged, so a copy goes
// to the reassembler instead.
void Worker::OfferFragment(rte_mbuf* mbuf, const uint8_t* data, const decode::DecodedPacket& packet,
                           uint64_t ts_ns, bool copy) {
  rte_mbuf* fragment = copy ? rte_pktmbuf_copy(mbuf, config_.pool, 0, UINT32_MAX) : mbuf;
  if (fragment == nullptr) return;
  rte_mbuf* datagram = nullptr;
  const auto added = fragments_.Add(fragment, static_cast<uint32_t>(packet.l3 - data), packet.ip_version,
                                    ts_ns, &datagram);
  if (added == fragment::FragmentReassembler::AddResult::kUnsupported) {
    rte_pktmbuf_free(fragment);
    return;
  }
  // The completed datagram may be built on this very mbuf, so it is freed with the datagram.
  if (added == fragment::FragmentReassembler::AddResult::kComplete) ProcessDatagram(datagram, ts_ns);
}

void Worker::ProcessBurstInline(rte_mbuf** mbufs, uint16_t count, bool inspect, InlineOutput* out) {
  inline_out_ = out;
  for (uint16_t i = 0; i < count; ++i) {
    rte_mbuf* mbuf = mbufs[i];
    if (!inspect) {
      ++counters_.uninspected;
      out->forward[out->forward_count++] = mbuf;
      continue;
    }
    PrefetchAhead(mbufs, count, i);
    drop_current_ = false;
    const uint64_t ts_ns = MbufTimestamp(mbuf);
    const uint8_t* data = rte_pktmbuf_mtod(mbuf, const uint8_t*);
    uint32_t length = mbuf->data_len;
    if (mbuf->nb_segs != 1) {
      ++counters_.multi_segment_frames;
      length = rte_pktmbuf_pkt_len(mbuf) < kMaxFrameBytes ? rte_pktmbuf_pkt_len(mbuf) : kMaxFrameBytes;
      data = static_cast<const uint8_t*>(rte_pktmbuf_read(mbuf, 0, length, linear_.data()));
    }
    decode::DecodedPacket packet;
    if (DecodeAndProcess(data, length, ts_ns, &packet) == decode::DecodeResult::kFragment &&
        mbuf->nb_segs == 1) {
      OfferFragment(mbuf, data, packet, ts_ns, true);
    }
    if (drop_current_) {
      ++counters_.dropped_verdict;
      rte_pktmbuf_free(mbuf);
    } else {
      ++counters_.forwarded;
      out->forward[out->forward_count++] = mbuf;
    }
  }
  inline_out_ = nullptr;
  fragments_.FreeDropped();
}

void Worker::ProcessDatagram(rte_mbuf* datagram, uint64_t ts_ns) {
  const uint32_t length =
      rte_pktmbuf_pkt_len(datagram) < kMaxFrameBytes ? rte_pktmbuf_pkt_len(datagram) : kMaxFrameBytes;
  const auto* data = static_cast<const uint8_t*>(rte_pktmbuf_read(datagram, 0, length, linear_.data()));
  decode::DecodedPacket packet;
  // The reassembled datagram counts as one more packet: it is what the endpoint's stack sees.
  DecodeAndProcess(data, length, ts_ns, &packet);
  rte_pktmbuf_free(datagram);
}

void Worker::ProcessFrame(const uint8_t* frame, uint32_t length, uint64_t ts_ns) {
  decode::DecodedPacket packet;
  DecodeAndProcess(frame, length, ts_ns, &packet);
}

decode::DecodeResult Worker::DecodeAndProcess(const uint8_t* frame, uint32_t length, uint64_t ts_ns,
                                              decode::DecodedPacket* packet) {
  ++counters_.packets;
  counters_.bytes += length;
  current_frame_ = frame;
  if (ts_ns > last_ts_ns_) last_ts_ns_ = ts_ns;
  const decode::DecodeOptions options{config_.verify_checksums};
  const decode::DecodeResult result = decode::DecodeFrame(config_.link_type, frame, length, options, packet);
  ++counters_.decode[static_cast<int>(result)];
  if (result != decode::DecodeResult::kTcp) return result;
  if (!packet->ip_checksum_ok) ++counters_.ip_checksum_bad;
  if (!packet->l4_checksum_ok) {
    ++counters_.tcp_checksum_bad;
    if (packet->l4_checksum_offloaded) ++counters_.tcp_checksum_offloaded;
  }
  ProcessTcp(*packet, ts_ns);
  return result;
}

// A receiver drops a segment whose checksum fails, so parsing it would show what the endpoint
// never saw. A sender that offloads checksums leaves every one of them wrong in a capture taken on
// it. So under `auto`, a bad checksum counts as corruption only from a sender that has produced
// good ones on this connection, and an offloaded pattern is never corruption.
bool Worker::ChecksumsAcceptable(const decode::DecodedPacket& packet, const flow::Flow& flow,
                                 flow::Direction direction) const {
  if (packet.ip_checksum_ok && packet.l4_checksum_ok) return true;
  if (!config_.verify_checksums) return true;
  if (config_.trust_offloaded && packet.ip_checksum_ok && packet.l4_checksum_offloaded) return true;
  if (config_.skip_bad_checksums) return false;
  return !(config_.trust_offloaded && flow.checksums_good[direction]);
}

uint32_t Worker::CreateFlow(const flow::FlowKey& key, uint32_t hash, const decode::DecodedPacket& packet,
                            bool a_to_b, uint64_t ts_ns) {
  uint32_t slot = flows_.Insert(key, hash);
  if (slot == flow::kNoIndex && flows_.Oldest() != flow::kNoIndex) {
    CloseFlow(flows_.Oldest(), flow::FlowEnd::kEvicted, ts_ns);
    slot = flows_.Insert(key, hash);
  }
  if (slot == flow::kNoIndex) {
    ++counters_.flow_table_full;
    return slot;
  }
  ++counters_.flows_created;
  flow::Flow& flow = flows_.at(slot);
  flow.flow_id = (static_cast<uint64_t>(config_.worker_id) << 48) | next_flow_number_++;
  flow.first_ts_ns = ts_ns;
  flow.request_txn = flow::kNoIndex;
  const bool syn = packet.tcp_flags & decode::kTcpSyn;
  const bool ack = packet.tcp_flags & decode::kTcpAck;
  bool sender_is_client;
  if (syn) {
    sender_is_client = !ack;
  } else if (session::HttpSession::LooksLikeResponse(packet.payload, packet.payload_length)) {
    sender_is_client = false;
  } else if (session::HttpSession::LooksLikeRequest(packet.payload, packet.payload_length)) {
    sender_is_client = true;
  } else {
    sender_is_client = packet.src_port > packet.dst_port;  // ephemeral ports are the high ones
  }
  flow.client_is_a = (sender_is_client == a_to_b);
  // Each direction is reassembled as its receiver's stack does it. NOTE: a mid-stream flow whose
  // client was guessed wrongly gets the two policies swapped.
  const uint8_t* server_ip = flow.client_is_a ? key.ip_b : key.ip_a;
  const uint8_t* client_ip = flow.client_is_a ? key.ip_a : key.ip_b;
  flow.overlap_policy[flow::kToServer] = config_.overlap_policies.Lookup(key.ip_version, server_ip);
  flow.overlap_policy[flow::kToClient] = config_.overlap_policies.Lookup(key.ip_version, client_ip);
  return slot;
}

void Worker::ProcessTcp(const decode::DecodedPacket& packet, uint64_t ts_ns) {
  bool a_to_b = false;
  const flow::FlowKey key = flow::MakeFlowKey(packet, &a_to_b);
  const uint32_t hash = flows_.Hash(key);
  uint32_t slot = flows_.Lookup(key, hash);
  const uint8_t flags = packet.tcp_flags;
  if (slot == flow::kNoIndex) {
    // Only a SYN or data starts tracking: a stray ACK, FIN or RST after a close must not.
    if ((flags & decode::kTcpRst) || (!(flags & decode::kTcpSyn) && packet.payload_length == 0)) {
      ++counters_.tcp_without_flow;
      return;
    }
    slot = CreateFlow(key, hash, packet, a_to_b, ts_ns);
    if (slot == flow::kNoIndex) return;
  } else {
    flows_.Touch(slot);
  }
  flow::Flow& flow = flows_.at(slot);
  if (flow.blocked) {
    // Everything after the blocked packet is dropped, retransmissions of it included.
    flow.last_ts_ns = ts_ns;
    drop_current_ = true;
    return;
  }
  const auto direction = (a_to_b == flow.client_is_a) ? flow::kToServer : flow::kToClient;
  flow.last_ts_ns = ts_ns;
  if (packet.ip_checksum_ok && packet.l4_checksum_ok) flow.checksums_good[direction] = true;
  ++flow.packets[direction];
  flow.bytes[direction] += packet.payload_length;

  uint32_t seq = packet.tcp_seq;
  if (flags & decode::kTcpSyn) {
    flow.syn_seen = true;
    if (!flow.streams[direction].started()) flow.streams[direction].StartFromSyn(seq);
    seq += 1;  // data on a SYN (TCP Fast Open) starts after the SYN's sequence number
  }
  // Offline, offloaded checksums are the norm, so a bad checksum is counted but still parsed.
  // An acknowledgement first: bytes the peer already has, and the capture never saw, are skipped
  // before this packet's own data is parsed, so requests and responses stay in step.
  if (flags & decode::kTcpAck) {
    const auto other = direction == flow::kToServer ? flow::kToClient : flow::kToServer;
    session_.SkipAcknowledged(flow, other, packet.tcp_ack, ts_ns);
  }
  if (packet.payload_length > 0) {
    if (ChecksumsAcceptable(packet, flow, direction)) {
      session_.Deliver(flow, direction, seq, packet.payload, packet.payload_length, ts_ns);
    } else {
      ++counters_.bad_checksum_skipped;
    }
  }
  // NOTE: a hole the reassembler skipped (hold limit, or bytes the capture lost) can later be
  // filled by a retransmission that reaches the server uninspected. Stopping such connections
  // fail-closed also stopped legitimate large downloads after ordinary loss, so they are counted.
  if (flow.gapped && config_.inline_mode && !flow.gap_counted) {
    flow.gap_counted = true;
    ++counters_.gapped_flows;
  }
  if (flow.block_requested) {
    Block(slot, packet, direction, ts_ns, /*by_rule=*/true);
    return;
  }
  if (flags & decode::kTcpRst) {
    CloseFlow(slot, flow::FlowEnd::kRst, ts_ns);
    return;
  }
  if (flags & decode::kTcpFin) {
    flow.fin_seen[direction] = true;
    session_.FinishDirection(flow, direction, ts_ns);
    if (flow.fin_seen[flow::kToServer] && flow.fin_seen[flow::kToClient]) {
      CloseFlow(slot, flow::FlowEnd::kFin, ts_ns);
    }
  }
}

// Stops a connection at the current packet: it is dropped, both ends get what the block response
// says, the records end now, and the flow entry stays (closed) to drop what follows.
void Worker::Block(uint32_t slot, const decode::DecodedPacket& packet, flow::Direction direction,
                   uint64_t ts_ns, bool by_rule) {
  flow::Flow& flow = flows_.at(slot);
  flow.block_requested = false;
  flow.blocked = true;
  drop_current_ = true;
  if (by_rule) ++counters_.blocked_flows;
  bool reset_sent = false;
  if (inline_out_ != nullptr && config_.pool != nullptr) {
    verdict::BlockFrames frames;
    const verdict::BlockResponse* answer = direction == flow::kToServer ? &config_.block_response : nullptr;
    reset_sent = verdict::BuildBlockFrames(config_.pool, current_frame_, packet, answer, &frames);
    if (frames.toward_source != nullptr) inline_out_->back[inline_out_->back_count++] = frames.toward_source;
    if (frames.toward_destination != nullptr) {
      inline_out_->forward[inline_out_->forward_count++] = frames.toward_destination;
    }
  }
  if (!reset_sent) ++counters_.block_frames_failed;
  const uint64_t packet_index = flow.packets[flow::kToServer] + flow.packets[flow::kToClient];
  const uint64_t bytes_passed = flow.bytes[direction] - packet.payload_length;
  session_.CloseBlocked(flow, packet_index, bytes_passed, reset_sent, ts_ns);
  ++counters_.flows_ended[static_cast<int>(flow::FlowEnd::kBlocked)];
  flow.closed = true;
}

void Worker::CloseFlow(uint32_t slot, flow::FlowEnd end, uint64_t ts_ns) {
  flow::Flow& flow = flows_.at(slot);
  if (flow.closed) {  // a blocked flow: its records are out already
    flows_.Remove(slot);
    return;
  }
  if (end == flow::FlowEnd::kIdleTimeout && (flow.fin_seen[0] || flow.fin_seen[1])) {
    end = flow::FlowEnd::kHalfFin;
  }
  session_.Close(flow, end, ts_ns);
  ++counters_.flows_ended[static_cast<int>(end)];
  flows_.Remove(slot);
}

void Worker::ExpireIdle(uint64_t now_ns, uint32_t budget) {
  fragments_.Expire(now_ns);
  if (detector_ != nullptr) detector_->Tick(now_ns, /*force=*/false);
  while (budget-- > 0) {
    const uint32_t oldest = flows_.Oldest();
    if (oldest == flow::kNoIndex) return;
    if (flows_.at(oldest).last_ts_ns + config_.idle_timeout_ns >= now_ns) return;
    CloseFlow(oldest, flow::FlowEnd::kIdleTimeout, now_ns);
  }
}

void Worker::OnClockTick(uint64_t ts_ns) {
  ++counters_.clock_ticks;
  if (ts_ns > last_ts_ns_) last_ts_ns_ = ts_ns;
  ExpireIdle(ts_ns, UINT32_MAX);
}

void Worker::CloseAll() {
  while (flows_.Oldest() != flow::kNoIndex) {
    CloseFlow(flows_.Oldest(), flow::FlowEnd::kOpen, last_ts_ns_);
  }
  records_.Flush();
  PublishInspectionCounters();
}

}  // namespace sluice::worker
