// The client keys sluice-control admits on the command channel.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace sluice::control {

// Public keys by their 32 raw bytes, each with a name for the logs: the file name without
// ".public". Built once at start and then only read, by the ZAP thread.
class AllowList {
 public:
  // Loads every "*.public" file in `directory`, each holding one Z85 key (see curve_keys.h).
  // Fails with a message naming the directory or the bad file. An empty directory is not an
  // error: sluice-control then admits no client and logs a warning.
  bool LoadDirectory(const std::string& directory, std::string* error);

  // Adds one Z85 key under `name`. Returns false when `z85` is not a valid key.
  bool Add(const std::string& name, std::string_view z85);

  // The name of the raw 32-byte key, or nullptr when the key is not listed.
  const std::string* Find(std::string_view raw_key) const;

  size_t size() const { return names_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> names_;  // raw key -> name
};

}  // namespace sluice::control
