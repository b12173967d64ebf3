#include "control/sinks/json_writer.h"

#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <random>
#include <string>

namespace sluice::control {
namespace {

// RapidJSON's Writer is the reference: the sink wrote its output before JsonWriter replaced it,
// and SIEM pipelines may compare old and new lines byte for byte.
std::string RapidJsonString(std::string_view text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string JsonWriterString(std::string_view text) {
  JsonWriter json;
  json.String(text);
  return std::string(json.view());
}

TEST(JsonWriter, EveryByteEscapedLikeRapidJson) {
  for (int byte = 0; byte < 256; ++byte) {
    const std::string text(1, static_cast<char>(byte));
    EXPECT_EQ(JsonWriterString(text), RapidJsonString(text)) << "byte " << byte;
  }
}

TEST(JsonWriter, EscapesAtEveryOffsetOfAWord) {
  // The writer skips 8 bytes at a time, so each special byte is tried at each offset and length.
  const char kSpecial[] = {'"', '\\', '\0', '\x1f', '\n', '\x7f', '\x80', '/'};
  for (char special : kSpecial) {
    for (size_t length = 1; length <= 24; ++length) {
      for (size_t offset = 0; offset < length; ++offset) {
        std::string text(length, 'a');
        text[offset] = special;
        EXPECT_EQ(JsonWriterString(text), RapidJsonString(text))
            << "byte " << int(special) << " at " << offset << " of " << length;
      }
    }
  }
}

TEST(JsonWriter, RandomStringsMatchRapidJson) {
  std::mt19937 random(7);
  for (int i = 0; i < 2000; ++i) {
    std::string text(random() % 64, '\0');
    // Mostly printable ASCII with some control, quote, backslash and high bytes.
    for (char& c : text) {
      const uint32_t pick = random() % 16;
      if (pick == 0) {
        c = static_cast<char>(random() % 256);
      } else if (pick == 1) {
        c = '"';
      } else {
        c = static_cast<char>('a' + pick);
      }
    }
    EXPECT_EQ(JsonWriterString(text), RapidJsonString(text)) << "case " << i;
  }
}

TEST(JsonWriter, UintEdgeValues) {
  const uint64_t kValues[] = {0, 9, 10, 99, 4294967295ULL, 4294967296ULL, UINT64_MAX};
  for (uint64_t value : kValues) {
    JsonWriter json;
    json.Uint(value);
    EXPECT_EQ(json.view(), std::to_string(value));
  }
}

TEST(JsonWriter, CommasAndNesting) {
  JsonWriter json;
  json.StartObject();
  json.Key("a");
  json.StartArray();
  json.Uint(1);
  json.StartObject();
  json.EndObject();
  json.StartArray();
  json.EndArray();
  json.Bool(false);
  json.EndArray();
  json.Key("b");
  json.PlainString("x");
  json.Raw("\"c\":1,\"d\":{}");
  json.Key("e");
  json.Bool(true);
  json.EndObject();
  json.Newline();
  json.StartArray();
  json.EndArray();
  EXPECT_EQ(json.view(), "{\"a\":[1,{},[],false],\"b\":\"x\",\"c\":1,\"d\":{},\"e\":true}\n[]");
}

TEST(JsonWriter, TruncateDropsTailAndComma) {
  JsonWriter json;
  json.StartArray();
  json.Uint(1);
  json.EndArray();
  json.Newline();
  const size_t line_end = json.size();
  json.StartArray();
  json.Uint(2);
  json.Truncate(line_end);
  json.StartArray();
  json.EndArray();
  EXPECT_EQ(json.view(), "[1]\n[]");
}

TEST(JsonWriter, GrowsPastInitialCapacity) {
  JsonWriter json;
  std::string expected;
  for (int i = 0; i < 10000; ++i) {
    json.StartArray();
    json.String("line\n");
    json.EndArray();
    json.Newline();
    expected += "[\"line\\n\"]\n";
  }
  EXPECT_EQ(json.view(), expected);
}

}  // namespace
}  // namespace sluice::control
