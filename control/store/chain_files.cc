#include "control/store/chain_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "control/store/byte_order.h"

namespace sluice::control::store {
namespace {

constexpr size_t kMarkSize = 120;

const char* FileName(ChainMarkKind kind) {
  return kind == ChainMarkKind::kHead ? kHeadFileName : kAnchorFileName;
}
const char* Magic(ChainMarkKind kind) {
  return kind == ChainMarkKind::kHead ? "SLUICEHD" : "SLUICEAN";
}

}  // namespace

std::string ChainMarkSignedMessage(ChainMarkKind kind, const ChainMark& mark) {
  std::string message = kind == ChainMarkKind::kHead ? "sluice store head v1"
                                                     : "sluice store anchor v1";
  PutU64(message, mark.number);
  message.append(reinterpret_cast<const char*>(mark.hash.data()), mark.hash.size());
  PutU64(message, mark.written_ns);
  return message;
}

std::string SyncDirectory(const std::string& directory) {
  const int fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return "cannot open directory " + directory + ": " + std::strerror(errno);
  const int result = fsync(fd);
  const int error = errno;
  close(fd);
  if (result != 0) return "cannot fsync directory " + directory + ": " + std::strerror(error);
  return {};
}

std::string WriteFileAtomically(const std::string& path, const std::string& bytes) {
  const std::string temporary = path + ".tmp";
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot create " + temporary + ": " + std::strerror(errno);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t written = write(fd, bytes.data() + done, bytes.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) break;
    done += static_cast<size_t>(written);
  }
  const bool ok = done == bytes.size() && fsync(fd) == 0;
  const int error = errno;
  close(fd);
  if (!ok) return "cannot write " + temporary + ": " + std::strerror(error);
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    return "cannot rename " + temporary + " to " + path + ": " + std::strerror(errno);
  }
  const size_t slash = path.rfind('/');
  return SyncDirectory(slash == std::string::npos ? "." : path.substr(0, slash));
}

std::string WriteChainMark(const std::string& directory, ChainMarkKind kind, EVP_PKEY* key,
                           ChainMark mark) {
  if (!SignMessage(key, ChainMarkSignedMessage(kind, mark), mark.signature)) {
    return std::string("cannot sign ") + FileName(kind) + ": OpenSSL failed";
  }
  std::string bytes(Magic(kind), 8);
  PutU64(bytes, mark.number);
  bytes.append(reinterpret_cast<const char*>(mark.hash.data()), mark.hash.size());
  PutU64(bytes, mark.written_ns);
  bytes.append(reinterpret_cast<const char*>(mark.signature.data()), mark.signature.size());
  return WriteFileAtomically(directory + "/" + FileName(kind), bytes);
}

std::string ReadChainMark(const std::string& directory, ChainMarkKind kind, ChainMark& mark,
                          bool& missing) {
  const std::string path = directory + "/" + FileName(kind);
  missing = false;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    missing = errno == ENOENT;
    return "cannot open " + path + ": " + std::strerror(errno);
  }
  uint8_t bytes[kMarkSize + 1];
  const ssize_t got = read(fd, bytes, sizeof(bytes));
  close(fd);
  if (got != static_cast<ssize_t>(kMarkSize) || std::memcmp(bytes, Magic(kind), 8) != 0) {
    return path + " is malformed (expected " + std::to_string(kMarkSize) + " bytes starting " +
           Magic(kind) + ")";
  }
  mark.number = GetU64(bytes + 8);
  std::memcpy(mark.hash.data(), bytes + 16, 32);
  mark.written_ns = GetU64(bytes + 48);
  std::memcpy(mark.signature.data(), bytes + 56, 64);
  return {};
}

}  // namespace sluice::control::store
