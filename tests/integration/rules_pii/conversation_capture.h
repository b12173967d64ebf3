// Writes HTTP/1.1 conversations into a pcap file, one TCP connection per conversation, with the
// payload cut into segments as the test chooses. Built on the sluice-gen-api frame and TCP
// helpers, so sequence numbers, checksums and the handshake are those of a real connection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::testing {

// One connection: the client's bytes, then the server's bytes. Each string is one TCP segment in
// the kAsWritten layout, so a test places segment boundaries inside a value on purpose.
struct Conversation {
  uint16_t client_port = 0;
  std::vector<std::string> request_segments;
  std::vector<std::string> response_segments;
  // Starts 10 us after the previous conversation instead of after its end, so both connections
  // are open at once and their frames alternate.
  bool overlaps_previous = false;
};

// How the payload of each side is cut into TCP segments.
enum class Segmentation {
  kAsWritten,     // the segments of Conversation as they are
  kByteByByte,    // one payload byte per segment
  kRandomSplits,  // the concatenated payload cut at random points (1 to 40 bytes per segment)
};

// Writes every conversation, one after the other in time unless it overlaps the previous one,
// from client 10.1.0.1:client_port to server 10.2.0.1:80: handshake, request, ACK, response, ACK
// and FIN on both sides. `seed` drives kRandomSplits. Returns false with `*error` when the file cannot be written.
bool WriteConversationCapture(const std::string& path,
                              const std::vector<Conversation>& conversations,
                              Segmentation segmentation, uint32_t seed, std::string* error);

}  // namespace sluice::testing
