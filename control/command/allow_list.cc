#include "control/command/allow_list.h"

#include <zmq.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "control/command/curve_keys.h"

namespace sluice::control {

bool AllowList::LoadDirectory(const std::string& directory, std::string* error) {
  std::error_code code;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory, code)) {
    if (entry.path().extension() == ".public") files.push_back(entry.path());
  }
  if (code) {
    *error = "cannot read the allowed-keys directory '" + directory + "': " + code.message() +
             "; create it with `sluicectl keys init` or set control.command_allowed_keys";
    return false;
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::string key;
    if (!ReadKeyFile(path.string(), &key, error)) return false;
    Add(path.stem().string(), key);
  }
  return true;
}

bool AllowList::Add(const std::string& name, std::string_view z85) {
  if (!IsZ85Key(z85)) return false;
  const std::string text(z85);
  uint8_t raw[32];
  if (zmq_z85_decode(raw, text.c_str()) == nullptr) return false;
  names_[std::string(reinterpret_cast<const char*>(raw), sizeof(raw))] = name;
  return true;
}

const std::string* AllowList::Find(std::string_view raw_key) const {
  const auto found = names_.find(raw_key);
  return found == names_.end() ? nullptr : &found->second;
}

}  // namespace sluice::control
