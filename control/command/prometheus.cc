#include "control/command/prometheus.h"

#include <cmath>
#include <cstdio>

namespace sluice::control {

std::string PrometheusName(std::string_view prefix, std::string_view dotted_name) {
  std::string name(prefix);
  name += '_';
  for (char c : dotted_name) {
    const bool valid = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') || c == '_';
    name += valid ? c : '_';
  }
  return name;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string EscapeHelp(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

PrometheusWriter::Family& PrometheusWriter::FamilyFor(const std::string& name,
                                                      std::string_view help, Type type) {
  auto [found, inserted] = families_.try_emplace(name);
  if (inserted) {
    order_.push_back(name);
    found->second.help = std::string(help);
    found->second.type = type;
  }
  return found->second;
}

std::string PrometheusWriter::SampleLine(const std::string& name, const MetricLabels& labels,
                                         const std::string& value) {
  std::string line = name;
  if (!labels.empty()) {
    line += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) line += ',';
      line += labels[i].first + "=\"" + EscapeLabelValue(labels[i].second) + "\"";
    }
    line += '}';
  }
  line += ' ';
  line += value;
  return line;
}

void PrometheusWriter::AddInteger(const std::string& name, std::string_view help, Type type,
                                  const MetricLabels& labels, uint64_t value) {
  FamilyFor(name, help, type).samples.push_back(SampleLine(name, labels, std::to_string(value)));
}

void PrometheusWriter::AddReal(const std::string& name, std::string_view help, Type type,
                               const MetricLabels& labels, double value) {
  std::string text;
  if (std::isnan(value)) {
    text = "NaN";
  } else if (std::isinf(value)) {
    text = value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.9g", value);
    text = buffer;
  }
  FamilyFor(name, help, type).samples.push_back(SampleLine(name, labels, text));
}

std::string PrometheusWriter::Render() const {
  std::string text;
  for (const std::string& name : order_) {
    const Family& family = families_.at(name);
    text += "# HELP " + name + " " + EscapeHelp(family.help) + "\n";
    text += "# TYPE " + name + (family.type == Type::kCounter ? " counter\n" : " gauge\n");
    for (const std::string& sample : family.samples) text += sample + "\n";
  }
  return text;
}

}  // namespace sluice::control
