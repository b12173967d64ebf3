#include "perf/gen/connection_simulator.h"

#include <algorithm>
#include <span>

namespace sluice::gen {
namespace {

constexpr int64_t kMicro = 1000;
constexpr int64_t kMilli = 1000000;
constexpr int64_t kDelayedAckNs = 40 * kMilli;  // Linux's minimum delayed-ACK timeout.
constexpr double kServerBitsPerSecond = 1e9;
constexpr int kInitialWindowSegments = 10;         // RFC 6928 initial congestion window.
constexpr int64_t kIdleRestartNs = 1000 * kMilli;  // Slow start again after this idle time.
constexpr uint32_t kClientReceiveWindowBytes = 262144;
constexpr size_t kHeaderBytes = 54;  // Ethernet + IPv4 + TCP without options.

std::span<const uint8_t> AsBytes(const std::string& text, size_t offset, size_t length) {
  return {reinterpret_cast<const uint8_t*>(text.data()) + offset, length};
}

// An initial sequence number; one in ten sits just below 2^32 so the stream wraps early.
uint32_t RandomIsn(Rng& rng) {
  if (rng.Chance(0.1)) return static_cast<uint32_t>(0xffffffffu - rng.Below(48 * 1024));
  return static_cast<uint32_t>(rng.Next());
}

void Put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void Put32(std::vector<uint8_t>& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v));
}

// SYN options in the order each OS writes them (RFC 9293 section 3.2, RFC 7323, RFC 2018).
std::vector<uint8_t> ClientSynOptions(OsKind os, uint16_t mss, uint32_t tsval) {
  std::vector<uint8_t> out = {2, 4};
  Put16(out, mss);
  switch (os) {
    case OsKind::kLinux:
      out.insert(out.end(), {4, 2, 8, 10});
      Put32(out, tsval);
      Put32(out, 0);
      out.insert(out.end(), {1, 3, 3, 7});
      break;
    case OsKind::kWindows:
      out.insert(out.end(), {1, 3, 3, 8, 1, 1, 4, 2});
      break;
    case OsKind::kMacOs:
      out.insert(out.end(), {1, 3, 3, 6, 1, 1, 8, 10});
      Put32(out, tsval);
      Put32(out, 0);
      out.insert(out.end(), {4, 2, 0, 0});
      break;
  }
  return out;
}

uint16_t ClientWindowField(OsKind os) {
  // Window scale shifts as each OS sends them in its SYN (see ClientSynOptions).
  int scale = 6;
  if (os == OsKind::kLinux) scale = 7;
  if (os == OsKind::kWindows) scale = 8;
  return static_cast<uint16_t>(kClientReceiveWindowBytes >> scale);
}

double BottleneckBitsPerSecond(ClientKind kind) {
  switch (kind) {
    case ClientKind::kOkHttp:
    case ClientKind::kSafariIos:
      return 30e6;
    case ClientKind::kChrome:
    case ClientKind::kFirefox:
    case ClientKind::kCurl:
      return 100e6;
    default:
      return 1e9;
  }
}

}  // namespace

const char* CloseKindName(CloseKind kind) {
  switch (kind) {
    case CloseKind::kClientFin:
      return "client_fin";
    case CloseKind::kServerFin:
      return "server_fin";
    case CloseKind::kServerIdleFin:
      return "server_idle_fin";
    case CloseKind::kClientRst:
      return "client_rst";
    case CloseKind::kServerRst:
      return "server_rst";
  }
  return "unknown";
}

ConnectionSimulator::ConnectionSimulator(const ConnectionPlan& plan, Rng rng,
                                         ConnectionTrace* trace, GenStats* stats)
    : plan_(plan),
      rng_(rng),
      trace_(trace),
      stats_(stats),
      flow_(MakeFlow()),
      mss_(std::min<uint16_t>(plan.client->mss, plan.client->frame.ip.is_v6 ? 1440 : 1460)),
      rtt_ns_(static_cast<int64_t>(plan.client->rtt_ms * kMilli)),
      client_bits_per_second_(BottleneckBitsPerSecond(plan.client->kind)) {}

TcpFlow ConnectionSimulator::MakeFlow() {
  const Client& client = *plan_.client;
  const bool is_v6 = client.frame.ip.is_v6;

  TcpEndpointConfig client_side;
  client_side.frame = client.frame;
  client_side.frame.port = TakeEphemeralPort(*plan_.client);
  client_side.frame.flow_label = static_cast<uint32_t>(rng_.Below(1 << 20));
  client_side.isn = RandomIsn(rng_);
  client_side.syn_window = client.os == OsKind::kMacOs ? 65535 : 64240;
  client_side.window = ClientWindowField(client.os);
  client_side.syn_options =
      ClientSynOptions(client.os, client.mss, static_cast<uint32_t>(rng_.Next()));
  client_side.ip_id = static_cast<uint16_t>(rng_.Next());

  TcpEndpointConfig server_side;
  server_side.frame = is_v6 ? plan_.server->frame_v6 : plan_.server->frame_v4;
  server_side.frame.flow_label = static_cast<uint32_t>(rng_.Below(1 << 20));
  server_side.isn = RandomIsn(rng_);
  server_side.syn_window = 65160;
  server_side.window = 502;  // Scale 7: about 64 KB, plenty for requests.
  server_side.syn_options = {2, 4, 0, 0, 1, 1, 4, 2, 1, 3, 3, 7};
  const uint16_t server_mss = is_v6 ? 1440 : 1460;
  server_side.syn_options[2] = static_cast<uint8_t>(server_mss >> 8);
  server_side.syn_options[3] = static_cast<uint8_t>(server_mss);
  server_side.ip_id = 0;  // Linux sends IP ID 0 on SYN-ACK with DF, then counts per socket.
  return TcpFlow(client_side, server_side, trace_);
}

int64_t ConnectionSimulator::GapNs(size_t payload_bytes, double bits_per_second) const {
  // Frame plus preamble, FCS and inter-frame gap (24 bytes) at the given line rate.
  return static_cast<int64_t>((payload_bytes + kHeaderBytes + 24) * 8 * 1e9 / bits_per_second);
}

int64_t ConnectionSimulator::ThinkTime() {
  const double median = plan_.client->think_median_ms;
  if (median <= 0) return rng_.Between(20 * kMicro, 300 * kMicro);
  return static_cast<int64_t>(rng_.LogNormal(median, 1.0) * kMilli);
}

int64_t ConnectionSimulator::Handshake() {
  const int64_t syn_ns = plan_.start_ns;
  flow_.Send(Side::kClient, syn_ns, kSyn, {}, 0);
  const int64_t syn_ack_ns = syn_ns + rng_.Between(15 * kMicro, 60 * kMicro);
  flow_.Send(Side::kServer, syn_ack_ns, kSyn | kAck, {}, flow_.next_seq(Side::kClient));
  const int64_t ack_ns = syn_ack_ns + rtt_ns_ + rng_.Between(5 * kMicro, 30 * kMicro);
  flow_.Send(Side::kClient, ack_ns, kAck, {}, flow_.next_seq(Side::kServer));
  return ack_ns;
}

void ConnectionSimulator::FlushClientAck(int64_t client_send_ns) {
  if (!pending_client_ack_) return;
  // The delayed ACK fires only if the client has nothing to send before its timer runs out;
  // otherwise the ACK rides on the next segment.
  if (pending_client_ack_->deadline_ns <= client_send_ns) {
    flow_.Send(Side::kClient, pending_client_ack_->deadline_ns, kAck, {}, pending_client_ack_->ack);
  }
  pending_client_ack_.reset();
}

int64_t ConnectionSimulator::SendRequest(int64_t start_ns, const std::string& request,
                                         double latency_ms) {
  FlushClientAck(start_ns);
  int64_t send_ns = start_ns;
  int unacked_segments = 0;
  for (size_t offset = 0; offset < request.size(); offset += mss_) {
    const size_t length = std::min<size_t>(mss_, request.size() - offset);
    const bool last = offset + length == request.size();
    flow_.Send(Side::kClient, send_ns, kAck | (last ? kPsh : 0), AsBytes(request, offset, length),
               flow_.next_seq(Side::kServer));
    // The server ACKs every second full-sized segment at once (RFC 9293 section 3.8.6.3).
    if (++unacked_segments == 2) {
      flow_.Send(Side::kServer, send_ns + rng_.Between(10 * kMicro, 40 * kMicro), kAck, {},
                 flow_.next_seq(Side::kClient));
      unacked_segments = 0;
    }
    if (!last) send_ns += GapNs(length, client_bits_per_second_);
  }
  // A slow response lets the delayed-ACK timer fire first; a fast one carries the ACK.
  if (unacked_segments > 0 && latency_ms * kMilli > kDelayedAckNs) {
    flow_.Send(Side::kServer, send_ns + kDelayedAckNs, kAck, {}, flow_.next_seq(Side::kClient));
  }
  return send_ns;
}

ConnectionSimulator::ResponseTiming ConnectionSimulator::SendResponse(
    int64_t ready_ns, const HttpExchange& exchange) {
  struct Segment {
    size_t write;
    size_t offset;
    size_t length;
    bool push;
    int64_t available_ns;
  };
  std::vector<Segment> segments;
  for (size_t w = 0; w < exchange.response_writes.size(); ++w) {
    const std::string& data = exchange.response_writes[w];
    const int64_t available = ready_ns + static_cast<int64_t>(w) * exchange.write_gap_ns;
    for (size_t offset = 0; offset < data.size(); offset += mss_) {
      const size_t length = std::min<size_t>(mss_, data.size() - offset);
      segments.push_back({w, offset, length, offset + length == data.size(), available});
    }
  }

  // Ack-clocked slow start: the server may have cwnd segments unacknowledged, and each ACK it
  // receives grows cwnd by the segments it covers.
  struct ClientAck {
    int64_t time_ns;
    size_t covers;  // Segments [0, covers) acknowledged.
    uint32_t ack;
  };
  std::deque<ClientAck> acks_in_flight;
  size_t acked = 0;
  size_t client_unacked = 0;
  int64_t server_clock = ready_ns;
  int64_t previous_arrival = 0;
  ResponseTiming timing{ready_ns, ready_ns};
  const int max_cwnd = static_cast<int>(kClientReceiveWindowBytes / mss_);

  for (size_t next = 0; next < segments.size();) {
    if (next >= acked + static_cast<size_t>(cwnd_segments_)) {
      const ClientAck ack = acks_in_flight.front();
      acks_in_flight.pop_front();
      server_clock = std::max(server_clock, ack.time_ns + rng_.Between(2 * kMicro, 8 * kMicro));
      cwnd_segments_ = std::min(max_cwnd, cwnd_segments_ + static_cast<int>(ack.covers - acked));
      acked = ack.covers;
      continue;
    }
    const Segment& segment = segments[next];
    const int64_t send_ns = std::max(server_clock, segment.available_ns);
    flow_.Send(Side::kServer, send_ns, kAck | (segment.push ? kPsh : 0),
               AsBytes(exchange.response_writes[segment.write], segment.offset, segment.length),
               flow_.next_seq(Side::kClient));
    server_clock = send_ns + GapNs(segment.length, kServerBitsPerSecond);
    const int64_t arrival = std::max(
        send_ns + rtt_ns_, previous_arrival + GapNs(segment.length, client_bits_per_second_));
    previous_arrival = arrival;
    ++next;
    ++client_unacked;

    const bool last = next == segments.size();
    const bool server_blocked = !last && next >= acked + static_cast<size_t>(cwnd_segments_);
    if (client_unacked == 2 || (server_blocked && client_unacked > 0)) {
      const int64_t ack_ns = arrival + rng_.Between(5 * kMicro, 25 * kMicro);
      flow_.Send(Side::kClient, ack_ns, kAck, {}, flow_.next_seq(Side::kServer));
      acks_in_flight.push_back({ack_ns, next, flow_.next_seq(Side::kServer)});
      client_unacked = 0;
    } else if (last && client_unacked > 0) {
      pending_client_ack_ = PendingAck{arrival + kDelayedAckNs, flow_.next_seq(Side::kServer)};
    }
    timing = {send_ns, arrival};
  }
  return timing;
}

void ConnectionSimulator::FinishByServer(int64_t fin_ns, int64_t not_before_ns) {
  // The client reads EOF and closes at once, so its ACK of the server FIN carries its own FIN.
  pending_client_ack_.reset();
  flow_.Send(Side::kServer, fin_ns, kFin | kAck, {}, flow_.next_seq(Side::kClient));
  const int64_t client_fin_ns =
      std::max(fin_ns + rtt_ns_, not_before_ns) + rng_.Between(20 * kMicro, 200 * kMicro);
  flow_.Send(Side::kClient, client_fin_ns, kFin | kAck, {}, flow_.next_seq(Side::kServer));
  flow_.Send(Side::kServer, client_fin_ns + rng_.Between(10 * kMicro, 40 * kMicro), kAck, {},
             flow_.next_seq(Side::kClient));
}

void ConnectionSimulator::Close(const ResponseTiming& last) {
  switch (plan_.close) {
    case CloseKind::kClientFin: {
      const int64_t fin_ns = last.last_arrival_ns + ThinkTime();
      FlushClientAck(fin_ns);
      flow_.Send(Side::kClient, fin_ns, kFin | kAck, {}, flow_.next_seq(Side::kServer));
      const int64_t server_fin_ns = fin_ns + rng_.Between(20 * kMicro, 80 * kMicro);
      flow_.Send(Side::kServer, server_fin_ns, kFin | kAck, {}, flow_.next_seq(Side::kClient));
      flow_.Send(Side::kClient, server_fin_ns + rtt_ns_ + rng_.Between(5 * kMicro, 20 * kMicro),
                 kAck, {}, flow_.next_seq(Side::kServer));
      break;
    }
    case CloseKind::kServerFin:
      FinishByServer(last.last_send_ns + rng_.Between(10 * kMicro, 60 * kMicro),
                     last.last_arrival_ns);
      break;
    case CloseKind::kServerIdleFin: {
      const int64_t idle_ns =
          plan_.server->style == ServerStyle::kExpress ? 5000 * kMilli : 2000 * kMilli;
      const int64_t fin_ns = last.last_arrival_ns + idle_ns;
      FlushClientAck(fin_ns);
      FinishByServer(fin_ns, last.last_arrival_ns);
      break;
    }
    case CloseKind::kClientRst: {
      const int64_t rst_ns = last.last_arrival_ns + rng_.Between(50 * kMicro, 5 * kMilli);
      FlushClientAck(rst_ns);
      flow_.Send(Side::kClient, rst_ns, kRst | kAck, {}, flow_.next_seq(Side::kServer));
      break;
    }
    case CloseKind::kServerRst: {
      // The reset comes after the client has acknowledged everything, so no client segment
      // crosses it.
      const int64_t rst_ns = last.last_arrival_ns + kDelayedAckNs + rng_.Between(1, 3000) * kMilli;
      FlushClientAck(rst_ns);
      flow_.Send(Side::kServer, rst_ns, kRst | kAck, {}, flow_.next_seq(Side::kClient));
      break;
    }
  }
}

void ConnectionSimulator::RecordCall(const HttpExchange& exchange) {
  ++stats_->calls;
  ++stats_->methods[exchange.method];
  ++stats_->statuses[exchange.status];
  ++stats_->hosts[plan_.server->host];
  if (plan_.http10) ++stats_->http10_requests;
  if (exchange.chunked) ++stats_->chunked_responses;
  if (exchange.body_until_close) ++stats_->close_delimited_responses;
}

void ConnectionSimulator::Run() {
  ++stats_->connections;
  ++(plan_.client->frame.ip.is_v6 ? stats_->connections_ipv6 : stats_->connections_ipv4);
  ++stats_->connection_ends[CloseKindName(plan_.close)];

  int64_t request_ns = Handshake() + rng_.Between(10 * kMicro, 80 * kMicro);
  ResponseTiming last{request_ns, request_ns};
  for (int call = 0; call < plan_.calls; ++call) {
    ExchangeContext context;
    context.client = plan_.client;
    context.server = plan_.server;
    context.timestamp_ns = request_ns;
    context.http10 = plan_.http10;
    context.server_closes = call + 1 == plan_.calls && plan_.close == CloseKind::kServerFin;
    const HttpExchange exchange = plan_.exchanges != nullptr
                                      ? plan_.exchanges->MakeCall(context, call, rng_)
                                      : MakeExchange(context, rng_);
    RecordCall(exchange);

    if (call > 0 && request_ns - last.last_send_ns > kIdleRestartNs) {
      cwnd_segments_ = kInitialWindowSegments;
    }
    const int64_t request_end_ns =
        SendRequest(request_ns, exchange.request, exchange.server_latency_ms);
    const int64_t ready_ns =
        request_end_ns + static_cast<int64_t>(exchange.server_latency_ms * kMilli);
    last = SendResponse(ready_ns, exchange);
    request_ns = last.last_arrival_ns + ThinkTime();
  }
  Close(last);
  stats_->tcp_payload_bytes += flow_.payload_bytes();
}

}  // namespace sluice::gen
