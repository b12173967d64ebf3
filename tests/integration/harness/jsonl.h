// Reading the ECS JSON lines that sluice-control writes.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::testing {

// One parsed line. Documents own their allocator, so they are kept behind a pointer.
using JsonRecord = std::unique_ptr<rapidjson::Document>;

// Incremental reader of a file that another process appends to: each call returns the complete
// lines added since the previous call (a trailing partial line waits for the next call).
class JsonlTail {
 public:
  explicit JsonlTail(std::string path) : path_(std::move(path)) {}

  // Appends the new records to `records`. Returns false with `*error` (naming the file, the line
  // number and RapidJSON's message) when the file cannot be read or a line is not a JSON object.
  bool ReadNew(std::vector<JsonRecord>* records, std::string* error);

 private:
  std::string path_;
  uint64_t offset_ = 0;
  uint64_t line_number_ = 0;
};

// Parses every line of `path`.
bool ReadJsonLines(const std::string& path, std::vector<JsonRecord>* records, std::string* error);

// Looks up a dotted path through nested objects ("http.response.status_code"). Returns nullptr
// when a step is missing or not an object.
const rapidjson::Value* Find(const rapidjson::Value& root, std::string_view dotted_path);

// Typed lookups: nullopt when the member is missing or has another type.
std::optional<std::string> FindString(const rapidjson::Value& root, std::string_view dotted_path);
std::optional<int64_t> FindInt(const rapidjson::Value& root, std::string_view dotted_path);
std::optional<bool> FindBool(const rapidjson::Value& root, std::string_view dotted_path);

// Serializes `value` with object members sorted by name at every level, so that two records with
// the same content compare equal as strings whatever order their fields were written in.
std::string CanonicalJson(const rapidjson::Value& value);

// Removes the member at a dotted path if present (used to blank fields that legitimately differ).
void RemoveMember(rapidjson::Value& root, std::string_view dotted_path);


}  // namespace sluice::testing
