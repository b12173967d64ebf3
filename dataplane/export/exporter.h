// Sends record batches to sluice-control over a ZeroMQ DEALER socket and takes its
// acknowledgements. Runs on the main lcore only: workers never touch the socket.
//
// A batch stays in the spool, holding its buffer, until sluice-control acknowledges it or the
// spool's overflow policy gives it up (spool.h). A given-up range is reported as a Gap record.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <zmq.h>

#include "dataplane/export/batch_channel.h"
#include "dataplane/export/spool.h"

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
  SpoolLimits spool;
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
  uint64_t gap_records = 0;        // Gap records built for batches the spool gave up
  uint64_t gap_batches_acked = 0;  // batches of Gap records that sluice-control acknowledged
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

  // Turns every open loss range of the spool into Gap records now. Called at shutdown; during a
  // run the first acknowledgement after a loss does it.
  void ReportLosses();

  // Batches handed over by workers, and batches of Gap records, not acknowledged yet.
  uint64_t in_flight() const;
  const ExporterCounters& counters() const { return counters_; }
  const SpoolCounters& spool_counters() const { return spool_.counters(); }

 private:
  const uint8_t* Aligned(zmq_msg_t& message);
  bool SendHello(std::string* error);
  void TakeReady(uint16_t worker, BatchChannel& channel);
  bool Transmit(ExportBatch* batch);
  bool ResendQueue(const std::deque<ExportBatch*>& queue, uint64_t now);
  void ResendOverdue();
  void HandleGapAck(uint64_t sequence);
  void ReceiveAcks(const std::vector<BatchChannel*>& channels);
  void HandleAck(uint16_t worker_id, uint64_t sequence, const std::vector<BatchChannel*>& channels);

  ExporterOptions options_;
  void* context_ = nullptr;
  void* socket_ = nullptr;
  // Per worker: batches taken from the ready ring and not acknowledged yet, oldest first, sent
  // or not. Bounded by the channel's buffer count and the spool limits.
  Spool spool_;
  // Batches of Gap records, oldest first, and their storage. One is built per loss report, which
  // needs an acknowledgement first, so only an outage that ends and starts again adds one.
  // NOTE: not bounded otherwise; each is about 100 bytes per worker that lost batches.
  std::deque<ExportBatch*> gap_queue_;
  std::deque<std::unique_ptr<ExportBatch>> gap_storage_;
  uint64_t next_gap_sequence_ = 0;
  std::vector<std::pair<uint16_t, LostRange>> closed_losses_;
  ExporterCounters counters_;
  uint64_t last_reject_log_s_ = 0;
  std::vector<uint8_t> receive_buffer_;
};

}  // namespace sluice::exporter
