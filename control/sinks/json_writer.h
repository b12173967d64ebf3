// A minimal JSON writer for the ECS sink. It appends tokens to one growable buffer that can hold
// many lines, and places commas itself. It replaces RapidJSON's Writer, whose per-token overhead
// (strlen on each key, one Put call per byte) perf showed as sluice-control's largest cost in
// bench_record_pipeline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace sluice::control {

// Appends JSON to a buffer that keeps its capacity between lines and batches, so formatting
// allocates only while the buffer grows. The caller keeps the structure valid: a key before each
// member value, balanced objects and arrays. Strings are escaped exactly as RapidJSON 1.1's
// Writer does (no validation, '/' and bytes >= 0x80 unescaped), because the sink's output must
// stay byte-identical to the lines it wrote before. Not thread-safe.
class JsonWriter {
 public:
  JsonWriter() = default;
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  std::string_view view() const { return {data_.get(), size_}; }
  size_t size() const { return size_; }

  // Drops everything from byte `size` on, for example a record that failed half-way. `size` must
  // be 0 or the end of a line, because the next token gets no comma.
  void Truncate(size_t size) {
    if (size < size_) size_ = size;
    need_comma_ = false;
  }
  void Clear() { Truncate(0); }

  void StartObject() { OpenBracket('{'); }
  void EndObject() { CloseBracket('}'); }
  void StartArray() { OpenBracket('['); }
  void EndArray() { CloseBracket(']'); }

  // Writes `"name":`. `name` must need no escaping; every caller passes a literal.
  void Key(std::string_view name) {
    char* out = Reserve(name.size() + 4);
    if (need_comma_) *out++ = ',';
    *out++ = '"';
    std::memcpy(out, name.data(), name.size());
    out += name.size();
    *out++ = '"';
    *out++ = ':';
    Commit(out);
    need_comma_ = false;
  }

  void Uint(uint64_t value);
  // Writes the shortest decimal form that reads back as `value`; null when it is not finite,
  // since JSON has no NaN or infinity.
  void Double(double value);
  void Bool(bool value) { Raw(value ? std::string_view("true") : std::string_view("false")); }

  // Writes `text` as a JSON string, escaping '"', '\\' and control characters. `text` must
  // already be valid UTF-8 for the line to be valid JSON; see RepairUtf8.
  void String(std::string_view text);
  // Writes `text` between quotes without escaping. Only for text this process produced and that
  // contains no '"', '\\' or control character: literals, addresses, timestamps, hex and base64.
  void PlainString(std::string_view text);

  // Writes `json`, a complete value or a run of members such as `"a":1,"b":2`, as it is, with a
  // comma before it where one is due.
  void Raw(std::string_view json) {
    char* out = Reserve(json.size() + 1);
    if (need_comma_) *out++ = ',';
    std::memcpy(out, json.data(), json.size());
    Commit(out + json.size());
    need_comma_ = true;
  }

  // Ends a line: the next token starts a new top-level value.
  void Newline() {
    char* out = Reserve(1);
    *out++ = '\n';
    Commit(out);
    need_comma_ = false;
  }

 private:
  void OpenBracket(char bracket) {
    char* out = Reserve(2);
    if (need_comma_) *out++ = ',';
    *out++ = bracket;
    Commit(out);
    need_comma_ = false;
  }
  void CloseBracket(char bracket) {
    char* out = Reserve(1);
    *out++ = bracket;
    Commit(out);
    need_comma_ = true;
  }

  // Returns where the next `bytes` bytes may be written; Commit(end) then keeps them.
  char* Reserve(size_t bytes) {
    if (capacity_ - size_ < bytes) Grow(bytes);
    return data_.get() + size_;
  }
  void Commit(const char* end) { size_ = static_cast<size_t>(end - data_.get()); }
  void Grow(size_t bytes);

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
  // True after a value or a closing bracket: the next key or array element needs a ','.
  bool need_comma_ = false;
};

}  // namespace sluice::control
