#include "control/transport/delivery_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace sluice::control {
namespace {

constexpr char kMagic[] = "sluice-delivery-state 1";

// Data plane ids come from the network and may hold any byte, so they are stored as hex.
std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<uint8_t>(c);
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 15]);
  }
  return hex;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool FromHex(std::string_view hex, std::string& bytes) {
  if (hex.size() % 2 != 0) return false;
  bytes.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = HexDigit(hex[i]);
    const int low = HexDigit(hex[i + 1]);
    if (high < 0 || low < 0) return false;
    bytes.push_back(static_cast<char>(high << 4 | low));
  }
  return true;
}

bool ParseRunId(const std::string& text, uint64_t& run_id) {
  if (text.size() != 16) return false;
  run_id = 0;
  for (const char c : text) {
    const int digit = HexDigit(c);
    if (digit < 0) return false;
    run_id = run_id << 4 | static_cast<uint64_t>(digit);
  }
  return true;
}

// "-" or a comma-separated ascending list of numbers above `next_sequence`.
bool ParseAhead(const std::string& text, uint64_t next_sequence, std::vector<uint64_t>& ahead) {
  ahead.clear();
  if (text == "-") return true;
  uint64_t previous = next_sequence;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos) return false;
    errno = 0;
    const unsigned long long value = std::strtoull(item.c_str(), nullptr, 10);
    if (errno != 0 || value <= previous) return false;
    ahead.push_back(value);
    previous = value;
    start = comma + 1;
  }
  return ahead.size() <= SequenceTracker::kMaxAhead;
}

std::string Damaged(const std::string& path, size_t line, const std::string& what) {
  return "delivery state file " + path + " is damaged at line " + std::to_string(line) + " (" +
         what + "); move it aside to start with an empty delivery state, in which case batches "
         "that data planes resend may be written twice";
}

bool WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t written = write(fd, text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    done += static_cast<size_t>(written);
  }
  return true;
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string Failure(const char* call, const std::string& path) {
  return std::string(call) + " failed on delivery state file " + path + ": " +
         std::strerror(errno);
}

}  // namespace

std::string DeliveryStatePath(const std::string& jsonl_path) { return jsonl_path + ".delivery"; }

std::string FormatDeliveryState(const DeliveryState& state) {
  std::string text;
  text.reserve(64 + state.streams.size() * 64);
  text += kMagic;
  text += "\njsonl_length " + std::to_string(state.jsonl_length);
  text += "\nstreams " + std::to_string(state.streams.size()) + "\n";
  char numbers[64];
  for (const PersistedStream& stream : state.streams) {
    text += ToHex(stream.key.dataplane_id);
    std::snprintf(numbers, sizeof(numbers), " %016" PRIx64 " %u %" PRIu64 " ", stream.key.run_id,
                  static_cast<unsigned>(stream.key.worker_id), stream.next_sequence);
    text += numbers;
    if (stream.ahead.empty()) text += '-';
    for (size_t i = 0; i < stream.ahead.size(); ++i) {
      if (i != 0) text += ',';
      text += std::to_string(stream.ahead[i]);
    }
    text += '\n';
  }
  // The end marker distinguishes a complete file from one cut short by a damaged disk or a manual edit.
  text += "end\n";
  return text;
}

std::string ParseDeliveryState(const std::string& text, const std::string& path,
                               DeliveryState& state) {
  state = DeliveryState{};
  std::istringstream input(text);
  std::string line;
  size_t number = 1;
  if (!std::getline(input, line) || line != kMagic) {
    return Damaged(path, number, "expected \"" + std::string(kMagic) + "\"");
  }
  ++number;
  if (!std::getline(input, line) ||
      std::sscanf(line.c_str(), "jsonl_length %" SCNu64, &state.jsonl_length) != 1) {
    return Damaged(path, number, "expected jsonl_length");
  }
  ++number;
  uint64_t count = 0;
  if (!std::getline(input, line) || std::sscanf(line.c_str(), "streams %" SCNu64, &count) != 1) {
    return Damaged(path, number, "expected streams");
  }
  for (uint64_t i = 0; i < count; ++i) {
    ++number;
    if (!std::getline(input, line)) return Damaged(path, number, "file ends inside the streams");
    std::istringstream fields(line);
    std::string hex;
    std::string run_text;
    uint64_t worker = 0;
    uint64_t next_sequence = 0;
    std::string ahead_text;
    PersistedStream stream;
    if (!(fields >> hex >> run_text >> worker >> next_sequence >> ahead_text) ||
        worker > UINT16_MAX || !FromHex(hex, stream.key.dataplane_id) ||
        !ParseRunId(run_text, stream.key.run_id) ||
        !ParseAhead(ahead_text, next_sequence, stream.ahead)) {
      return Damaged(path, number,
                     "expected \"<data plane hex> <run> <worker> <next sequence> <ahead>\"");
    }
    stream.key.worker_id = static_cast<uint16_t>(worker);
    stream.next_sequence = next_sequence;
    state.streams.push_back(std::move(stream));
  }
  ++number;
  const bool ends_with_newline = !text.empty() && text.back() == '\n';
  if (!std::getline(input, line) || line != "end" || !ends_with_newline) {
    return Damaged(path, number, "expected the end marker");
  }
  return {};
}

std::string LoadDeliveryState(const std::string& path, DeliveryState& state, bool& found) {
  state = DeliveryState{};
  found = false;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    return Failure("open", path);
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const std::string error = Failure("read", path);
      close(fd);
      return error;
    }
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  close(fd);
  found = true;
  return ParseDeliveryState(text, path, state);
}

std::string SaveDeliveryState(const std::string& path, const DeliveryState& state) {
  const std::string temporary = path + ".tmp";
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Failure("open", temporary);
  if (!WriteAll(fd, FormatDeliveryState(state))) {
    const std::string error = Failure("write", temporary);
    close(fd);
    return error;
  }
  if (fdatasync(fd) != 0) {
    const std::string error = Failure("fdatasync", temporary);
    close(fd);
    return error;
  }
  close(fd);
  if (rename(temporary.c_str(), path.c_str()) != 0) return Failure("rename", path);

  // rename(2) is durable only once the directory that contains the entry is synced.
  const std::string directory = DirectoryOf(path);
  const int directory_fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd < 0) return Failure("open", directory);
  const bool synced = fsync(directory_fd) == 0;
  const std::string error = synced ? std::string() : Failure("fsync", directory);
  close(directory_fd);
  return error;
}

uint64_t PlanRecovery(const DeliveryState& state, bool state_found, uint64_t jsonl_size,
                      RecoveryReport& report) {
  report = RecoveryReport{};
  report.state_found = state_found;
  report.jsonl_length_before = jsonl_size;
  report.streams = state.streams.size();
  if (!state_found) return jsonl_size;
  if (jsonl_size < state.jsonl_length) {
    report.jsonl_shorter = true;
    return jsonl_size;
  }
  report.bytes_cut = jsonl_size - state.jsonl_length;
  return state.jsonl_length;
}

}  // namespace sluice::control
