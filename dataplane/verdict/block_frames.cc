#include "dataplane/verdict/block_frames.h"

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <cstring>

namespace sluice::verdict {

namespace {

// Writes one TCP segment from `src` to `dst` into a fresh mbuf: the original L2 header (MACs
// swapped when going back), an IPv4 or IPv6 header, a TCP header and `payload`.
rte_mbuf* BuildSegment(rte_mempool* pool, const uint8_t* frame, const decode::DecodedPacket& packet,
                       bool reverse, uint32_t seq, uint32_t ack, uint8_t flags,
                       const std::string& payload) {
  rte_mbuf* mbuf = rte_pktmbuf_alloc(pool);
  if (mbuf == nullptr) return nullptr;
  const auto l2_length = static_cast<uint32_t>(packet.l3 - frame);
  const uint32_t l3_length = packet.ip_version == 4 ? 20 : 40;
  const uint32_t total = l2_length + l3_length + 20 + static_cast<uint32_t>(payload.size());
  auto* out = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(mbuf, static_cast<uint16_t>(total)));
  if (out == nullptr) {
    rte_pktmbuf_free(mbuf);
    return nullptr;
  }
  std::memcpy(out, frame, l2_length);
  if (reverse && l2_length >= 12) {
    std::memcpy(out, frame + 6, 6);
    std::memcpy(out + 6, frame, 6);
  }
  const uint8_t* src_ip = reverse ? packet.dst_ip : packet.src_ip;
  const uint8_t* dst_ip = reverse ? packet.src_ip : packet.dst_ip;
  uint8_t* l3 = out + l2_length;
  auto* tcp = reinterpret_cast<rte_tcp_hdr*>(l3 + l3_length);
  tcp->src_port = rte_cpu_to_be_16(reverse ? packet.dst_port : packet.src_port);
  tcp->dst_port = rte_cpu_to_be_16(reverse ? packet.src_port : packet.dst_port);
  tcp->sent_seq = rte_cpu_to_be_32(seq);
  tcp->recv_ack = rte_cpu_to_be_32(ack);
  tcp->data_off = 5 << 4;
  tcp->tcp_flags = flags;
  tcp->rx_win = rte_cpu_to_be_16(flags & RTE_TCP_RST_FLAG ? 0 : 65535);
  tcp->cksum = 0;
  tcp->tcp_urp = 0;
  std::memcpy(reinterpret_cast<uint8_t*>(tcp) + 20, payload.data(), payload.size());
  if (packet.ip_version == 4) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(l3);
    ip->version_ihl = 0x45;
    ip->type_of_service = 0;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(20 + 20 + payload.size()));
    ip->packet_id = 0;
    ip->fragment_offset = 0;
    ip->time_to_live = 64;
    ip->next_proto_id = 6;
    std::memcpy(&ip->src_addr, src_ip, 4);
    std::memcpy(&ip->dst_addr, dst_ip, 4);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
  } else {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(l3);
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(20 + payload.size()));
    ip->proto = 6;
    ip->hop_limits = 64;
    std::memcpy(ip->src_addr, src_ip, 16);
    std::memcpy(ip->dst_addr, dst_ip, 16);
    tcp->cksum = rte_ipv6_udptcp_cksum(ip, tcp);
  }
  return mbuf;
}

std::string HttpError(const BlockResponse& answer) {
  return "HTTP/1.1 " + std::to_string(answer.status) +
         " Blocked\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(answer.body.size()) + "\r\nConnection: close\r\n\r\n" + answer.body;
}

}  // namespace

bool BuildBlockFrames(rte_mempool* pool, const uint8_t* frame, const decode::DecodedPacket& packet,
                      const BlockResponse* answer, BlockFrames* out) {
  // The destination never receives the dropped packet, so it expects that packet's first byte;
  // the source expects the next byte the packet acknowledged.
  const uint32_t destination_expects = packet.tcp_seq;
  const uint32_t source_expects = packet.tcp_ack;
  const uint32_t after_packet = packet.tcp_seq + packet.payload_length +
                                ((packet.tcp_flags & decode::kTcpSyn) ? 1 : 0);
  out->toward_destination = BuildSegment(pool, frame, packet, false, destination_expects, source_expects,
                                         RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, "");
  if (answer != nullptr && answer->http_error) {
    out->toward_source = BuildSegment(pool, frame, packet, true, source_expects, after_packet,
                                      RTE_TCP_PSH_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG,
                                      HttpError(*answer));
  } else {
    out->toward_source = BuildSegment(pool, frame, packet, true, source_expects, after_packet,
                                      RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, "");
  }
  return out->toward_destination != nullptr && out->toward_source != nullptr;
}

}  // namespace sluice::verdict
