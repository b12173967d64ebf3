#include "matchers/scan/stream_pool.h"

namespace sluice::matchers {

StreamPool::~StreamPool() {
  for (hs_stream_t* stream : all_) hs_close_stream(stream, nullptr, nullptr, nullptr);
}

bool StreamPool::Init(const hs_database_t* db, uint32_t capacity) {
  all_.reserve(capacity);
  free_.reserve(capacity);
  for (uint32_t i = 0; i < capacity; ++i) {
    hs_stream_t* stream = nullptr;
    if (hs_open_stream(db, 0, &stream) != HS_SUCCESS) return false;
    all_.push_back(stream);
    free_.push_back(stream);
  }
  capacity_ = capacity;
  return true;
}

void StreamPool::Release(hs_stream_t* stream, hs_scratch_t* scratch,
                         match_event_handler on_match, void* context) {
  if (stream == nullptr) return;
  if (on_match == nullptr) scratch = nullptr;  // hs_reset_stream rejects a scratch alone
  hs_reset_stream(stream, 0, scratch, on_match, context);
  free_.push_back(stream);
}

}  // namespace sluice::matchers
