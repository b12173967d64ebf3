#include "tests/integration/harness/jsonl.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <fstream>

namespace sluice::testing {
namespace {

bool ParseLine(const std::string& line, const std::string& path, uint64_t line_number,
               std::vector<JsonRecord>* records, std::string* error) {
  auto document = std::make_unique<rapidjson::Document>();
  document->Parse(line.data(), line.size());
  const std::string where = path + ":" + std::to_string(line_number);
  if (document->HasParseError()) {
    *error = where + ": invalid JSON at byte " + std::to_string(document->GetErrorOffset()) + ": " +
             rapidjson::GetParseError_En(document->GetParseError());
    return false;
  }
  if (!document->IsObject()) {
    *error = where + ": line is not a JSON object";
    return false;
  }
  records->push_back(std::move(document));
  return true;
}

void WriteCanonical(const rapidjson::Value& value, rapidjson::Writer<rapidjson::StringBuffer>& writer) {
  if (value.IsObject()) {
    std::vector<const rapidjson::Value::Member*> members;
    for (const auto& member : value.GetObject()) members.push_back(&member);
    std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
      return std::string_view(a->name.GetString(), a->name.GetStringLength()) <
             std::string_view(b->name.GetString(), b->name.GetStringLength());
    });
    writer.StartObject();
    for (const auto* member : members) {
      writer.Key(member->name.GetString(), member->name.GetStringLength());
      WriteCanonical(member->value, writer);
    }
    writer.EndObject();
  } else if (value.IsArray()) {
    writer.StartArray();
    for (const auto& element : value.GetArray()) WriteCanonical(element, writer);
    writer.EndArray();
  } else {
    value.Accept(writer);
  }
}

}  // namespace

bool JsonlTail::ReadNew(std::vector<JsonRecord>* records, std::string* error) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    *error = "cannot open " + path_;
    return false;
  }
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no '\n' yet: the writer has not finished this line
    offset_ += line.size() + 1;
    ++line_number_;
    if (line.empty()) continue;
    if (!ParseLine(line, path_, line_number_, records, error)) return false;
  }
  return true;
}

bool ReadJsonLines(const std::string& path, std::vector<JsonRecord>* records, std::string* error) {
  JsonlTail tail(path);
  return tail.ReadNew(records, error);
}

const rapidjson::Value* Find(const rapidjson::Value& root, std::string_view dotted_path) {
  const rapidjson::Value* node = &root;
  while (!dotted_path.empty()) {
    const size_t dot = dotted_path.find('.');
    const std::string_view name = dotted_path.substr(0, dot);
    dotted_path = dot == std::string_view::npos ? std::string_view() : dotted_path.substr(dot + 1);
    if (!node->IsObject()) return nullptr;
    const auto member = node->FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
    if (member == node->MemberEnd()) return nullptr;
    node = &member->value;
  }
  return node;
}

std::optional<std::string> FindString(const rapidjson::Value& root, std::string_view dotted_path) {
  const rapidjson::Value* value = Find(root, dotted_path);
  if (value == nullptr || !value->IsString()) return std::nullopt;
  return std::string(value->GetString(), value->GetStringLength());
}

std::optional<int64_t> FindInt(const rapidjson::Value& root, std::string_view dotted_path) {
  const rapidjson::Value* value = Find(root, dotted_path);
  if (value == nullptr || !value->IsInt64()) return std::nullopt;
  return value->GetInt64();
}

std::optional<bool> FindBool(const rapidjson::Value& root, std::string_view dotted_path) {
  const rapidjson::Value* value = Find(root, dotted_path);
  if (value == nullptr || !value->IsBool()) return std::nullopt;
  return value->GetBool();
}

std::string CanonicalJson(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  WriteCanonical(value, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void RemoveMember(rapidjson::Value& root, std::string_view dotted_path) {
  const size_t dot = dotted_path.rfind('.');
  rapidjson::Value* parent = &root;
  if (dot != std::string_view::npos) {
    parent = const_cast<rapidjson::Value*>(Find(root, dotted_path.substr(0, dot)));
  }
  if (parent == nullptr || !parent->IsObject()) return;
  const std::string_view name = dot == std::string_view::npos ? dotted_path : dotted_path.substr(dot + 1);
  parent->RemoveMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
}

}  // namespace sluice::testing
