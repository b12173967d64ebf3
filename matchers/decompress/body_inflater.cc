#include "matchers/decompress/body_inflater.h"

#include <algorithm>

namespace sluice::matchers {

BodyInflater::BodyInflater() {
  zs_.zalloc = &BodyInflater::Allocate;
  zs_.zfree = &BodyInflater::Free;
  zs_.opaque = this;
}

BodyInflater::~BodyInflater() {
  if (initialized_) inflateEnd(&zs_);
}

voidpf BodyInflater::Allocate(voidpf opaque, uInt items, uInt size) {
  auto* self = static_cast<BodyInflater*>(opaque);
  size_t bytes = (static_cast<size_t>(items) * size + 15) & ~size_t{15};
  if (bytes > kArenaBytes - self->arena_used_) return Z_NULL;
  voidpf address = self->arena_.data() + self->arena_used_;
  self->arena_used_ += bytes;
  return address;
}

void BodyInflater::Free(voidpf /*opaque*/, voidpf /*address*/) {
  // The arena is reset as a whole in Begin().
}

void BodyInflater::Begin(BodyEncoding encoding, uint64_t output_cap) {
  if (initialized_) inflateEnd(&zs_);
  initialized_ = false;
  arena_used_ = 0;
  header_seen_ = false;
  encoding_ = encoding;
  cap_ = output_cap;
  bytes_out_ = 0;
  anomalies_ = 0;
  stopped_ = false;
  finished_ = false;
  out_len_ = 0;
}

bool BodyInflater::Init(int window_bits) {
  zs_.next_in = Z_NULL;
  zs_.avail_in = 0;
  if (inflateInit2(&zs_, window_bits) != Z_OK) {
    anomalies_ |= kInflateNoMemory;
    stopped_ = true;
    return false;
  }
  initialized_ = true;
  return true;
}

size_t BodyInflater::Step(const uint8_t* data, size_t len) {
  if (finished_) {
    anomalies_ |= kInflateTrailingData;
    stopped_ = true;
    return len;
  }
  if (!initialized_) {
    int window_bits = 15 + 16;  // gzip wrapper only
    if (encoding_ == BodyEncoding::kDeflate) {
      // RFC 9110 section 8.4.1.2: "deflate" is the zlib format, but some servers send raw
      // deflate. A zlib header's first byte has compression method 8 and a window size of at
      // most 32 KiB. NOTE: a raw stream whose first byte happens to fit is decoded as zlib and
      // then reported corrupt.
      bool zlib = (data[0] & 0x0f) == 8 && (data[0] >> 4) <= 7;
      window_bits = zlib ? 15 : -15;
    }
    if (!Init(window_bits)) return len;
  }

  zs_.next_in = const_cast<Bytef*>(data);
  zs_.avail_in = static_cast<uInt>(std::min<size_t>(len, UINT32_MAX));
  uint64_t room = cap_ - bytes_out_;
  uint8_t probe;
  bool probing = room == 0;
  zs_.next_out = probing ? &probe : out_.data();
  zs_.avail_out = probing ? 1 : static_cast<uInt>(std::min<uint64_t>(room, kChunkBytes));

  int status = inflate(&zs_, Z_NO_FLUSH);
  size_t consumed = len - zs_.avail_in;
  size_t produced = (probing ? 1 : std::min<uint64_t>(room, kChunkBytes)) - zs_.avail_out;
  if (probing && produced > 0) {
    // The cap is reached and the stream still has output: stop decoding this body.
    anomalies_ |= kInflateCapExceeded;
    stopped_ = true;
    return len;
  }
  if (!probing) {
    out_len_ = produced;
    bytes_out_ += produced;
  }

  switch (status) {
    case Z_STREAM_END:
      finished_ = true;
      if (consumed < len) {
        anomalies_ |= kInflateTrailingData;
        stopped_ = true;
        return len;
      }
      break;
    case Z_OK:
    case Z_BUF_ERROR:
      if (probing && consumed == 0) return len;  // cannot happen with input; avoids a loop
      break;
    case Z_MEM_ERROR:
      anomalies_ |= kInflateNoMemory;
      stopped_ = true;
      return len;
    default:  // Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR
      anomalies_ |= kInflateCorrupt;
      stopped_ = true;
      return len;
  }
  return consumed;
}

void BodyInflater::End() {
  if (!finished_ && !stopped_ && initialized_) anomalies_ |= kInflateTruncated;
  stopped_ = true;
}

}  // namespace sluice::matchers
