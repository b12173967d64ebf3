// HttpParser tests. Every table case is fed whole, byte by byte and at random split points, and
// the event log must be the same each time and match the expected log.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "dataplane/http/http_parser.h"
#include "dataplane/http/http_syntax.h"

namespace sluice::http {
namespace {

const char* FramingName(BodyFraming framing) {
  switch (framing) {
    case BodyFraming::kNone: return "none";
    case BodyFraming::kContentLength: return "length";
    case BodyFraming::kChunked: return "chunked";
    case BodyFraming::kUntilClose: return "until_close";
    case BodyFraming::kTunnel: return "tunnel";
  }
  return "?";
}

std::string Escape(const char* data, size_t length) {
  std::string out;
  for (size_t i = 0; i < length; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

std::string ToString(Span span) { return Escape(span.data, span.length); }

// Turns parser events into one line each. Consecutive OnBody calls are merged so that the log
// does not depend on how the input was split.
class RecordingSink : public MessageSink {
 public:
  // One letter per response, in order: 'n' normal, 'h' response to HEAD, 'c' response to CONNECT.
  explicit RecordingSink(std::string contexts = "") : contexts_(std::move(contexts)) {}

  std::string TakeLog() {
    FlushBody();
    return log_;
  }

  void OnRequestLine(Span method, Span target, uint8_t version_minor) override {
    Add("request " + ToString(method) + " " + ToString(target) + " 1." +
        std::to_string(version_minor));
  }
  void OnStatusLine(uint16_t status_code, uint8_t version_minor, Span reason) override {
    Add("status " + std::to_string(status_code) + " 1." + std::to_string(version_minor) + " " +
        ToString(reason));
  }
  void OnHeader(Span name, Span value) override {
    Add("header " + ToString(name) + ": " + ToString(value));
  }
  ResponseContext OnHeadersComplete(const MessageInfo& info) override {
    std::string line = std::string("headers framing=") + FramingName(info.framing);
    if (info.framing == BodyFraming::kContentLength) line += ":" + std::to_string(info.content_length);
    line += " keep_alive=" + std::to_string(info.keep_alive);
    Add(line);
    if (info.is_request || next_context_ >= contexts_.size()) return ResponseContext::kNormal;
    const char context = contexts_[next_context_++];
    if (context == 'h') return ResponseContext::kAnswersHead;
    if (context == 'c') return ResponseContext::kAnswersConnect;
    return ResponseContext::kNormal;
  }
  void OnBody(const uint8_t* data, uint32_t length) override {
    EXPECT_GT(length, 0u) << "empty OnBody call";
    body_.append(reinterpret_cast<const char*>(data), length);
  }
  void OnMessageComplete(const MessageInfo& info) override {
    Add("end complete=" + std::to_string(info.complete) + " framing=" + FramingName(info.framing) +
        " body=" + std::to_string(info.body_bytes) + " wire=" + std::to_string(info.wire_bytes) +
        " keep_alive=" + std::to_string(info.keep_alive));
  }
  void OnAnomaly(Anomaly anomaly) override { Add(std::string("anomaly ") + AnomalyName(anomaly)); }

 private:
  void FlushBody() {
    if (body_.empty()) return;
    log_ += "body " + Escape(body_.data(), body_.size()) + "\n";
    body_.clear();
  }
  void Add(const std::string& line) {
    FlushBody();
    log_ += line + "\n";
  }

  std::string contexts_;
  size_t next_context_ = 0;
  std::string body_;
  std::string log_;
};

// A piece of a direction's stream: bytes, or a gap of `gap` missing bytes.
struct Segment {
  std::string data;
  uint32_t gap = 0;
};

Segment Bytes(std::string data) { return Segment{std::move(data), 0}; }
Segment Gap(uint32_t length) { return Segment{"", length}; }

struct Case {
  const char* name;
  bool is_request;
  std::vector<Segment> input;
  const char* expected;
  const char* contexts = "";
  uint32_t line_bytes = 256;
  uint32_t pool_buffers = 4;
  ParserLimits limits = {};
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// Split offsets inside the concatenated data bytes; empty means "whole".
using Splits = std::vector<size_t>;

std::string FeedCase(const Case& c, const Splits& splits, bool byte_by_byte) {
  LinePool pool(c.pool_buffers, c.line_bytes);
  RecordingSink sink(c.contexts);
  HttpParser parser;
  parser.Reset(c.is_request);
  size_t offset = 0;  // position in the concatenated data bytes
  for (const Segment& segment : c.input) {
    if (segment.gap != 0) {
      parser.OnGap(segment.gap, pool, sink);
      continue;
    }
    size_t begin = 0;
    while (begin < segment.data.size()) {
      size_t end = segment.data.size();
      if (byte_by_byte) {
        end = begin + 1;
      } else {
        for (size_t split : splits) {
          if (split > offset + begin && split < offset + end) end = split - offset;
        }
      }
      parser.Feed(reinterpret_cast<const uint8_t*>(segment.data.data() + begin),
                  static_cast<uint32_t>(end - begin), pool, c.limits, sink);
      begin = end;
    }
    offset += segment.data.size();
  }
  parser.Finish(pool, sink);
  EXPECT_EQ(pool.free_buffers(), c.pool_buffers) << "line buffer not returned";
  return sink.TakeLog();
}

size_t DataLength(const Case& c) {
  size_t total = 0;
  for (const Segment& segment : c.input) total += segment.data.size();
  return total;
}

Splits RandomSplits(size_t length, uint32_t seed) {
  Splits splits;
  if (length < 2) return splits;
  std::mt19937 random(seed);
  std::uniform_int_distribution<size_t> pick(1, length - 1);
  for (int i = 0; i < 20; ++i) splits.push_back(pick(random));
  return splits;
}

constexpr int kRandomRounds = 8;

// --- Cases --------------------------------------------------------------------------------------

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"SimpleGet", true,
       {Bytes("GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent:  t  \r\n\r\n")},
       "request GET /index.html?q=1 1.1\n"
       "header Host: example.com\n"
       "header User-Agent: t\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=69 keep_alive=1\n"},

      {"PipelinedPostAndGet", true,
       {Bytes("POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n\r\n")},
       "request POST /a 1.1\n"
       "header Content-Length: 5\n"
       "headers framing=length:5 keep_alive=1\n"
       "body hello\n"
       "end complete=1 framing=length body=5 wire=44 keep_alive=1\n"
       "request GET /b 1.1\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=19 keep_alive=1\n"},

      {"ResponseWithLength", false,
       {Bytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc")},
       "status 200 1.1 OK\n"
       "header Content-Type: text/plain\n"
       "header Content-Length: 3\n"
       "headers framing=length:3 keep_alive=1\n"
       "body abc\n"
       "end complete=1 framing=length body=3 wire=67 keep_alive=1\n"},

      {"ChunkedWithExtensionAndTrailer", false,
       {Bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
              "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 1\r\n\r\n")},
       "status 200 1.1 OK\n"
       "header Transfer-Encoding: chunked\n"
       "headers framing=chunked keep_alive=1\n"
       "anomaly http.chunk_extension\n"
       "body hello world\n"
       "anomaly http.chunk_trailer\n"
       "end complete=1 framing=chunked body=11 wire=99 keep_alive=1\n"},

      {"ContinueThenOk", false,
       {Bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")},
       "status 100 1.1 Continue\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=25 keep_alive=1\n"
       "status 200 1.1 OK\n"
       "header Content-Length: 2\n"
       "headers framing=length:2 keep_alive=1\n"
       "body ok\n"
       "end complete=1 framing=length body=2 wire=40 keep_alive=1\n"},

      {"HeadResponseHasNoBody", false,
       {Bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
              "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nx")},
       "status 200 1.1 OK\n"
       "header Content-Length: 10\n"
       "headers framing=length:10 keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=39 keep_alive=1\n"
       "status 404 1.1 Not Found\n"
       "header Content-Length: 1\n"
       "headers framing=length:1 keep_alive=1\n"
       "body x\n"
       "end complete=1 framing=length body=1 wire=46 keep_alive=1\n",
       "hn"},

      {"NoContentAndNotModified", false,
       {Bytes("HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n"
              "HTTP/1.1 304 Not Modified\r\n\r\n")},
       "status 204 1.1 No Content\n"
       "header Content-Length: 3\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=46 keep_alive=1\n"
       "status 304 1.1 Not Modified\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=29 keep_alive=1\n"},

      {"Http10CloseThenKeepAlive", true,
       {Bytes("GET / HTTP/1.0\r\n\r\nGET /2 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")},
       "request GET / 1.0\n"
       "headers framing=none keep_alive=0\n"
       "end complete=1 framing=none body=0 wire=18 keep_alive=0\n"
       "anomaly http.data_after_close\n"
       "request GET /2 1.0\n"
       "header Connection: Keep-Alive\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=43 keep_alive=1\n"},

      {"Http11ConnectionClose", true,
       {Bytes("GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n")},
       "request GET / 1.1\n"
       "header Connection: keep-alive, close\n"
       "headers framing=none keep_alive=0\n"
       "end complete=1 framing=none body=0 wire=49 keep_alive=0\n"},

      {"BodyUntilClose", false,
       {Bytes("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of this\r\nis body")},
       "status 200 1.0 OK\n"
       "header Server: x\n"
       "headers framing=until_close keep_alive=0\n"
       "body all of this\\x0d\\x0ais body\n"
       "end complete=1 framing=until_close body=20 wire=50 keep_alive=0\n"},

      {"ConnectRequest", true,
       {Bytes("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")},
       "request CONNECT example.com:443 1.1\n"
       "header Host: example.com:443\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=59 keep_alive=1\n"},

      {"ConnectTunnel", false,
       {Bytes("HTTP/1.1 200 Connection established\r\nContent-Length: 2\r\n\r\n"
              "\x16\x03\x01\x00\x05hello"),
        Gap(100), Bytes("more tunnel bytes")},
       "status 200 1.1 Connection established\n"
       "header Content-Length: 2\n"
       "headers framing=length:2 keep_alive=1\n"
       "anomaly http.connect_tunnel\n"
       "end complete=1 framing=tunnel body=0 wire=58 keep_alive=1\n",
       "c"},

      {"SwitchingProtocols", false,
       {Bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
              "\x81\x05hello")},
       "status 101 1.1 Switching Protocols\n"
       "header Upgrade: websocket\n"
       "header Connection: Upgrade\n"
       "headers framing=tunnel keep_alive=1\n"
       "anomaly http.upgrade\n"
       "end complete=1 framing=tunnel body=0 wire=77 keep_alive=1\n"},

      {"BareLineFeeds", true,
       {Bytes("GET / HTTP/1.1\nHost: a\n\nGET /2 HTTP/1.1\r\n\r\n")},
       "request GET / 1.1\n"
       "anomaly http.bare_lf\n"
       "header Host: a\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=24 keep_alive=1\n"
       "request GET /2 1.1\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=19 keep_alive=1\n"},

      {"ObsFoldJoined", true,
       {Bytes("GET / HTTP/1.1\r\nX-Long: a\r\n b\r\n\t c \r\nHost: h\r\n\r\n")},
       "request GET / 1.1\n"
       "anomaly http.obs_fold\n"
       "header X-Long: a b c\n"
       "header Host: h\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=48 keep_alive=1\n"},

      {"WhitespaceLedLineAfterStartLine", true,
       {Bytes("GET / HTTP/1.1\r\n Host: evil\r\nHost: h\r\n\r\n")},
       "request GET / 1.1\n"
       "anomaly http.obs_fold\n"
       "header Host: h\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=40 keep_alive=1\n"},

      {"WhitespaceBeforeColon", true,
       {Bytes("POST / HTTP/1.1\r\nContent-Length : 2\r\n\r\nhi")},
       "request POST / 1.1\n"
       "anomaly http.whitespace_before_colon\n"
       "header Content-Length: 2\n"
       "headers framing=length:2 keep_alive=1\n"
       "body hi\n"
       "end complete=1 framing=length body=2 wire=41 keep_alive=1\n"},

      {"InvalidHeaderLines", true,
       {Bytes("GET / HTTP/1.1\r\nno colon here\r\n: empty\r\nBad Name: x\r\nOk: \x01y\r\n\r\n")},
       "request GET / 1.1\n"
       "anomaly http.invalid_header_line\n"
       "anomaly http.control_character\n"
       "header Ok: \\x01y\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=63 keep_alive=1\n"},

      {"LengthAndChunked", true,
       {Bytes("POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
              "3\r\nabc\r\n0\r\n\r\n")},
       "request POST / 1.1\n"
       "header Content-Length: 4\n"
       "header Transfer-Encoding: chunked\n"
       "anomaly http.content_length_and_chunked\n"
       "headers framing=chunked keep_alive=1\n"
       "body abc\n"
       "end complete=1 framing=chunked body=3 wire=79 keep_alive=1\n"},

      {"DuplicateContentLength", true,
       {Bytes("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc")},
       "request POST / 1.1\n"
       "header Content-Length: 3\n"
       "anomaly http.duplicate_content_length\n"
       "header Content-Length: 3, 3\n"
       "headers framing=length:3 keep_alive=1\n"
       "body abc\n"
       "end complete=1 framing=length body=3 wire=63 keep_alive=1\n"},

      {"ConflictingContentLength", true,
       {Bytes("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\n"
              "abcGET / HTTP/1.1\r\n\r\n")},
       "request POST / 1.1\n"
       "header Content-Length: 3\n"
       "anomaly http.conflicting_content_length\n"
       "header Content-Length: 5\n"
       "headers framing=length:3 keep_alive=1\n"
       "body abc\n"
       "end complete=1 framing=length body=3 wire=60 keep_alive=1\n"
       "request GET / 1.1\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=18 keep_alive=1\n"},

      {"InvalidContentLength", true,
       {Bytes("POST / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\nGET /n HTTP/1.1\r\n\r\n")},
       "request POST / 1.1\n"
       "anomaly http.invalid_content_length\n"
       "header Content-Length: 12abc\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=42 keep_alive=1\n"
       "request GET /n 1.1\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=19 keep_alive=1\n"},

      {"InvalidChunkSizeResyncs", false,
       {Bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nlost body\r\n"
              "HTTP/1.1 204 No Content\r\n\r\n")},
       "status 200 1.1 OK\n"
       "header Transfer-Encoding: chunked\n"
       "headers framing=chunked keep_alive=1\n"
       "anomaly http.invalid_chunk_size\n"
       "anomaly http.lost_sync\n"
       "end complete=0 framing=chunked body=0 wire=51 keep_alive=1\n"
       "status 204 1.1 No Content\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=27 keep_alive=1\n"},

      {"ChunkSizeOverflow", false,
       {Bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n")},
       "status 200 1.1 OK\n"
       "header Transfer-Encoding: chunked\n"
       "headers framing=chunked keep_alive=1\n"
       "anomaly http.invalid_chunk_size\n"
       "anomaly http.lost_sync\n"
       "end complete=0 framing=chunked body=0 wire=66 keep_alive=1\n"},

      {"ChunkSizeWhitespaceAndLeadingZeros", false,
       {Bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
              "00000000000000000003 \r\nabc\r\n0\r\n\r\n")},
       "status 200 1.1 OK\n"
       "header Transfer-Encoding: chunked\n"
       "headers framing=chunked keep_alive=1\n"
       "anomaly http.chunk_size_whitespace\n"
       "body abc\n"
       "end complete=1 framing=chunked body=3 wire=80 keep_alive=1\n"},

      {"ChunkDataTooLong", false,
       {Bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n")},
       "status 200 1.1 OK\n"
       "header Transfer-Encoding: chunked\n"
       "headers framing=chunked keep_alive=1\n"
       "body ab\n"
       "anomaly http.invalid_chunk_size\n"
       "anomaly http.lost_sync\n"
       "end complete=0 framing=chunked body=2 wire=55 keep_alive=1\n"},

      {"GapInLengthBody", true,
       {Bytes("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"), Gap(4),
        Bytes("xyzGET / HTTP/1.1\r\n\r\n")},
       "request POST / 1.1\n"
       "header Content-Length: 10\n"
       "headers framing=length:10 keep_alive=1\n"
       "body abc\n"
       "anomaly http.body_gap\n"
       "body xyz\n"
       "end complete=1 framing=length body=10 wire=49 keep_alive=1\n"
       "request GET / 1.1\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=18 keep_alive=1\n"},

      {"GapPastBodyEnd", true,
       {Bytes("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\na"), Gap(30),
        Bytes("er: 1\r\n\r\nGET /next HTTP/1.1\r\n\r\n")},
       "request POST / 1.1\n"
       "header Content-Length: 2\n"
       "headers framing=length:2 keep_alive=1\n"
       "body a\n"
       "anomaly http.body_gap\n"
       "end complete=1 framing=length body=2 wire=40 keep_alive=1\n"
       "anomaly http.lost_sync\n"
       "request GET /next 1.1\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=22 keep_alive=1\n"},

      {"GapInChunkData", false,
       {Bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nab"), Gap(3),
        Bytes("fgh\r\n0\r\n\r\n")},
       "status 200 1.1 OK\n"
       "header Transfer-Encoding: chunked\n"
       "headers framing=chunked keep_alive=1\n"
       "body ab\n"
       "anomaly http.body_gap\n"
       "body fgh\n"
       "end complete=1 framing=chunked body=8 wire=65 keep_alive=1\n"},

      {"GapInHeadersResyncs", true,
       {Bytes("GET /first HTTP/1.1\r\nHo"), Gap(10),
        Bytes("st: x\r\nAccept: */*\r\n\r\nGET /next HTTP/1.1\r\nHost: y\r\n\r\n")},
       "request GET /first 1.1\n"
       "anomaly http.lost_sync\n"
       "end complete=0 framing=none body=0 wire=23 keep_alive=1\n"
       "request GET /next 1.1\n"
       "header Host: y\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=31 keep_alive=1\n"},

      {"GapInUntilCloseBody", false,
       {Bytes("HTTP/1.1 200 OK\r\n\r\nab"), Gap(5), Bytes("cd")},
       "status 200 1.1 OK\n"
       "headers framing=until_close keep_alive=0\n"
       "body ab\n"
       "anomaly http.body_gap\n"
       "body cd\n"
       "end complete=1 framing=until_close body=9 wire=28 keep_alive=0\n"},

      {"GapBetweenResponses", false,
       {Bytes("HTTP/1.1 204 No Content\r\n\r\n"), Gap(50),
        Bytes("tail of something\r\nHTTP/1.1 304 Not Modified\r\n\r\n")},
       "status 204 1.1 No Content\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=27 keep_alive=1\n"
       "anomaly http.lost_sync\n"
       "status 304 1.1 Not Modified\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=29 keep_alive=1\n"},

      {"LineLongerThanBuffer", true,
       {Bytes("GET / HTTP/1.1\r\nX-Big: 0123456789012345678901234567890123456789\r\n"
              "Host: a\r\n\r\n")},
       "request GET / 1.1\n"
       "anomaly http.line_too_long\n"
       "header Host: a\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=76 keep_alive=1\n",
       "", 32},

      {"StartLineLongerThanBuffer", true,
       {Bytes("GET /0123456789012345678901234567890123456789 HTTP/1.1\r\nHost: a\r\n\r\n"
              "GET / HTTP/1.1\r\n\r\n")},
       "anomaly http.line_too_long\n"
       "anomaly http.lost_sync\n"
       "request GET / 1.1\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=18 keep_alive=1\n",
       "", 32},

      {"FoldedFieldLongerThanBuffer", true,
       {Bytes("GET / HTTP/1.1\r\nX-Fold: abc\r\n 0123456789012345678901234567890\r\n"
              " tail\r\nHost: a\r\n\r\n")},
       "request GET / 1.1\n"
       "anomaly http.line_too_long\n"
       "header X-Fold: abc\n"
       "anomaly http.obs_fold\n"
       "header Host: a\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=81 keep_alive=1\n",
       "", 32},

      {"TooManyHeaders", true,
       {Bytes("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nContent-Length: 1\r\nD: 4\r\n\r\nx")},
       "request GET / 1.1\n"
       "header A: 1\n"
       "header B: 2\n"
       "anomaly http.too_many_headers\n"
       "headers framing=length:1 keep_alive=1\n"
       "body x\n"
       "end complete=1 framing=length body=1 wire=56 keep_alive=1\n",
       "", 256, 4, ParserLimits{2, 64 * 1024}},

      {"HeadersTooLarge", true,
       {Bytes("GET / HTTP/1.1\r\nA: 1\r\nB: 2222222222\r\nC: 3\r\n\r\n")},
       "request GET / 1.1\n"
       "header A: 1\n"
       "anomaly http.headers_too_large\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=45 keep_alive=1\n",
       "", 256, 4, ParserLimits{128, 30}},

      {"TlsAtStart", true,
       {Bytes(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\x0aGET", 15) +
              std::string(300, '\x07'))},
       "anomaly http.lost_sync\n"},

      {"GarbageThenRequest", true,
       {Bytes("SSH-2.0-OpenSSH_9.0\r\nGET x\r\nGET /real HTTP/1.1\r\n\r\n")},
       "anomaly http.invalid_request_line\n"
       "anomaly http.lost_sync\n"
       "request GET /real 1.1\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=22 keep_alive=1\n"},

      {"MidstreamResponseStart", false,
       {Bytes("lo world</html>\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")},
       "anomaly http.lost_sync\n"
       "status 200 1.1 OK\n"
       "header Content-Length: 0\n"
       "headers framing=length:0 keep_alive=1\n"
       "end complete=1 framing=length body=0 wire=38 keep_alive=1\n"},

      {"LeadingEmptyLines", true,
       {Bytes("\r\n\r\n\nGET / HTTP/1.1\r\n\r\n")},
       "request GET / 1.1\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=18 keep_alive=1\n"},

      {"Http09RequestLine", true,
       {Bytes("GET /\r\n")},
       "anomaly http.invalid_request_line\n"
       "anomaly http.lost_sync\n"},

      {"OtherMinorVersion", true,
       {Bytes("GET / HTTP/1.2\r\n\r\nGET / HTTP/2.0\r\n\r\n")},
       "request GET / 1.2\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=18 keep_alive=1\n"
       "anomaly http.invalid_request_line\n"
       "anomaly http.lost_sync\n"},

      {"StatusWithoutReason", false,
       {Bytes("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\nHTTP/1.1 20x OK\r\n\r\n")},
       "status 200 1.1 \n"
       "header Content-Length: 0\n"
       "headers framing=length:0 keep_alive=1\n"
       "end complete=1 framing=length body=0 wire=35 keep_alive=1\n"
       "anomaly http.invalid_status_line\n"
       "anomaly http.lost_sync\n"},

      {"UnknownTransferEncoding", false,
       {Bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nzzz")},
       "status 200 1.1 OK\n"
       "anomaly http.unknown_transfer_encoding\n"
       "header Transfer-Encoding: chunked, gzip\n"
       "headers framing=until_close keep_alive=0\n"
       "body zzz\n"
       "end complete=1 framing=until_close body=3 wire=56 keep_alive=0\n"},

      {"EndInsideBody", true,
       {Bytes("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc")},
       "request POST / 1.1\n"
       "header Content-Length: 9\n"
       "headers framing=length:9 keep_alive=1\n"
       "body abc\n"
       "anomaly http.incomplete_message\n"
       "end complete=0 framing=length body=3 wire=41 keep_alive=1\n"},

      {"EndInsideHeaders", true,
       {Bytes("GET / HTTP/1.1\r\nHost: a\r\nAcc")},
       "request GET / 1.1\n"
       "header Host: a\n"
       "anomaly http.incomplete_message\n"
       "end complete=0 framing=none body=0 wire=28 keep_alive=1\n"},

      {"EndAfterFieldLine", true,
       {Bytes("GET / HTTP/1.1\r\nHost: a\r\n")},
       "request GET / 1.1\n"
       "header Host: a\n"
       "anomaly http.incomplete_message\n"
       "end complete=0 framing=none body=0 wire=25 keep_alive=1\n"},

      {"EndInsideStartLine", true,
       {Bytes("GET / HTTP/1.1\r\n\r\nGET /x HT")},
       "request GET / 1.1\n"
       "headers framing=none keep_alive=1\n"
       "end complete=1 framing=none body=0 wire=18 keep_alive=1\n"
       "anomaly http.incomplete_message\n"},

      {"ControlCharacterInReason", false,
       {Bytes("HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n")},
       "status 200 1.1 O\\x01K\n"
       "anomaly http.control_character\n"
       "header Content-Length: 0\n"
       "headers framing=length:0 keep_alive=1\n"
       "end complete=1 framing=length body=0 wire=39 keep_alive=1\n"},

      {"DataAfterCloseResponse", false,
       {Bytes("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx"
              "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")},
       "status 200 1.1 OK\n"
       "header Connection: close\n"
       "header Content-Length: 1\n"
       "headers framing=length:1 keep_alive=0\n"
       "body x\n"
       "end complete=1 framing=length body=1 wire=58 keep_alive=0\n"
       "anomaly http.data_after_close\n"
       "status 200 1.1 OK\n"
       "header Content-Length: 0\n"
       "headers framing=length:0 keep_alive=1\n"
       "end complete=1 framing=length body=0 wire=38 keep_alive=1\n"},
  };
  return cases;
}

class HttpParserCaseTest : public testing::TestWithParam<Case> {};

TEST_P(HttpParserCaseTest, FedWhole) {
  const Case& c = GetParam();
  EXPECT_EQ(FeedCase(c, {}, false), c.expected);
}

TEST_P(HttpParserCaseTest, FedByteByByte) {
  const Case& c = GetParam();
  EXPECT_EQ(FeedCase(c, {}, true), c.expected);
}

TEST_P(HttpParserCaseTest, FedAtRandomSplits) {
  const Case& c = GetParam();
  for (int round = 0; round < kRandomRounds; ++round) {
    const Splits splits = RandomSplits(DataLength(c), 7919 + round);
    EXPECT_EQ(FeedCase(c, splits, false), c.expected) << "random split round " << round;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, HttpParserCaseTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<Case>& info) { return info.param.name; });


// --- Line pool exhaustion -----------------------------------------------------------------------
// These depend on where the stream is split (a line inside one piece needs no buffer), so each
// test fixes its pieces.

struct Feeder {
  explicit Feeder(bool is_request, uint32_t buffers = 1, uint32_t line_bytes = 64)
      : pool(buffers, line_bytes) {
    parser.Reset(is_request);
  }
  void Feed(const std::string& piece) {
    parser.Feed(reinterpret_cast<const uint8_t*>(piece.data()), static_cast<uint32_t>(piece.size()),
                pool, limits, sink);
  }
  LinePool pool;
  ParserLimits limits;
  RecordingSink sink;
  HttpParser parser;
};

TEST(HttpParserPoolTest, ExhaustedPoolSkipsSplitFieldLine) {
  Feeder f(true);
  const uint32_t taken = f.pool.Take();  // another flow has taken the only buffer
  f.Feed("GET / HTTP/1.1\r\nHo");
  f.Feed("st: a\r\nAccept: */*\r\n\r");
  f.Feed("\nGET /2 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(f.sink.TakeLog(),
            "request GET / 1.1\n"
            "anomaly http.line_pool_exhausted\n"
            "header Accept: */*\n"
            "headers framing=none keep_alive=1\n"
            "end complete=1 framing=none body=0 wire=40 keep_alive=1\n"
            "request GET /2 1.1\n"
            "headers framing=none keep_alive=1\n"
            "end complete=1 framing=none body=0 wire=19 keep_alive=1\n");
  f.pool.Give(taken);
  EXPECT_EQ(f.pool.free_buffers(), 1u);
}

TEST(HttpParserPoolTest, ExhaustedPoolLosesSplitStartLine) {
  Feeder f(true);
  const uint32_t taken = f.pool.Take();
  f.Feed("GET / HT");
  f.Feed("TP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(f.sink.TakeLog(),
            "anomaly http.line_pool_exhausted\n"
            "anomaly http.lost_sync\n"
            "request GET /2 1.1\n"
            "headers framing=none keep_alive=1\n"
            "end complete=1 framing=none body=0 wire=19 keep_alive=1\n");
  f.pool.Give(taken);
}

TEST(HttpParserPoolTest, ExhaustedPoolLosesSplitChunkSize) {
  Feeder f(false);
  const uint32_t taken = f.pool.Take();
  f.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1");
  f.Feed("0\r\n0123456789abcdef\r\n0\r\n\r\n");
  f.parser.Finish(f.pool, f.sink);
  EXPECT_EQ(f.sink.TakeLog(),
            "status 200 1.1 OK\n"
            "header Transfer-Encoding: chunked\n"
            "headers framing=chunked keep_alive=1\n"
            "anomaly http.line_pool_exhausted\n"
            "anomaly http.lost_sync\n"
            "end complete=0 framing=chunked body=0 wire=51 keep_alive=1\n");
  f.pool.Give(taken);
}

TEST(HttpParserPoolTest, BufferReturnedWhenSplitLineEnds) {
  Feeder f(true);
  f.Feed("GET / HTTP/1.1\r\nHost: exa");
  EXPECT_EQ(f.pool.free_buffers(), 0u);
  f.Feed("mple.com\r\nAccept: x\r\n");  // field kept: the next line may be an obs-fold
  EXPECT_EQ(f.pool.free_buffers(), 0u);
  f.Feed("\r\n");
  EXPECT_EQ(f.pool.free_buffers(), 1u);
  EXPECT_FALSE(f.parser.message_in_progress());
}

TEST(HttpParserPoolTest, ReleaseReturnsBuffer) {
  Feeder f(true);
  f.Feed("GET /partial");
  EXPECT_EQ(f.pool.free_buffers(), 0u);
  f.parser.Release(f.pool);
  EXPECT_EQ(f.pool.free_buffers(), 1u);
  EXPECT_EQ(f.sink.TakeLog(), "");
  f.Feed("GET / HTTP/1.1\r\n\r\n");  // ignored after Release
  EXPECT_EQ(f.sink.TakeLog(), "");
}

TEST(LinePoolTest, TakeUntilExhaustedThenGive) {
  LinePool pool(2, 8);
  const uint32_t a = pool.Take();
  const uint32_t b = pool.Take();
  EXPECT_NE(a, LinePool::kNone);
  EXPECT_NE(b, LinePool::kNone);
  EXPECT_NE(a, b);
  EXPECT_EQ(pool.Take(), LinePool::kNone);
  EXPECT_NE(pool.Data(a), pool.Data(b));
  pool.Give(a);
  EXPECT_EQ(pool.free_buffers(), 1u);
  EXPECT_EQ(pool.Take(), a);
  pool.Give(a);
  pool.Give(b);
  pool.Give(b);  // a second Give of the same buffer must not grow the free list
  EXPECT_EQ(pool.free_buffers(), 2u);
}

// --- State queries ------------------------------------------------------------------------------

TEST(HttpParserStateTest, TunnelAfterUpgrade) {
  Feeder f(false);
  EXPECT_FALSE(f.parser.in_tunnel());
  f.Feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\nPRI * HTTP/2.0\r\n\r\n");
  EXPECT_TRUE(f.parser.in_tunnel());
  EXPECT_FALSE(f.parser.message_in_progress());
  f.parser.OnGap(10, f.pool, f.sink);
  f.parser.Finish(f.pool, f.sink);
  EXPECT_EQ(f.sink.TakeLog(),
            "status 101 1.1 Switching Protocols\n"
            "header Upgrade: h2c\n"
            "headers framing=tunnel keep_alive=1\n"
            "anomaly http.upgrade\n"
            "end complete=1 framing=tunnel body=0 wire=50 keep_alive=1\n");
}

TEST(HttpParserStateTest, MessageInProgress) {
  Feeder f(true);
  EXPECT_FALSE(f.parser.message_in_progress());
  f.Feed("GET / HT");
  EXPECT_FALSE(f.parser.message_in_progress());
  f.Feed("TP/1.1\r\n");
  EXPECT_TRUE(f.parser.message_in_progress());
  f.Feed("\r\n");
  EXPECT_FALSE(f.parser.message_in_progress());
}

TEST(HttpParserStateTest, FinishWithNothingInProgress) {
  Feeder f(true);
  f.Feed("GET / HTTP/1.1\r\n\r\n\r\n");
  f.parser.Finish(f.pool, f.sink);
  f.parser.Finish(f.pool, f.sink);
  EXPECT_EQ(f.sink.TakeLog(),
            "request GET / 1.1\n"
            "headers framing=none keep_alive=1\n"
            "end complete=1 framing=none body=0 wire=18 keep_alive=1\n");
}

// --- Syntax helpers -----------------------------------------------------------------------------

Span S(const char* text) { return Span{text, static_cast<uint32_t>(std::strlen(text))}; }

TEST(HttpSyntaxTest, ContentLengthValues) {
  uint64_t length = 0;
  EXPECT_EQ(syntax::ParseContentLength(S("0"), &length), syntax::ContentLengthValue::kValid);
  EXPECT_EQ(length, 0u);
  EXPECT_EQ(syntax::ParseContentLength(S("42, 42"), &length), syntax::ContentLengthValue::kValid);
  EXPECT_EQ(length, 42u);
  EXPECT_EQ(syntax::ParseContentLength(S("4, 5"), &length),
            syntax::ContentLengthValue::kListDiffers);
  EXPECT_EQ(length, 4u);
  EXPECT_EQ(syntax::ParseContentLength(S(""), &length), syntax::ContentLengthValue::kInvalid);
  EXPECT_EQ(syntax::ParseContentLength(S("-1"), &length), syntax::ContentLengthValue::kInvalid);
  EXPECT_EQ(syntax::ParseContentLength(S("1,"), &length), syntax::ContentLengthValue::kInvalid);
  EXPECT_EQ(syntax::ParseContentLength(S("0x10"), &length), syntax::ContentLengthValue::kInvalid);
  EXPECT_EQ(syntax::ParseContentLength(S("99999999999999999999999"), &length),
            syntax::ContentLengthValue::kInvalid);
}

TEST(HttpSyntaxTest, ChunkSizes) {
  syntax::ChunkSize chunk;
  EXPECT_TRUE(syntax::ParseChunkSize(S("1aF"), &chunk));
  EXPECT_EQ(chunk.size, 0x1afu);
  EXPECT_TRUE(syntax::ParseChunkSize(S("ffffffffffffff"), &chunk));
  EXPECT_EQ(chunk.size, 0xffffffffffffffu);
  EXPECT_FALSE(syntax::ParseChunkSize(S("fffffffffffffffff"), &chunk));
  EXPECT_FALSE(syntax::ParseChunkSize(S(""), &chunk));
  EXPECT_FALSE(syntax::ParseChunkSize(S(" 5"), &chunk));
  EXPECT_FALSE(syntax::ParseChunkSize(S("5 x"), &chunk));
  syntax::ChunkSize with_extension;
  EXPECT_TRUE(syntax::ParseChunkSize(S("5\t;a=b"), &with_extension));
  EXPECT_TRUE(with_extension.extension);
  EXPECT_TRUE(with_extension.whitespace);
}

TEST(HttpSyntaxTest, RequestLines) {
  syntax::RequestLine line;
  bool control = false;
  EXPECT_TRUE(syntax::ParseRequestLine(S("M-SEARCH * HTTP/1.1"), &line, &control));
  EXPECT_EQ(ToString(line.method), "M-SEARCH");
  EXPECT_EQ(ToString(line.target), "*");
  EXPECT_FALSE(syntax::ParseRequestLine(S("GET  / HTTP/1.1"), &line, &control));
  EXPECT_FALSE(syntax::ParseRequestLine(S("GET / HTTP/1.1 "), &line, &control));
  EXPECT_FALSE(syntax::ParseRequestLine(S("GET / http/1.1"), &line, &control));
  EXPECT_FALSE(syntax::ParseRequestLine(S("GET /a\x01 HTTP/1.1"), &line, &control));
  EXPECT_TRUE(control);
}

TEST(HttpSyntaxTest, ResyncCandidates) {
  EXPECT_TRUE(syntax::LooksLikeRequestStart(S("PROPFIND x HTTP/1.1")));
  EXPECT_TRUE(syntax::LooksLikeRequestStart(S("PURGE /cache HTTP/1.1")));
  EXPECT_TRUE(syntax::LooksLikeRequestStart(S("FOO http://a/ HTTP/1.1")));
  EXPECT_FALSE(syntax::LooksLikeRequestStart(S("FOO bar HTTP/1.1")));
  EXPECT_FALSE(syntax::LooksLikeRequestStart(S("Get / HTTP/1.1")));
  EXPECT_TRUE(syntax::LooksLikeStatusStart(S("HTTP/1.1 200 OK")));
  EXPECT_FALSE(syntax::LooksLikeStatusStart(S("HTTP/2 200")));
}

// --- Split independence on random streams -------------------------------------------------------
// Random mixes of valid messages, broken lines and garbage, with gaps, must give the same events
// whole, byte by byte and at random splits whenever the pool never runs out.

const std::vector<std::string>& RequestFragments() {
  static const std::vector<std::string> fragments = {
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "POST /p HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody",
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n",
      "GET / HTTP/1.0\r\n\r\n",
      "X-Fold: a\r\n b\r\n",
      "Long: 0123456789012345678901234567890123456789\r\n",
      "\r\n", "\n", "\r", " ", ":", "GET", " /x", " HTTP/1.1", "\x00\x01\xff",
      "Content-Length: 2\r\n", "Content-Length: x\r\n", "Transfer-Encoding: chunked\r\n",
      "Connection: close\r\n", "5\r\nhello\r\n", "zz\r\n", "0\r\n\r\n",
      "PURGE /x HTTP/1.1\r\n\r\n", "\x16\x03\x01\x00", "Host : b\r\n",
  };
  return fragments;
}

const std::vector<std::string>& ResponseFragments() {
  static const std::vector<std::string> fragments = {
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
      "HTTP/1.1 100 Continue\r\n\r\n",
      "HTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n",
      "HTTP/1.0 200 OK\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\n\r\n",
      "X-Fold: a\r\n\t b\r\n",
      "Long: 0123456789012345678901234567890123456789\r\n",
      "\r\n", "\n", "\r", " ", "HTTP/1.", "1 200 OK", "\x00\x01\xff", "Content-Length: 1\r\n",
      "Transfer-Encoding: gzip\r\n", "2 \r\nhi\r\n", "0\r\n\r\n", "fffffffffffffffffff\r\n",
  };
  return fragments;
}

Case RandomCase(std::mt19937& random, bool is_request) {
  const std::vector<std::string>& fragments = is_request ? RequestFragments() : ResponseFragments();
  static const char* kContexts[] = {"nnnnnnnn", "hnhnhnhn", "cncncncn"};
  static const uint32_t kLineBytes[] = {8, 24, 64, 256};
  Case c{"random", is_request, {}, ""};
  c.contexts = kContexts[random() % 3];
  c.line_bytes = kLineBytes[random() % 4];
  c.limits.max_headers = 1 + random() % 6;
  c.limits.max_header_bytes = 20 + random() % 200;
  const int count = 1 + static_cast<int>(random() % 12);
  std::string data;
  for (int i = 0; i < count; ++i) {
    if (random() % 10 == 0) {
      if (!data.empty()) c.input.push_back(Bytes(data));
      data.clear();
      c.input.push_back(Gap(1 + random() % 40));
    }
    data += fragments[random() % fragments.size()];
  }
  if (!data.empty()) c.input.push_back(Bytes(data));
  return c;
}

TEST(HttpParserRandomTest, SameEventsForEverySplit) {
  std::mt19937 random(20240607);
  for (int iteration = 0; iteration < 3000; ++iteration) {
    const Case c = RandomCase(random, iteration % 2 == 0);
    const std::string whole = FeedCase(c, {}, false);
    ASSERT_EQ(FeedCase(c, {}, true), whole) << "byte by byte, iteration " << iteration;
    const Splits splits = RandomSplits(DataLength(c), static_cast<uint32_t>(iteration));
    ASSERT_EQ(FeedCase(c, splits, false), whole) << "random splits, iteration " << iteration;
  }
}

}  // namespace
}  // namespace sluice::http

namespace sluice::http {
namespace {

// The vectorised HasControl against IsControl byte by byte: every length up to 70, a control
// character (or a tab, which is allowed) at every position, and bytes above 0x7f around it.
TEST(HttpSyntaxTest, HasControlMatchesByteByByte) {
  const char kSpecial[] = {'\0', '\t', '\r', '\n', 0x1f, 0x7f, ' ', static_cast<char>(0x80),
                           static_cast<char>(0xff), static_cast<char>(0x9f)};
  std::mt19937 random(7);
  for (uint32_t length = 0; length <= 70; ++length) {
    for (uint32_t at = 0; at <= length; ++at) {
      for (const char special : kSpecial) {
        std::string text(length, 'a');
        for (char& c : text) {
          c = static_cast<char>(0x20 + random() % 0x5f + (random() % 4 == 0 ? 0x80 : 0));
        }
        if (at < length) text[at] = special;
        bool expected = false;
        for (const char c : text) expected = expected || syntax::IsControl(c);
        ASSERT_EQ(syntax::HasControl(text.data(), length), expected)
            << "length " << length << ", byte " << static_cast<int>(static_cast<uint8_t>(special))
            << " at " << at;
      }
    }
  }
}

}  // namespace
}  // namespace sluice::http
