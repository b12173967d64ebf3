#include "dataplane/export/exporter.h"

#include <zmq.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "dataplane/export/gap_batch.h"
#include "records_generated.h"

namespace sluice::exporter {

namespace {

constexpr const char* kVersion = "0.1.0";

uint64_t NowSeconds() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

uint64_t NowMilliseconds() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

Exporter::~Exporter() {
  if (socket_ != nullptr) zmq_close(socket_);
  if (context_ != nullptr) zmq_ctx_term(context_);
}

bool Exporter::Connect(const ExporterOptions& options, std::string* error) {
  options_ = options;
  spool_.Init(options.workers, options.spool);
  context_ = zmq_ctx_new();
  socket_ = zmq_socket(context_, ZMQ_DEALER);
  const int linger_ms = 1000;
  zmq_setsockopt(socket_, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
  if (!options.server_key_z85.empty()) {
    char public_key[41] = {};
    char secret_key[41] = {};
    if (zmq_curve_keypair(public_key, secret_key) != 0) {
      *error = "cannot create a CURVE key for the record channel: libzmq lacks CURVE support";
      return false;
    }
    zmq_setsockopt(socket_, ZMQ_CURVE_SERVERKEY, options.server_key_z85.c_str(), 40);
    zmq_setsockopt(socket_, ZMQ_CURVE_PUBLICKEY, public_key, 40);
    zmq_setsockopt(socket_, ZMQ_CURVE_SECRETKEY, secret_key, 40);
  }
  // Queue messages only on a completed connection. Without it, batches sent while sluice-control
  // is down would wait inside ZeroMQ and could arrive after the spool gave them up and reported
  // them in a Gap record. With it, a send fails until the connection is up, and the batch stays
  // in the spool for the resend.
  const int immediate = 1;
  zmq_setsockopt(socket_, ZMQ_IMMEDIATE, &immediate, sizeof(immediate));
  if (zmq_connect(socket_, options.endpoint.c_str()) != 0) {
    *error = "invalid control endpoint '" + options.endpoint + "': " + zmq_strerror(zmq_errno()) +
             " (expected e.g. tcp://127.0.0.1:7750)";
    return false;
  }
  if (!SendHello(error)) return false;

  zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.hello_timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (zmq_poll(&item, 1, static_cast<long>(left.count()) + 1) <= 0) continue;
    zmq_msg_t message;
    zmq_msg_init(&message);
    if (zmq_msg_recv(&message, socket_, 0) < 0) {
      zmq_msg_close(&message);
      continue;
    }
    const uint8_t* data = Aligned(message);
    flatbuffers::Verifier verifier(data, zmq_msg_size(&message));
    const bool ok = wire::VerifyMessageBuffer(verifier) &&
                    wire::GetMessage(data)->body_type() == wire::MessageBody::HelloAck;
    zmq_msg_close(&message);
    if (ok) return true;
    ++counters_.unexpected_messages;
  }
  *error = "sluice-control at " + options.endpoint + " did not answer within " +
           std::to_string(options.hello_timeout_ms) + " ms; start it first or check --control";
  return false;
}

// With ZMQ_IMMEDIATE the socket takes the Hello only once the connection is up, so it waits for
// that first, within the same hello_timeout_ms.
bool Exporter::SendHello(std::string* error) {
  flatbuffers::FlatBufferBuilder fbb(256);
  const auto hello = wire::CreateHello(fbb, fbb.CreateString(options_.dataplane_id),
                                       options_.run_id, options_.workers,
                                       fbb.CreateString(kVersion));
  fbb.Finish(wire::CreateMessage(fbb, wire::MessageBody::Hello, hello.Union()),
             wire::MessageIdentifier());
  zmq_pollitem_t item{socket_, 0, ZMQ_POLLOUT, 0};
  zmq_poll(&item, 1, options_.hello_timeout_ms);
  if (zmq_send(socket_, fbb.GetBufferPointer(), fbb.GetSize(), ZMQ_DONTWAIT) < 0) {
    const int failure = zmq_errno();
    if (failure == EAGAIN) {
      *error = "sluice-control at " + options_.endpoint + " accepted no connection within " +
               std::to_string(options_.hello_timeout_ms) + " ms; start it first or check --control";
    } else {
      *error = "cannot send to sluice-control at " + options_.endpoint + ": " +
               zmq_strerror(failure) + "; check --control";
    }
    return false;
  }
  return true;
}

// ZeroMQ keeps small messages inside zmq_msg_t at any alignment, and FlatBuffers reads 4-byte
// fields in place, so a message is copied to an aligned buffer first.
const uint8_t* Exporter::Aligned(zmq_msg_t& message) {
  const size_t size = zmq_msg_size(&message);
  if (receive_buffer_.size() < size) receive_buffer_.resize(size);  // grows to the largest ack once
  std::memcpy(receive_buffer_.data(), zmq_msg_data(&message), size);
  return receive_buffer_.data();
}

// Hands `batch` to the socket. A batch the socket does not take stays in the spool and is
// retried by ResendOverdue.
bool Exporter::Transmit(ExportBatch* batch) {
  const flatbuffers::FlatBufferBuilder& fbb = batch->builder;
  if (zmq_send(socket_, fbb.GetBufferPointer(), fbb.GetSize(), ZMQ_DONTWAIT) < 0) {
    ++counters_.send_retries;
    return false;
  }
  batch->sent_ms = NowMilliseconds();
  if (batch->sent) {
    ++counters_.batches_resent;
  } else {
    batch->sent = true;
    ++counters_.batches_sent;
    counters_.records_sent += batch->records;
  }
  return true;
}

// Moves every ready batch of `worker` into the spool and sends it. Under the drop-oldest policy
// the spool then gives up its oldest batches beyond its bounds, which frees their buffers for
// the worker.
void Exporter::TakeReady(uint16_t worker, BatchChannel& channel) {
  bool socket_full = !spool_.queue(worker).empty() && !spool_.queue(worker).back()->sent;
  while (ExportBatch* batch = channel.TakeReady()) {
    spool_.Push(batch);
    // Sends stay in sequence order: after one failed send, later batches wait for the resend.
    if (!socket_full && !Transmit(batch)) socket_full = true;
    while (ExportBatch* given_up = spool_.GiveUpOverLimit(worker)) channel.PutFree(given_up);
  }
}

void Exporter::Poll(const std::vector<BatchChannel*>& channels) {
  for (size_t worker = 0; worker < channels.size(); ++worker) {
    TakeReady(static_cast<uint16_t>(worker), *channels[worker]);
  }
  ReceiveAcks(channels);
  ResendOverdue();
}

// Sends again, in order, every batch of `queue` from the first overdue or never-sent one on.
// Returns false when the socket is full.
bool Exporter::ResendQueue(const std::deque<ExportBatch*>& queue, uint64_t now) {
  if (queue.empty()) return true;
  const ExportBatch* front = queue.front();
  if (front->sent && now - front->sent_ms < options_.resend_after_ms) {
    // The oldest is recent; batches never sent (socket was full) may still wait behind it.
    for (ExportBatch* batch : queue) {
      if (batch->sent) continue;
      if (!Transmit(batch)) return false;
    }
    return true;
  }
  for (ExportBatch* batch : queue) {
    if (!Transmit(batch)) return false;
  }
  return true;
}

void Exporter::ResendOverdue() {
  const uint64_t now = NowMilliseconds();
  for (uint16_t worker = 0; worker < spool_.workers(); ++worker) {
    if (!ResendQueue(spool_.queue(worker), now)) return;  // socket full: try on a later poll
  }
  ResendQueue(gap_queue_, now);
}

void Exporter::ReportLosses() {
  closed_losses_.clear();
  spool_.CloseLostRanges(closed_losses_);
  if (closed_losses_.empty()) return;
  gap_storage_.push_back(std::make_unique<ExportBatch>());
  ExportBatch* batch = gap_storage_.back().get();
  BuildGapBatch(options_.dataplane_id, options_.run_id, next_gap_sequence_++, closed_losses_,
                batch);
  counters_.gap_records += closed_losses_.size();
  gap_queue_.push_back(batch);
  // Sent by the next ResendOverdue: it is never-sent, so it goes out unless the socket is full.
}

void Exporter::ReceiveAcks(const std::vector<BatchChannel*>& channels) {
  for (;;) {
    zmq_msg_t message;
    zmq_msg_init(&message);
    if (zmq_msg_recv(&message, socket_, ZMQ_DONTWAIT) < 0) {
      zmq_msg_close(&message);
      return;
    }
    const uint8_t* data = Aligned(message);
    flatbuffers::Verifier verifier(data, zmq_msg_size(&message));
    if (!wire::VerifyMessageBuffer(verifier)) {
      ++counters_.unexpected_messages;
    } else if (const auto* ack = wire::GetMessage(data)->body_as_BatchAck()) {
      if (ack->run_id() == options_.run_id) {
        HandleAck(ack->worker_id(), ack->sequence(), channels);
        // sluice-control is reachable again: report what the spool gave up while it was not.
        if (spool_.has_open_loss()) ReportLosses();
      }
    } else if (const auto* reject = wire::GetMessage(data)->body_as_BatchReject()) {
      ++counters_.batches_rejected;
      if (NowSeconds() != last_reject_log_s_) {
        last_reject_log_s_ = NowSeconds();
        std::fprintf(stderr, "sluice-dataplane: sluice-control rejected a batch: %s (%lu so far)\n",
                     reject->reason() ? reject->reason()->c_str() : "no reason given",
                     static_cast<unsigned long>(counters_.batches_rejected));
      }
    } else {
      ++counters_.unexpected_messages;
    }
    zmq_msg_close(&message);
  }
}

void Exporter::HandleAck(uint16_t worker_id, uint64_t sequence,
                         const std::vector<BatchChannel*>& channels) {
  if (worker_id == kGapStreamWorker) {
    HandleGapAck(sequence);
    return;
  }
  if (worker_id >= spool_.workers()) {
    ++counters_.unexpected_messages;
    return;
  }
  ExportBatch* batch = spool_.Acknowledge(worker_id, sequence);
  if (batch == nullptr) {
    ++counters_.unexpected_messages;  // a duplicate or stale acknowledgement
    return;
  }
  ++counters_.batches_acked;
  counters_.records_acked += batch->records;
  channels[worker_id]->PutFree(batch);
}

void Exporter::HandleGapAck(uint64_t sequence) {
  for (auto it = gap_queue_.begin(); it != gap_queue_.end(); ++it) {
    if ((*it)->sequence != sequence) continue;
    const ExportBatch* batch = *it;
    gap_queue_.erase(it);
    for (auto stored = gap_storage_.begin(); stored != gap_storage_.end(); ++stored) {
      if (stored->get() != batch) continue;
      gap_storage_.erase(stored);
      break;
    }
    ++counters_.gap_batches_acked;
    return;
  }
  ++counters_.unexpected_messages;
}

uint64_t Exporter::in_flight() const { return spool_.batches() + gap_queue_.size(); }

}  // namespace sluice::exporter
