// Sends record batches to sluice-control over a ZeroMQ DEALER socket and takes its
// acknowledgements. Runs on the main lcore only: workers never touch the socket.
//
// A batch stays in flight, holding its buffer, until sluice-control acknowledges it; the buffers
// of a BatchChannel therefore bound how far the control plane may fall behind.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <zmq.h>

#include "dataplane/export/batch_channel.h"

namespace sluice::exporter {

struct ExporterOptions {
  std::string endpoint;          // ZeroMQ endpoint of sluice-control, e.g. tcp://127.0.0.1:7750
  std::string dataplane_id;
  uint64_t run_id = 0;
  uint16_t workers = 1;
  int hello_timeout_ms = 3000;   // how long to wait for sluice-control's HelloAck at start
  // A batch unacknowledged for this long is sent again, with every later one of its worker.
  // sluice-control drops duplicates, so a resend after a reconnect or a restart is safe.
  uint64_t resend_after_ms = 2000;
  // Non-empty: CURVE with this Z85 server public key and an ephemeral client key.
  std::string server_key_z85;
};

struct ExporterCounters {
  uint64_t batches_sent = 0;
  uint64_t records_sent = 0;
  uint64_t batches_acked = 0;
  uint64_t records_acked = 0;
  uint64_t batches_rejected = 0;   // sluice-control could not verify a batch
  uint64_t send_retries = 0;       // the socket was full; the batch was sent later
  uint64_t batches_resent = 0;     // sent again after no acknowledgement came in time
  uint64_t unexpected_messages = 0;
};

class Exporter {
 public:
  Exporter() = default;
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Connects and exchanges Hello/HelloAck. Fails with a message naming the endpoint when no
  // HelloAck arrives in time.
  bool Connect(const ExporterOptions& options, std::string* error);

  // Sends every ready batch of `channels` and processes acknowledgements. Every socket call uses
  // ZMQ_DONTWAIT, so it does not block.
  void Poll(const std::vector<BatchChannel*>& channels);

  // Batches handed over by workers and not acknowledged yet.
  uint64_t in_flight() const;
  const ExporterCounters& counters() const { return counters_; }

 private:
  const uint8_t* Aligned(zmq_msg_t& message);
  bool SendBatch(ExportBatch* batch);
  bool Transmit(ExportBatch* batch);
  void ResendOverdue();
  void ReceiveAcks(const std::vector<BatchChannel*>& channels);
  void HandleAck(uint16_t worker_id, uint64_t sequence, const std::vector<BatchChannel*>& channels);

  ExporterOptions options_;
  void* context_ = nullptr;
  void* socket_ = nullptr;
  // Per worker: batches sent and waiting for their acknowledgement, oldest first. Bounded by
  // the channel's buffer count.
  std::vector<std::deque<ExportBatch*>> unacked_;
  // Per worker: a batch taken from the ready ring that the socket could not take yet.
  std::vector<ExportBatch*> unsent_;
  ExporterCounters counters_;
  uint64_t last_reject_log_s_ = 0;
  std::vector<uint8_t> receive_buffer_;
};

}  // namespace sluice::exporter
