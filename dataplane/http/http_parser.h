// Incremental HTTP/1.x message parser for one direction of a connection (RFC 9112).
//
// The parser is fed the reassembled byte stream in pieces of any size and reports complete
// syntactic units (start line, each header, body bytes, message end) to a MessageSink. Units that
// lie wholly inside one piece are reported zero-copy; a line split across pieces is gathered in a
// buffer borrowed from the worker's LinePool and returned as soon as the line ends.
//
// Ownership: a parser, its LinePool and its sink belong to one worker lcore. No allocation after
// construction of the pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/http/http_anomaly.h"

namespace sluice::http {

struct Span {
  const char* data = nullptr;
  uint32_t length = 0;
};

// How the body of the current message is delimited (RFC 9112 section 6.3).
enum class BodyFraming : uint8_t {
  kNone,           // no body: HEAD response, 1xx, 204, 304, request without CL/TE
  kContentLength,
  kChunked,
  kUntilClose,     // response without CL/TE: body ends when the connection closes
  kTunnel,         // after CONNECT 2xx or 101 Switching Protocols: not HTTP any more
};

// Summary of one message, passed at headers-complete and message-complete.
struct MessageInfo {
  bool is_request = true;
  uint8_t version_minor = 1;     // HTTP/1.<minor>; 0 for 1.0
  uint16_t status_code = 0;      // responses only
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;   // when framing == kContentLength
  uint64_t body_bytes = 0;       // decoded body bytes seen so far (chunk framing excluded)
  uint64_t wire_bytes = 0;       // bytes of the message on the wire so far, start line included
  bool keep_alive = true;        // after this message, per version and Connection header
  bool complete = true;          // false when the stream ended or lost sync mid-message
};

// The request a response answers, as the session reports it once the response's headers are parsed.
enum class ResponseContext : uint8_t {
  kNormal,
  kAnswersHead,     // the request was HEAD: no body, whatever the headers claim
  kAnswersConnect,  // the request was CONNECT: a 2xx starts a tunnel
};

class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // Requests: method, request target, minor version. Called once per message.
  virtual void OnRequestLine(Span method, Span target, uint8_t version_minor) = 0;
  // Responses: status code, minor version, reason phrase.
  virtual void OnStatusLine(uint16_t status_code, uint8_t version_minor, Span reason) = 0;
  // One header field; name as sent, value with leading and trailing whitespace removed.
  // obs-fold continuations are joined by the parser when they fit in one line buffer.
  virtual void OnHeader(Span name, Span value) = 0;
  // All headers parsed and body framing decided. For responses, the return value gives the parser
  // the kind of request being answered. For requests it is ignored.
  virtual ResponseContext OnHeadersComplete(const MessageInfo& info) = 0;
  // Decoded body bytes (chunk sizes and extensions removed).
  virtual void OnBody(const uint8_t* data, uint32_t length) = 0;
  // End of a message; `info.complete` is false when it was cut short.
  // 1xx interim responses are reported as complete messages too, with their status code.
  virtual void OnMessageComplete(const MessageInfo& info) = 0;
  virtual void OnAnomaly(Anomaly anomaly) = 0;
};

// Per-worker pool of line buffers.
class LinePool {
 public:
  // Preallocates `count` buffers of `line_bytes` each, at startup.
  LinePool(uint32_t count, uint32_t line_bytes);
  LinePool(const LinePool&) = delete;
  LinePool& operator=(const LinePool&) = delete;

  static constexpr uint32_t kNone = UINT32_MAX;
  uint32_t line_bytes() const { return line_bytes_; }
  uint32_t free_buffers() const { return static_cast<uint32_t>(free_.size()); }
  uint32_t Take();            // kNone when exhausted
  void Give(uint32_t buffer);
  char* Data(uint32_t buffer) { return &storage_[static_cast<size_t>(buffer) * line_bytes_]; }

 private:
  uint32_t line_bytes_;
  std::vector<char> storage_;
  std::vector<uint32_t> free_;
};

struct ParserLimits {
  uint32_t max_headers = 128;          // header fields per message
  uint64_t max_header_bytes = 64 * 1024;  // start line plus all header lines
};

class HttpParser {
 public:
  // `is_request` chooses the direction. Trivial state so flow tables can hold parsers in place.
  void Reset(bool is_request);

  // Parses `length` bytes. Always consumes the whole input: bytes that cannot be parsed are
  // reported as anomalies and skipped until the next plausible message start.
  void Feed(const uint8_t* data, uint32_t length, LinePool& pool, const ParserLimits& limits,
            MessageSink& sink);

  // `length` bytes of the stream are missing. Inside a Content-Length or chunk body the parser
  // skips them and counts them as body; elsewhere it loses sync and looks for the next message.
  void OnGap(uint32_t length, LinePool& pool, MessageSink& sink);

  // The direction ended (FIN, RST or end of capture). Completes a body delimited by close and
  // reports any message in progress as incomplete. Returns the line buffer to the pool.
  void Finish(LinePool& pool, MessageSink& sink);

  // Returns the line buffer, if any, without reporting anything (flow evicted).
  void Release(LinePool& pool);

  bool in_tunnel() const;
  bool message_in_progress() const;

 private:
  // The state machine lives in http_parser.cc (ParserEngine, built on the stack for each call).
  // State is kept to plain integers so the parser stays trivially copyable and small (it lives
  // inside every flow).
  friend class ParserEngine;

  uint8_t state_ = 0;
  bool is_request_ = true;
  uint32_t flags_ = 0;
  uint32_t line_buffer_ = UINT32_MAX;  // LinePool index, held only while a line is split or held
  uint32_t line_length_ = 0;           // bytes of the split line gathered so far
  uint32_t field_length_ = 0;          // bytes of a complete header field held in the line buffer
  uint32_t header_count_ = 0;
  AnomalySet reported_ = 0;            // anomalies already reported for the current message
  uint64_t header_bytes_ = 0;
  uint64_t remaining_ = 0;  // body or chunk bytes left
  MessageInfo info_{};
};

}  // namespace sluice::http
