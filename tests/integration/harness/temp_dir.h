// A scratch directory per test, removed with its contents unless SLUICE_KEEP_TEMP is set (then its
// path is printed so a failing run can be inspected).
#pragma once

#include <string>

namespace sluice::testing {

class TempDir {
 public:
  // Creates a fresh directory under $TMPDIR (default /tmp) whose name starts with `prefix`.
  // The test aborts (assert) when the directory cannot be created.
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Returns path()/name.
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Reads a whole file; returns false when it cannot be opened.
bool ReadFile(const std::string& path, std::string* contents);
// Writes `contents` to `path`, replacing it; returns false on error.
bool WriteFile(const std::string& path, const std::string& contents);

}  // namespace sluice::testing
