#include "dataplane/session/http_session.h"

#include <strings.h>

#include <cassert>

#include "dataplane/http/url_normalize.h"

namespace sluice::session {

namespace {

using flow::Flow;

// Bytes a connection picked up mid-stream may carry before its first message start before it is
// judged not to be HTTP.
constexpr uint32_t kTrialBytes = 64 * 1024;
constexpr uint32_t kNotFound = UINT32_MAX;

// Offset of the first plausible message start: at the beginning of `data` or right after a LF.
uint32_t FindMessageStart(const uint8_t* data, uint32_t length, bool request) {
  const auto looks = [request](const uint8_t* at, uint32_t size) {
    return request ? HttpSession::LooksLikeRequest(at, size) : HttpSession::LooksLikeResponse(at, size);
  };
  if (looks(data, length)) return 0;
  for (uint32_t at = 0; at < length;) {
    const auto* lf = static_cast<const uint8_t*>(std::memchr(data + at, '\n', length - at));
    if (lf == nullptr) return kNotFound;
    at = static_cast<uint32_t>(lf - data) + 1;
    if (at < length && looks(data + at, length - at)) return at;
  }
  return kNotFound;
}

bool NameIs(http::Span name, const char* expected, uint32_t expected_length) {
  return name.length == expected_length && strncasecmp(name.data, expected, expected_length) == 0;
}

bool MethodIs(const Transaction& txn, const char* method, uint32_t length) {
  return txn.method.length == length && std::memcmp(txn.method.data, method, length) == 0;
}

// Splits a Host header value into name and port. "[::1]:8000" gives "::1" and 8000.
void ParseHost(http::Span value, Transaction* txn) {
  const char* begin = value.data;
  const char* end = value.data + value.length;
  const char* port = nullptr;
  if (begin < end && *begin == '[') {
    const char* close = static_cast<const char*>(std::memchr(begin, ']', value.length));
    if (close != nullptr) {
      if (close + 1 < end && close[1] == ':') port = close + 2;
      end = close;
      ++begin;
    }
  } else {
    const char* colon = static_cast<const char*>(std::memchr(begin, ':', value.length));
    if (colon != nullptr) {
      port = colon + 1;
      end = colon;
    }
  }
  if (!txn->host.Assign(begin, static_cast<uint32_t>(end - begin))) txn->fields_truncated = true;
  if (port == nullptr) return;
  uint32_t number = 0;
  const char* stop = value.data + value.length;
  const char* digit = port;
  for (; digit < stop && *digit >= '0' && *digit <= '9' && number <= 65535; ++digit) {
    number = number * 10 + static_cast<uint32_t>(*digit - '0');
  }
  if (digit == stop && digit != port && number <= 65535) txn->host_port = static_cast<uint16_t>(number);
}

}  // namespace

HttpSession::HttpSession(TransactionPool* transactions, http::LinePool* lines,
                         reassembly::SegmentPool* segments, record::RecordBuilder* records,
                         reassembly::ReassemblyCounters* reassembly_counters, SessionLimits limits,
                         inspect::Inspector* inspector)
    : transactions_(transactions),
      lines_(lines),
      segments_(segments),
      records_(records),
      reassembly_counters_(reassembly_counters),
      limits_(limits),
      inspector_(inspector) {
  normalized_path_.resize(3 * 4096);  // NormalizeTarget writes at most 3 bytes per target byte
  http_port_.assign(65536, false);
  for (const uint16_t port : limits_.http_ports) http_port_[port] = true;
}

bool HttpSession::LooksLikeRequest(const uint8_t* data, uint32_t length) {
  // A method is an uppercase token (RFC 9110 section 9.1); real ones are at most 17 characters.
  uint32_t i = 0;
  for (; i < length && i < 20; ++i) {
    const uint8_t c = data[i];
    if (c == ' ') return i > 0;
    if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_')) return false;
  }
  return i == length && i > 0;  // the token runs to the end of what arrived so far
}

bool HttpSession::LooksLikeResponse(const uint8_t* data, uint32_t length) {
  static constexpr char kPrefix[] = "HTTP/1.";
  const uint32_t n = length < 7 ? length : 7;
  return n > 0 && std::memcmp(data, kPrefix, n) == 0;
}

void HttpSession::Bind(Flow* flow, flow::Direction direction, uint64_t ts_ns) {
  flow_ = flow;
  direction_ = direction;
  ts_ns_ = ts_ns;
}

void HttpSession::Deliver(Flow& flow, flow::Direction direction, uint32_t seq,
                          const uint8_t* payload, uint32_t length, uint64_t ts_ns) {
  if (flow.not_http || flow.finished[direction]) return;
  Bind(&flow, direction, ts_ns);
  reassembly::TcpStream& stream = flow.streams[direction];
  if (!stream.started()) stream.StartAt(seq);
  reassembly::StreamLimits stream_limits = limits_.stream;
  stream_limits.overlap = flow.overlap_policy[direction];
  const uint8_t outcome =
      stream.AddSegment(seq, payload, length, *segments_, stream_limits, *this, *reassembly_counters_);
  // The record keeps the copy of overlapping bytes that the receiving stack keeps (the flow's
  // overlap policy for this direction); a different copy is an evasion attempt or a broken sender, and either is
  // worth recording.
  if (outcome & reassembly::kConflict) {
    Transaction* txn = flow.http ? DirectionTransaction() : nullptr;
    if (txn != nullptr) {
      txn->anomalies |= http::AnomalyBit(http::Anomaly::kOverlapConflict);
      ++counters_.anomalies[static_cast<int>(http::Anomaly::kOverlapConflict)];
    } else {
      flow.pending_conflicts |= static_cast<uint8_t>(1u << direction);  // for the next message
    }
  }
  if (flow.not_http) {
    flow.streams[flow::kToServer].Release(*segments_);
    flow.streams[flow::kToClient].Release(*segments_);
  }
}

void HttpSession::SkipAcknowledged(Flow& flow, flow::Direction direction, uint32_t acked, uint64_t ts_ns) {
  if (flow.not_http || flow.finished[direction] || flow.streams[direction].held_bytes() == 0) return;
  Bind(&flow, direction, ts_ns);
  flow.streams[direction].SkipAcknowledgedHoles(acked, *segments_, *this, *reassembly_counters_);
}

bool HttpSession::DecideHttp(const uint8_t* data, uint32_t length) {
  Flow& flow = *flow_;
  const uint16_t server_port = flow.client_is_a ? flow.key.port_b : flow.key.port_a;
  const bool http = direction_ == flow::kToServer && (LooksLikeRequest(data, length) || http_port_[server_port]);
  if (http) {
    flow.http = true;
    ++counters_.http_flows;
    flow.parsers[flow::kToServer].Reset(true);
    flow.parsers[flow::kToClient].Reset(false);
    return true;
  }
  // A connection seen from its start is judged by the client's first bytes.
  flow.not_http = true;
  ++counters_.non_http_flows;
  return false;
}

// A connection picked up in the middle may start inside a body, in either direction: each
// direction's bytes are skipped until a message start shows up, within a byte budget.
bool HttpSession::SyncMidstream(const uint8_t** data, uint32_t* length) {
  Flow& flow = *flow_;
  const uint32_t offset = FindMessageStart(*data, *length, direction_ == flow::kToServer);
  if (offset == kNotFound) {
    flow.trial_bytes += *length;
    if (flow.trial_bytes > kTrialBytes && !flow.http) {
      flow.not_http = true;
      ++counters_.non_http_flows;
    }
    return false;
  }
  flow.synced[direction_] = true;
  if (!flow.http) {
    flow.http = true;
    ++counters_.http_flows;
    flow.parsers[flow::kToServer].Reset(true);
    flow.parsers[flow::kToClient].Reset(false);
  }
  *data += offset;
  *length -= offset;
  return true;
}

void HttpSession::OnData(const uint8_t* data, uint32_t length) {
  Flow& flow = *flow_;
  if (!flow.syn_seen) {
    if (flow.not_http) return;
    if (!flow.synced[direction_] && !SyncMidstream(&data, &length)) return;
  } else if (!flow.http) {
    if (flow.not_http || !DecideHttp(data, length)) return;
  }
  // After CONNECT 2xx or 101 Switching Protocols the connection carries another protocol: the
  // response parser stopped by itself, and the request side must stop with it.
  if (direction_ == flow::kToServer && flow.parsers[flow::kToClient].in_tunnel()) return;
  flow.parsers[direction_].Feed(data, length, *lines_, limits_.parser, *this);
}

void HttpSession::OnGap(uint32_t length) {
  Flow& flow = *flow_;
  if (!flow.http) return;
  flow.gapped = true;
  flow.parsers[direction_].OnGap(length, *lines_, *this);
}

void HttpSession::FinishDirection(Flow& flow, flow::Direction direction, uint64_t ts_ns) {
  if (flow.finished[direction]) return;
  Bind(&flow, direction, ts_ns);
  if (!flow.not_http) flow.streams[direction].Flush(*segments_, *this, *reassembly_counters_);
  flow.streams[direction].Release(*segments_);
  if (flow.http) flow.parsers[direction].Finish(*lines_, *this);
  flow.finished[direction] = true;
}

void HttpSession::Close(Flow& flow, flow::FlowEnd end, uint64_t ts_ns) {
  FinishDirection(flow, flow::kToServer, ts_ns);
  FinishDirection(flow, flow::kToClient, ts_ns);
  Bind(&flow, flow::kToClient, ts_ns);
  EmitAllPending();
  flow.parsers[flow::kToServer].Release(*lines_);
  flow.parsers[flow::kToClient].Release(*lines_);
  records_->AddFlowSummary(flow, end);
  flow_ = nullptr;
}

void HttpSession::CloseBlocked(Flow& flow, uint64_t packet_index, uint64_t bytes_passed, bool reset_sent,
                               uint64_t ts_ns) {
  for (uint32_t i = 0; i < flow.pending_count; ++i) {
    Transaction& txn =
        transactions_->at(flow.pending[(flow.pending_head + i) % flow::kMaxPendingTransactions]);
    if (!txn.blocked) continue;
    txn.block_packet = packet_index;
    txn.block_bytes_passed = bytes_passed;
    txn.block_reset_sent = reset_sent;
  }
  // The dropped packet and everything after it never reach the parsers: the flow ends here.
  flow.finished[flow::kToServer] = flow.finished[flow::kToClient] = true;
  flow.streams[flow::kToServer].Release(*segments_);
  flow.streams[flow::kToClient].Release(*segments_);
  Close(flow, flow::FlowEnd::kBlocked, ts_ns);
}

// --- Transactions -------------------------------------------------------------------------------

uint32_t HttpSession::PushTransaction() {
  Flow& flow = *flow_;
  if (flow.pending_count == flow::kMaxPendingTransactions) {
    ++counters_.pipeline_overflows;
    EmitFront();  // the oldest request is recorded without its response
  }
  // After an untracked request, later ones on the connection stay untracked too, until its
  // response passed: a tracked one would take that response.
  const uint32_t slot = flow.untracked_requests > 0 ? TransactionPool::kNone : transactions_->Take();
  if (slot == TransactionPool::kNone) {
    ++counters_.transaction_pool_exhausted;
    return flow::kNoIndex;
  }
  Transaction& txn = transactions_->at(slot);
  txn.index = flow.next_index++;
  if (inspector_ != nullptr) inspector_->Begin(&txn.inspection);
  AttachPendingConflict(&txn);
  const uint32_t tail = (flow.pending_head + flow.pending_count) % flow::kMaxPendingTransactions;
  flow.pending[tail] = slot;
  ++flow.pending_count;
  return slot;
}

Transaction* HttpSession::RequestTransaction() {
  const uint32_t slot = flow_->request_txn;
  return slot == flow::kNoIndex ? nullptr : &transactions_->at(slot);
}

Transaction* HttpSession::ResponseTransaction() {
  const Flow& flow = *flow_;
  if (flow.pending_count == 0) return nullptr;
  return &transactions_->at(flow.pending[flow.pending_head]);
}

void HttpSession::EmitFront() {
  Flow& flow = *flow_;
  const uint32_t slot = flow.pending[flow.pending_head];
  flow.pending_head = static_cast<uint8_t>((flow.pending_head + 1) % flow::kMaxPendingTransactions);
  --flow.pending_count;
  if (flow.request_txn == slot) flow.request_txn = flow::kNoIndex;
  Transaction& txn = transactions_->at(slot);
  if (txn.has_request && !txn.has_response) {
    txn.anomalies |= http::AnomalyBit(http::Anomaly::kRequestWithoutResponse);
    ++counters_.unanswered_requests;
  }
  if (!flow.syn_seen && txn.index == 0) txn.anomalies |= http::AnomalyBit(http::Anomaly::kMidstreamStart);
  if (inspector_ != nullptr) inspector_->Evaluate(&txn.inspection);
  if (observer_ != nullptr) observer_->OnCallEnd(flow, &txn);
  records_->AddTransaction(flow, txn);
  ++flow.transactions;
  ++counters_.transactions;
  if (inspector_ != nullptr) inspector_->Release(&txn.inspection);
  transactions_->Give(slot);
}

void HttpSession::EmitAllPending() {
  while (flow_->pending_count > 0) EmitFront();
}

// An overlap conflict seen before any message of its direction was parsed belongs to the next one.
void HttpSession::AttachPendingConflict(Transaction* txn) {
  const auto bit = static_cast<uint8_t>(1u << direction_);
  if ((flow_->pending_conflicts & bit) == 0) return;
  flow_->pending_conflicts = static_cast<uint8_t>(flow_->pending_conflicts & ~bit);
  txn->anomalies |= http::AnomalyBit(http::Anomaly::kOverlapConflict);
  ++counters_.anomalies[static_cast<int>(http::Anomaly::kOverlapConflict)];
}

Transaction* HttpSession::DirectionTransaction() {
  return direction_ == flow::kToServer ? RequestTransaction() : ResponseTransaction();
}

// Re-evaluates the rules after a field was scanned. A new block verdict makes the worker stop the
// connection at the current packet.
void HttpSession::Inspect(Transaction* txn) {
  if (!inspector_->Evaluate(&txn->inspection)) return;
  if (inspector_->RecordedVerdict(txn->inspection) != inspect::Verdict::kBlock) return;
  if (flow_->block_requested || txn->blocked) return;
  txn->blocked = true;
  txn->block_direction = direction_;
  flow_->block_requested = true;
  ++counters_.blocks_requested;
}

// A client with a block finding in force loses the connection at this request (inline); the
// observer records would_block where nothing can be blocked.
void HttpSession::ObserveRequest(Transaction* txn) {
  observer_->OnRequestHeaders(*flow_, txn);
  if (txn->detect.verdict != static_cast<uint8_t>(wire::Verdict::Block)) return;
  if (flow_->block_requested || txn->blocked) return;
  txn->blocked = true;
  txn->block_direction = direction_;
  flow_->block_requested = true;
  ++counters_.blocks_requested;
}

// --- Parser events ------------------------------------------------------------------------------

void HttpSession::OnRequestLine(http::Span method, http::Span target, uint8_t version_minor) {
  ++counters_.requests;
  const uint32_t slot = PushTransaction();
  flow_->request_txn = slot;
  if (slot == flow::kNoIndex) {
    if (flow_->untracked_requests < UINT16_MAX) ++flow_->untracked_requests;
    return;
  }
  Transaction& txn = transactions_->at(slot);
  txn.has_request = true;
  txn.request_ts_ns = ts_ns_;
  txn.version_minor = version_minor;
  bool fits = txn.method.Assign(method.data, method.length);
  fits &= txn.target.Assign(target.data, target.length);
  if (!fits) txn.fields_truncated = true;
  session::KeepNormalizedPath(&txn);
  if (inspector_ != nullptr) {
    std::string_view path;
    std::string_view query;
    record::RecordBuilder::SplitTarget(target.data, target.length, &path, &query);
    // Rules on url.path see the path the server resolves, as the record shows it. A target cut
    // to fit the record is normalised whole for them.
    std::string_view resolved(txn.path.data, txn.path.length);
    if (!fits || !txn.path_kept) {
      const http::NormalizedPath normalized = http::NormalizeTarget(
          target.data, target.length, normalized_path_.data(), static_cast<uint32_t>(normalized_path_.size()));
      resolved = std::string_view(normalized_path_.data(), normalized.length);
    }
    inspector_->RequestLine(&txn.inspection, std::string_view(method.data, method.length),
                            std::string_view(target.data, target.length), resolved, query);
    Inspect(&txn);
  }
}

namespace {

// 1xx responses are interim, except 101 Switching Protocols: it is the final answer to the
// request, and the connection stops being HTTP after it (RFC 9110 section 15.2.2).
bool IsInterim(uint16_t status_code) { return status_code < 200 && status_code != 101; }

}  // namespace

void HttpSession::OnStatusLine(uint16_t status_code, uint8_t version_minor, http::Span) {
  if (IsInterim(status_code)) {
    ++counters_.interim_responses;
    return;
  }
  ++counters_.responses;
  Transaction* txn = ResponseTransaction();
  if (txn == nullptr && flow_->untracked_requests > 0) {
    // The response to a request that found no free slot, already counted in
    // transaction_pool_exhausted.
    --flow_->untracked_requests;
    return;
  }
  if (txn == nullptr) {
    ++counters_.unexpected_responses;
    const uint32_t slot = PushTransaction();
    if (slot == flow::kNoIndex) return;
    txn = &transactions_->at(slot);
    txn->anomalies |= http::AnomalyBit(http::Anomaly::kUnexpectedResponse);
    txn->request_ts_ns = ts_ns_;
    txn->version_minor = version_minor;
  }
  txn->has_response = true;
  txn->status_code = status_code;
  AttachPendingConflict(txn);
  if (inspector_ != nullptr) {
    inspector_->Status(&txn->inspection, status_code);
    Inspect(txn);
  }
}

void HttpSession::OnHeader(http::Span name, http::Span value) {
  if (inspector_ != nullptr) {
    Transaction* txn = DirectionTransaction();
    if (txn != nullptr && (direction_ == flow::kToServer || txn->has_response)) {
      inspector_->Header(&txn->inspection,
                         direction_ == flow::kToServer ? matchers::Direction::kRequest
                                                       : matchers::Direction::kResponse,
                         std::string_view(name.data, name.length), std::string_view(value.data, value.length));
    }
  }
  if (direction_ == flow::kToServer) {
    Transaction* txn = RequestTransaction();
    if (txn == nullptr) return;
    if (observer_ != nullptr && observer_->WantsHeader(std::string_view(name.data, name.length))) {
      // Only its prefix identifies a longer one; it is not recorded, so nothing is flagged.
      txn->identity_header.Assign(value.data, value.length);
    }
    if (NameIs(name, "host", 4)) {
      ParseHost(value, txn);
    } else if (NameIs(name, "user-agent", 10)) {
      if (!txn->user_agent.Assign(value.data, value.length)) txn->fields_truncated = true;
    } else if (NameIs(name, "content-type", 12)) {
      if (!txn->request_mime.Assign(value.data, value.length)) txn->fields_truncated = true;
    }
    return;
  }
  Transaction* txn = ResponseTransaction();
  if (txn != nullptr && txn->has_response && NameIs(name, "content-type", 12)) {
    if (!txn->response_mime.Assign(value.data, value.length)) txn->fields_truncated = true;
  }
}

http::ResponseContext HttpSession::OnHeadersComplete(const http::MessageInfo& info) {
  if (inspector_ != nullptr && (info.is_request || !IsInterim(info.status_code))) {
    Transaction* txn = DirectionTransaction();
    if (txn != nullptr) Inspect(txn);
  }
  if (info.is_request) {
    Transaction* txn = RequestTransaction();
    if (observer_ != nullptr && txn != nullptr) ObserveRequest(txn);
    return http::ResponseContext::kNormal;
  }
  const Transaction* txn = ResponseTransaction();
  if (txn == nullptr || !txn->has_request) return http::ResponseContext::kNormal;
  if (MethodIs(*txn, "HEAD", 4)) return http::ResponseContext::kAnswersHead;
  if (MethodIs(*txn, "CONNECT", 7)) return http::ResponseContext::kAnswersConnect;
  return http::ResponseContext::kNormal;
}

void HttpSession::OnBody(const uint8_t* data, uint32_t length) {
  if (inspector_ == nullptr) return;
  Transaction* txn = DirectionTransaction();
  if (txn == nullptr || (direction_ == flow::kToClient && !txn->has_response)) return;
  inspector_->Body(&txn->inspection,
                   direction_ == flow::kToServer ? matchers::Direction::kRequest : matchers::Direction::kResponse,
                   data, length);
  Inspect(txn);
}

void HttpSession::OnMessageComplete(const http::MessageInfo& info) {
  if (info.is_request) {
    Transaction* txn = RequestTransaction();
    if (txn == nullptr) return;
    if (inspector_ != nullptr) {
      inspector_->BodyEnd(&txn->inspection, matchers::Direction::kRequest);
      Inspect(txn);
    }
    txn->request_body_bytes = info.body_bytes;
    txn->request_complete = info.complete;
    if (!info.complete) txn->anomalies |= http::AnomalyBit(http::Anomaly::kIncompleteMessage);
    flow_->request_txn = flow::kNoIndex;
    return;
  }
  if (IsInterim(info.status_code)) return;
  Transaction* txn = ResponseTransaction();
  if (txn == nullptr || !txn->has_response) return;
  if (inspector_ != nullptr) {
    inspector_->BodyEnd(&txn->inspection, matchers::Direction::kResponse);
    Inspect(txn);
  }
  txn->response_body_bytes = info.body_bytes;
  txn->response_complete = info.complete;
  if (!info.complete) txn->anomalies |= http::AnomalyBit(http::Anomaly::kIncompleteMessage);
  txn->response_end_ts_ns = ts_ns_;
  // A block decided on this very packet is carried out by the worker, which then ends the flow
  // and emits the transaction with what the block did.
  if (txn->blocked) return;
  EmitFront();
}

void HttpSession::OnAnomaly(http::Anomaly anomaly) {
  const auto index = static_cast<uint8_t>(anomaly);
  if (index < static_cast<uint8_t>(http::Anomaly::kCount)) ++counters_.anomalies[index];
  // A request line too long to parse still gets its transaction, so that the server's answer
  // (typically 414) pairs with it instead of with the next request.
  if (anomaly == http::Anomaly::kLineTooLong && direction_ == flow::kToServer &&
      RequestTransaction() == nullptr && !flow_->parsers[flow::kToServer].message_in_progress()) {
    const uint32_t slot = PushTransaction();
    flow_->request_txn = slot;
    if (slot != flow::kNoIndex) {
      Transaction& txn = transactions_->at(slot);
      txn.has_request = true;
      txn.request_ts_ns = ts_ns_;
    } else if (flow_->untracked_requests < UINT16_MAX) {
      ++flow_->untracked_requests;
    }
  }
  Transaction* txn = direction_ == flow::kToServer ? RequestTransaction() : ResponseTransaction();
  if (txn != nullptr) {
    txn->anomalies |= http::AnomalyBit(anomaly);
  } else {
    flow_->anomalies |= http::AnomalyBit(anomaly);
  }
}

}  // namespace sluice::session
