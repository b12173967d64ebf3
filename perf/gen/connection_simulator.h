#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "perf/gen/gen_stats.h"
#include "perf/gen/http_exchange.h"
#include "perf/gen/population.h"
#include "perf/gen/rng.h"
#include "perf/gen/tcp_flow.h"

namespace sluice::gen {

// Teardown of a connection.
enum class CloseKind {
  kClientFin,      // Client closes after its last call.
  kServerFin,      // Response carries "Connection: close" (always for HTTP/1.0), server closes.
  kServerIdleFin,  // Server closes an idle keep-alive connection after its timeout.
  kClientRst,      // Client aborts with RST (SO_LINGER 0 style).
  kServerRst,      // Server resets an idle connection.
};

const char* CloseKindName(CloseKind kind);

// Supplies the calls of a connection in place of MakeExchange's random API model, for generators
// that script what each client sends (the labelled scenarios in perf/scenario/).
class ExchangeSource {
 public:
  virtual ~ExchangeSource() = default;
  // Returns call `index` (0-based) of the connection, sent at `context.timestamp_ns`.
  virtual HttpExchange MakeCall(const ExchangeContext& context, int index, Rng& rng) = 0;
};

struct ConnectionPlan {
  Client* client = nullptr;
  const Server* server = nullptr;
  int64_t start_ns = 0;
  int calls = 1;
  CloseKind close = CloseKind::kClientFin;
  bool http10 = false;
  ExchangeSource* exchanges = nullptr;  // Null: MakeExchange draws each call. Not owned.
};

// Plays one TCP connection carrying `plan.calls` HTTP transactions and appends its frames to a
// trace. Timestamps are those of a capture point next to the server: server frames leave at once, and a
// client reply to a server frame arrives one client RTT after that frame.
// Model limits: no loss or retransmission, no pipelining, no TCP timestamps after the SYN (the
// server does not echo the option), slow start without congestion avoidance.
class ConnectionSimulator {
 public:
  ConnectionSimulator(const ConnectionPlan& plan, Rng rng, ConnectionTrace* trace, GenStats* stats);
  void Run();

 private:
  struct PendingAck {
    int64_t deadline_ns;
    uint32_t ack;
  };
  struct ResponseTiming {
    int64_t last_send_ns;     // Server sent its last segment.
    int64_t last_arrival_ns;  // Client's reaction to the last segment can be seen from here on.
  };

  TcpFlow MakeFlow();
  int64_t Handshake();
  void FlushClientAck(int64_t client_send_ns);
  int64_t SendRequest(int64_t start_ns, const std::string& request, double latency_ms);
  ResponseTiming SendResponse(int64_t ready_ns, const HttpExchange& exchange);
  void Close(const ResponseTiming& last);
  void FinishByServer(int64_t fin_ns, int64_t not_before_ns);
  int64_t ThinkTime();
  int64_t GapNs(size_t payload_bytes, double bits_per_second) const;
  void RecordCall(const HttpExchange& exchange);

  ConnectionPlan plan_;
  Rng rng_;
  ConnectionTrace* trace_;
  GenStats* stats_;
  TcpFlow flow_;
  uint16_t mss_;
  int64_t rtt_ns_;
  double client_bits_per_second_;
  int cwnd_segments_ = 10;
  std::optional<PendingAck> pending_client_ack_;
};

}  // namespace sluice::gen
