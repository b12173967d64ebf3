// The HTTP layer of a worker: it receives reassembled bytes of each flow, runs the flow's two
// parsers, pairs requests with responses in order (pipelining included) and hands every finished
// transaction to the record builder.
//
// Ownership: one HttpSession per worker lcore. It serves every flow of that worker; Bind() points
// it at the flow and direction being processed before bytes are delivered, so flows carry no
// callback objects of their own.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/flow/flow.h"
#include "dataplane/http/http_parser.h"
#include "dataplane/reassembly/tcp_reassembler.h"
#include "dataplane/record/record_builder.h"
#include "dataplane/session/call_observer.h"
#include "dataplane/session/transaction.h"

namespace sluice::session {

struct SessionCounters {
  uint64_t requests = 0;
  uint64_t responses = 0;
  uint64_t interim_responses = 0;       // 1xx
  uint64_t transactions = 0;            // transaction records emitted
  uint64_t unanswered_requests = 0;     // emitted without a response
  uint64_t unexpected_responses = 0;    // a response with no request
  uint64_t transaction_pool_exhausted = 0;  // a request could not be tracked: no free slot
  uint64_t pipeline_overflows = 0;      // more than kMaxPendingTransactions requests outstanding
  uint64_t blocks_requested = 0;        // a block rule or a finding asked to stop a connection
  uint64_t http_flows = 0;
  uint64_t non_http_flows = 0;
  uint64_t anomalies[static_cast<int>(http::Anomaly::kCount)] = {};

  SessionCounters& operator+=(const SessionCounters& other) {
    requests += other.requests;
    responses += other.responses;
    interim_responses += other.interim_responses;
    transactions += other.transactions;
    unanswered_requests += other.unanswered_requests;
    unexpected_responses += other.unexpected_responses;
    transaction_pool_exhausted += other.transaction_pool_exhausted;
    pipeline_overflows += other.pipeline_overflows;
    blocks_requested += other.blocks_requested;
    http_flows += other.http_flows;
    non_http_flows += other.non_http_flows;
    for (int i = 0; i < static_cast<int>(http::Anomaly::kCount); ++i) anomalies[i] += other.anomalies[i];
    return *this;
  }
};

struct SessionLimits {
  http::ParserLimits parser;
  reassembly::StreamLimits stream;
  // Server ports always parsed as HTTP. Connections to other ports are parsed when the client's
  // first bytes look like a request line.
  std::vector<uint16_t> http_ports;
};

class HttpSession final : public reassembly::StreamSink, public http::MessageSink {
 public:
  // `inspector` may be null: no rules and no PII detection.
  HttpSession(TransactionPool* transactions, http::LinePool* lines, reassembly::SegmentPool* segments,
              record::RecordBuilder* records, reassembly::ReassemblyCounters* reassembly_counters,
              SessionLimits limits, inspect::Inspector* inspector = nullptr);

  // Adds one TCP segment's payload of `flow` travelling in `direction`.
  void Deliver(flow::Flow& flow, flow::Direction direction, uint32_t seq, const uint8_t* payload,
               uint32_t length, uint64_t ts_ns);
  // The other side acknowledged up to `acked` in `direction`: holes before it are skipped.
  void SkipAcknowledged(flow::Flow& flow, flow::Direction direction, uint32_t acked, uint64_t ts_ns);
  // Ends one direction: held bytes are flushed (holes become gaps) and its parser finishes.
  void FinishDirection(flow::Flow& flow, flow::Direction direction, uint64_t ts_ns);
  // Ends the flow: both directions finish, unanswered requests are emitted, then the flow summary.
  void Close(flow::Flow& flow, flow::FlowEnd end, uint64_t ts_ns);
  // Records on the transaction that asked for the block how it was carried out, then ends the
  // flow's records as blocked.
  void CloseBlocked(flow::Flow& flow, uint64_t packet_index, uint64_t bytes_passed, bool reset_sent,
                    uint64_t ts_ns);

  // True when `data` starts like an HTTP/1.x request line (a method token and a space).
  static bool LooksLikeRequest(const uint8_t* data, uint32_t length);
  // True when `data` starts with "HTTP/1.".
  static bool LooksLikeResponse(const uint8_t* data, uint32_t length);

  const SessionCounters& counters() const { return counters_; }
  // Per-call analysis (the detectors); null: none.
  void SetObserver(CallObserver* observer) { observer_ = observer; }

  // reassembly::StreamSink
  void OnData(const uint8_t* data, uint32_t length) override;
  void OnGap(uint32_t length) override;

  // http::MessageSink
  void OnRequestLine(http::Span method, http::Span target, uint8_t version_minor) override;
  void OnStatusLine(uint16_t status_code, uint8_t version_minor, http::Span reason) override;
  void OnHeader(http::Span name, http::Span value) override;
  http::ResponseContext OnHeadersComplete(const http::MessageInfo& info) override;
  void OnBody(const uint8_t* data, uint32_t length) override;
  void OnMessageComplete(const http::MessageInfo& info) override;
  void OnAnomaly(http::Anomaly anomaly) override;

 private:
  void Bind(flow::Flow* flow, flow::Direction direction, uint64_t ts_ns);
  bool DecideHttp(const uint8_t* data, uint32_t length);
  Transaction* RequestTransaction();
  Transaction* ResponseTransaction();
  uint32_t PushTransaction();
  void EmitFront();
  void EmitAllPending();
  void Inspect(Transaction* txn);
  void ObserveRequest(Transaction* txn);
  void AttachPendingConflict(Transaction* txn);
  bool SyncMidstream(const uint8_t** data, uint32_t* length);
  Transaction* DirectionTransaction();

  TransactionPool* transactions_;
  http::LinePool* lines_;
  reassembly::SegmentPool* segments_;
  record::RecordBuilder* records_;
  reassembly::ReassemblyCounters* reassembly_counters_;
  SessionLimits limits_;
  inspect::Inspector* inspector_;
  CallObserver* observer_ = nullptr;
  std::vector<char> normalized_path_;  // scratch for the url.path that rules see
  std::vector<bool> http_port_;        // 65536 entries: limits_.http_ports as a lookup table
  SessionCounters counters_;
  // Bound context: valid only during Deliver, FinishDirection and Close.
  flow::Flow* flow_ = nullptr;
  flow::Direction direction_ = flow::kToServer;
  uint64_t ts_ns_ = 0;
};

}  // namespace sluice::session
