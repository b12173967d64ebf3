// Inline SVG charts for the HTML scope report. Every label is HTML-escaped here, because labels
// come from records. The markup carries data-* attributes (bar counts, values, totals) so tests
// and scripts can read the figures back from the rendered page.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/forensics/scope.h"

namespace sluice::control::forensics {

// Most bars a horizontal bar chart draws; the tables below the charts list the rest.
inline constexpr size_t kMaxChartBars = 30;

struct BarDatum {
  std::string label;   // from a record: escaped when drawn
  uint64_t value = 0;
  std::string detail;  // text after the bar, e.g. "12 calls"
};

// Stacked bars of calls per time bucket, one colour per HTTP status class. Returns an <svg>
// element with id `chart-timeline`.
std::string TimelineSvg(const ScopeReport& report);

// Horizontal bars, largest first as given, at most kMaxChartBars. Returns an <svg> element with
// the given id.
std::string HorizontalBarsSvg(const std::string& id, const std::string& title,
                              const std::vector<BarDatum>& bars);

}  // namespace sluice::control::forensics
