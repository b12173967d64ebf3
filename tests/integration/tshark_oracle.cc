#include "tests/integration/tshark_oracle.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstdlib>
#include <sstream>
#include <vector>

#include "tests/integration/harness/process.h"

namespace sluice::testing {
namespace {

constexpr auto kTsharkTimeout = std::chrono::seconds(120);

// One HTTP message in tshark's output, in frame order.
struct TsharkMessage {
  ConnectionKey key;
  uint32_t frame = 0;
  bool is_request = false;
  RequestLine request;
  int status = 0;
  uint32_t request_in = 0;  // frame of the request this response belongs to, 0 when tshark has none
};

std::vector<std::string> BaseCommand(const std::string& capture) {
  return {"tshark", "-r", capture, "-n",
          "-o", "tcp.desegment_tcp_streams:TRUE",
          "-o", "tcp.reassemble_out_of_order:TRUE",
          "-o", "http.desegment_body:TRUE",
          "-o", "http.desegment_headers:TRUE"};
}

// Finds the first member called `name` in `object` or the objects nested in it (tshark puts the
// request line fields one level down, under a key holding the line's text).
const rapidjson::Value* FindField(const rapidjson::Value& object, const char* name, int depth = 0) {
  if (!object.IsObject() || depth > 4) return nullptr;
  for (const auto& member : object.GetObject()) {
    if (member.name == name) return &member.value;
  }
  for (const auto& member : object.GetObject()) {
    if (const rapidjson::Value* found = FindField(member.value, name, depth + 1)) return found;
  }
  return nullptr;
}

std::string FieldText(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* value = FindField(object, name);
  if (value == nullptr || !value->IsString()) return "";
  return std::string(value->GetString(), value->GetStringLength());
}

uint32_t FieldNumber(const rapidjson::Value& object, const char* name) {
  return static_cast<uint32_t>(std::strtoul(FieldText(object, name).c_str(), nullptr, 10));
}

// The last member called `name` directly in `layers`: for tunnels (IP in IP) the inner header.
const rapidjson::Value* LastLayer(const rapidjson::Value& layers, const char* name) {
  const rapidjson::Value* found = nullptr;
  for (const auto& member : layers.GetObject()) {
    if (member.name == name) found = &member.value;
  }
  return found;
}

// Reads one packet of `tshark -T json`: every "http" layer in it is one message.
void ReadPacket(const rapidjson::Value& packet, std::vector<TsharkMessage>* messages) {
  const rapidjson::Value* layers = FindField(packet, "layers");
  if (layers == nullptr || !layers->IsObject()) return;
  const rapidjson::Value* frame = LastLayer(*layers, "frame");
  const rapidjson::Value* tcp = LastLayer(*layers, "tcp");
  const rapidjson::Value* ip = nullptr;
  for (const auto& member : layers->GetObject()) {
    if (member.name == "ip" || member.name == "ipv6") ip = &member.value;
  }
  if (frame == nullptr || tcp == nullptr || ip == nullptr) return;
  const bool v6 = FindField(*ip, "ipv6.src") != nullptr;
  const std::string src = CanonicalIp(FieldText(*ip, v6 ? "ipv6.src" : "ip.src"));
  const std::string dst = CanonicalIp(FieldText(*ip, v6 ? "ipv6.dst" : "ip.dst"));
  const auto src_port = static_cast<uint16_t>(FieldNumber(*tcp, "tcp.srcport"));
  const auto dst_port = static_cast<uint16_t>(FieldNumber(*tcp, "tcp.dstport"));

  for (const auto& member : layers->GetObject()) {
    if (member.name != "http" || !member.value.IsObject()) continue;
    const rapidjson::Value& http = member.value;
    TsharkMessage message;
    message.frame = FieldNumber(*frame, "frame.number");
    if (FindField(http, "http.request.method") != nullptr) {
      message.is_request = true;
      message.key = {src, src_port, dst, dst_port};
      message.request = {FieldText(http, "http.request.method"), FieldText(http, "http.request.uri"),
                         FieldText(http, "http.host")};
    } else if (FindField(http, "http.response.code") != nullptr) {
      message.key = {dst, dst_port, src, src_port};
      message.status = static_cast<int>(FieldNumber(http, "http.response.code"));
      message.request_in = FieldNumber(http, "http.request_in");
    } else {
      continue;  // a continuation or a message tshark could not classify
    }
    messages->push_back(std::move(message));
  }
}

bool IsInterim(int status) { return status >= 100 && status < 200 && status != 101; }

// Pairs each final response with the first unanswered request in the frame tshark names.
void BuildView(const std::vector<TsharkMessage>& messages, CaptureView* view) {
  std::map<ConnectionKey, std::vector<uint32_t>> request_frames;
  for (const TsharkMessage& message : messages) {
    ConnectionView& connection = (*view)[message.key];
    std::vector<uint32_t>& frames = request_frames[message.key];
    if (message.is_request) {
      connection.exchanges.push_back({message.request, std::nullopt});
      frames.push_back(message.frame);
      continue;
    }
    if (IsInterim(message.status)) continue;
    bool paired = false;
    for (size_t i = 0; i < frames.size() && !paired; ++i) {
      if (frames[i] == message.request_in && !connection.exchanges[i].status) {
        connection.exchanges[i].status = message.status;
        paired = true;
      }
    }
    if (!paired) connection.orphan_statuses.push_back(message.status);
  }
}

}  // namespace

bool TsharkServerPorts(const std::string& capture, std::set<uint16_t>* ports, std::string* error) {
  std::vector<std::string> argv = BaseCommand(capture);
  argv.insert(argv.end(), {"-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0", "-T", "fields", "-e", "tcp.dstport"});
  const ProcessResult result = RunProcess(argv, kTsharkTimeout);
  if (result.exit_code != 0) {
    *error = "tshark (SYN ports) on " + capture + ": " + result.Describe();
    return false;
  }
  std::istringstream lines(result.stdout_text);
  std::string line;
  while (std::getline(lines, line)) {
    const unsigned long port = std::strtoul(line.c_str(), nullptr, 10);
    if (port > 0 && port <= 65535) ports->insert(static_cast<uint16_t>(port));
  }
  return true;
}

bool TsharkHttpView(const std::string& capture, const std::set<uint16_t>& http_ports, CaptureView* view,
                    std::string* error) {
  std::vector<std::string> argv = BaseCommand(capture);
  for (const uint16_t port : http_ports) {
    argv.insert(argv.end(), {"-d", "tcp.port==" + std::to_string(port) + ",http"});
  }
  argv.insert(argv.end(), {"-Y", "http.request or http.response", "-T", "json", "-J", "frame ip ipv6 tcp http"});
  const ProcessResult result = RunProcess(argv, kTsharkTimeout);
  if (result.exit_code != 0) {
    *error = "tshark (HTTP) on " + capture + ": " + result.Describe();
    return false;
  }
  rapidjson::Document document;
  document.Parse(result.stdout_text.data(), result.stdout_text.size());
  if (document.HasParseError() || !document.IsArray()) {
    *error = "tshark JSON output for " + capture + " is not an array: " +
             rapidjson::GetParseError_En(document.GetParseError()) + " at byte " +
             std::to_string(document.GetErrorOffset());
    return false;
  }
  std::vector<TsharkMessage> messages;
  for (const auto& packet : document.GetArray()) ReadPacket(packet, &messages);
  BuildView(messages, view);
  return true;
}

}  // namespace sluice::testing
