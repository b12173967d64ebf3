#include "control/transport/ingest_server.h"

#include <zmq.h>

#include <cerrno>
#include <cstring>

#include "control/transport/endpoint_port.h"

namespace sluice::control {
namespace {

constexpr char kControlVersion[] = "sluice-control 0.1.0";
// Messages handled per wake-up before the stop flag is checked again.
constexpr int kMaxMessagesPerDrain = 1024;

}  // namespace

IngestServer::IngestServer(JsonlSink& sink, ControlStats& stats)
    : sink_(sink),
      stats_(stats),
      processor_(sink, stats),
      committer_(sink, processor_.tracker(), stats),
      reply_(256) {}

IngestServer::~IngestServer() {
  if (socket_ != nullptr) {
    // Gives queued acknowledgements a second to leave before the socket closes.
    const int linger_ms = 1000;
    zmq_setsockopt(socket_, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
    zmq_close(socket_);
  }
  if (context_ != nullptr) zmq_ctx_term(context_);
}

std::string IngestServer::Bind(const std::string& endpoint) {
  if (std::string error = CheckEndpointPort(endpoint, "--listen or control.listen"); !error.empty()) return error;
  context_ = zmq_ctx_new();
  if (context_ == nullptr) return std::string("zmq_ctx_new failed: ") + zmq_strerror(errno);
  socket_ = zmq_socket(context_, ZMQ_ROUTER);
  if (socket_ == nullptr) return std::string("zmq_socket failed: ") + zmq_strerror(errno);

  const int64_t max_frame = kMaxFrameBytes;
  zmq_setsockopt(socket_, ZMQ_MAXMSGSIZE, &max_frame, sizeof(max_frame));
  // Makes a reply to a vanished or saturated peer fail visibly so that SendReply can count it.
  const int mandatory = 1;
  zmq_setsockopt(socket_, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof(mandatory));
  if (!curve_secret_z85_.empty()) {
    const int curve_server = 1;
    zmq_setsockopt(socket_, ZMQ_CURVE_SERVER, &curve_server, sizeof(curve_server));
    zmq_setsockopt(socket_, ZMQ_CURVE_SECRETKEY, curve_secret_z85_.c_str(), curve_secret_z85_.size());
  }
  if (zmq_bind(socket_, endpoint.c_str()) != 0) {
    return "cannot listen on " + endpoint + ": " + zmq_strerror(errno) +
           "; give a free local address such as tcp://127.0.0.1:7750 with --listen or "
           "control.listen";
  }
  return {};
}

bool IngestServer::Run(const volatile std::sig_atomic_t& stop) {
  while (stop == 0) {
    zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
    const int ready = zmq_poll(&item, 1, kPollTimeoutMs);
    if (ready < 0) {
      if (errno == EINTR) continue;  // a signal: the loop condition checks the stop flag
      LogLine("error: zmq_poll failed: %s; stopping", zmq_strerror(errno));
      return false;
    }
    if ((item.revents & ZMQ_POLLIN) != 0 && !DrainSocket(stop)) return false;
    if (poll_hook_) poll_hook_();
  }
  return true;
}

bool IngestServer::DrainSocket(const volatile std::sig_atomic_t& stop) {
  for (int i = 0; i < kMaxMessagesPerDrain && stop == 0; ++i) {
    size_t payload_parts = 0;
    const int received = ReceiveMessage(payload_parts);
    if (received == 0) break;
    if (received < 0) {
      LogLine("error: zmq_msg_recv failed: %s; stopping", zmq_strerror(errno));
      return false;
    }
    HandleMessage(payload_parts);
    if (committer_.full()) CommitAndAcknowledge();
  }
  CommitAndAcknowledge();
  return true;
}

int IngestServer::ReceiveMessage(size_t& payload_parts) {
  zmq_msg_t part;
  zmq_msg_init(&part);
  if (zmq_msg_recv(&part, socket_, ZMQ_DONTWAIT) < 0) {
    zmq_msg_close(&part);
    return errno == EAGAIN || errno == EINTR ? 0 : -1;
  }
  routing_id_.assign(static_cast<const char*>(zmq_msg_data(&part)), zmq_msg_size(&part));

  // The ROUTER delivers whole messages, so the remaining parts are already queued. Only the first
  // payload part is kept; the others are read to keep the socket in step, then dropped.
  payload_parts = 0;
  payload_.clear();
  while (zmq_msg_more(&part) != 0) {
    zmq_msg_close(&part);
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, socket_, ZMQ_DONTWAIT) < 0) {
      zmq_msg_close(&part);
      return -1;
    }
    if (payload_parts++ == 0) {
      const auto* data = static_cast<const uint8_t*>(zmq_msg_data(&part));
      payload_.assign(data, data + zmq_msg_size(&part));
    }
  }
  zmq_msg_close(&part);
  return 1;
}

void IngestServer::HandleMessage(size_t payload_parts) {
  ++stats_.frames_received;
  if (payload_parts != 1) {
    HandleInvalidFrame(FrameError::kMultipart);
    return;
  }
  const CheckedFrame frame = CheckFrame(payload_.data(), payload_.size());
  if (frame.message == nullptr) {
    HandleInvalidFrame(frame.error);
    return;
  }

  const wire::Message& message = *frame.message;
  switch (message.body_type()) {
    case wire::MessageBody::Hello:
      HandleHello(*message.body_as_Hello());
      return;
    case wire::MessageBody::Batch:
      HandleBatch(*message.body_as_Batch());
      return;
    default:
      break;
  }
  ++stats_.messages_unexpected;
  uint64_t suppressed = 0;
  if (unexpected_log_.Allow(MonotonicNanos(), suppressed)) {
    LogLine("ignored a %s message, which only sluice-control sends (%llu more not logged)",
            wire::EnumNameMessageBody(message.body_type()),
            static_cast<unsigned long long>(suppressed));
  }
}

void IngestServer::HandleHello(const wire::Hello& hello) {
  ++stats_.hellos_received;
  const std::string dataplane_id = hello.dataplane_id() ? hello.dataplane_id()->str() : "";
  if (peers_.size() < kMaxPeers || peers_.count(routing_id_) != 0) {
    peers_[routing_id_] = Peer{dataplane_id, hello.run_id(), hello.workers()};
  }
  uint64_t suppressed = 0;
  if (hello_log_.Allow(MonotonicNanos(), suppressed)) {
    LogLine("data plane %s (run %016llx, %u worker%s) connected (%llu more not logged)",
            PrintableForLog(dataplane_id).c_str(), static_cast<unsigned long long>(hello.run_id()),
            static_cast<unsigned>(hello.workers()), hello.workers() == 1 ? "" : "s",
            static_cast<unsigned long long>(suppressed));
  }
  ReplyHelloAck();
}

void IngestServer::HandleBatch(const wire::Batch& batch) {
  const BatchOutcome outcome = processor_.Process(batch, payload_);
  const uint64_t now = MonotonicNanos();
  uint64_t suppressed = 0;

  if (outcome.action == BatchAction::kReject) {
    const auto index = static_cast<size_t>(outcome.error);
    if (invalid_batch_log_[index].Allow(now, suppressed)) {
      LogLine("rejected a batch: %.*s (%llu more not logged)",
              static_cast<int>(BatchErrorName(outcome.error).size()),
              BatchErrorName(outcome.error).data(), static_cast<unsigned long long>(suppressed));
    }
    ReplyBatchReject(BatchErrorName(outcome.error));
    return;
  }
  if (outcome.store_failed) {
    // The store rolled back every batch staged since its last commit, so the whole group goes.
    committer_.Abort();
    if (store_error_log_.Allow(now, suppressed)) {
      LogLine("error: forensic store: %s; batch and its commit group left unacknowledged (%llu "
              "more not logged)",
              outcome.store_error.c_str(), static_cast<unsigned long long>(suppressed));
    }
    return;
  }
  if (outcome.sink_failed) {
    if (sink_error_log_.Allow(now, suppressed)) {
      LogLine("error: writing %s failed: %s; batch left unacknowledged (%llu more not logged)",
              sink_.path().c_str(), std::strerror(sink_.last_error()),
              static_cast<unsigned long long>(suppressed));
    }
    return;
  }
  if (outcome.sequence.verdict == SequenceVerdict::kGap && gap_log_.Allow(now, suppressed)) {
    LogLine("sequence gap from data plane %s run %016llx worker %u: expected %llu, got %llu "
            "(%llu batches missing; %llu more gaps not logged)",
            PrintableForLog(batch.dataplane_id()->string_view()).c_str(),
            static_cast<unsigned long long>(batch.run_id()),
            static_cast<unsigned>(batch.worker_id()),
            static_cast<unsigned long long>(outcome.sequence.expected),
            static_cast<unsigned long long>(batch.sequence()),
            static_cast<unsigned long long>(outcome.sequence.missing),
            static_cast<unsigned long long>(suppressed));
  }
  DeferBatchAck(batch, outcome.records);
}

void IngestServer::HandleInvalidFrame(FrameError error) {
  const auto index = static_cast<size_t>(error);
  ++stats_.frames_invalid[index];
  // Every frame that is not a valid Hello or control message is presumed to be a batch.
  ++stats_.batches_received;
  ++stats_.batches_rejected;

  uint64_t suppressed = 0;
  if (invalid_frame_log_[index].Allow(MonotonicNanos(), suppressed)) {
    LogLine("dropped an invalid frame (%zu bytes): %.*s (%llu more not logged)", payload_.size(),
            static_cast<int>(FrameErrorName(error).size()), FrameErrorName(error).data(),
            static_cast<unsigned long long>(suppressed));
  }
  ReplyBatchReject(FrameErrorName(error));
}

void IngestServer::ReplyHelloAck() {
  reply_.Clear();
  const auto ack = wire::CreateHelloAckDirect(reply_, kControlVersion);
  reply_.Finish(wire::CreateMessage(reply_, wire::MessageBody::HelloAck, ack.Union()),
                wire::MessageIdentifier());
  SendReply();
}

void IngestServer::DeferBatchAck(const wire::Batch& batch, uint32_t records) {
  committer_.Defer(
      PendingAck{routing_id_, batch.run_id(), batch.worker_id(), batch.sequence(), records});
}

void IngestServer::CommitAndAcknowledge() {
  if (!committer_.has_pending()) return;
  std::string error;
  if (!committer_.Commit(&error)) {
    uint64_t suppressed = 0;
    if (commit_error_log_.Allow(MonotonicNanos(), suppressed)) {
      LogLine("error: group commit failed: %s; its batches were cut and left unacknowledged, "
              "so data planes resend them (%llu more not logged)",
              error.c_str(), static_cast<unsigned long long>(suppressed));
    }
    return;
  }
  // SendReply addresses routing_id_, so each held acknowledgement sets it in turn.
  for (const PendingAck& ack : committer_.acks()) {
    routing_id_ = ack.routing_id;
    ReplyBatchAck(ack);
  }
  committer_.ClearAcks();
}

void IngestServer::ReplyBatchAck(const PendingAck& pending) {
  reply_.Clear();
  const auto ack = wire::CreateBatchAck(reply_, pending.run_id, pending.worker_id,
                                        pending.sequence, pending.records);
  reply_.Finish(wire::CreateMessage(reply_, wire::MessageBody::BatchAck, ack.Union()),
                wire::MessageIdentifier());
  SendReply();
}

void IngestServer::ReplyBatchReject(std::string_view reason) {
  reply_.Clear();
  const auto text = reply_.CreateString(reason.data(), reason.size());
  const auto reject = wire::CreateBatchReject(reply_, text);
  reply_.Finish(wire::CreateMessage(reply_, wire::MessageBody::BatchReject, reject.Union()),
                wire::MessageIdentifier());
  SendReply();
}

// Sends reply_ to the peer in routing_id_ without blocking. With ZMQ_ROUTER_MANDATORY a peer that
// has gone or whose queue is full makes the send fail, and the lost reply is counted.
void IngestServer::SendReply() {
  if (zmq_send(socket_, routing_id_.data(), routing_id_.size(), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
      zmq_send(socket_, reply_.GetBufferPointer(), reply_.GetSize(), ZMQ_DONTWAIT) < 0) {
    ++stats_.replies_failed;
  }
}

}  // namespace sluice::control
