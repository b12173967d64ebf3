// libFuzzer target for HttpParser. The first input byte picks the direction, the response context
// pattern and the line buffer size; the rest is the stream. Each pass cuts the stream
// differently: whole, at split points derived from the data, and with gaps. With a pool that cannot
// run out, the whole and split passes must report the same events. Every pass must return its
// line buffer.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "dataplane/http/http_parser.h"

namespace {

using sluice::http::Anomaly;
using sluice::http::AnomalyName;
using sluice::http::HttpParser;
using sluice::http::LinePool;
using sluice::http::MessageInfo;
using sluice::http::MessageSink;
using sluice::http::ParserLimits;
using sluice::http::ResponseContext;
using sluice::http::Span;

// Builds a compact event log; body bytes are counted, not stored, so split points do not matter.
class LogSink : public MessageSink {
 public:
  explicit LogSink(uint8_t contexts) : contexts_(contexts) {}

  void OnRequestLine(Span method, Span target, uint8_t minor) override {
    Add('R');
    log_.append(method.data, method.length);
    log_.append(target.data, target.length);
    log_ += static_cast<char>(minor);
  }
  void OnStatusLine(uint16_t status, uint8_t minor, Span reason) override {
    Add('S');
    log_ += std::to_string(status);
    log_ += static_cast<char>(minor);
    log_.append(reason.data, reason.length);
  }
  void OnHeader(Span name, Span value) override {
    Add('H');
    log_.append(name.data, name.length);
    log_.append(value.data, value.length);
  }
  ResponseContext OnHeadersComplete(const MessageInfo& info) override {
    Add('C');
    log_ += std::to_string(static_cast<int>(info.framing));
    const uint8_t pick = (contexts_ >> (2 * (responses_++ % 4))) & 3;
    if (pick == 1) return ResponseContext::kAnswersHead;
    if (pick == 2) return ResponseContext::kAnswersConnect;
    return ResponseContext::kNormal;
  }
  void OnBody(const uint8_t* data, uint32_t length) override {
    if (length == 0) std::abort();
    // Reads the first and last byte so AddressSanitizer reports a slice outside the input.
    volatile uint8_t sink = data[0] ^ data[length - 1];
    (void)sink;
    body_bytes_ += length;
  }
  void OnMessageComplete(const MessageInfo& info) override {
    Add('E');
    log_ += std::to_string(info.body_bytes) + "/" + std::to_string(info.wire_bytes) +
            (info.complete ? "c" : "i");
  }
  void OnAnomaly(Anomaly anomaly) override {
    Add('A');
    log_ += AnomalyName(anomaly);
  }

  const std::string& Log() {
    Add('.');
    return log_;
  }

 private:
  void Add(char event) {
    if (body_bytes_ != 0) log_ += "B" + std::to_string(body_bytes_);
    body_bytes_ = 0;
    log_ += event;
  }

  uint8_t contexts_;
  uint32_t responses_ = 0;
  uint64_t body_bytes_ = 0;
  std::string log_;
};

constexpr uint32_t kPoolBuffers = 2;

// Feeds `data` cut every `stride` bytes (0: whole); with `gaps`, every third cut loses `stride` bytes.
std::string FeedOnce(const uint8_t* data, size_t size, bool is_request, uint8_t contexts,
                     uint32_t line_bytes, uint32_t stride, bool gaps) {
  LinePool pool(kPoolBuffers, line_bytes);
  ParserLimits limits;
  limits.max_headers = 8;
  limits.max_header_bytes = 512;
  LogSink sink(contexts);
  HttpParser parser;
  parser.Reset(is_request);
  size_t offset = 0;
  uint32_t cut = 0;
  while (offset < size) {
    size_t length = stride == 0 ? size - offset : std::min<size_t>(stride, size - offset);
    if (gaps && ++cut % 3 == 0) {
      parser.OnGap(static_cast<uint32_t>(length), pool, sink);
    } else {
      parser.Feed(data + offset, static_cast<uint32_t>(length), pool, limits, sink);
    }
    offset += length;
  }
  parser.Finish(pool, sink);
  if (pool.free_buffers() != kPoolBuffers) std::abort();  // line buffer leaked
  return sink.Log();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 1 << 16) return 0;
  const uint8_t control = data[0];
  const bool is_request = (control & 1) != 0;
  const uint8_t contexts = static_cast<uint8_t>(control >> 1);
  const uint32_t line_bytes = 8u << ((control >> 5) & 3);
  ++data;
  --size;

  const std::string whole = FeedOnce(data, size, is_request, contexts, line_bytes, 0, false);
  const uint32_t stride = 1 + (size > 0 ? data[size / 2] % 17 : 0);
  if (FeedOnce(data, size, is_request, contexts, line_bytes, stride, false) != whole) std::abort();
  if (FeedOnce(data, size, is_request, contexts, line_bytes, 1, false) != whole) std::abort();
  FeedOnce(data, size, is_request, contexts, line_bytes, stride, true);
  return 0;
}
