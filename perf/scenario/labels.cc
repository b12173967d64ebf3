#include "perf/scenario/labels.h"

#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/prettywriter.h>

#include <fstream>

namespace sluice::scenario {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::OStreamWrapper>;

void Field(Writer& writer, const char* key, const std::string& value) {
  writer.Key(key);
  writer.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void Field(Writer& writer, const char* key, int64_t value) {
  writer.Key(key);
  writer.Int64(value);
}

void Field(Writer& writer, const char* key, double value) {
  writer.Key(key);
  writer.Double(value);
}

void WriteOptions(Writer& writer, const ScenarioOptions& options) {
  Field(writer, "generator", std::string("sluice-gen-scenario"));
  writer.Key("seed");
  writer.Uint64(options.seed);
  Field(writer, "shape", options.shape);
  Field(writer, "endpoint_names", options.endpoint_names);
  Field(writer, "identity", std::string(IdentityKindName(options.identity)));
  Field(writer, "minutes", options.minutes);
  Field(writer, "normal_clients", static_cast<int64_t>(options.normal_clients));
  Field(writer, "nat_users", static_cast<int64_t>(options.nat_users));
  Field(writer, "attack_rate", options.attack_rate);
  Field(writer, "attack_scale", options.attack_scale);
  Field(writer, "normal_rate", options.normal_rate);
}

void WriteCapture(Writer& writer, const ScenarioOptions& options, const gen::GenStats& stats) {
  writer.Key("capture");
  writer.StartObject();
  Field(writer, "path", options.out_path);
  Field(writer, "first_ts_ns", stats.first_timestamp_ns);
  Field(writer, "last_ts_ns", stats.last_timestamp_ns);
  Field(writer, "packets", static_cast<int64_t>(stats.packets));
  Field(writer, "connections", static_cast<int64_t>(stats.connections));
  Field(writer, "calls", static_cast<int64_t>(stats.calls));
  writer.EndObject();
}

void WriteTemplates(Writer& writer, const NameSet& names) {
  writer.Key("templates");
  writer.StartObject();
  Field(writer, "api_host", names.api_host);
  Field(writer, "auth_host", names.auth_host);
  Field(writer, "child", names.child_path);
  Field(writer, "object", names.object_path);
  Field(writer, "uuid_object", names.uuid_path);
  Field(writer, "create", names.create_path);
  Field(writer, "search", names.search_path);
  Field(writer, "page_list", names.page_path);
  Field(writer, "offset_list", names.offset_path);
  Field(writer, "cursor_list", names.cursor_path);
  Field(writer, "login", names.login_path);
  Field(writer, "health", names.health_path);
  writer.EndObject();
}

void WriteClient(Writer& writer, const LabelEntry& label, const NameSet& names) {
  writer.StartObject();
  Field(writer, "ip", label.ip);
  Field(writer, "identity_kind", label.identity_kind);
  Field(writer, "identity", label.identity);
  Field(writer, "role", std::string(RoleName(label.role)));
  writer.Key("attack");
  writer.Bool(IsAttack(label.role));
  Field(writer, "expected_detector", std::string(ExpectedDetector(label.role)));
  Field(writer, "endpoint", ExpectedTemplate(label.role, names));
  writer.Key("template_required");
  writer.Bool(TemplateRequired(label.role));
  Field(writer, "host", ExpectedHost(label.role, names));
  Field(writer, "user_agent", label.user_agent_kind);
  Field(writer, "users", static_cast<int64_t>(label.users));
  const ClientTally& tally = label.tally;
  Field(writer, "calls", static_cast<int64_t>(tally.calls));
  Field(writer, "attack_calls", static_cast<int64_t>(tally.attack_calls));
  Field(writer, "first_attack_call_index", tally.first_attack_index);
  Field(writer, "first_attack_ts_ns", tally.first_attack_ns);
  Field(writer, "first_call_ts_ns", tally.first_call_ns);
  Field(writer, "last_call_ts_ns", tally.last_call_ns);
  writer.Key("calls_by_endpoint");
  writer.StartObject();
  for (const auto& [endpoint, count] : tally.calls_by_endpoint) {
    Field(writer, endpoint.c_str(), static_cast<int64_t>(count));
  }
  writer.EndObject();
  writer.Key("statuses");
  writer.StartObject();
  for (const auto& [status, count] : tally.statuses) {
    Field(writer, std::to_string(status).c_str(), static_cast<int64_t>(count));
  }
  writer.EndObject();
  writer.EndObject();
}

}  // namespace

bool WriteLabels(const std::string& path, const ScenarioOptions& options, const NameSet& names,
                 const gen::GenStats& stats, const ScenarioPopulation& population,
                 std::string* error) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) {
    *error = "cannot open labels file '" + path + "' for writing";
    return false;
  }
  rapidjson::OStreamWrapper stream(file);
  Writer writer(stream);
  writer.SetIndent(' ', 2);
  writer.StartObject();
  WriteOptions(writer, options);
  WriteCapture(writer, options, stats);
  WriteTemplates(writer, names);
  writer.Key("clients");
  writer.StartArray();
  for (const LabelEntry& label : population.labels) WriteClient(writer, label, names);
  writer.EndArray();
  writer.EndObject();
  file << '\n';
  file.close();
  if (!file) {
    *error = "failed to write labels file '" + path + "'";
    return false;
  }
  return true;
}

}  // namespace sluice::scenario
