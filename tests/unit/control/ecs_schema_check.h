// Validation of JSON lines against schemas/ecs-record.schema.json with RapidJSON's validator.
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace sluice::control::testing {

// SLUICE_SOURCE_ROOT is set by the meson file of these tests.
inline std::string EcsSchemaPath() {
  return std::string(SLUICE_SOURCE_ROOT) + "/schemas/ecs-record.schema.json";
}

class EcsSchemaCheck {
 public:
  EcsSchemaCheck() {
    std::ifstream file(EcsSchemaPath());
    std::stringstream text;
    text << file.rdbuf();
    rapidjson::Document document;
    document.Parse(text.str().c_str());
    load_error_ = document.HasParseError() ? "cannot parse " + EcsSchemaPath() : "";
    schema_ = std::make_unique<rapidjson::SchemaDocument>(document);
  }

  // Returns an empty string when `line` (without its '\n') is valid JSON that matches the
  // schema, or a description of the first problem.
  std::string Check(std::string_view line) const {
    if (!load_error_.empty()) return load_error_;
    rapidjson::Document document;
    document.Parse(line.data(), line.size());
    if (document.HasParseError()) return "not valid JSON: " + std::string(line);
    rapidjson::SchemaValidator validator(*schema_);
    if (document.Accept(validator)) return {};

    rapidjson::StringBuffer pointer;
    validator.GetInvalidDocumentPointer().StringifyUriFragment(pointer);
    rapidjson::StringBuffer schema_pointer;
    validator.GetInvalidSchemaPointer().StringifyUriFragment(schema_pointer);
    return std::string("schema violation at ") + pointer.GetString() + " (schema " +
           schema_pointer.GetString() + ", keyword " + validator.GetInvalidSchemaKeyword() +
           ") in " + std::string(line);
  }

 private:
  std::string load_error_;
  std::unique_ptr<rapidjson::SchemaDocument> schema_;
};

}  // namespace sluice::control::testing
