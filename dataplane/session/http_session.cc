#include "dataplane/session/http_session.h"

#include <strings.h>

#include <cassert>

namespace sluice::session {

namespace {

using flow::Flow;

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
                         reassembly::ReassemblyCounters* reassembly_counters, SessionLimits limits)
    : transactions_(transactions),
      lines_(lines),
      segments_(segments),
      records_(records),
      reassembly_counters_(reassembly_counters),
      limits_(limits) {}

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
  stream.AddSegment(seq, payload, length, *segments_, limits_.stream, *this, *reassembly_counters_);
  if (flow.not_http) {
    flow.streams[flow::kToServer].Release(*segments_);
    flow.streams[flow::kToClient].Release(*segments_);
  }
}

bool HttpSession::DecideHttp(const uint8_t* data, uint32_t length) {
  Flow& flow = *flow_;
  const bool http = direction_ == flow::kToServer ? LooksLikeRequest(data, length)
                                                   : flow.syn_seen ? false
                                                                   : LooksLikeResponse(data, length);
  if (http) {
    flow.http = true;
    ++counters_.http_flows;
    flow.parsers[flow::kToServer].Reset(true);
    flow.parsers[flow::kToClient].Reset(false);
    return true;
  }
  // A connection seen from its start is judged by the client's first bytes; one picked up in
  // the middle gets a few more payloads to show a message start.
  if (flow.syn_seen || ++flow.detect_tries >= 16) {
    flow.not_http = true;
    ++counters_.non_http_flows;
  }
  return false;
}

void HttpSession::OnData(const uint8_t* data, uint32_t length) {
  Flow& flow = *flow_;
  if (!flow.http) {
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

// --- Transactions -------------------------------------------------------------------------------

uint32_t HttpSession::PushTransaction() {
  Flow& flow = *flow_;
  if (flow.pending_count == flow::kMaxPendingTransactions) {
    ++counters_.pipeline_overflows;
    EmitFront();  // the oldest request is recorded without its response
  }
  const uint32_t slot = transactions_->Take();
  if (slot == TransactionPool::kNone) {
    ++counters_.transaction_pool_exhausted;
    return flow::kNoIndex;
  }
  Transaction& txn = transactions_->at(slot);
  txn.index = flow.next_index++;
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
  records_->AddTransaction(flow, txn);
  ++flow.transactions;
  ++counters_.transactions;
  transactions_->Give(slot);
}

void HttpSession::EmitAllPending() {
  while (flow_->pending_count > 0) EmitFront();
}

// --- Parser events ------------------------------------------------------------------------------

void HttpSession::OnRequestLine(http::Span method, http::Span target, uint8_t version_minor) {
  ++counters_.requests;
  const uint32_t slot = PushTransaction();
  flow_->request_txn = slot;
  if (slot == flow::kNoIndex) return;
  Transaction& txn = transactions_->at(slot);
  txn.has_request = true;
  txn.request_ts_ns = ts_ns_;
  txn.version_minor = version_minor;
  bool fits = txn.method.Assign(method.data, method.length);
  fits &= txn.target.Assign(target.data, target.length);
  if (!fits) txn.fields_truncated = true;
}

void HttpSession::OnStatusLine(uint16_t status_code, uint8_t version_minor, http::Span) {
  if (status_code < 200) {
    ++counters_.interim_responses;
    return;
  }
  ++counters_.responses;
  Transaction* txn = ResponseTransaction();
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
}

void HttpSession::OnHeader(http::Span name, http::Span value) {
  if (direction_ == flow::kToServer) {
    Transaction* txn = RequestTransaction();
    if (txn == nullptr) return;
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
  if (info.is_request) return http::ResponseContext::kNormal;
  const Transaction* txn = ResponseTransaction();
  if (txn == nullptr || !txn->has_request) return http::ResponseContext::kNormal;
  if (MethodIs(*txn, "HEAD", 4)) return http::ResponseContext::kAnswersHead;
  if (MethodIs(*txn, "CONNECT", 7)) return http::ResponseContext::kAnswersConnect;
  return http::ResponseContext::kNormal;
}

void HttpSession::OnBody(const uint8_t*, uint32_t) {}

void HttpSession::OnMessageComplete(const http::MessageInfo& info) {
  if (info.is_request) {
    Transaction* txn = RequestTransaction();
    if (txn == nullptr) return;
    txn->request_body_bytes = info.body_bytes;
    txn->request_complete = info.complete;
    flow_->request_txn = flow::kNoIndex;
    return;
  }
  if (info.status_code < 200) return;
  Transaction* txn = ResponseTransaction();
  if (txn == nullptr || !txn->has_response) return;
  txn->response_body_bytes = info.body_bytes;
  txn->response_complete = info.complete;
  txn->response_end_ts_ns = ts_ns_;
  EmitFront();
}

void HttpSession::OnAnomaly(http::Anomaly anomaly) {
  const auto index = static_cast<uint8_t>(anomaly);
  if (index < static_cast<uint8_t>(http::Anomaly::kCount)) ++counters_.anomalies[index];
  Transaction* txn = direction_ == flow::kToServer ? RequestTransaction() : ResponseTransaction();
  if (txn != nullptr) {
    txn->anomalies |= http::AnomalyBit(anomaly);
  } else {
    flow_->anomalies |= http::AnomalyBit(anomaly);
  }
}

}  // namespace sluice::session
