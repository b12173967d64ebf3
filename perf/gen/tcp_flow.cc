#include "perf/gen/tcp_flow.h"

#include <algorithm>
#include <utility>

namespace sluice::gen {

void ConnectionTrace::SortByTime() {
  std::sort(frames.begin(), frames.end(), [](const TraceFrame& a, const TraceFrame& b) {
    if (a.timestamp_ns != b.timestamp_ns) return a.timestamp_ns < b.timestamp_ns;
    return a.order < b.order;
  });
}

TcpFlow::TcpFlow(TcpEndpointConfig client, TcpEndpointConfig server, ConnectionTrace* trace)
    : client_{std::move(client), 0, 0}, server_{std::move(server), 0, 0}, trace_(trace) {
  client_.next_seq = client_.config.isn;
  client_.ip_id = client_.config.ip_id;
  server_.next_seq = server_.config.isn;
  server_.ip_id = server_.config.ip_id;
}

void TcpFlow::Send(Side side, int64_t timestamp_ns, uint8_t flags, std::span<const uint8_t> payload,
                   uint32_t ack) {
  EndpointState& self = side == Side::kClient ? client_ : server_;
  const EndpointState& peer = side == Side::kClient ? server_ : client_;
  const bool is_syn = (flags & kSyn) != 0;

  TcpSegmentFields segment;
  segment.seq = self.next_seq;
  segment.ack = (flags & kAck) != 0 ? ack : 0;
  segment.flags = flags;
  segment.window = is_syn ? self.config.syn_window : self.config.window;
  if ((flags & kRst) != 0 && (flags & kAck) == 0) segment.window = 0;
  segment.ip_id = self.ip_id++;
  if (is_syn) segment.options = self.config.syn_options;
  segment.payload = payload;

  const size_t offset = trace_->bytes.size();
  const size_t length =
      AppendTcpFrame(self.config.frame, peer.config.frame, segment, trace_->bytes);
  trace_->frames.push_back({timestamp_ns, static_cast<uint32_t>(offset),
                            static_cast<uint32_t>(length),
                            static_cast<uint32_t>(trace_->frames.size())});

  self.next_seq += static_cast<uint32_t>(payload.size());
  if (is_syn) ++self.next_seq;
  if ((flags & kFin) != 0) ++self.next_seq;
  payload_bytes_ += payload.size();
}

}  // namespace sluice::gen
