// HttpParser state machine. Every call builds a ParserEngine on the stack that binds the parser's
// state to the input piece, the worker's LinePool and the sink, so the steps below need no long
// argument lists. Lines are found with memchr, and bodies go to the sink as slices of the input.
#include "dataplane/http/http_parser.h"

#include <algorithm>
#include <cstring>

#include "dataplane/http/http_syntax.h"

namespace sluice::http {

// --- LinePool -----------------------------------------------------------------------------------

LinePool::LinePool(uint32_t count, uint32_t line_bytes)
    : line_bytes_(line_bytes), storage_(static_cast<size_t>(count) * line_bytes) {
  free_.reserve(count);
  for (uint32_t i = count; i > 0; --i) free_.push_back(i - 1);
}

uint32_t LinePool::Take() {
  if (free_.empty()) return kNone;
  const uint32_t buffer = free_.back();
  free_.pop_back();
  return buffer;
}

void LinePool::Give(uint32_t buffer) {
  // The capacity check keeps a double Give from reallocating on the packet path.
  if (buffer == kNone || free_.size() == free_.capacity()) return;
  free_.push_back(buffer);
}

// --- Parser states and flags --------------------------------------------------------------------

namespace {

enum State : uint8_t {
  kStartLine = 0,  // between messages; leading empty lines are skipped (RFC 9112 section 2.2)
  kResync,         // sync lost: skipping lines until one looks like a start line
  kHeaders,
  kBodyLength,     // Content-Length body, remaining_ bytes left
  kChunkSize,
  kChunkData,      // remaining_ bytes of the current chunk left
  kChunkDataEnd,   // the CRLF after chunk data
  kTrailers,
  kUntilClose,
  kTunnel,
  kDone,           // after Finish or Release: input is ignored
};

enum Flag : uint32_t {
  kSkipLine = 1u << 0,         // discarding the rest of a line that could not be kept
  kPartialCr = 1u << 1,        // the split line so far is a lone CR, kept without a buffer
  kBufferedField = 1u << 2,        // a complete header field sits in the line buffer (obs-fold check)
  kCloseAfter = 1u << 3,       // the last message ended the connection (keep_alive false)
  kSuppressHeaders = 1u << 4,  // a header limit was hit: fields are parsed but not reported
  kConnectionClose = 1u << 5,
  kConnectionKeepAlive = 1u << 6,
  kTransferEncoding = 1u << 7,
  kChunkedFinal = 1u << 8,
  kContentLength = 1u << 9,
  kContentLengthInvalid = 1u << 10,
};

// Flags that describe one message; cleared when the next message starts.
constexpr uint32_t kMessageFlags = kSuppressHeaders | kConnectionClose | kConnectionKeepAlive |
                                   kTransferEncoding | kChunkedFinal | kContentLength |
                                   kContentLengthInvalid;

enum class LineResult : uint8_t { kNeedMore, kReady, kLost };

struct Line {
  const char* data = nullptr;
  uint32_t length = 0;       // without the line ending
  uint32_t wire_length = 0;  // with the line ending
  bool bare_lf = false;
  bool in_buffer = false;
};

const ParserLimits kDefaultLimits{};

}  // namespace

class ParserEngine {
 public:
  ParserEngine(HttpParser& parser, LinePool& pool, const ParserLimits& limits, MessageSink& sink,
               const char* data, uint32_t length)
      : s_(parser), pool_(pool), limits_(limits), sink_(sink), p_(data), end_(data + length) {}

  void Run();
  void Gap(uint32_t length);
  void Finish();

 private:
  void SkipGap(uint32_t length);
  // Line gathering.
  LineResult TakeLine(Line* line, bool quiet, bool append);
  LineResult SkipLine();
  LineResult DropLongLine(const char* lf, uint32_t piece, bool quiet);
  void StorePartial(uint32_t piece, bool quiet);
  bool EnsureBuffer(bool quiet);
  void Append(const char* data, uint32_t length);
  void CompleteLine(const char* data, uint32_t length, uint32_t wire_length, Line* line);
  void CountLost(uint64_t bytes);
  void DropPartialLine();
  void ReleaseIfIdle();
  bool AtLineStart() const;
  char* Buffer() { return pool_.Data(s_.line_buffer_); }

  // States.
  void StartLineStep(bool resync);
  bool ParseStartLine(const Line& line, bool quiet);
  bool ParseRequest(const Line& line, bool quiet);
  bool ParseStatus(const Line& line, bool quiet);
  void BeginMessage(const Line& line, uint8_t version_minor, uint16_t status_code);
  void HeadersStep();
  void HeaderLine(const Line& line);
  void BufferField(const Line& line);
  void JoinContinuation(const Line& line);
  void EmitBufferedField();
  void EmitField(Span field);
  void ApplyFramingField(Span name, Span value);
  void ApplyContentLength(Span value);
  void ApplyTransferEncoding(Span value);
  void ApplyConnection(Span value);
  void CountHeaderLine(const Line& line);
  void CheckHeaderBytes();
  void HeadersComplete();
  BodyFraming DecideFraming();
  BodyFraming ApplyResponseContext(BodyFraming framing, ResponseContext context);
  void StartBody();
  void BodyLengthStep();
  void ChunkSizeStep();
  void ChunkDataStep();
  void ChunkDataEndStep();
  void TrailersStep();
  void UntilCloseStep();
  void DeliverBody(uint32_t length);
  void AddBodyGap(uint64_t length);
  void CompleteMessage();
  void LoseSync();
  void ReportIncomplete();
  bool InMessage() const;
  void Report(Anomaly anomaly);
  void CountLine(const Line& line);

  HttpParser& s_;
  LinePool& pool_;
  const ParserLimits& limits_;
  MessageSink& sink_;
  const char* p_;
  const char* end_;
};

// --- Line gathering -----------------------------------------------------------------------------
//
// A line lying inside one piece is returned in place. A split line is copied into the line buffer
// until its LF arrives. A line longer than pool.line_bytes() is dropped whole (CR included in the
// count, LF not), whether or not it was split, so the events do not depend on where the stream
// was cut. `append` puts the line in the buffer after a buffered header field (obs-fold joining).

bool ParserEngine::AtLineStart() const {
  return s_.line_length_ == 0 && (s_.flags_ & (kSkipLine | kPartialCr)) == 0;
}

LineResult ParserEngine::TakeLine(Line* line, bool quiet, bool append) {
  if (s_.flags_ & kSkipLine) return SkipLine();
  const auto* lf = static_cast<const char*>(std::memchr(p_, '\n', static_cast<size_t>(end_ - p_)));
  const auto piece = static_cast<uint32_t>((lf != nullptr ? lf : end_) - p_);
  const uint64_t base = append ? s_.field_length_ : 0;
  if (base + s_.line_length_ + piece > pool_.line_bytes()) return DropLongLine(lf, piece, quiet);
  if (lf == nullptr) {
    StorePartial(piece, quiet);
    return LineResult::kNeedMore;
  }

  const uint32_t wire_length = s_.line_length_ + piece + 1;
  if (s_.line_length_ == 0 && !append) {
    CompleteLine(p_, piece, wire_length, line);
  } else if (piece == 0 && (s_.flags_ & kPartialCr) != 0) {
    CompleteLine("\r", 1, wire_length, line);
  } else if (EnsureBuffer(quiet)) {
    Append(p_, piece);
    CompleteLine(Buffer() + base, s_.line_length_, wire_length, line);
    line->in_buffer = true;
  } else {
    CountLost(wire_length);
    s_.line_length_ = 0;
    s_.flags_ &= ~kPartialCr;
    p_ = lf + 1;
    return LineResult::kLost;
  }
  s_.line_length_ = 0;
  s_.flags_ &= ~kPartialCr;
  p_ = lf + 1;
  return LineResult::kReady;
}

void ParserEngine::CompleteLine(const char* data, uint32_t length, uint32_t wire_length, Line* line) {
  line->data = data;
  line->wire_length = wire_length;
  line->bare_lf = length == 0 || data[length - 1] != '\r';
  line->length = line->bare_lf ? length : length - 1;
  line->in_buffer = false;
}

LineResult ParserEngine::SkipLine() {
  const auto* lf = static_cast<const char*>(std::memchr(p_, '\n', static_cast<size_t>(end_ - p_)));
  if (lf == nullptr) {
    CountLost(static_cast<uint64_t>(end_ - p_));
    p_ = end_;
    return LineResult::kNeedMore;
  }
  CountLost(static_cast<uint64_t>(lf + 1 - p_));
  p_ = lf + 1;
  s_.flags_ &= ~kSkipLine;
  return LineResult::kLost;
}

LineResult ParserEngine::DropLongLine(const char* lf, uint32_t piece, bool quiet) {
  if (!quiet) Report(Anomaly::kLineTooLong);
  CountLost(uint64_t{s_.line_length_} + piece);
  s_.line_length_ = 0;
  s_.flags_ &= ~kPartialCr;
  if (lf == nullptr) {
    p_ = end_;
    s_.flags_ |= kSkipLine;
    return LineResult::kNeedMore;
  }
  CountLost(1);
  p_ = lf + 1;
  return LineResult::kLost;
}

// Keeps the unterminated rest of the piece. A lone CR (the usual split inside CRLF) is kept as a
// flag so an exhausted pool cannot lose the empty line that ends a header section.
void ParserEngine::StorePartial(uint32_t piece, bool quiet) {
  if (piece == 0) return;
  const bool no_buffer = s_.line_buffer_ == LinePool::kNone;
  if (no_buffer && s_.line_length_ == 0 && piece == 1 && *p_ == '\r') {
    s_.flags_ |= kPartialCr;
    s_.line_length_ = 1;
  } else if (EnsureBuffer(quiet)) {
    Append(p_, piece);
  } else {
    CountLost(uint64_t{s_.line_length_} + piece);
    s_.line_length_ = 0;
    s_.flags_ = (s_.flags_ & ~kPartialCr) | kSkipLine;
  }
  p_ = end_;
}

bool ParserEngine::EnsureBuffer(bool quiet) {
  if (s_.line_buffer_ != LinePool::kNone) return true;
  const uint32_t buffer = pool_.Take();
  if (buffer == LinePool::kNone) {
    if (!quiet) Report(Anomaly::kLinePoolExhausted);
    return false;
  }
  s_.line_buffer_ = buffer;
  // Without a buffer nothing else can be gathered, so a pending CR is the whole partial line.
  if (s_.flags_ & kPartialCr) {
    Buffer()[0] = '\r';
    s_.flags_ &= ~kPartialCr;
  }
  return true;
}

void ParserEngine::Append(const char* data, uint32_t length) {
  std::memcpy(Buffer() + s_.field_length_ + s_.line_length_, data, length);
  s_.line_length_ += length;
}

// Bytes of a dropped line still belong to the message on the wire and to its header section.
void ParserEngine::CountLost(uint64_t bytes) {
  if (InMessage()) s_.info_.wire_bytes += bytes;
  if (s_.state_ == kHeaders) s_.header_bytes_ += bytes;
}

// The bytes of a cut-off line were on the wire, so a message cut short still counts them.
void ParserEngine::DropPartialLine() {
  if (InMessage() && (s_.flags_ & kSkipLine) == 0) s_.info_.wire_bytes += s_.line_length_;
  s_.line_length_ = 0;
  s_.field_length_ = 0;
  s_.flags_ &= ~(kSkipLine | kPartialCr | kBufferedField);
}

// The buffer goes back as soon as no split line or buffered field needs it.
void ParserEngine::ReleaseIfIdle() {
  if (s_.line_buffer_ == LinePool::kNone) return;
  if (s_.line_length_ != 0 || (s_.flags_ & kBufferedField) != 0) return;
  pool_.Give(s_.line_buffer_);
  s_.line_buffer_ = LinePool::kNone;
}

// --- Driver -------------------------------------------------------------------------------------

void ParserEngine::Run() {
  while (p_ < end_) {
    switch (s_.state_) {
      case kStartLine: StartLineStep(false); break;
      case kResync: StartLineStep(true); break;
      case kHeaders: HeadersStep(); break;
      case kBodyLength: BodyLengthStep(); break;
      case kChunkSize: ChunkSizeStep(); break;
      case kChunkData: ChunkDataStep(); break;
      case kChunkDataEnd: ChunkDataEndStep(); break;
      case kTrailers: TrailersStep(); break;
      case kUntilClose: UntilCloseStep(); break;
      default: p_ = end_; break;  // tunnel or finished: not HTTP any more
    }
    ReleaseIfIdle();
  }
}

bool ParserEngine::InMessage() const {
  return s_.state_ >= kHeaders && s_.state_ <= kUntilClose;
}

void ParserEngine::Report(Anomaly anomaly) {
  const AnomalySet bit = AnomalyBit(anomaly);
  if (s_.reported_ & bit) return;
  s_.reported_ |= bit;
  sink_.OnAnomaly(anomaly);
}

void ParserEngine::CountLine(const Line& line) {
  s_.info_.wire_bytes += line.wire_length;
  if (line.bare_lf) Report(Anomaly::kBareLf);
}

// --- Start line and resync ----------------------------------------------------------------------
//
// In kStartLine a first byte that cannot begin a start line (TLS, binary) loses sync at once
// instead of waiting for an LF that may never come. In kResync each line is checked quietly: lines
// whose first byte cannot start a message are skipped without copying, the rest are gathered and
// parsed if they look like a start line.

void ParserEngine::StartLineStep(bool resync) {
  if (s_.flags_ & kCloseAfter) {
    s_.flags_ &= ~kCloseAfter;
    Report(Anomaly::kDataAfterClose);
  }
  if (AtLineStart()) {
    const char c = *p_;
    const bool line_end = c == '\r' || c == '\n';
    if (!resync && !line_end && !(s_.is_request_ ? syntax::IsTchar(c) : c == 'H')) {
      LoseSync();
      return;
    }
    if (resync && !(s_.is_request_ ? syntax::IsUpper(c) : c == 'H')) s_.flags_ |= kSkipLine;
  }

  Line line;
  const LineResult result = TakeLine(&line, resync, false);
  if (result == LineResult::kNeedMore) return;
  if (result == LineResult::kLost) {
    if (!resync) LoseSync();
    return;
  }
  if (line.length == 0) return;  // empty line between messages
  if (ParseStartLine(line, resync) || resync) return;
  LoseSync();
}

bool ParserEngine::ParseStartLine(const Line& line, bool quiet) {
  const Span span{line.data, line.length};
  if (quiet) {
    const bool plausible =
        s_.is_request_ ? syntax::LooksLikeRequestStart(span) : syntax::LooksLikeStatusStart(span);
    if (!plausible) return false;
  }
  return s_.is_request_ ? ParseRequest(line, quiet) : ParseStatus(line, quiet);
}

bool ParserEngine::ParseRequest(const Line& line, bool quiet) {
  syntax::RequestLine request;
  bool control = false;
  if (!syntax::ParseRequestLine(Span{line.data, line.length}, &request, &control)) {
    if (quiet) return false;
    if (control) Report(Anomaly::kControlCharacter);
    Report(Anomaly::kInvalidRequestLine);
    return false;
  }
  BeginMessage(line, request.version_minor, 0);
  sink_.OnRequestLine(request.method, request.target, request.version_minor);
  if (request.target_has_space) Report(Anomaly::kSpaceInTarget);
  if (line.bare_lf) Report(Anomaly::kBareLf);
  return true;
}

bool ParserEngine::ParseStatus(const Line& line, bool quiet) {
  syntax::StatusLine status;
  if (!syntax::ParseStatusLine(Span{line.data, line.length}, &status)) {
    if (quiet) return false;
    if (syntax::HasControl(line.data, line.length)) Report(Anomaly::kControlCharacter);
    Report(Anomaly::kInvalidStatusLine);
    return false;
  }
  BeginMessage(line, status.version_minor, status.status_code);
  sink_.OnStatusLine(status.status_code, status.version_minor, status.reason);
  if (line.bare_lf) Report(Anomaly::kBareLf);
  if (status.reason_has_control) Report(Anomaly::kControlCharacter);
  return true;
}

void ParserEngine::BeginMessage(const Line& line, uint8_t version_minor, uint16_t status_code) {
  s_.info_ = MessageInfo{};
  s_.info_.is_request = s_.is_request_;
  s_.info_.version_minor = version_minor;
  s_.info_.status_code = status_code;
  s_.info_.wire_bytes = line.wire_length;
  s_.reported_ = 0;
  s_.header_count_ = 0;
  s_.header_bytes_ = line.wire_length;
  s_.flags_ &= ~kMessageFlags;
  s_.state_ = kHeaders;
}

// --- Header section -----------------------------------------------------------------------------
//
// A field is reported only once the first byte of the next line shows it is not continued by an
// obs-fold line (RFC 9112 section 5.2). When that byte is in the same piece the field is reported in
// place. Otherwise, or when a fold follows, the field is kept in the line buffer and folded lines
// are joined to it with one SP.

void ParserEngine::HeadersStep() {
  const bool buffered_field = (s_.flags_ & kBufferedField) != 0;
  if (buffered_field && AtLineStart() && !syntax::IsOws(*p_)) {
    EmitBufferedField();
    return;
  }

  Line line;
  const LineResult result = TakeLine(&line, false, buffered_field);
  if (result == LineResult::kNeedMore) return;
  if (result == LineResult::kLost) {
    if (buffered_field) EmitBufferedField();
    CheckHeaderBytes();
    return;
  }
  CountHeaderLine(line);
  if (buffered_field) {
    JoinContinuation(line);
    return;
  }
  HeaderLine(line);
}

void ParserEngine::HeaderLine(const Line& line) {
  if (line.length == 0) {
    HeadersComplete();
    return;
  }
  if (syntax::IsOws(line.data[0])) {
    // Whitespace-led line with no field before it (RFC 9112 section 2.2): consumed, not parsed.
    Report(Anomaly::kObsFold);
    return;
  }
  if (++s_.header_count_ > limits_.max_headers) {
    Report(Anomaly::kTooManyHeaders);
    s_.flags_ |= kSuppressHeaders;
  }
  if (p_ < end_ && !syntax::IsOws(*p_)) {
    EmitField(Span{line.data, line.length});
    return;
  }
  BufferField(line);
}

void ParserEngine::CountHeaderLine(const Line& line) {
  CountLine(line);
  s_.header_bytes_ += line.wire_length;
  CheckHeaderBytes();
}

void ParserEngine::CheckHeaderBytes() {
  if (s_.header_bytes_ <= limits_.max_header_bytes) return;
  Report(Anomaly::kHeadersTooLarge);
  s_.flags_ |= kSuppressHeaders;
}

// Without a free buffer the field is reported now; a fold that follows is then dropped as a
// whitespace-led line.
void ParserEngine::BufferField(const Line& line) {
  if (!line.in_buffer) {
    if (!EnsureBuffer(true)) {
      EmitField(Span{line.data, line.length});
      return;
    }
    std::memcpy(Buffer(), line.data, line.length);
  }
  s_.field_length_ = line.length;
  s_.flags_ |= kBufferedField;
}

void ParserEngine::JoinContinuation(const Line& line) {
  Report(Anomaly::kObsFold);
  const Span rest = syntax::TrimOws(Span{line.data, line.length});
  char* field = Buffer();
  if (rest.length == 0) return;
  // The joined field is never longer than field plus raw line, which TakeLine bounded.
  field[s_.field_length_] = ' ';
  std::memmove(field + s_.field_length_ + 1, rest.data, rest.length);
  s_.field_length_ += 1 + rest.length;
}

void ParserEngine::EmitBufferedField() {
  const uint32_t length = s_.field_length_;
  s_.field_length_ = 0;
  s_.flags_ &= ~kBufferedField;
  EmitField(Span{Buffer(), length});
}

void ParserEngine::EmitField(Span line) {
  syntax::Field field;
  if (!syntax::ParseField(line, &field)) {
    if (syntax::HasControl(line.data, line.length)) Report(Anomaly::kControlCharacter);
    Report(Anomaly::kInvalidHeaderLine);
    return;
  }
  // NOTE: "Name : value" must be rejected (RFC 9112 section 5.1), but lenient servers accept it,
  // so the trimmed name still counts for framing; the anomaly records the ambiguity.
  if (field.whitespace_before_colon) Report(Anomaly::kWhitespaceBeforeColon);
  if (field.value_has_control) Report(Anomaly::kControlCharacter);
  ApplyFramingField(field.name, field.value);
  if ((s_.flags_ & kSuppressHeaders) == 0) sink_.OnHeader(field.name, field.value);
}

void ParserEngine::ApplyFramingField(Span name, Span value) {
  if (syntax::EqualsIgnoreCase(name, "content-length", 14)) {
    ApplyContentLength(value);
  } else if (syntax::EqualsIgnoreCase(name, "transfer-encoding", 17)) {
    ApplyTransferEncoding(value);
  } else if (syntax::EqualsIgnoreCase(name, "connection", 10)) {
    ApplyConnection(value);
  }
}

// RFC 9112 section 6.3 items 4-5: equal repeats are merged, conflicting values keep the first.
void ParserEngine::ApplyContentLength(Span value) {
  uint64_t length = 0;
  const syntax::ContentLengthValue parsed = syntax::ParseContentLength(value, &length);
  if (parsed == syntax::ContentLengthValue::kInvalid) {
    Report(Anomaly::kInvalidContentLength);
    s_.flags_ |= kContentLengthInvalid;
    return;
  }
  if (parsed == syntax::ContentLengthValue::kListDiffers) Report(Anomaly::kConflictingContentLength);
  if ((s_.flags_ & kContentLength) == 0) {
    s_.flags_ |= kContentLength;
    s_.info_.content_length = length;
    return;
  }
  Report(length == s_.info_.content_length ? Anomaly::kDuplicateContentLength
                                           : Anomaly::kConflictingContentLength);
}

// Only the final coding of the last Transfer-Encoding field decides framing. Coding names are
// case-insensitive, but anything but lower-case "chunked" is flagged: servers disagree on it.
void ParserEngine::ApplyTransferEncoding(Span value) {
  s_.flags_ |= kTransferEncoding;
  bool chunked_final = false;
  bool odd = false;
  syntax::ForEachListElement(value, [&](Span coding) {
    if (chunked_final) odd = true;  // a coding after chunked, or chunked twice
    chunked_final = syntax::EqualsIgnoreCase(coding, "chunked", 7);
    if (chunked_final && std::memcmp(coding.data, "chunked", 7) != 0) odd = true;
  });
  if (chunked_final) {
    s_.flags_ |= kChunkedFinal;
  } else {
    s_.flags_ &= ~kChunkedFinal;
  }
  if (odd || !chunked_final) Report(Anomaly::kUnknownTransferEncoding);
}

void ParserEngine::ApplyConnection(Span value) {
  syntax::ForEachListElement(value, [&](Span option) {
    if (syntax::EqualsIgnoreCase(option, "close", 5)) s_.flags_ |= kConnectionClose;
    if (syntax::EqualsIgnoreCase(option, "keep-alive", 10)) s_.flags_ |= kConnectionKeepAlive;
  });
}

// --- Framing (RFC 9112 section 6.3) -------------------------------------------------------------

void ParserEngine::HeadersComplete() {
  MessageInfo& info = s_.info_;
  const bool close = (s_.flags_ & kConnectionClose) != 0;
  const bool persistent =
      !close && (info.version_minor >= 1 || (s_.flags_ & kConnectionKeepAlive) != 0);
  info.framing = DecideFraming();
  info.keep_alive = persistent && info.framing != BodyFraming::kUntilClose;

  const ResponseContext context = sink_.OnHeadersComplete(info);
  if (!info.is_request) {
    info.framing = ApplyResponseContext(info.framing, context);
    info.keep_alive = persistent && info.framing != BodyFraming::kUntilClose;
  }
  StartBody();
}

// Decides from the status code and the framing fields. HEAD and CONNECT depend on the request,
// which only the sink has, so ApplyResponseContext runs after OnHeadersComplete.
BodyFraming ParserEngine::DecideFraming() {
  const MessageInfo& info = s_.info_;
  if (!info.is_request) {
    if (info.status_code == 101) return BodyFraming::kTunnel;
    if (info.status_code < 200 || info.status_code == 204 || info.status_code == 304) {
      return BodyFraming::kNone;
    }
  }
  const bool has_length = (s_.flags_ & (kContentLength | kContentLengthInvalid)) != 0;
  if (s_.flags_ & kTransferEncoding) {
    if (has_length) Report(Anomaly::kContentLengthAndChunked);
    // A request whose final coding is not chunked cannot be delimited (RFC 9112 section 6.3,
    // item 4): the server replies 400 and closes, so the rest of the stream is taken as its body.
    return (s_.flags_ & kChunkedFinal) ? BodyFraming::kChunked : BodyFraming::kUntilClose;
  }
  if (s_.flags_ & kContentLength) return BodyFraming::kContentLength;
  // RFC 9112 section 6.3 items 6 and 7, with item 5 (an invalid Content-Length) handled the same
  // way. A request's following bytes are parsed as the next message, with resync if they are not
  // one. A response is read until close, as its client has to.
  return info.is_request ? BodyFraming::kNone : BodyFraming::kUntilClose;
}

BodyFraming ParserEngine::ApplyResponseContext(BodyFraming framing, ResponseContext context) {
  const uint16_t status = s_.info_.status_code;
  if (status < 200 || framing == BodyFraming::kTunnel) return framing;
  if (context == ResponseContext::kAnswersHead) return BodyFraming::kNone;
  if (context == ResponseContext::kAnswersConnect && status < 300) return BodyFraming::kTunnel;
  return framing;
}

void ParserEngine::StartBody() {
  switch (s_.info_.framing) {
    case BodyFraming::kContentLength:
      if (s_.info_.content_length == 0) {
        CompleteMessage();
        return;
      }
      s_.remaining_ = s_.info_.content_length;
      s_.state_ = kBodyLength;
      return;
    case BodyFraming::kChunked: s_.state_ = kChunkSize; return;
    case BodyFraming::kUntilClose: s_.state_ = kUntilClose; return;
    case BodyFraming::kTunnel:
      // NOTE: only this direction stops parsing. The request parser of the same flow is not told
      // that the tunnel started, so its caller has to stop feeding it.
      Report(s_.info_.status_code == 101 ? Anomaly::kUpgrade : Anomaly::kConnectTunnel);
      CompleteMessage();
      s_.state_ = kTunnel;
      return;
    case BodyFraming::kNone: CompleteMessage(); return;
  }
}

// --- Body ---------------------------------------------------------------------------------------

void ParserEngine::DeliverBody(uint32_t length) {
  sink_.OnBody(reinterpret_cast<const uint8_t*>(p_), length);
  s_.info_.body_bytes += length;
  s_.info_.wire_bytes += length;
  p_ += length;
}

void ParserEngine::BodyLengthStep() {
  const auto length = static_cast<uint32_t>(std::min<uint64_t>(s_.remaining_, end_ - p_));
  DeliverBody(length);
  s_.remaining_ -= length;
  if (s_.remaining_ == 0) CompleteMessage();
}

void ParserEngine::UntilCloseStep() { DeliverBody(static_cast<uint32_t>(end_ - p_)); }

void ParserEngine::ChunkSizeStep() {
  Line line;
  const LineResult result = TakeLine(&line, false, false);
  if (result == LineResult::kNeedMore) return;
  if (result == LineResult::kLost) {
    LoseSync();
    return;
  }
  CountLine(line);
  syntax::ChunkSize chunk;
  if (!syntax::ParseChunkSize(Span{line.data, line.length}, &chunk)) {
    Report(Anomaly::kInvalidChunkSize);
    LoseSync();
    return;
  }
  if (chunk.whitespace) Report(Anomaly::kChunkSizeWhitespace);
  if (chunk.extension) Report(Anomaly::kChunkExtension);
  if (chunk.size == 0) {
    s_.state_ = kTrailers;
    return;
  }
  s_.remaining_ = chunk.size;
  s_.state_ = kChunkData;
}

void ParserEngine::ChunkDataStep() {
  const auto length = static_cast<uint32_t>(std::min<uint64_t>(s_.remaining_, end_ - p_));
  DeliverBody(length);
  s_.remaining_ -= length;
  if (s_.remaining_ == 0) s_.state_ = kChunkDataEnd;
}

void ParserEngine::ChunkDataEndStep() {
  Line line;
  const LineResult result = TakeLine(&line, false, false);
  if (result == LineResult::kNeedMore) return;
  if (result == LineResult::kLost) {
    LoseSync();
    return;
  }
  CountLine(line);
  if (line.length != 0) {
    // Chunk data longer than its size line stated: the framing cannot be trusted any more.
    Report(Anomaly::kInvalidChunkSize);
    LoseSync();
    return;
  }
  s_.state_ = kChunkSize;
}

// Trailer fields are not passed to OnHeader: they arrive after OnHeadersComplete.
void ParserEngine::TrailersStep() {
  Line line;
  const LineResult result = TakeLine(&line, false, false);
  if (result != LineResult::kReady) return;
  CountLine(line);
  if (line.length == 0) {
    CompleteMessage();
    return;
  }
  Report(Anomaly::kChunkTrailer);
}

// --- Message end, gaps, lost sync ---------------------------------------------------------------

void ParserEngine::CompleteMessage() {
  MessageInfo& info = s_.info_;
  info.complete = true;
  sink_.OnMessageComplete(info);
  const bool interim = !info.is_request && info.status_code < 200;
  if (!info.keep_alive && !interim) s_.flags_ |= kCloseAfter;
  s_.flags_ &= ~kMessageFlags;
  s_.reported_ = 0;
  s_.state_ = kStartLine;
}

// Drops whatever line is in progress, reports a started message as cut short and scans for the
// next start line.
void ParserEngine::LoseSync() {
  if (s_.state_ == kResync) {
    DropPartialLine();
    return;
  }
  Report(Anomaly::kLostSync);
  DropPartialLine();
  if (InMessage()) {
    s_.info_.complete = false;
    sink_.OnMessageComplete(s_.info_);
  }
  s_.flags_ &= ~kMessageFlags;
  s_.reported_ = 0;
  s_.state_ = kResync;
}

void ParserEngine::ReportIncomplete() {
  DropPartialLine();
  Report(Anomaly::kIncompleteMessage);
  s_.info_.complete = false;
  sink_.OnMessageComplete(s_.info_);
}

void ParserEngine::AddBodyGap(uint64_t length) {
  s_.info_.body_bytes += length;
  s_.info_.wire_bytes += length;
  Report(Anomaly::kBodyGap);
}

void ParserEngine::Gap(uint32_t length) {
  SkipGap(length);
  ReleaseIfIdle();
}

void ParserEngine::SkipGap(uint32_t length) {
  switch (s_.state_) {
    case kBodyLength: {
      const uint64_t in_body = std::min<uint64_t>(length, s_.remaining_);
      AddBodyGap(in_body);
      s_.remaining_ -= in_body;
      if (s_.remaining_ != 0) return;
      CompleteMessage();
      if (length > in_body) SkipGap(static_cast<uint32_t>(length - in_body));
      return;
    }
    case kChunkData:
      AddBodyGap(std::min<uint64_t>(length, s_.remaining_));
      if (length > s_.remaining_) {
        LoseSync();
        return;
      }
      s_.remaining_ -= length;
      if (s_.remaining_ == 0) s_.state_ = kChunkDataEnd;
      return;
    case kUntilClose: AddBodyGap(length); return;
    case kTunnel:
    case kDone: return;
    case kStartLine:
      if (s_.flags_ & kCloseAfter) {
        s_.flags_ &= ~kCloseAfter;
        Report(Anomaly::kDataAfterClose);
      }
      LoseSync();
      return;
    case kHeaders:
      if (s_.flags_ & kBufferedField) EmitBufferedField();
      LoseSync();
      return;
    default: LoseSync(); return;  // resync, chunk-size line, chunk end, trailers
  }
}

void ParserEngine::Finish() {
  switch (s_.state_) {
    case kUntilClose: CompleteMessage(); break;
    case kHeaders:
      if (s_.flags_ & kBufferedField) EmitBufferedField();
      ReportIncomplete();
      break;
    case kBodyLength:
    case kChunkSize:
    case kChunkData:
    case kChunkDataEnd:
    case kTrailers: ReportIncomplete(); break;
    case kStartLine:
      // A start line cut short: nothing was reported for it yet, so only the anomaly is.
      if (s_.line_length_ != 0 && (s_.flags_ & kPartialCr) == 0) Report(Anomaly::kIncompleteMessage);
      break;
    default: break;
  }
  DropPartialLine();
  ReleaseIfIdle();
  s_.state_ = kDone;
}

// --- HttpParser ---------------------------------------------------------------------------------

void HttpParser::Reset(bool is_request) {
  *this = HttpParser{};
  is_request_ = is_request;
}

void HttpParser::Feed(const uint8_t* data, uint32_t length, LinePool& pool,
                      const ParserLimits& limits, MessageSink& sink) {
  if (length == 0 || state_ == kTunnel || state_ == kDone) return;
  ParserEngine engine(*this, pool, limits, sink, reinterpret_cast<const char*>(data), length);
  engine.Run();
}

void HttpParser::OnGap(uint32_t length, LinePool& pool, MessageSink& sink) {
  if (length == 0) return;
  ParserEngine engine(*this, pool, kDefaultLimits, sink, nullptr, 0);
  engine.Gap(length);
}

void HttpParser::Finish(LinePool& pool, MessageSink& sink) {
  ParserEngine engine(*this, pool, kDefaultLimits, sink, nullptr, 0);
  engine.Finish();
}

void HttpParser::Release(LinePool& pool) {
  if (line_buffer_ != LinePool::kNone) pool.Give(line_buffer_);
  line_buffer_ = LinePool::kNone;
  line_length_ = 0;
  field_length_ = 0;
  flags_ = 0;
  state_ = kDone;
}

bool HttpParser::in_tunnel() const { return state_ == kTunnel; }

bool HttpParser::message_in_progress() const { return state_ >= kHeaders && state_ <= kUntilClose; }

}  // namespace sluice::http
