// Verification of one ZeroMQ frame from a data plane. The network is untrusted: nothing in a frame
// is read before flatbuffers::Verifier has checked it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "records_generated.h"

namespace sluice::control {

// Reason a frame was dropped before its message was handled. The names are stable because they are
// counter suffixes.
enum class FrameError : uint8_t {
  kMultipart,      // the message had more than one payload part
  kEmpty,          // zero-length payload
  kTooShort,       // shorter than a root offset plus the 4-byte file identifier
  kBadIdentifier,  // file identifier is not "SLCE"
  kVerifyFailed,   // flatbuffers::Verifier rejected the buffer (truncated, out-of-bounds offsets...)
  kNoBody,         // a valid Message without a body
  kUnknownBody,    // a body type this build does not know
  kCount,
};

inline constexpr size_t kFrameErrorCount = static_cast<size_t>(FrameError::kCount);

std::string_view FrameErrorName(FrameError error);

struct CheckedFrame {
  const wire::Message* message = nullptr;  // set only when the frame is valid
  FrameError error = FrameError::kVerifyFailed;
};

// Verifies one payload. `data` must be 8-byte aligned, because the Verifier checks the alignment
// of every scalar; the caller copies unaligned payloads first.
CheckedFrame CheckFrame(const uint8_t* data, size_t size);

}  // namespace sluice::control
