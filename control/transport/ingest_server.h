// The ZeroMQ ROUTER socket that data planes connect their DEALER sockets to.
#pragma once

#include <array>
#include <csignal>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "control/daemon/log.h"
#include "control/daemon/stats.h"
#include "control/sinks/jsonl_sink.h"
#include "control/transport/batch_processor.h"
#include "control/transport/delivery_committer.h"
#include "control/transport/frame_check.h"

namespace sluice::control {

// Receives Hello and Batch messages, verifies each frame, writes batches through BatchProcessor
// and replies to the sending peer. One thread owns the server and everything in it.
class IngestServer {
 public:
  // Frames above this size make ZeroMQ drop the connection (ZMQ_MAXMSGSIZE).
  // NOTE: a guessed bound, far above any batch the data plane builds today.
  static constexpr int64_t kMaxFrameBytes = 64 << 20;
  // zmq_poll timeout: the longest a stop request waits to be seen.
  static constexpr long kPollTimeoutMs = 200;
  // Maximum data planes remembered by routing id. A Hello beyond it gets its HelloAck but is not
  // remembered.
  static constexpr size_t kMaxPeers = 4096;

  IngestServer(JsonlSink& sink, ControlStats& stats);
  ~IngestServer();
  IngestServer(const IngestServer&) = delete;
  IngestServer& operator=(const IngestServer&) = delete;

  // Makes Bind() set up the socket as a CURVE server with this Z85 secret key. Call before Bind().
  void SetCurveSecretKey(const std::string& secret_z85) { curve_secret_z85_ = secret_z85; }
  // Called on the ingest thread after every poll, at least every kPollTimeoutMs.
  void SetPollHook(std::function<void()> hook) { poll_hook_ = std::move(hook); }

  // Binds the ROUTER socket. Returns an empty string on success, or an error message naming the
  // endpoint and the fix.
  std::string Bind(const std::string& endpoint);

  // Reloads the delivery state at `state_path` and cuts the JSON-lines file back to its last
  // group commit (see DeliveryCommitter::Recover). Call after Bind, before Run.
  std::string RecoverDelivery(const std::string& state_path, RecoveryReport& report) {
    return committer_.Recover(state_path, report);
  }

  // Serves until `stop` becomes non-zero (set from a signal handler). Returns false after a
  // socket error it cannot recover from, which it has logged.
  bool Run(const volatile std::sig_atomic_t& stop);

  // Stores every new batch in `store` (not owned) before acknowledging it.
  void AttachStore(store::Store* store) {
    processor_.AttachStore(store);
    committer_.AttachStore(store);
  }

 private:
  struct Peer {
    std::string dataplane_id;
    uint64_t run_id = 0;
    uint16_t workers = 0;
  };

  // Reads and handles up to a bounded number of queued messages. Returns false on a socket error.
  bool DrainSocket(const volatile std::sig_atomic_t& stop);
  // Reads one multipart message into routing_id_ and payload_. Returns 1 when one was read,
  // 0 when none was queued, -1 on error.
  int ReceiveMessage(size_t& payload_parts);
  void HandleMessage(size_t payload_parts);
  void HandleHello(const wire::Hello& hello);
  void HandleBatch(const wire::Batch& batch);
  void HandleInvalidFrame(FrameError error);

  void ReplyHelloAck();
  void ReplyBatchAck(const PendingAck& ack);
  // Holds the acknowledgement of a written or duplicate batch until its group commit.
  void DeferBatchAck(const wire::Batch& batch, uint32_t records);
  // Commits the group and sends its acknowledgements; on a failed commit sends none.
  void CommitAndAcknowledge();
  void ReplyBatchReject(std::string_view reason);
  void SendReply();

  std::string curve_secret_z85_;
  std::function<void()> poll_hook_;
  JsonlSink& sink_;
  ControlStats& stats_;
  BatchProcessor processor_;
  DeliveryCommitter committer_;
  void* context_ = nullptr;
  void* socket_ = nullptr;

  std::string routing_id_;
  std::vector<uint8_t> payload_;  // operator new memory: aligned for the Verifier
  flatbuffers::FlatBufferBuilder reply_;
  std::unordered_map<std::string, Peer> peers_;

  std::array<LogRateLimit, kFrameErrorCount> invalid_frame_log_;
  std::array<LogRateLimit, kBatchErrorCount> invalid_batch_log_;
  LogRateLimit hello_log_{100'000'000};
  LogRateLimit gap_log_;
  LogRateLimit unexpected_log_;
  LogRateLimit sink_error_log_;
  LogRateLimit commit_error_log_;
  LogRateLimit store_error_log_;
};

}  // namespace sluice::control
