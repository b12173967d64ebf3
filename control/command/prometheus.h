// The Prometheus text exposition format, version 0.0.4: one HELP and TYPE line per metric family,
// then one sample line per label set.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::control {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Turns a dotted counter name into a metric name: `prefix` + "_" + the name with every character
// outside [a-zA-Z0-9_] replaced by '_', e.g. ("sluice_control", "batches.received") ->
// "sluice_control_batches_received".
std::string PrometheusName(std::string_view prefix, std::string_view dotted_name);

// Escapes a label value: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);
// Escapes HELP text: backslash and newline.
std::string EscapeHelp(std::string_view text);

// Collects samples and renders them grouped by family, families in the order first added.
class PrometheusWriter {
 public:
  enum class Type { kCounter, kGauge };

  // Adds one sample. The first sample of a family sets its help text and type.
  void AddInteger(const std::string& name, std::string_view help, Type type,
                  const MetricLabels& labels, uint64_t value);
  void AddReal(const std::string& name, std::string_view help, Type type,
               const MetricLabels& labels, double value);

  std::string Render() const;

 private:
  struct Family {
    std::string help;
    Type type = Type::kCounter;
    std::vector<std::string> samples;  // "name{labels} value"
  };
  Family& FamilyFor(const std::string& name, std::string_view help, Type type);
  static std::string SampleLine(const std::string& name, const MetricLabels& labels,
                                const std::string& value);

  std::vector<std::string> order_;
  std::map<std::string, Family> families_;
};

}  // namespace sluice::control
