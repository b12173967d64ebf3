#include "tests/integration/rules_pii/conversation_capture.h"

#include <algorithm>
#include <random>
#include <span>

#include "perf/gen/frame_builder.h"
#include "perf/gen/pcap_file_writer.h"
#include "perf/gen/tcp_flow.h"

namespace sluice::testing {
namespace {

using gen::Side;

constexpr int64_t kFirstTimestampNs = 1'700'000'000'000'000'000;
constexpr int64_t kConnectionGapNs = 1'000'000;       // 1 ms between connections
constexpr int64_t kFrameSpacingNs = 20'000;           // 20 us between frames of a connection
constexpr int64_t kOverlapOffsetNs = 10'000;          // an overlapping connection starts 10 us later
constexpr uint16_t kServerPort = 80;
constexpr size_t kMaxRandomSegment = 40;

gen::IpAddress Ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  gen::IpAddress address;
  address.bytes[0] = a;
  address.bytes[1] = b;
  address.bytes[2] = c;
  address.bytes[3] = d;
  return address;
}

// The segments one side sends, cut as `segmentation` says.
std::vector<std::string> Cut(const std::vector<std::string>& written, Segmentation segmentation,
                             std::mt19937* random) {
  if (segmentation == Segmentation::kAsWritten) return written;
  std::string payload;
  for (const std::string& segment : written) payload += segment;
  std::vector<std::string> segments;
  std::uniform_int_distribution<size_t> length(1, kMaxRandomSegment);
  for (size_t at = 0; at < payload.size();) {
    const size_t take = segmentation == Segmentation::kByteByByte ? 1 : length(*random);
    segments.push_back(payload.substr(at, take));
    at += segments.back().size();
  }
  return segments;
}

std::span<const uint8_t> Bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// Appends the frames of one connection to `trace`, starting at `start_ns`. Returns the time of
// its last frame.
int64_t SimulateConnection(const Conversation& conversation, Segmentation segmentation,
                        std::mt19937* random, int64_t start_ns, gen::ConnectionTrace* trace) {
  gen::TcpEndpointConfig client;
  client.frame.mac = {0x02, 0, 0, 0, 0, 0x01};
  client.frame.ip = Ipv4(10, 1, 0, 1);
  client.frame.port = conversation.client_port;
  client.isn = 1000u * conversation.client_port;
  gen::TcpEndpointConfig server;
  server.frame.mac = {0x02, 0, 0, 0, 0, 0x02};
  server.frame.ip = Ipv4(10, 2, 0, 1);
  server.frame.port = kServerPort;
  server.isn = 0xffffff00u;  // 256 below 2^32: longer responses wrap the sequence number
  gen::TcpFlow flow(client, server, trace);

  int64_t now = start_ns;
  auto send = [&](Side side, uint8_t flags, std::span<const uint8_t> payload) {
    const Side peer = side == Side::kClient ? Side::kServer : Side::kClient;
    flow.Send(side, now, flags, payload, flow.next_seq(peer));
    now += kFrameSpacingNs;
  };
  send(Side::kClient, gen::kSyn, {});
  send(Side::kServer, gen::kSyn | gen::kAck, {});
  send(Side::kClient, gen::kAck, {});
  for (const std::string& segment : Cut(conversation.request_segments, segmentation, random)) {
    send(Side::kClient, gen::kPsh | gen::kAck, Bytes(segment));
  }
  send(Side::kServer, gen::kAck, {});
  for (const std::string& segment : Cut(conversation.response_segments, segmentation, random)) {
    send(Side::kServer, gen::kPsh | gen::kAck, Bytes(segment));
  }
  send(Side::kClient, gen::kAck, {});
  send(Side::kClient, gen::kFin | gen::kAck, {});
  send(Side::kServer, gen::kFin | gen::kAck, {});
  send(Side::kClient, gen::kAck, {});
  return now - kFrameSpacingNs;
}

}  // namespace

bool WriteConversationCapture(const std::string& path,
                              const std::vector<Conversation>& conversations,
                              Segmentation segmentation, uint32_t seed, std::string* error) {
  gen::PcapFileWriter writer;
  if (!writer.Open(path, error)) return false;
  std::mt19937 random(seed);
  int64_t start_ns = kFirstTimestampNs;
  for (size_t first = 0; first < conversations.size();) {
    // One trace per group of overlapping conversations, sorted so their frames interleave.
    gen::ConnectionTrace trace;
    int64_t end_ns = start_ns;
    size_t next = first;
    do {
      const int64_t begin_ns = start_ns + static_cast<int64_t>(next - first) * kOverlapOffsetNs;
      end_ns = std::max(end_ns, SimulateConnection(conversations[next], segmentation, &random,
                                                   begin_ns, &trace));
      ++next;
    } while (next < conversations.size() && conversations[next].overlaps_previous);
    trace.SortByTime();
    for (const gen::TraceFrame& frame : trace.frames) {
      writer.Write(frame.timestamp_ns,
                   std::span<const uint8_t>(trace.bytes.data() + frame.offset, frame.length));
    }
    start_ns = end_ns + kConnectionGapNs;
    first = next;
  }
  return writer.Close(error);
}

}  // namespace sluice::testing
