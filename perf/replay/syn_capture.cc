// sluice-perf-syn-capture: writes a capture of N TCP SYNs from N distinct client endpoints to one
// server, so a data plane run over it ends up tracking N flows (the memory-footprint run of
// perf/run-all.sh). Usage: sluice-perf-syn-capture COUNT OUT.pcap
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "perf/gen/frame_builder.h"
#include "perf/gen/pcap_file_writer.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s COUNT OUT.pcap\n", argv[0]);
    return 2;
  }
  const unsigned long count = std::strtoul(argv[1], nullptr, 10);
  // 2^17 client addresses times 16 ports: more would repeat a flow.
  constexpr unsigned long kMaxCount = 16ul << 17;
  if (count == 0 || count > kMaxCount) {
    std::fprintf(stderr, "%s: error: COUNT must be between 1 and %lu, got '%s'\n", argv[0],
                 kMaxCount, argv[1]);
    return 2;
  }
  sluice::gen::PcapFileWriter writer;
  std::string error;
  if (!writer.Open(argv[2], &error)) {
    std::fprintf(stderr, "%s: error: %s\n", argv[0], error.c_str());
    return 1;
  }

  sluice::gen::FrameSource server;
  server.mac = {0x02, 0, 0, 0, 0, 2};
  server.ip.bytes = {198, 19, 0, 1};
  server.port = 80;
  sluice::gen::FrameSource client;
  client.mac = {0x02, 0, 0, 0, 0, 1};
  sluice::gen::TcpSegmentFields syn;
  syn.flags = sluice::gen::kSyn;
  syn.window = 64240;

  std::vector<uint8_t> frame;
  // 1 µs apart: far inside any idle timeout, so every flow is still tracked at the end.
  int64_t timestamp_ns = 1710234000LL * 1000000000LL;
  for (unsigned long i = 0; i < count; ++i) {
    // Clients 198.18.0.0/15 (the benchmark range, RFC 2544), 16 ports per address.
    const unsigned long address = i / 16;
    client.ip.bytes = {198, static_cast<uint8_t>(18 + ((address >> 16) & 1)),
                       static_cast<uint8_t>(address >> 8), static_cast<uint8_t>(address)};
    client.port = static_cast<uint16_t>(40000 + i % 16);
    syn.seq = static_cast<uint32_t>(i * 2654435761u);
    frame.clear();
    sluice::gen::AppendTcpFrame(client, server, syn, frame);
    writer.Write(timestamp_ns, frame);
    timestamp_ns += 1000;
  }

  if (!writer.Close(&error)) {
    std::fprintf(stderr, "%s: error: %s\n", argv[0], error.c_str());
    return 1;
  }
  return 0;
}
