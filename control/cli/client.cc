#include "control/cli/client.h"

#include <zmq.h>

#include <chrono>
#include <cstring>

#include "control/cli/exit_codes.h"
#include "control/command/curve_keys.h"

namespace sluice::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr char kMonitorEndpoint[] = "inproc://sluicectl-monitor";

ClientResult Failure(int exit_code, std::string error) {
  ClientResult result;
  result.exit_code = exit_code;
  result.error = std::move(error);
  return result;
}

// Owns the context and sockets so every return path closes them.
struct Sockets {
  void* context = zmq_ctx_new();
  void* dealer = nullptr;
  void* monitor = nullptr;
  ~Sockets() {
    if (monitor != nullptr) zmq_close(monitor);
    if (dealer != nullptr) zmq_close(dealer);
    zmq_ctx_term(context);
  }
};

// Reads one monitor event; returns its id, or 0 when none could be read.
uint16_t ReadMonitorEvent(void* monitor, uint32_t* value) {
  zmq_msg_t frame;
  zmq_msg_init(&frame);
  if (zmq_msg_recv(&frame, monitor, ZMQ_DONTWAIT) < 0) {
    zmq_msg_close(&frame);
    return 0;
  }
  uint16_t event = 0;
  if (zmq_msg_size(&frame) >= 6) {
    const auto* data = static_cast<const uint8_t*>(zmq_msg_data(&frame));
    std::memcpy(&event, data, sizeof(event));
    std::memcpy(value, data + 2, sizeof(*value));
  }
  const bool more = zmq_msg_more(&frame) != 0;
  zmq_msg_close(&frame);
  if (more) {  // the second frame names the endpoint; not needed
    zmq_msg_init(&frame);
    zmq_msg_recv(&frame, monitor, 0);
    zmq_msg_close(&frame);
  }
  return event;
}

bool ReadKeys(const std::string& directory, std::string* client_public, std::string* client_secret,
              std::string* server_public, std::string* error) {
  return control::ReadKeyFile(directory + "/client.public", client_public, error) &&
         control::ReadKeyFile(directory + "/client.secret", client_secret, error) &&
         control::ReadKeyFile(directory + "/server.public", server_public, error);
}

}  // namespace

ClientResult SendRequest(const ClientOptions& options, const std::vector<uint8_t>& request) {
  std::string client_public;
  std::string client_secret;
  std::string server_public;
  std::string error;
  if (!ReadKeys(options.key_directory, &client_public, &client_secret, &server_public, &error)) {
    return Failure(kExitUsage, error + " (key directory: --keys or SLUICE_KEYS)");
  }

  Sockets sockets;
  sockets.dealer = zmq_socket(sockets.context, ZMQ_DEALER);
  const int linger = 0;
  const int64_t max_message = 64 << 20;
  zmq_setsockopt(sockets.dealer, ZMQ_LINGER, &linger, sizeof(linger));
  zmq_setsockopt(sockets.dealer, ZMQ_MAXMSGSIZE, &max_message, sizeof(max_message));
  zmq_setsockopt(sockets.dealer, ZMQ_CURVE_SERVERKEY, server_public.c_str(), server_public.size());
  zmq_setsockopt(sockets.dealer, ZMQ_CURVE_PUBLICKEY, client_public.c_str(), client_public.size());
  zmq_setsockopt(sockets.dealer, ZMQ_CURVE_SECRETKEY, client_secret.c_str(), client_secret.size());
  const int events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
  if (zmq_socket_monitor(sockets.dealer, kMonitorEndpoint, events) != 0) {
    return Failure(kExitUnreachable, std::string("cannot monitor the socket: ") +
                                         zmq_strerror(zmq_errno()));
  }
  sockets.monitor = zmq_socket(sockets.context, ZMQ_PAIR);
  zmq_connect(sockets.monitor, kMonitorEndpoint);
  if (zmq_connect(sockets.dealer, options.endpoint.c_str()) != 0) {
    return Failure(kExitUsage, "invalid endpoint '" + options.endpoint + "': " +
                                   zmq_strerror(zmq_errno()) +
                                   " (expected e.g. tcp://127.0.0.1:7751)");
  }
  // Queued until the handshake succeeds; DEALER sends it as soon as the connection is up.
  if (zmq_send(sockets.dealer, request.data(), request.size(), 0) < 0) {
    return Failure(kExitUnreachable, std::string("cannot send the request: ") +
                                         zmq_strerror(zmq_errno()));
  }

  bool connected = false;
  const auto start = Clock::now();
  auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(options.connect_timeout_s));
  for (;;) {
    const auto now = Clock::now();
    if (now >= deadline) {
      if (!connected) {
        return Failure(kExitUnreachable,
                       "cannot reach sluice-control at " + options.endpoint + " within " +
                           std::to_string(static_cast<int>(options.connect_timeout_s)) +
                           " s; is it running with control.command_listen set to this "
                           "endpoint (--connect)?");
      }
      return Failure(kExitUnreachable,
                     "sluice-control at " + options.endpoint + " sent no reply within " +
                         std::to_string(static_cast<int>(options.reply_timeout_s)) +
                         " s (--timeout)");
    }
    const long wait_ms = static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    zmq_pollitem_t items[] = {{sockets.dealer, 0, ZMQ_POLLIN, 0},
                              {sockets.monitor, 0, ZMQ_POLLIN, 0}};
    if (zmq_poll(items, 2, wait_ms) < 0) {
      if (zmq_errno() == EINTR) continue;
      return Failure(kExitUnreachable, std::string("zmq_poll failed: ") + zmq_strerror(zmq_errno()));
    }
    if ((items[1].revents & ZMQ_POLLIN) != 0) {
      uint32_t value = 0;
      const uint16_t event = ReadMonitorEvent(sockets.monitor, &value);
      if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && !connected) {
        connected = true;
        deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(options.reply_timeout_s));
      } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        return Failure(kExitUnreachable,
                       "sluice-control at " + options.endpoint + " rejected this client's key " +
                           client_public + " (ZAP status " + std::to_string(value) +
                           "); copy " + options.key_directory +
                           "/client.public into its allowed-keys directory and restart it");
      } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                 event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
        return Failure(kExitUnreachable,
                       "CURVE handshake with " + options.endpoint + " failed; check that " +
                           options.key_directory + "/server.public is sluice-control's key");
      }
    }
    if ((items[0].revents & ZMQ_POLLIN) != 0) {
      zmq_msg_t reply;
      zmq_msg_init(&reply);
      if (zmq_msg_recv(&reply, sockets.dealer, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&reply);
        continue;
      }
      const auto* data = static_cast<const uint8_t*>(zmq_msg_data(&reply));
      ClientResult result;
      result.response.assign(data, data + zmq_msg_size(&reply));
      zmq_msg_close(&reply);
      flatbuffers::Verifier verifier(result.response.data(), result.response.size());
      if (!verifier.VerifyBuffer<command::Response>(nullptr)) {
        return Failure(kExitUnreachable, "sluice-control sent an invalid reply; are sluicectl "
                                         "and sluice-control of the same version?");
      }
      return result;
    }
  }
}

}  // namespace sluice::cli
