#include "control/command/zap_handler.h"

#include <zmq.h>

#include "control/daemon/log.h"

namespace sluice::control {

namespace {

constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
constexpr size_t kFirstCredential = 6;
constexpr long kPollTimeoutMs = 100;

ZapDecision Malformed(const char* text) {
  ZapDecision decision;
  decision.status_code = "500";
  decision.status_text = text;
  return decision;
}

}  // namespace

ZapDecision DecideZapRequest(const AllowList& allowed, const std::vector<std::string>& frames) {
  if (frames.size() < kFirstCredential) return Malformed("malformed ZAP request");
  if (frames[0] != "1.0") return Malformed("unsupported ZAP version");

  ZapDecision decision;
  decision.status_code = "400";
  if (frames[5] != "CURVE") {
    decision.status_text = "CURVE required";
    return decision;
  }
  if (frames.size() != kFirstCredential + 1 || frames[kFirstCredential].size() != 32) {
    decision.status_text = "malformed CURVE credentials";
    return decision;
  }
  const std::string& raw = frames[kFirstCredential];
  char z85[41] = {};
  zmq_z85_encode(z85, reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
  decision.client_key_z85 = z85;

  const std::string* name = allowed.Find(raw);
  if (name == nullptr) {
    decision.status_text = "client key not allowed";
    return decision;
  }
  decision.admitted = true;
  decision.status_code = "200";
  decision.status_text = "OK";
  decision.user_id = *name;
  return decision;
}

ZapHandler::~ZapHandler() { Stop(); }

bool ZapHandler::Start(void* context, const AllowList* allowed, std::string* error) {
  allowed_ = allowed;
  socket_ = zmq_socket(context, ZMQ_REP);
  if (socket_ == nullptr || zmq_bind(socket_, kZapEndpoint) != 0) {
    *error = std::string("cannot bind the ZAP handler to ") + kZapEndpoint + ": " +
             zmq_strerror(zmq_errno());
    return false;
  }
  const int linger = 0;
  zmq_setsockopt(socket_, ZMQ_LINGER, &linger, sizeof(linger));
  thread_ = std::thread([this] { Serve(); });
  return true;
}

void ZapHandler::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (socket_ != nullptr) zmq_close(socket_);
  socket_ = nullptr;
}

void ZapHandler::Serve() {
  while (!stop_.load()) {
    zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
    const int ready = zmq_poll(&item, 1, kPollTimeoutMs);
    if (ready < 0 && zmq_errno() != EINTR) {
      // The context is shutting down; the socket cannot serve any more requests.
      LogLine("error: ZAP handler poll failed: %s; stopping it", zmq_strerror(zmq_errno()));
      return;
    }
    if (ready > 0) HandleRequest();
  }
}

void ZapHandler::HandleRequest() {
  std::vector<std::string> frames;
  int more = 1;
  while (more != 0) {
    zmq_msg_t part;
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, socket_, 0) < 0) {
      zmq_msg_close(&part);
      return;
    }
    frames.emplace_back(static_cast<const char*>(zmq_msg_data(&part)), zmq_msg_size(&part));
    more = zmq_msg_more(&part);
    zmq_msg_close(&part);
  }

  const ZapDecision decision = DecideZapRequest(*allowed_, frames);
  if (decision.admitted) {
    admitted_.fetch_add(1, std::memory_order_relaxed);
  } else {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    // The key is public, never a secret, so it can be logged.
    uint64_t suppressed = 0;
    if (reject_log_.Allow(MonotonicNanos(), suppressed)) {
      const std::string address = frames.size() > 3 ? PrintableForLog(frames[3]) : "unknown";
      LogLine("command channel: rejected a client from %s: %s; client key %s (%llu rejection(s) "
              "not logged since the last line)",
              address.c_str(), decision.status_text.c_str(),
              decision.client_key_z85.empty() ? "(none)" : decision.client_key_z85.c_str(),
              static_cast<unsigned long long>(suppressed));
    }
  }

  const std::string version = "1.0";
  const std::string& request_id = frames.size() > 1 ? frames[1] : std::string();
  const std::string* reply[] = {&version, &request_id, &decision.status_code,
                                &decision.status_text, &decision.user_id};
  for (const std::string* part : reply) {
    zmq_send(socket_, part->data(), part->size(), ZMQ_SNDMORE);
  }
  zmq_send(socket_, "", 0, 0);  // metadata: none
}

}  // namespace sluice::control
