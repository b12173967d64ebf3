#include "control/transport/frame_check.h"

namespace sluice::control {

std::string_view FrameErrorName(FrameError error) {
  switch (error) {
    case FrameError::kMultipart: return "multipart";
    case FrameError::kEmpty: return "empty";
    case FrameError::kTooShort: return "too_short";
    case FrameError::kBadIdentifier: return "bad_identifier";
    case FrameError::kVerifyFailed: return "verify_failed";
    case FrameError::kNoBody: return "no_body";
    case FrameError::kUnknownBody: return "unknown_body";
    case FrameError::kCount: break;
  }
  return "unknown";
}

CheckedFrame CheckFrame(const uint8_t* data, size_t size) {
  // A root offset (4 bytes) then the file identifier (4 bytes) open every FlatBuffers buffer.
  constexpr size_t kMinimumSize = sizeof(flatbuffers::uoffset_t) + flatbuffers::kFileIdentifierLength;

  CheckedFrame checked;
  if (size == 0) {
    checked.error = FrameError::kEmpty;
    return checked;
  }
  if (size < kMinimumSize) {
    checked.error = FrameError::kTooShort;
    return checked;
  }
  if (!wire::MessageBufferHasIdentifier(data)) {
    checked.error = FrameError::kBadIdentifier;
    return checked;
  }
  flatbuffers::Verifier verifier(data, size);
  if (!wire::VerifyMessageBuffer(verifier)) {
    checked.error = FrameError::kVerifyFailed;
    return checked;
  }

  const wire::Message* message = wire::GetMessage(data);
  const wire::MessageBody body = message->body_type();
  if (body == wire::MessageBody::NONE || message->body() == nullptr) {
    checked.error = FrameError::kNoBody;
    return checked;
  }
  // The generated verifier accepts union types it does not know, so that old readers pass new
  // messages; this build cannot handle them.
  if (body > wire::MessageBody::MAX) {
    checked.error = FrameError::kUnknownBody;
    return checked;
  }
  checked.message = message;
  return checked;
}

}  // namespace sluice::control
