// Streaming gzip/deflate decoding of HTTP bodies (Content-Encoding: gzip, x-gzip, deflate) with
// an output cap. One per body in flight, taken from a per-worker pool; owned by one worker core.
// zlib's allocations go to a fixed arena inside the object, so decoding never touches the heap.
#pragma once

#include <zlib.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace sluice::matchers {

enum class BodyEncoding : uint8_t { kGzip, kDeflate };

// Anomalies of one body, as bits: recorded, never fatal.
enum InflateAnomaly : uint32_t {
  kInflateCapExceeded = 1u << 0,  // output reached the cap; the rest was not decoded
  kInflateCorrupt = 1u << 1,      // zlib reported bad data; decoding stopped there
  kInflateTruncated = 1u << 2,    // the body ended before the compressed stream did
  kInflateTrailingData = 1u << 3, // bytes after the end of the compressed stream
  kInflateNoMemory = 1u << 4,     // zlib needed more than the arena holds
};

class BodyInflater {
 public:
  BodyInflater();
  ~BodyInflater();
  BodyInflater(const BodyInflater&) = delete;
  BodyInflater& operator=(const BodyInflater&) = delete;

  // Starts a body. `output_cap` bounds the decoded bytes handed to the sink.
  void Begin(BodyEncoding encoding, uint64_t output_cap);

  // Decodes one piece of the encoded body, calling sink(const char* data, size_t len) for each
  // decoded chunk (at most kChunkBytes). After an anomaly that stops decoding, further input is
  // ignored.
  template <typename Sink>
  void Feed(const uint8_t* data, size_t len, Sink&& sink) {
    while (len > 0 && !stopped_) {
      size_t used = Step(data, len);
      data += used;
      len -= used;
      size_t produced = out_len_;
      if (produced > 0) sink(reinterpret_cast<const char*>(out_.data()), produced);
      out_len_ = 0;
      if (used == 0 && produced == 0) break;  // no progress possible with this input
    }
  }

  // Ends the body; records kInflateTruncated if the compressed stream was not complete.
  void End();

  uint32_t anomalies() const { return anomalies_; }
  uint64_t bytes_out() const { return bytes_out_; }
  bool finished() const { return finished_; }

  static constexpr size_t kChunkBytes = 16 * 1024;

 private:
  static voidpf Allocate(voidpf opaque, uInt items, uInt size);
  static void Free(voidpf opaque, voidpf address);
  bool Init(int window_bits);
  // Decodes from `data` into out_; returns the input bytes consumed.
  size_t Step(const uint8_t* data, size_t len);

  // zlib 1.2 inflate needs about 7 KiB of state plus a 32 KiB window.
  static constexpr size_t kArenaBytes = 48 * 1024;
  alignas(16) std::array<uint8_t, kArenaBytes> arena_;
  size_t arena_used_ = 0;
  z_stream zs_{};
  bool initialized_ = false;
  bool header_seen_ = false;  // for deflate: zlib-wrapped or raw is decided on the first byte
  BodyEncoding encoding_ = BodyEncoding::kGzip;
  uint64_t cap_ = 0;
  uint64_t bytes_out_ = 0;
  uint32_t anomalies_ = 0;
  bool stopped_ = false;
  bool finished_ = false;
  std::array<uint8_t, kChunkBytes> out_;
  size_t out_len_ = 0;
};

}  // namespace sluice::matchers
