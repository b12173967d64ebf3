#include "perf/micro/sample_capture.h"

#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string_view>
#include <utility>

#include "dataplane/decode/packet_decoder.h"

namespace sluice::perf {

namespace {

// Direction key: source address and port, then destination address and port.
std::string EndpointPairKey(const decode::DecodedPacket& packet, bool reverse) {
  std::string key(36, '\0');
  const uint8_t* first_ip = reverse ? packet.dst_ip : packet.src_ip;
  const uint8_t* second_ip = reverse ? packet.src_ip : packet.dst_ip;
  const uint16_t first_port = reverse ? packet.dst_port : packet.src_port;
  const uint16_t second_port = reverse ? packet.src_port : packet.dst_port;
  std::memcpy(key.data(), first_ip, 16);
  std::memcpy(key.data() + 16, &first_port, 2);
  std::memcpy(key.data() + 18, second_ip, 16);
  std::memcpy(key.data() + 34, &second_port, 2);
  return key;
}

void ReadFrames(const std::string& path, SampleCapture* capture) {
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, error);
  if (handle == nullptr) {
    std::fprintf(stderr, "error: cannot open sample capture '%s': %s (set SLUICE_SAMPLE_PCAP)\n",
                 path.c_str(), error);
    std::exit(1);
  }
  capture->link_type = static_cast<uint32_t>(pcap_datalink(handle));
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(handle, &header, &data) == 1) {
    capture->frames.emplace_back(data, data + header->caplen);
    capture->timestamps_ns.push_back(static_cast<uint64_t>(header->ts.tv_sec) * 1000000000ull +
                                     static_cast<uint64_t>(header->ts.tv_usec));
    capture->frame_bytes += header->caplen;
  }
  pcap_close(handle);
  if (capture->frames.empty()) {
    std::fprintf(stderr, "error: sample capture '%s' has no frames\n", path.c_str());
    std::exit(1);
  }
}

// Groups TCP payloads by direction. The client is the side that sent the first SYN; a connection
// whose SYN is missing takes the side sending to the lower port as the client.
void CutStreams(SampleCapture* capture) {
  std::map<std::string, size_t> index_of;  // direction key -> streams index
  std::map<std::string, bool> client_side;  // direction key of a SYN sender -> true
  const decode::DecodeOptions options;
  for (const std::vector<uint8_t>& frame : capture->frames) {
    decode::DecodedPacket packet;
    if (decode::DecodeFrame(capture->link_type, frame.data(), static_cast<uint32_t>(frame.size()),
                            options, &packet) != decode::DecodeResult::kTcp) {
      continue;
    }
    const std::string forward = EndpointPairKey(packet, false);
    if ((packet.tcp_flags & decode::kTcpSyn) != 0 && (packet.tcp_flags & decode::kTcpAck) == 0) {
      client_side[forward] = true;
    }
    if (packet.payload_length == 0) continue;
    auto [it, added] = index_of.try_emplace(forward, capture->streams.size());
    if (added) {
      SampleStream stream;
      const bool from_syn_sender = client_side.count(forward) != 0;
      const bool to_syn_sender = client_side.count(EndpointPairKey(packet, true)) != 0;
      stream.to_server = from_syn_sender || (!to_syn_sender && packet.dst_port < packet.src_port);
      capture->streams.push_back(std::move(stream));
    }
    SampleStream& stream = capture->streams[it->second];
    SampleSegment segment;
    segment.seq = packet.tcp_seq;
    segment.payload.assign(packet.payload, packet.payload + packet.payload_length);
    stream.bytes.append(reinterpret_cast<const char*>(packet.payload), packet.payload_length);
    stream.segments.push_back(std::move(segment));
  }

  // A response to HEAD has no body, whatever Content-Length it carries, and only a caller that
  // pairs it with its request can tell. Mark both directions so corpora can leave them out.
  for (auto& [key, index] : index_of) {
    SampleStream& stream = capture->streams[index];
    if (!stream.to_server) continue;
    if (stream.bytes.find("HEAD ") == std::string::npos) continue;
    stream.has_head_request = true;
    const std::string reverse = key.substr(18, 18) + key.substr(0, 18);
    auto other = index_of.find(reverse);
    if (other != index_of.end()) capture->streams[other->second].has_head_request = true;
  }
}

}  // namespace

std::string SamplePcapPath() {
  const char* path = std::getenv("SLUICE_SAMPLE_PCAP");
  if (path != nullptr && path[0] != '\0') return path;
  return SLUICE_SOURCE_ROOT "/samples/api-sample.pcap";
}

const SampleCapture& LoadSampleCapture() {
  static const SampleCapture* capture = [] {
    auto* loaded = new SampleCapture;
    ReadFrames(SamplePcapPath(), loaded);
    CutStreams(loaded);
    return loaded;
  }();
  return *capture;
}

}  // namespace sluice::perf
