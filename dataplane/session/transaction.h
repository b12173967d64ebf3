// One HTTP request and its response, as the worker fills it while parsing. Slots come from a
// per-worker TransactionPool so that open transactions cost no allocation.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "dataplane/http/http_anomaly.h"
#include "dataplane/http/url_normalize.h"
#include "dataplane/inspect/inspector.h"
#include "matchers/pii/percent_decode.h"
#include "matchers/pii/pii_finder.h"

namespace sluice::session {

// A string field with a fixed capacity. Longer values are cut to their first kCapacity bytes,
// and `cut` is set.
template <uint32_t kCapacity>
struct BoundedText {
  char data[kCapacity];
  uint32_t length;
  bool cut;

  // Copies at most kCapacity bytes; returns false when `size` did not fit.
  bool Assign(const char* text, uint32_t size) {
    const uint32_t kept = size < kCapacity ? size : kCapacity;
    std::memcpy(data, text, kept);
    length = kept;
    cut = kept < size;
    return !cut;
  }
  void Clear() {
    length = 0;
    cut = false;
  }
  bool empty() const { return length == 0; }
  std::string_view view() const { return std::string_view(data, length); }
};

// Returns `text`, a field cut to fit a record, without the value its cut may have split. Such a
// value would fail validation and go out raw in part. The end moves back over the last run of
// bytes that values are made of, with percent-escapes read as the byte they encode, to a byte
// that no value contains, a '/', an '=', or a space that does not follow a digit. So a path keeps
// its whole segments and a query its parameter names. A field that is one such run becomes empty.
inline std::string_view WithoutCutValue(std::string_view text) {
  size_t end = text.size();
  while (end > 0) {
    size_t step = 1;
    auto c = static_cast<unsigned char>(text[end - 1]);
    const int high = end >= 3 && text[end - 3] == '%' ? matchers::HexValue(text[end - 2]) : -1;
    const int low = high >= 0 ? matchers::HexValue(text[end - 1]) : -1;
    if (low >= 0) {
      c = static_cast<unsigned char>(high * 16 + low);
      step = 3;
    }
    const bool after_digit = end > step && text[end - step - 1] >= '0' && text[end - step - 1] <= '9';
    if (matchers::IsPiiBreak(c) || c == '/' || c == '=' || (c == ' ' && !after_digit)) {
      return text.substr(0, end);
    }
    end -= step;
  }
  return text.substr(0, 0);
}

// What the detectors (dataplane/detect) add to a transaction's record. Filled by the worker's
// detection agent; `present` false leaves the record's detector fields out.
struct CallAnnotation {
  static constexpr uint32_t kMaxFindings = 4;
  static constexpr uint32_t kEndpointBytes = 128;
  static constexpr uint32_t kClientIdBytes = 48;
  bool present;
  bool identified;                // the identity below is computed
  uint8_t client_kind;            // detect::ClientKind
  uint8_t verdict;                // wire::Verdict from the client's findings (0: pass)
  uint8_t block_detector;         // detect::Detector behind a block or would_block
  uint8_t finding_count;
  uint64_t client_hash;
  uint64_t findings[kMaxFindings];
  uint32_t endpoint_length;
  uint32_t client_id_length;
  char endpoint[kEndpointBytes];
  char client_id[kClientIdBytes];

  void Reset() {
    present = identified = false;
    verdict = finding_count = 0;
    endpoint_length = client_id_length = 0;
  }
};

struct Transaction {
  uint32_t flow_slot;
  uint32_t index;                 // position in the flow
  uint64_t request_ts_ns;
  uint64_t response_end_ts_ns;
  bool has_request;
  bool request_complete;
  bool has_response;              // a final (non-1xx) status line was seen
  bool response_complete;
  uint8_t version_minor;
  uint16_t status_code;
  uint16_t host_port;
  uint64_t request_body_bytes;
  uint64_t response_body_bytes;
  http::AnomalySet anomalies;
  bool fields_truncated;
  BoundedText<32> method;
  BoundedText<4096> target;        // url.original
  // url.path: `target` normalised (dataplane/http/url_normalize.h) once, at the request line,
  // and kept when it fits. NormalizedPathOf() reads it back.
  BoundedText<1024> path;
  uint16_t path_flags;             // http::UrlFlag bits
  bool path_kept;
  BoundedText<256> host;
  BoundedText<512> user_agent;
  BoundedText<128> request_mime;
  BoundedText<128> response_mime;
  // Inline block of this transaction: which direction's packet was dropped, its position in the
  // connection, and the payload bytes of that direction that had passed before it.
  bool blocked;
  uint8_t block_direction;
  bool block_reset_sent;
  uint64_t block_packet;
  uint64_t block_bytes_passed;
  // Rule and PII matching; not cleared by Reset() because it may hold Hyperscan streams: the
  // session begins and releases it through its Inspector.
  inspect::TransactionInspection inspection;
  // The request header that identifies the client (see detect::IdentitySettings), as sent.
  BoundedText<1024> identity_header;
  CallAnnotation detect;

  void Reset() {
    flow_slot = index = 0;
    request_ts_ns = response_end_ts_ns = 0;
    has_request = request_complete = has_response = response_complete = false;
    version_minor = 1;
    status_code = host_port = 0;
    request_body_bytes = response_body_bytes = 0;
    anomalies = 0;
    fields_truncated = false;
    method.Clear();
    target.Clear();
    path.Clear();
    path_flags = 0;
    path_kept = false;
    host.Clear();
    user_agent.Clear();
    request_mime.Clear();
    response_mime.Clear();
    blocked = block_reset_sent = false;
    block_direction = 0;
    block_packet = block_bytes_passed = 0;
    identity_header.Clear();
    detect.Reset();
  }
};

// Normalises txn->target into txn->path. A path longer than txn->path is not kept.
inline void KeepNormalizedPath(Transaction* txn) {
  const http::NormalizedPath result =
      http::NormalizeTarget(txn->target.data, txn->target.length, txn->path.data, sizeof(txn->path.data));
  txn->path_kept = (result.flags & http::kUrlTruncated) == 0;
  txn->path.length = txn->path_kept ? result.length : 0;
  txn->path_flags = txn->path_kept ? result.flags : 0;
}

// The normalised path of txn's target: the kept copy, or else computed into `scratch`
// (3 * 4096 bytes always suffice). Points *data at it.
inline http::NormalizedPath NormalizedPathOf(const Transaction& txn, char* scratch, uint32_t capacity,
                                             const char** data) {
  if (txn.path_kept) {
    *data = txn.path.data;
    return http::NormalizedPath{txn.path.length, txn.path_flags};
  }
  *data = scratch;
  return http::NormalizeTarget(txn.target.data, txn.target.length, scratch, capacity);
}

// Fixed pool of transaction slots for one worker lcore.
class TransactionPool {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit TransactionPool(uint32_t count) : slots_(count) {
    free_.reserve(count);
    for (uint32_t i = count; i > 0; --i) free_.push_back(i - 1);
  }
  uint32_t Take() {
    if (free_.empty()) return kNone;
    const uint32_t slot = free_.back();
    free_.pop_back();
    slots_[slot].Reset();
    return slot;
  }
  void Give(uint32_t slot) { free_.push_back(slot); }
  Transaction& at(uint32_t slot) { return slots_[slot]; }
  uint32_t free_slots() const { return static_cast<uint32_t>(free_.size()); }
  uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }

 private:
  std::vector<Transaction> slots_;
  std::vector<uint32_t> free_;  // reserved once; never grows past the pool size
};

}  // namespace sluice::session
