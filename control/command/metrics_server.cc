#include "control/command/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "control/daemon/log.h"

namespace sluice::control {

namespace {

constexpr int kAcceptPollMs = 200;
constexpr size_t kMaxDiscardBytes = 1 << 20;

std::string Response(const char* status, const char* content_type, const std::string& body) {
  std::string response = std::string("HTTP/1.1 ") + status + "\r\n";
  response += std::string("Content-Type: ") + content_type + "\r\n";
  response += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  response += "Connection: close\r\n\r\n";
  response += body;
  return response;
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool ParseIpv4Address(const std::string& address, std::string* host, uint16_t* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  *host = address.substr(0, colon);
  in_addr parsed{};
  if (inet_pton(AF_INET, host->c_str(), &parsed) != 1) return false;
  unsigned long value = 0;
  for (size_t i = colon + 1; i < address.size(); ++i) {
    if (address[i] < '0' || address[i] > '9') return false;
    value = value * 10 + static_cast<unsigned long>(address[i] - '0');
    if (value > 65535) return false;
  }
  *port = static_cast<uint16_t>(value);
  return true;
}

std::string BuildHttpResponse(const std::string& request_head, const std::string& metrics) {
  const size_t line_end = request_head.find("\r\n");
  const std::string line = request_head.substr(0, line_end);
  const size_t first_space = line.find(' ');
  const size_t second_space = line.find(' ', first_space + 1);
  if (first_space == std::string::npos || second_space == std::string::npos ||
      line.compare(second_space + 1, 5, "HTTP/") != 0) {
    return Response("400 Bad Request", "text/plain", "malformed request line\n");
  }
  const std::string method = line.substr(0, first_space);
  const std::string target = line.substr(first_space + 1, second_space - first_space - 1);
  const std::string path = target.substr(0, target.find('?'));
  if (path != "/metrics") return Response("404 Not Found", "text/plain", "only /metrics is served\n");
  if (method != "GET") return Response("405 Method Not Allowed", "text/plain", "use GET\n");
  return Response("200 OK", "text/plain; version=0.0.4; charset=utf-8", metrics);
}

MetricsServer::~MetricsServer() { Stop(); }

bool MetricsServer::Start(const std::string& address, Render render, std::string* error) {
  std::string host;
  uint16_t port = 0;
  if (!ParseIpv4Address(address, &host, &port)) {
    *error = "invalid metrics address '" + address +
             "': expected IPv4:port such as 127.0.0.1:9750 (control.metrics_listen)";
    return false;
  }
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int reuse = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
  sockaddr_in socket_address{};
  socket_address.sin_family = AF_INET;
  socket_address.sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &socket_address.sin_addr);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&socket_address), sizeof(socket_address)) != 0 ||
      listen(listen_fd_, 16) != 0) {
    *error = "cannot serve metrics on " + address + ": " + std::strerror(errno) +
             "; give a free address in control.metrics_listen or --metrics-listen";
    close(listen_fd_);
    listen_fd_ = -1;
    return false;
  }
  render_ = std::move(render);
  thread_ = std::thread([this] { Serve(); });
  return true;
}

void MetricsServer::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
}

void MetricsServer::Serve() {
  while (!stop_.load()) {
    pollfd item{listen_fd_, POLLIN, 0};
    if (poll(&item, 1, kAcceptPollMs) <= 0) continue;
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    HandleClient(client);
    close(client);
  }
}

void MetricsServer::HandleClient(int client) {
  // NOTE: one client at a time; a slow client delays the next scrape by up to the timeout.
  timeval timeout{kClientTimeoutMs / 1000, (kClientTimeoutMs % 1000) * 1000};
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));

  std::string head;
  char buffer[1024];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > kMaxRequestBytes) {
      SendAll(client, Response("431 Request Header Fields Too Large", "text/plain",
                               "request head larger than 8192 bytes\n"));
      // Closing with unread bytes would send a reset that can destroy the response before the
      // client reads it, so read and discard a bounded amount first.
      shutdown(client, SHUT_WR);
      size_t discarded = 0;
      ssize_t n = 0;
      while (discarded < kMaxDiscardBytes && (n = recv(client, buffer, sizeof(buffer), 0)) > 0) {
        discarded += static_cast<size_t>(n);
      }
      return;
    }
    const ssize_t n = recv(client, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // closed or timed out before a full request: no response is sent
    head.append(buffer, static_cast<size_t>(n));
  }
  const bool wants_metrics = head.compare(0, 13, "GET /metrics ") == 0 ||
                             head.compare(0, 13, "GET /metrics?") == 0;
  SendAll(client, BuildHttpResponse(head, wants_metrics ? render_() : std::string()));
}

}  // namespace sluice::control
