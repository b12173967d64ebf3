// The end of a body for the body decoders (form_decode.h, json_unescape.h): an escape that the
// last piece started is never completed, so its bytes are scanned as sent.
#pragma once

#include <cstddef>

namespace sluice::inspect {

// Passes the pending bytes of `state` (any decoder state with `pending` and `pending_length`) to
// `emit(const char*, size_t)` and clears them.
template <typename State, typename Emit>
void FlushPendingEscape(State* state, Emit&& emit) {
  if (state->pending_length > 0) emit(static_cast<const char*>(state->pending), size_t{state->pending_length});
  state->pending_length = 0;
}

}  // namespace sluice::inspect
