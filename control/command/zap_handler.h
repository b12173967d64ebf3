// ZeroMQ authentication (ZAP, RFC 27) for the command channel. CURVE alone admits any client
// that knows the server's public key; this handler admits only the keys of an AllowList.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "control/command/allow_list.h"
#include "control/daemon/log.h"

namespace sluice::control {

// One ZAP request as libzmq sends it, and the decision for it. Split from the socket handling so
// that a unit test can check decisions without a handshake.
struct ZapDecision {
  bool admitted = false;
  std::string status_code;  // "200" admitted, "400" rejected, "500" malformed request
  std::string status_text;
  std::string user_id;      // the key's name; sockets read it as the "User-Id" property
  std::string client_key_z85;  // for the log, empty when the request carried no key
};

// Decides a request given as its frames: version, request id, domain, address, identity,
// mechanism, then the credentials (for CURVE, the client's 32-byte public key).
ZapDecision DecideZapRequest(const AllowList& allowed, const std::vector<std::string>& frames);

// Serves inproc://zeromq.zap.01 of one ZeroMQ context on its own thread. Every rejection is
// logged with the client key's Z85 text and the peer address, at most one line a second with
// the number of rejections left out since the last line.
class ZapHandler {
 public:
  ZapHandler() = default;
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // Binds the ZAP endpoint in `context` and starts the thread. `allowed` must outlive Stop().
  // Call before any CURVE server socket of the context binds.
  bool Start(void* context, const AllowList* allowed, std::string* error);
  void Stop();

  uint64_t admitted() const { return admitted_.load(std::memory_order_relaxed); }
  uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }

 private:
  void Serve();
  void HandleRequest();

  void* socket_ = nullptr;
  const AllowList* allowed_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> admitted_{0};
  std::atomic<uint64_t> rejected_{0};
  // A rejected client retries every few hundred ms; one line a second with a count of the rest.
  LogRateLimit reject_log_;
};

}  // namespace sluice::control
