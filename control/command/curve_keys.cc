#include "control/command/curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sluice::control {

namespace {

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

bool MakeDirectory(const std::string& path, std::string* error) {
  if (mkdir(path.c_str(), 0700) == 0) return true;
  if (errno == EEXIST) {
    struct stat info {};
    if (stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) return true;
    *error = "cannot create directory '" + path + "': a file of that name exists";
    return false;
  }
  *error = "cannot create directory '" + path + "': " + std::strerror(errno);
  return false;
}

}  // namespace

bool IsZ85Key(std::string_view key) {
  if (key.size() != kZ85KeyLength) return false;
  for (char c : key) {
    if (kZ85Alphabet.find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool GenerateKeyPair(CurveKeyPair* pair, std::string* error) {
  char public_key[kZ85KeyLength + 1] = {};
  char secret_key[kZ85KeyLength + 1] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    *error = std::string("zmq_curve_keypair failed: ") + zmq_strerror(zmq_errno()) +
             "; libzmq must be built with CURVE (libsodium)";
    return false;
  }
  pair->public_z85 = public_key;
  pair->secret_z85 = secret_key;
  return true;
}

bool ReadKeyFile(const std::string& path, std::string* key, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read key file '" + path + "': " + std::strerror(errno) +
             "; create keys with `sluicectl keys init`";
    return false;
  }
  std::string line;
  std::string found;
  while (std::getline(in, line)) {
    const size_t begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos || line[begin] == '#') continue;
    const size_t end = line.find_last_not_of(" \t\r");
    const std::string text = line.substr(begin, end - begin + 1);
    if (!found.empty() || !IsZ85Key(text)) {
      *error = "key file '" + path + "' must hold exactly one 40-character Z85 key";
      return false;
    }
    found = text;
  }
  if (found.empty()) {
    *error = "key file '" + path + "' holds no key";
    return false;
  }
  *key = found;
  return true;
}

bool WriteKeyFile(const std::string& path, const std::string& key, bool overwrite,
                  std::string* error) {
  const int flags = O_WRONLY | O_CREAT | (overwrite ? O_TRUNC : O_EXCL);
  const int fd = open(path.c_str(), flags, 0600);
  if (fd < 0) {
    *error = "cannot write key file '" + path + "': " + std::strerror(errno) +
             (errno == EEXIST ? "; pass --force to replace existing keys" : "");
    return false;
  }
  // O_CREAT applies the mode only to new files and the umask can narrow it; set it explicitly.
  const std::string text = key + "\n";
  const bool ok = fchmod(fd, 0600) == 0 &&
                  write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int saved_errno = errno;
  close(fd);
  if (!ok) {
    *error = "cannot write key file '" + path + "': " + std::strerror(saved_errno);
    return false;
  }
  return true;
}

bool InitKeyDirectory(const std::string& directory, bool overwrite, KeysInitResult* result,
                      std::string* error) {
  if (!MakeDirectory(directory, error)) return false;
  const std::string allowed = directory + "/allowed";
  if (!MakeDirectory(allowed, error)) return false;

  CurveKeyPair server;
  CurveKeyPair client;
  if (!GenerateKeyPair(&server, error) || !GenerateKeyPair(&client, error)) return false;

  // Secrets first, so that an interrupted run leaves no public key without its secret.
  const std::string prefix = directory + "/";
  if (!WriteKeyFile(prefix + "server.secret", server.secret_z85, overwrite, error) ||
      !WriteKeyFile(prefix + "server.public", server.public_z85, overwrite, error) ||
      !WriteKeyFile(prefix + "client.secret", client.secret_z85, overwrite, error) ||
      !WriteKeyFile(prefix + "client.public", client.public_z85, overwrite, error) ||
      !WriteKeyFile(allowed + "/client.public", client.public_z85, overwrite, error)) {
    return false;
  }
  result->server_public = server.public_z85;
  result->client_public = client.public_z85;
  result->allowed_path = allowed + "/client.public";
  return true;
}

}  // namespace sluice::control
