// A minimal HTTP/1.1 server for Prometheus scrapes: GET /metrics only, one connection at a time.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace sluice::control {

// Serves on its own thread. Each request is read with a size bound and a timeout, answered and
// the connection closed, so a scraper gets a fresh render on every request.
class MetricsServer {
 public:
  // Largest request head accepted; a larger one gets 431.
  static constexpr size_t kMaxRequestBytes = 8192;
  // How long a client may take to send its request or read the response.
  static constexpr int kClientTimeoutMs = 2000;

  using Render = std::function<std::string()>;

  MetricsServer() = default;
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds `address` ("IPv4:port", e.g. 127.0.0.1:9750) and starts the thread. `render` is called
  // on that thread for every GET /metrics and must be thread-safe.
  bool Start(const std::string& address, Render render, std::string* error);
  void Stop();

 private:
  void Serve();
  void HandleClient(int client);

  int listen_fd_ = -1;
  Render render_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

// Parses "host:port" with an IPv4 host. Returns false on anything else.
bool ParseIpv4Address(const std::string& address, std::string* host, uint16_t* port);

// Builds the response to a request head (everything up to the blank line): status line,
// headers and body.
std::string BuildHttpResponse(const std::string& request_head, const std::string& metrics);

}  // namespace sluice::control
