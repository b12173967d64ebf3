#include "control/cli/render.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "control/cli/table.h"
#include "control/sinks/run_id.h"

namespace sluice::cli {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

std::string Text(const flatbuffers::String* text) { return text == nullptr ? "" : text->str(); }

void Key(JsonWriter& json, const char* key, const std::string& value) {
  json.Key(key);
  json.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string Finish(rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

void WriteEnvelope(JsonWriter& json, const command::Response& response) {
  json.Key("ok");
  json.Bool(response.ok());
  if (!Text(response.error()).empty()) Key(json, "error", Text(response.error()));
  Key(json, "client_key", Text(response.client_key()));
  json.Key("control_uptime_s");
  json.Double(response.control_uptime_s());
  if (response.dataplane_socket_off()) Key(json, "dataplane_command_socket", "off");
}

std::string JoinPorts(const command::DataplaneStatus& status) {
  std::string ports;
  if (status.ports() == nullptr) return ports;
  for (const auto* port : *status.ports()) ports += (ports.empty() ? "" : ",") + port->str();
  return ports.empty() ? "-" : ports;
}

std::string JoinRuleIds(const command::DataplaneStatus& status) {
  std::string ids;
  if (status.rule_ids() == nullptr) return ids;
  for (uint32_t id : *status.rule_ids()) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  return ids.empty() ? "-" : ids;
}

size_t DataplaneCount(const command::Response& response) {
  return response.dataplanes() == nullptr ? 0 : response.dataplanes()->size();
}

}  // namespace

std::string StatusText(const command::Response& response) {
  std::string text = "sluice-control: up " + FormatDuration(response.control_uptime_s()) + ", " +
                     std::to_string(DataplaneCount(response)) + " data plane(s) connected\n";
  if (response.dataplane_socket_off()) {
    text += "the data plane command socket is off (control.dataplane_command_listen), so data "
            "planes that send records are not listed and take no rule or policy changes\n";
  }
  if (DataplaneCount(response) == 0) return text;
  Table table({"DATAPLANE", "MODE", "PORTS", "WORKERS", "UPTIME", "RULES", "VERSION", "RECORDS/S",
               "PACKETS/S", "DROPS", "REPORTED"});
  for (size_t column : {3, 5, 7, 8, 9}) table.AlignRight(column);
  for (const auto* status : *response.dataplanes()) {
    table.AddRow({Text(status->id()), Text(status->mode()), JoinPorts(*status),
                  std::to_string(status->workers()), FormatDuration(status->uptime_s()),
                  std::to_string(status->rule_count()),
                  Text(status->rules_version()) + (status->pending_reload() ? " (reloading)" : ""),
                  FormatRate(status->records_per_s()), FormatRate(status->packets_per_s()),
                  std::to_string(status->drops()),
                  FormatDuration(status->last_report_age_s()) + " ago"});
  }
  return text + "\n" + table.Render();
}

std::string StatusJson(const command::Response& response) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  WriteEnvelope(json, response);
  json.Key("dataplanes");
  json.StartArray();
  if (response.dataplanes() != nullptr) {
    for (const auto* status : *response.dataplanes()) {
      json.StartObject();
      Key(json, "id", Text(status->id()));
      Key(json, "run_id", control::RunIdHex(status->run_id()));
      Key(json, "mode", Text(status->mode()));
      json.Key("ports");
      json.StartArray();
      if (status->ports() != nullptr) {
        for (const auto* port : *status->ports()) json.String(port->c_str());
      }
      json.EndArray();
      json.Key("workers");
      json.Uint(status->workers());
      json.Key("uptime_s");
      json.Double(status->uptime_s());
      Key(json, "rules_version", Text(status->rules_version()));
      json.Key("rule_count");
      json.Uint(status->rule_count());
      json.Key("rule_ids");
      json.StartArray();
      if (status->rule_ids() != nullptr) {
        for (uint32_t id : *status->rule_ids()) json.Uint(id);
      }
      json.EndArray();
      json.Key("reloading");
      json.Bool(status->pending_reload());
      json.Key("records_per_s");
      json.Double(status->records_per_s());
      json.Key("packets_per_s");
      json.Double(status->packets_per_s());
      json.Key("records_sent");
      json.Uint64(status->records_sent());
      json.Key("drops");
      json.Uint64(status->drops());
      json.Key("last_report_age_s");
      json.Double(status->last_report_age_s());
      json.EndObject();
    }
  }
  json.EndArray();
  json.EndObject();
  return Finish(buffer);
}

std::string StatsText(const command::Response& response) {
  std::string text;
  if (response.counter_sets() == nullptr) return text;
  for (const auto* set : *response.counter_sets()) {
    if (!text.empty()) text += "\n";
    text += Text(set->source()) + "\n";
    Table table({"COUNTER", "VALUE", "MEANING"});
    table.AlignRight(1);
    if (set->counters() != nullptr) {
      for (const auto* counter : *set->counters()) {
        table.AddRow({Text(counter->name()), std::to_string(counter->value()),
                      Text(counter->meaning())});
      }
    }
    text += table.Render();
  }
  return text;
}

std::string StatsJson(const command::Response& response) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  WriteEnvelope(json, response);
  json.Key("sources");
  json.StartArray();
  if (response.counter_sets() != nullptr) {
    for (const auto* set : *response.counter_sets()) {
      json.StartObject();
      Key(json, "source", Text(set->source()));
      json.Key("counters");
      json.StartArray();
      if (set->counters() != nullptr) {
        for (const auto* counter : *set->counters()) {
          json.StartObject();
          Key(json, "name", Text(counter->name()));
          json.Key("value");
          json.Uint64(counter->value());
          Key(json, "meaning", Text(counter->meaning()));
          Key(json, "type", counter->gauge() ? "gauge" : "counter");
          json.EndObject();
        }
      }
      json.EndArray();
      json.EndObject();
    }
  }
  json.EndArray();
  json.EndObject();
  return Finish(buffer);
}

std::string RulesText(const command::Response& response) {
  if (DataplaneCount(response) == 0) return "no data plane is connected\n";
  Table table({"DATAPLANE", "VERSION", "RULES", "RULE IDS"});
  table.AlignRight(2);
  for (const auto* status : *response.dataplanes()) {
    table.AddRow({Text(status->id()),
                  Text(status->rules_version()) + (status->pending_reload() ? " (reloading)" : ""),
                  std::to_string(status->rule_count()), JoinRuleIds(*status)});
  }
  return table.Render();
}

std::string RulesJson(const command::Response& response) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  WriteEnvelope(json, response);
  json.Key("dataplanes");
  json.StartArray();
  if (response.dataplanes() != nullptr) {
    for (const auto* status : *response.dataplanes()) {
      json.StartObject();
      Key(json, "id", Text(status->id()));
      Key(json, "rules_version", Text(status->rules_version()));
      json.Key("rule_count");
      json.Uint(status->rule_count());
      json.Key("rule_ids");
      json.StartArray();
      if (status->rule_ids() != nullptr) {
        for (uint32_t id : *status->rule_ids()) json.Uint(id);
      }
      json.EndArray();
      json.Key("reloading");
      json.Bool(status->pending_reload());
      json.EndObject();
    }
  }
  json.EndArray();
  json.EndObject();
  return Finish(buffer);
}

std::string UpdateText(const command::Response& response) {
  if (response.results() == nullptr || response.results()->size() == 0) {
    return Text(response.error()) + "\n";
  }
  Table table({"DATAPLANE", "RESULT", "VERSION", "RULES"});
  table.AlignRight(3);
  std::string errors;
  for (const auto* result : *response.results()) {
    table.AddRow({Text(result->id()), result->applied() ? "applied" : "failed",
                  Text(result->rules_version()), std::to_string(result->rule_count())});
    if (result->errors() == nullptr || result->errors()->size() == 0) continue;
    errors += "\n" + Text(result->id()) + ": " + std::to_string(result->errors()->size()) +
              " error(s); the previous rules and policies stay in force:\n";
    for (const auto* error : *result->errors()) errors += "  " + error->str() + "\n";
  }
  return table.Render() + errors;
}

std::string UpdateJson(const command::Response& response) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  WriteEnvelope(json, response);
  json.Key("results");
  json.StartArray();
  if (response.results() != nullptr) {
    for (const auto* result : *response.results()) {
      json.StartObject();
      Key(json, "dataplane", Text(result->id()));
      json.Key("applied");
      json.Bool(result->applied());
      Key(json, "rules_version", Text(result->rules_version()));
      json.Key("rule_count");
      json.Uint(result->rule_count());
      json.Key("errors");
      json.StartArray();
      if (result->errors() != nullptr) {
        for (const auto* error : *result->errors()) json.String(error->c_str());
      }
      json.EndArray();
      json.EndObject();
    }
  }
  json.EndArray();
  json.EndObject();
  return Finish(buffer);
}

std::string CheckJson(const std::string& path, const matchers::CheckReport& report) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  json.Key("ok");
  json.Bool(report.ok);
  Key(json, "file", path);
  json.Key("rule_count");
  json.Uint64(report.rule_count);
  json.Key("pattern_count");
  json.Uint64(report.pattern_count);
  json.Key("errors");
  json.StartArray();
  for (const matchers::RuleError& error : report.errors) {
    json.StartObject();
    json.Key("rule_id");
    json.Uint(error.rule_id);
    json.Key("line");
    json.Int(error.line);
    Key(json, "message", matchers::FormatRuleError(error));
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return Finish(buffer);
}

std::string ErrorJson(const std::string& error, int exit_code) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  json.Key("ok");
  json.Bool(false);
  Key(json, "error", error);
  json.Key("exit_code");
  json.Int(exit_code);
  json.EndObject();
  return Finish(buffer);
}

}  // namespace sluice::cli
