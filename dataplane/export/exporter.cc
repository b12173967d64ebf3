#include "dataplane/export/exporter.h"

#include <zmq.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

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
  unacked_.assign(options.workers, {});
  unsent_.assign(options.workers, nullptr);
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
  if (zmq_connect(socket_, options.endpoint.c_str()) != 0) {
    *error = "invalid control endpoint '" + options.endpoint + "': " + zmq_strerror(zmq_errno()) +
             " (expected e.g. tcp://127.0.0.1:7750)";
    return false;
  }

  flatbuffers::FlatBufferBuilder fbb(256);
  const auto hello = wire::CreateHello(fbb, fbb.CreateString(options.dataplane_id), options.run_id,
                                       options.workers, fbb.CreateString(kVersion));
  fbb.Finish(wire::CreateMessage(fbb, wire::MessageBody::Hello, hello.Union()),
             wire::MessageIdentifier());
  if (zmq_send(socket_, fbb.GetBufferPointer(), fbb.GetSize(), ZMQ_DONTWAIT) < 0) {
    *error = "cannot send to sluice-control at " + options.endpoint + ": " + zmq_strerror(zmq_errno());
    return false;
  }
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

// ZeroMQ keeps small messages inside zmq_msg_t at any alignment, and FlatBuffers reads 4-byte
// fields in place, so a message is copied to an aligned buffer first.
const uint8_t* Exporter::Aligned(zmq_msg_t& message) {
  const size_t size = zmq_msg_size(&message);
  if (receive_buffer_.size() < size) receive_buffer_.resize(size);  // grows to the largest ack once
  std::memcpy(receive_buffer_.data(), zmq_msg_data(&message), size);
  return receive_buffer_.data();
}

bool Exporter::Transmit(ExportBatch* batch) {
  const flatbuffers::FlatBufferBuilder& fbb = batch->builder;
  if (zmq_send(socket_, fbb.GetBufferPointer(), fbb.GetSize(), ZMQ_DONTWAIT) < 0) {
    ++counters_.send_retries;
    return false;
  }
  batch->sent_ms = NowMilliseconds();
  return true;
}

bool Exporter::SendBatch(ExportBatch* batch) {
  if (!Transmit(batch)) return false;
  ++counters_.batches_sent;
  counters_.records_sent += batch->records;
  batch->sent = true;
  unacked_[batch->worker_id].push_back(batch);
  return true;
}

void Exporter::Poll(const std::vector<BatchChannel*>& channels) {
  for (size_t worker = 0; worker < channels.size(); ++worker) {
    if (unsent_[worker] != nullptr) {
      if (!SendBatch(unsent_[worker])) continue;
      unsent_[worker] = nullptr;
    }
    while (ExportBatch* batch = channels[worker]->TakeReady()) {
      if (!SendBatch(batch)) {
        unsent_[worker] = batch;
        break;
      }
    }
  }
  ReceiveAcks(channels);
  ResendOverdue();
}

void Exporter::ResendOverdue() {
  const uint64_t now = NowMilliseconds();
  for (auto& queue : unacked_) {
    if (queue.empty() || now - queue.front()->sent_ms < options_.resend_after_ms) continue;
    for (ExportBatch* batch : queue) {
      if (!Transmit(batch)) return;  // socket full: try again on a later poll
      ++counters_.batches_resent;
    }
  }
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
      if (ack->run_id() == options_.run_id) HandleAck(ack->worker_id(), ack->sequence(), channels);
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
  if (worker_id >= unacked_.size()) {
    ++counters_.unexpected_messages;
    return;
  }
  auto& queue = unacked_[worker_id];
  for (auto it = queue.begin(); it != queue.end(); ++it) {
    if ((*it)->sequence != sequence) continue;
    ++counters_.batches_acked;
    counters_.records_acked += (*it)->records;
    channels[worker_id]->PutFree(*it);
    queue.erase(it);
    return;
  }
  ++counters_.unexpected_messages;  // a duplicate or stale acknowledgement
}

uint64_t Exporter::in_flight() const {
  uint64_t total = 0;
  for (const auto& queue : unacked_) total += queue.size();
  for (const ExportBatch* batch : unsent_) total += batch != nullptr ? 1 : 0;
  return total;
}

}  // namespace sluice::exporter
