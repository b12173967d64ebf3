// Catalogue of crafted, hostile and odd-but-legal TCP/HTTP traffic run through a whole Worker.
// Every case is run at several initial sequence numbers (near 0, 2^31 and 2^32, so sequence
// numbers wrap inside messages) and with data segments sent whole, in 1-byte segments and cut at
// random points with a fixed seed. Each run must give exactly the listed transactions (method,
// normalised path, body lengths, status, anomaly names) and the listed flow summary.
//
// A case the pipeline still gets wrong carries `skip`, naming the component and what it should
// do. It still runs: the test is skipped while the output differs, and fails once it matches, so
// the skip is removed when the component is fixed.
#include <gtest/gtest.h>
#include <rte_eal.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dataplane/app/eal_cleanup.h"
#include "tests/crafted/crafted_harness.h"

namespace sluice::crafted {
namespace {

constexpr bool kClient = true;
constexpr bool kServer = false;

const std::string kGetA = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
const std::string kGetB = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
const std::string kOk5 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
const std::string kOk0 = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

struct CatalogueCase {
  const char* name;
  void (*build)(Script&);
  std::vector<std::string> transactions;  // Describe() of each transaction record, in order
  std::string flow;                       // Describe() of the flow summary
  const char* skip = nullptr;             // "component: what it should do"
};

// Sends `data` as pieces cut at `cuts`, in the order `order` lists them.
void SendShuffled(Script& s, bool from_client, const std::string& data, std::vector<size_t> cuts,
                  std::vector<int> order) {
  const uint32_t base = s.next(from_client);
  cuts.insert(cuts.begin(), 0);
  cuts.push_back(data.size());
  for (int piece : order) {
    const size_t begin = cuts[piece];
    s.SendAt(from_client, base + static_cast<uint32_t>(begin), data.substr(begin, cuts[piece + 1] - begin));
  }
  s.Lose(from_client, static_cast<uint32_t>(data.size()));
}

void CloseBoth(Script& s) {
  s.Fin(kClient);
  s.Fin(kServer);
  s.Ack(kClient);
}

// One GET /a, a 200 response with a 5-byte body, then a clean close.
void SimpleExchange(Script& s) {
  s.Handshake();
  s.Send(kClient, kGetA);
  s.Send(kServer, kOk5);
  CloseBoth(s);
}

// Request "GET /first ..." whose bytes 4..8 ("/firs") arrive first out of order, then again with
// conflicting content ("/evil"), then the head of the request fills the hole.
void OverlapConflict(Script& s) {
  s.Handshake();
  const std::string request = "GET /first HTTP/1.1\r\nHost: h\r\n\r\n";
  const uint32_t base = s.next(kClient);
  s.SendAt(kClient, base + 4, request.substr(4));
  s.SendAt(kClient, base + 4, "/evil");
  s.SendAt(kClient, base, request.substr(0, 4));
  s.Lose(kClient, static_cast<uint32_t>(request.size()));
  s.Send(kServer, kOk5);
  CloseBoth(s);
}

const std::string kGapHead = "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n";

const CatalogueCase kCases[] = {
    // --- TCP reassembly ------------------------------------------------------------------------
    {"KeepAliveTwoTransactions",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.Send(kServer, kOk5);
       s.Send(kClient, "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd");
       s.Send(kServer, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 []", "POST /b req=4 -> 201 resp=0 []"},
     "Fin txns=2 []"},
    {"OutOfOrderSegments",
     [](Script& s) {
       s.Handshake();
       SendShuffled(s, kClient, kGetA, {5, 12}, {2, 0, 1});
       SendShuffled(s, kServer, kOk5, {20, 30}, {1, 2, 0});
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 []"},
     "Fin txns=1 []"},
    {"DuplicateSegments",
     [](Script& s) {
       s.Handshake();
       SendShuffled(s, kClient, kGetA, {10}, {0, 0, 1, 1});
       SendShuffled(s, kServer, kOk5, {10}, {1, 1, 0, 0, 1});
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 []"},
     "Fin txns=1 []"},
    {"RetransmissionAfterDelivery",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.SendAt(kClient, 1, kGetA);
       s.Send(kServer, kOk5);
       s.SendAt(kServer, 1, kOk5);
       s.Send(kClient, kGetB);
       s.Send(kServer, kOk0);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 []", "GET /b req=0 -> 200 resp=0 []"},
     "Fin txns=2 []"},
    {"OverlapConflictFirstBytesWin", OverlapConflict,
     {"GET /first req=0 -> 200 resp=5 [tcp.overlap_conflict]"},
     "Fin txns=1 []"},
    {"OverlapSameBytesExtends",
     [](Script& s) {
       s.Handshake();
       const uint32_t base = s.next(kClient);
       s.SendAt(kClient, base, kGetA.substr(0, 12));
       s.SendAt(kClient, base + 6, kGetA.substr(6));
       s.Lose(kClient, static_cast<uint32_t>(kGetA.size()));
       s.Send(kServer, kOk5);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 []"},
     "Fin txns=1 []"},
    {"WraparoundInsideLargeBodies",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n" + std::string(2000, 'u'));
       s.Send(kServer, "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" + std::string(3000, 'd'));
       CloseBoth(s);
     },
     {"POST /up req=2000 -> 200 resp=3000 []"},
     "Fin txns=1 []"},
    {"ZeroWindowProbe",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.Send(kServer, kOk5);
       s.SendAt(kClient, s.next(kClient), kGetB.substr(0, 1));  // one new byte into a zero window
       s.Send(kClient, kGetB);                                  // then the whole segment
       s.Send(kServer, kOk0);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 []", "GET /b req=0 -> 200 resp=0 []"},
     "Fin txns=2 []"},
    {"KeepAliveProbe",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.Send(kServer, kOk5);
       s.SendAt(kClient, s.next(kClient) - 1, std::string(1, '\0'));  // one old byte, garbage
       s.Send(kClient, kGetB);
       s.Send(kServer, kOk0);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 []", "GET /b req=0 -> 200 resp=0 []"},
     "Fin txns=2 []"},
    {"SynRetransmitted",
     [](Script& s) {
       s.Syn(kClient);
       s.Syn(kClient);
       s.Syn(kServer);
       s.Syn(kServer);
       s.Ack(kClient);
       s.Send(kClient, kGetA);
       s.Send(kServer, kOk5);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 []"},
     "Fin txns=1 []"},
    {"ResetMidResponse",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.Send(kServer, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(40, 'x'));
       s.Reset(kServer);
     },
     {"GET /a req=0 -> 200 resp=40 [http.incomplete_message]"},
     "Rst txns=1 []"},
    {"HalfCloseClientFirst",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.Fin(kClient);
       s.Send(kServer, kOk5);
       s.Fin(kServer);
       s.Ack(kClient);
     },
     {"GET /a req=0 -> 200 resp=5 []"},
     "Fin txns=1 []"},
    {"SimultaneousClose",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.Send(kServer, kOk5);
       s.Fin(kClient);
       s.Fin(kServer);
       s.Ack(kClient);
       s.Ack(kServer);
     },
     {"GET /a req=0 -> 200 resp=5 []"},
     "Fin txns=1 []"},
    {"DataOnSynFastOpen",
     [](Script& s) {
       s.Syn(kClient, kGetA);
       s.Syn(kServer);
       s.Ack(kClient);
       s.Send(kServer, kOk5);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 []"},
     "Fin txns=1 []"},
    {"MidstreamStartPicksUpNextMessage",
     [](Script& s) {
       s.Send(kClient, "tail of an earlier request body");
       s.Send(kServer, "tail of an earlier response body");
       s.Send(kClient, kGetB);
       s.Send(kServer, kOk5);
     },
     {"GET /b req=0 -> 200 resp=5 [tcp.midstream_start]"},
     "Open txns=1 []"},
    {"GapInsideResponseBody",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.Send(kServer, kGapHead + std::string(1000, 'x'));
       s.Lose(kServer, 1000);
       s.Send(kServer, std::string(1000, 'y'));
       s.Send(kClient, kGetB);
       s.Send(kServer, kOk5);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=3000 [http.body_gap]", "GET /b req=0 -> 200 resp=5 []"},
     "Fin txns=2 []"},
    {"GapInsideRequestHeaders",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "GET /a HTTP/1.1\r\nHost: h\r\nX-Pad: " + std::string(100, 'p'));
       s.Lose(kClient, 50);
       s.Send(kClient, "ppp\r\n\r\n" + kGetB);
       s.Send(kServer, kOk5);  // acknowledges the lost bytes: they are gone from the capture
       s.Send(kServer, kOk0);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 [http.incomplete_message,http.lost_sync]",
      "GET /b req=0 -> 200 resp=0 []"},
     "Fin txns=2 []"},
    {"GapInsideResponseHeaders",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA + kGetB);
       s.Send(kServer, "HTTP/1.1 200 OK\r\nX-Pad: " + std::string(60, 'p'));
       s.Lose(kServer, 40);
       // The body ends with a line break, so the next status line starts a line to resync on.
       s.Send(kServer, "pp\r\nContent-Length: 7\r\n\r\nhello\r\n" + kOk0);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=0 [http.incomplete_message,http.lost_sync]", "GET /b req=0 -> 200 resp=0 []"},
     "Fin txns=2 []"},

    // --- Request smuggling shapes ----------------------------------------------------------
    {"ContentLengthAndChunked",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient,
              "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"
              "0\r\n\r\n" + kGetB);
       s.Send(kServer, kOk5 + kOk0);
       CloseBoth(s);
     },
     {"POST /a req=0 -> 200 resp=5 [http.content_length_and_chunked]", "GET /b req=0 -> 200 resp=0 []"},
     "Fin txns=2 []"},
    {"DuplicateContentLength",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "POST /a HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd" + kGetB);
       s.Send(kServer, kOk5 + kOk0);
       CloseBoth(s);
     },
     {"POST /a req=4 -> 200 resp=5 [http.duplicate_content_length]", "GET /b req=0 -> 200 resp=0 []"},
     "Fin txns=2 []"},
    {"ConflictingContentLength",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "POST /a HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 30\r\n\r\nabcd" + kGetB);
       s.Send(kServer, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
       CloseBoth(s);
     },
     // The parser keeps the first value, so the bytes after it read as a second request. The
     // server closes after its 400, so that request gets no response.
     {"POST /a req=4 -> 400 resp=0 [http.conflicting_content_length]",
      "GET /b req=0 -> none [http.request_without_response]"},
     "Fin txns=2 []"},
    {"ChunkedCapitalised",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "POST /a HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + kGetB);
       s.Send(kServer, kOk5 + kOk0);
       CloseBoth(s);
     },
     // Decoded as chunked (coding names are case-insensitive, RFC 9112 section 7) but flagged,
     // because no common client spells it so.
     {"POST /a req=5 -> 200 resp=5 [http.unknown_transfer_encoding]", "GET /b req=0 -> 200 resp=0 []"},
     "Fin txns=2 []"},
    {"ChunkedAfterOtherCoding",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
       s.Send(kServer, kOk5);
       CloseBoth(s);
     },
     {"POST /a req=3 -> 200 resp=5 []"},
     "Fin txns=1 []"},
    {"ChunkedNotLastInResponse",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.Send(kServer, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0123456789");
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=10 [http.unknown_transfer_encoding]"},
     "Fin txns=1 []"},
    {"ChunkedMisspelled",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "POST /a HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: xchunked\r\n\r\nabc");
       s.Send(kServer, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
       CloseBoth(s);
     },
     {"POST /a req=0 -> 400 resp=0 [http.content_length_and_chunked,http.unknown_transfer_encoding]"},
     "Fin txns=1 []"},
    {"ObsFoldHeader",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "GET /a HTTP/1.1\r\nHost: h\r\nX-Long: one\r\n  two\r\n\r\n");
       s.Send(kServer, kOk5);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 [http.obs_fold]"},
     "Fin txns=1 []"},
    {"BareLineFeeds",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "GET /a HTTP/1.1\nHost: h\n\n");
       s.Send(kServer, "HTTP/1.1 200 OK\nContent-Length: 5\n\nhello");
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 [http.bare_lf]"},
     "Fin txns=1 []"},
    {"WhitespaceBeforeColon",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "POST /a HTTP/1.1\r\nContent-Length : 4\r\n\r\nabcd");
       s.Send(kServer, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
       CloseBoth(s);
     },
     // Recorded as a lenient server reads it (Content-Length applied), and flagged.
     {"POST /a req=4 -> 400 resp=0 [http.whitespace_before_colon]"},
     "Fin txns=1 []"},
    {"NulInHeaderValue",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, std::string("GET /a HTTP/1.1\r\nX-A: a\0b\r\n\r\n", 29));
       s.Send(kServer, kOk5);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 [http.control_character]"},
     "Fin txns=1 []"},
    {"ChunkExtensionsAndTrailers",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.Send(kServer,
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\n"
              "X-Trailer: 1\r\n\r\n");
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=8 [http.chunk_extension,http.chunk_trailer]"},
     "Fin txns=1 []"},
    {"InvalidChunkSize",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.Send(kServer, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=0 [http.incomplete_message,http.invalid_chunk_size,http.lost_sync]"},
     "Fin txns=1 []"},
    {"ChunkSizeOverflow",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.Send(kServer, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000001\r\nhello\r\n");
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=0 [http.incomplete_message,http.invalid_chunk_size,http.lost_sync]"},
     "Fin txns=1 []"},

    // --- Message framing -------------------------------------------------------------------
    {"ContinueThenFinal",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "POST /a HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
       s.Send(kServer, "HTTP/1.1 100 Continue\r\n\r\n");
       s.Send(kClient, "abcd");
       s.Send(kServer, kOk5);
       CloseBoth(s);
     },
     {"POST /a req=4 -> 200 resp=5 []"},
     "Fin txns=1 []"},
    {"HeadNoContentNotModified",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "HEAD /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n" +
                           std::string("GET /d HTTP/1.1\r\n\r\n"));
       s.Send(kServer, "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
                       "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n" + kOk5);
       CloseBoth(s);
     },
     {"HEAD /a req=0 -> 200 resp=0 []", "GET /b req=0 -> 204 resp=0 []", "GET /c req=0 -> 304 resp=0 []",
      "GET /d req=0 -> 200 resp=5 []"},
     "Fin txns=4 []"},
    {"Http10ClosesConnection",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "GET /a HTTP/1.0\r\n\r\n");
       s.Send(kServer, "HTTP/1.0 200 OK\r\n\r\nhello world");
       s.Fin(kServer);
       s.Fin(kClient);
       s.Ack(kServer);
     },
     {"GET /a req=0 -> 200 resp=11 []"},
     "Fin txns=1 []"},
    {"Http10KeepAlive",
     [](Script& s) {
       s.Handshake();
       const std::string request = "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
       const std::string response = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello";
       s.Send(kClient, request);
       s.Send(kServer, response);
       s.Send(kClient, request);
       s.Send(kServer, response);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 []", "GET /a req=0 -> 200 resp=5 []"},
     "Fin txns=2 []"},
    {"BodyEndedByClose",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.Send(kServer, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + std::string(100, 'b'));
       s.Fin(kServer);
       s.Fin(kClient);
       s.Ack(kServer);
     },
     {"GET /a req=0 -> 200 resp=100 []"},
     "Fin txns=1 []"},
    {"DataAfterConnectionClose",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, kGetA);
       s.Send(kServer, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhelloEXTRA");
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 []"},
     "Fin txns=1 [http.data_after_close,http.lost_sync]"},
    {"WebSocketUpgrade",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
       s.Send(kServer, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
       s.Send(kClient, std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
       s.Send(kServer, "\x81\x05" "GET / HTTP/1.1\r\n\r\n");
       CloseBoth(s);
     },
     {"GET /chat req=0 -> 101 resp=0 [http.upgrade]"},
     "Fin txns=1 []"},
    {"H2cUpgrade",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                       "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
       s.Send(kServer, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
       s.Send(kClient, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
       s.Send(kServer, std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9));
       CloseBoth(s);
     },
     {"GET / req=0 -> 101 resp=0 [http.upgrade]"},
     "Fin txns=1 []"},
    {"ConnectTunnel",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
       s.Send(kServer, "HTTP/1.1 200 Connection Established\r\n\r\n");
       s.Send(kClient, std::string("\x16\x03\x01\x00\x05GET /", 10));
       s.Send(kServer, "HTTP/1.1 200 OK\r\n\r\n");
       CloseBoth(s);
     },
     {"CONNECT example.com:443 req=0 -> 200 resp=0 [http.connect_tunnel]"},
     "Fin txns=1 []"},

    // --- Request targets -------------------------------------------------------------------
    {"AbsoluteFormTarget",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "GET http://example.com/a/../b?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n");
       s.Send(kServer, kOk5);
       CloseBoth(s);
     },
     {"GET /b req=0 -> 200 resp=5 [url.dot_segments]"},
     "Fin txns=1 []"},
    {"AsteriskFormTarget",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
       s.Send(kServer, kOk0);
       CloseBoth(s);
     },
     {"OPTIONS * req=0 -> 200 resp=0 []"},
     "Fin txns=1 []"},
    {"PathEvasionsNormalised",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "GET /a/%2e%2e/admin;jsessionid=1//x\\y?q=1 HTTP/1.1\r\nHost: h\r\n\r\n");
       s.Send(kServer, kOk0);
       CloseBoth(s);
     },
     {"GET /admin/x/y req=0 -> 200 resp=0 [url.backslash,url.dot_segments,url.double_slash,"
      "url.path_parameters,url.percent_encoded]"},
     "Fin txns=1 []"},

    // --- Limits ----------------------------------------------------------------------------
    {"RequestLineTooLong",
     [](Script& s) {
       s.Handshake();
       s.Send(kClient, "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n" + kGetB);
       s.Send(kServer, "HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\n\r\n" + kOk5);
       CloseBoth(s);
     },
     {"  req=0 -> 414 resp=0 [http.line_too_long,http.lost_sync]", "GET /b req=0 -> 200 resp=5 []"},
     "Fin txns=2 []"},
    {"TooManyHeaders",
     [](Script& s) {
       s.Handshake();
       std::string request = "GET /a HTTP/1.1\r\n";
       for (int i = 0; i < 200; ++i) request += "X-" + std::to_string(i) + ": v\r\n";
       s.Send(kClient, request + "\r\n" + kGetB);
       s.Send(kServer, kOk5 + kOk0);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 [http.too_many_headers]", "GET /b req=0 -> 200 resp=0 []"},
     "Fin txns=2 []"},
    {"HeadersTooLarge",
     [](Script& s) {
       s.Handshake();
       std::string request = "GET /a HTTP/1.1\r\n";
       for (int i = 0; i < 10; ++i) request += "X-" + std::to_string(i) + ": " + std::string(7000, 'v') + "\r\n";
       s.Send(kClient, request + "\r\n" + kGetB);
       s.Send(kServer, kOk5 + kOk0);
       CloseBoth(s);
     },
     {"GET /a req=0 -> 200 resp=5 [http.headers_too_large]", "GET /b req=0 -> 200 resp=0 []"},
     "Fin txns=2 []"},

    // --- Link and network layers -----------------------------------------------------------
    {"VlanTagged",
     [](Script& s) {
       s.encapsulation = Encapsulation::kVlan;
       SimpleExchange(s);
     },
     {"GET /a req=0 -> 200 resp=5 []"},
     "Fin txns=1 []"},
    {"QinQTagged",
     [](Script& s) {
       s.encapsulation = Encapsulation::kQinQ;
       SimpleExchange(s);
     },
     {"GET /a req=0 -> 200 resp=5 []"},
     "Fin txns=1 []"},
    {"Ipv6",
     [](Script& s) {
       s.encapsulation = Encapsulation::kIpv6;
       SimpleExchange(s);
     },
     {"GET /a req=0 -> 200 resp=5 []"},
     "Fin txns=1 []"},
    {"Ipv6ExtensionHeaders",
     [](Script& s) {
       s.encapsulation = Encapsulation::kIpv6ExtensionHeaders;
       SimpleExchange(s);
     },
     {"GET /a req=0 -> 200 resp=5 []"},
     "Fin txns=1 []"},
};

// Client initial sequence numbers; the server uses the bitwise complement, so both directions
// wrap at some point of the list.
constexpr uint32_t kInitialSequenceNumbers[] = {0u, 1u, 0x80000000u, 0xffffffffu, 0xfffffff6u};
constexpr Split kSplits[] = {Split::kWhole, Split::kOneByte, Split::kRandom};

struct RunResult {
  std::vector<std::string> transactions;
  std::vector<std::string> flows;
};

RunResult RunCase(const CatalogueCase& c, uint32_t isn, Split split, size_t case_index) {
  Script script;
  c.build(script);
  const auto frames = Materialize(script, isn, ~isn, split, static_cast<uint32_t>(1000 + case_index));
  const RunOutput out = RunFrames(frames);
  RunResult result;
  for (const auto& t : out.transactions) result.transactions.push_back(Describe(t));
  for (const auto& f : out.flows) result.flows.push_back(Describe(f));
  return result;
}

// One line per record, so a failure shows both lists readably.
std::string Lines(const std::vector<std::string>& records) {
  std::string text;
  for (const auto& record : records) text += record + "\n";
  return text;
}

class Catalogue : public ::testing::TestWithParam<std::tuple<size_t, uint32_t>> {};

TEST_P(Catalogue, ExactRecords) {
  const auto [index, isn] = GetParam();
  const CatalogueCase& c = kCases[index];
  const std::vector<std::string> expected_flows = {c.flow};
  bool all_match = true;
  std::string first_mismatch;
  for (Split split : kSplits) {
    const RunResult result = RunCase(c, isn, split, index);
    const bool match = result.transactions == c.transactions && result.flows == expected_flows;
    if (!match && all_match) {
      first_mismatch = std::string("split ") + SplitName(split) + " gives:\n" + Lines(result.transactions) +
                       Lines(result.flows);
    }
    all_match &= match;
    if (c.skip != nullptr) continue;
    EXPECT_EQ(Lines(result.transactions), Lines(c.transactions))
        << "isn " << isn << ", split " << SplitName(split) << ", records:\n" << Lines(result.transactions);
    EXPECT_EQ(Lines(result.flows), Lines(expected_flows))
        << "isn " << isn << ", split " << SplitName(split) << ", records:\n" << Lines(result.flows);
  }
  if (c.skip != nullptr) {
    if (all_match) FAIL() << "passes now: remove the skip (" << c.skip << ")";
    GTEST_SKIP() << c.skip << "\n" << first_mismatch;
  }
}

std::string CaseName(const ::testing::TestParamInfo<std::tuple<size_t, uint32_t>>& info) {
  return std::string(kCases[std::get<0>(info.param)].name) + "_isn" + std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Cases, Catalogue,
                         ::testing::Combine(::testing::Range<size_t>(0, std::size(kCases)),
                                            ::testing::ValuesIn(kInitialSequenceNumbers)),
                         CaseName);

// The reassembler itself keeps the first copy and counts the conflict, whatever the record shows.
TEST(CatalogueReassembly, OverlapConflictCounted) {
  for (uint32_t isn : kInitialSequenceNumbers) {
    Script script;
    OverlapConflict(script);
    const RunOutput out = RunFrames(Materialize(script, isn, ~isn, Split::kWhole, 1));
    EXPECT_GE(out.overlap_conflicts, 1u) << "isn " << isn;
    ASSERT_EQ(out.transactions.size(), 1u) << "isn " << isn;
    EXPECT_EQ(out.transactions[0].path, "/first") << "isn " << isn;
  }
}

// --- Overlap policy per destination network --------------------------------------------------
// The same conflicting conversations against networks of each policy. RunFrames's client is
// 198.18.0.1 (2001:db8::1), its server 198.19.0.1 (2001:db8::2). Under `last` the newer "/evil"
// replaces the held "/firs", so the request line reads "GET /evilt".

// Response whose status code "200" arrives out of order first, then again as "404", then the
// head of the status line fills the hole.
void ResponseOverlapConflict(Script& s) {
  s.Handshake();
  s.Send(kClient, kGetA);
  const uint32_t base = s.next(kServer);
  s.SendAt(kServer, base + 9, kOk5.substr(9));
  s.SendAt(kServer, base + 9, "404");
  s.SendAt(kServer, base, kOk5.substr(0, 9));
  s.Lose(kServer, static_cast<uint32_t>(kOk5.size()));
  CloseBoth(s);
}

reassembly::OverlapNetwork Network(std::initializer_list<uint8_t> bytes, uint8_t ip_version,
                                   uint8_t prefix_length, reassembly::OverlapPolicy policy) {
  reassembly::OverlapNetwork network{{}, ip_version, prefix_length, policy};
  std::copy(bytes.begin(), bytes.end(), network.address);
  return network;
}

constexpr auto kFirst = reassembly::OverlapPolicy::kFirst;
constexpr auto kLast = reassembly::OverlapPolicy::kLast;
const std::initializer_list<uint8_t> kDocumentationV6 = {0x20, 0x01, 0x0d, 0xb8};

struct OverlapPolicyCase {
  const char* name;
  void (*build)(Script&);
  bool ipv6;
  reassembly::OverlapPolicyTable policies;
  std::string transaction;  // Describe() of the one transaction record
};

std::vector<OverlapPolicyCase> OverlapPolicyCases() {
  const std::string first = "GET /first req=0 -> 200 resp=5 [tcp.overlap_conflict]";
  const std::string last = "GET /evilt req=0 -> 200 resp=5 [tcp.overlap_conflict]";
  return {
      {"DefaultFirst", OverlapConflict, false, {}, first},
      {"DefaultLast", OverlapConflict, false, {kLast, {}}, last},
      {"ServerNetworkLast", OverlapConflict, false,
       {kFirst, {Network({198, 19, 0, 0}, 4, 16, kLast)}}, last},
      {"ServerNetworkFirstOverDefaultLast", OverlapConflict, false,
       {kLast, {Network({198, 19, 0, 0}, 4, 16, kFirst)}}, first},
      {"LongerPrefixFirstWins", OverlapConflict, false,
       {kFirst, {Network({198, 19, 0, 0}, 4, 24, kFirst), Network({198, 0, 0, 0}, 4, 8, kLast)}},
       first},
      {"HostRouteLastWins", OverlapConflict, false,
       {kFirst, {Network({198, 19, 0, 0}, 4, 16, kFirst), Network({198, 19, 0, 1}, 4, 32, kLast)}},
       last},
      // Requests are reassembled as the server keeps them, whatever the client's network says.
      {"ClientNetworkLastIgnored", OverlapConflict, false,
       {kFirst, {Network({198, 18, 0, 0}, 4, 16, kLast)}}, first},
      {"Ipv6ServerNetworkLast", OverlapConflict, true,
       {kFirst, {Network(kDocumentationV6, 6, 32, kLast), Network({198, 19, 0, 0}, 4, 16, kFirst)}},
       last},
      {"Ipv6LongerPrefixFirstWins", OverlapConflict, true,
       {kFirst,
        {Network(kDocumentationV6, 6, 32, kLast),
         Network({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 6, 128, kFirst)}},
       first},
      // An IPv4 entry never matches an IPv6 server.
      {"Ipv6IgnoresIpv4Networks", OverlapConflict, true,
       {kFirst, {Network({198, 19, 0, 0}, 4, 16, kLast)}}, first},
      // Responses are reassembled as the client keeps them.
      {"ResponseClientNetworkFirst", ResponseOverlapConflict, false,
       {kFirst, {Network({198, 19, 0, 0}, 4, 16, kLast)}},
       "GET /a req=0 -> 200 resp=5 [tcp.overlap_conflict]"},
      {"ResponseClientNetworkLast", ResponseOverlapConflict, false,
       {kFirst, {Network({198, 18, 0, 0}, 4, 16, kLast)}},
       "GET /a req=0 -> 404 resp=5 [tcp.overlap_conflict]"},
  };
}

class CatalogueOverlapPolicy : public ::testing::TestWithParam<std::tuple<size_t, uint32_t>> {};

TEST_P(CatalogueOverlapPolicy, ExactRecords) {
  const auto [index, isn] = GetParam();
  const OverlapPolicyCase c = OverlapPolicyCases()[index];
  for (Split split : kSplits) {
    Script script;
    c.build(script);
    if (c.ipv6) script.encapsulation = Encapsulation::kIpv6;
    const auto frames = Materialize(script, isn, ~isn, split, static_cast<uint32_t>(2000 + index));
    const RunOutput out = RunFrames(frames, c.policies);
    std::vector<std::string> transactions;
    for (const auto& t : out.transactions) transactions.push_back(Describe(t));
    EXPECT_EQ(Lines(transactions), Lines({c.transaction}))
        << "isn " << isn << ", split " << SplitName(split);
    EXPECT_EQ(out.overlap_conflicts, 1u) << "isn " << isn << ", split " << SplitName(split);
    ASSERT_EQ(out.flows.size(), 1u) << "isn " << isn << ", split " << SplitName(split);
    EXPECT_EQ(Describe(out.flows[0]), "Fin txns=1 []")
        << "isn " << isn << ", split " << SplitName(split);
  }
}

std::string OverlapCaseName(const ::testing::TestParamInfo<std::tuple<size_t, uint32_t>>& info) {
  return std::string(OverlapPolicyCases()[std::get<0>(info.param)].name) + "_isn" +
         std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Cases, CatalogueOverlapPolicy,
                         ::testing::Combine(::testing::Range<size_t>(0, OverlapPolicyCases().size()),
                                            ::testing::ValuesIn(kInitialSequenceNumbers)),
                         OverlapCaseName);

// url.original stays as sent while url.path is normalised.
TEST(CatalogueRecords, OriginalTargetKeptRaw) {
  Script script;
  script.Handshake();
  script.Send(kClient, "GET /a/%2e%2e/b;x HTTP/1.1\r\n\r\n");
  script.Send(kServer, kOk0);
  CloseBoth(script);
  const RunOutput out = RunFrames(Materialize(script, 7, 9, Split::kWhole, 1));
  ASSERT_EQ(out.transactions.size(), 1u);
  EXPECT_EQ(out.transactions[0].original, "/a/%2e%2e/b;x");
  EXPECT_EQ(out.transactions[0].path, "/b");
}

// Every encapsulation decodes every frame as TCP; a broken frame builder would pass the
// transaction checks only by luck.
TEST(CatalogueFrames, EncapsulationsDecodeAsTcp) {
  for (Encapsulation encapsulation : {Encapsulation::kPlain, Encapsulation::kVlan, Encapsulation::kQinQ,
                                      Encapsulation::kIpv6, Encapsulation::kIpv6ExtensionHeaders}) {
    Script script;
    script.encapsulation = encapsulation;
    SimpleExchange(script);
    const auto frames = Materialize(script, 5, 6, Split::kWhole, 1);
    EXPECT_EQ(RunFrames(frames).tcp_decoded, frames.size()) << "encapsulation " << int(encapsulation);
  }
}

}  // namespace
}  // namespace sluice::crafted

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string prefix = "--file-prefix=sluice-crafted-" + std::to_string(getpid());
  std::vector<std::string> arguments = {"crafted_catalogue_test", "--no-huge", "--no-pci", "-m", "512",
                                        prefix, "--log-level=lib.eal:error", "-l", "0"};
  std::vector<char*> argv_eal;
  for (auto& argument : arguments) argv_eal.push_back(argument.data());
  if (rte_eal_init(static_cast<int>(argv_eal.size()), argv_eal.data()) < 0) {
    std::fprintf(stderr, "cannot start DPDK for the catalogue\n");
    return 1;
  }
  const int rc = RUN_ALL_TESTS();
  sluice::app::StopEalAndRemoveRuntimeDir();
  return rc;
}
