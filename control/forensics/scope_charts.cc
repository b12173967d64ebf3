#include "control/forensics/scope_charts.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "control/forensics/scope_format.h"

namespace sluice::control::forensics {
namespace {

struct StatusSeries {
  const char* css_class;
  const char* label;  // in the legend and the bars' tooltips
  const char* colour;
  uint64_t StatusClasses::*field;
};

constexpr std::array<StatusSeries, 6> kSeries = {{
    {"s2xx", "2xx", "#2e7d32", &StatusClasses::success},
    {"s3xx", "3xx", "#1565c0", &StatusClasses::redirection},
    {"s4xx", "4xx", "#ef6c00", &StatusClasses::client_error},
    {"s5xx", "5xx", "#c62828", &StatusClasses::server_error},
    {"s1xx", "1xx", "#8e24aa", &StatusClasses::informational},
    {"snone", "no response", "#757575", &StatusClasses::none},
}};

uint64_t Total(const StatusClasses& s) {
  return s.informational + s.success + s.redirection + s.client_error + s.server_error + s.none;
}

// Fixed-point coordinates keep the markup short and identical across runs.
std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

std::string Shorten(const std::string& text, size_t max_code_points) {
  size_t seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<uint8_t>(text[i]) & 0xC0) == 0x80) continue;
    if (seen++ == max_code_points) return text.substr(0, i) + "...";
  }
  return text;
}

void AppendLegend(double x, double y, std::string& svg) {
  svg += "<g class=\"legend\">";
  for (const StatusSeries& series : kSeries) {
    svg += "<rect x=\"" + Number(x) + "\" y=\"" + Number(y - 9) +
           "\" width=\"10\" height=\"10\" fill=\"" + series.colour + "\"/>";
    svg += "<text x=\"" + Number(x + 14) + "\" y=\"" + Number(y) + "\">" + series.label +
           "</text>";
    x += 40 + 7.0 * std::char_traits<char>::length(series.label);
  }
  svg += "</g>";
}

}  // namespace

std::string TimelineSvg(const ScopeReport& report) {
  constexpr double kWidth = 960, kHeight = 300;
  constexpr double kLeft = 64, kRight = 16, kTop = 16, kBottom = 70;
  constexpr double kPlotWidth = kWidth - kLeft - kRight, kPlotHeight = kHeight - kTop - kBottom;

  uint64_t peak = 0;
  for (const TimelineBucket& bucket : report.timeline) peak = std::max(peak, Total(bucket.calls));

  std::string svg = "<svg id=\"chart-timeline\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\""
                    " viewBox=\"0 0 960 300\" width=\"960\" height=\"300\" role=\"img\""
                    " data-buckets=\"" + std::to_string(report.timeline.size()) +
                    "\" data-total=\"" + std::to_string(report.calls) +
                    "\" data-bucket-ns=\"" + std::to_string(report.timeline_bucket_ns) + "\">";
  svg += "<title>Calls per " + FormatDuration(report.timeline_bucket_ns) +
         " by HTTP status class</title>";
  // Axes and the peak value.
  svg += "<line class=\"axis\" x1=\"" + Number(kLeft) + "\" y1=\"" + Number(kTop + kPlotHeight) +
         "\" x2=\"" + Number(kLeft + kPlotWidth) + "\" y2=\"" + Number(kTop + kPlotHeight) + "\"/>";
  svg += "<line class=\"axis\" x1=\"" + Number(kLeft) + "\" y1=\"" + Number(kTop) + "\" x2=\"" +
         Number(kLeft) + "\" y2=\"" + Number(kTop + kPlotHeight) + "\"/>";
  svg += "<text class=\"tick\" x=\"" + Number(kLeft - 6) + "\" y=\"" + Number(kTop + 10) +
         "\" text-anchor=\"end\">" + std::to_string(peak) + "</text>";
  svg += "<text class=\"tick\" x=\"" + Number(kLeft - 6) + "\" y=\"" + Number(kTop + kPlotHeight) +
         "\" text-anchor=\"end\">0</text>";

  const size_t buckets = report.timeline.size();
  const double slot = buckets == 0 ? kPlotWidth : kPlotWidth / static_cast<double>(buckets);
  const double bar_width = std::max(1.0, slot - (slot > 4 ? 2 : 0));
  for (size_t i = 0; i < buckets && peak > 0; ++i) {
    const TimelineBucket& bucket = report.timeline[i];
    const std::string when = FormatTime(bucket.start_ns);
    svg += "<g class=\"bucket\" data-start=\"" + when + "\" data-calls=\"" +
           std::to_string(Total(bucket.calls)) + "\">";
    double y = kTop + kPlotHeight;
    for (const StatusSeries& series : kSeries) {
      const uint64_t calls = bucket.calls.*series.field;
      if (calls == 0) continue;
      const double height = kPlotHeight * static_cast<double>(calls) / static_cast<double>(peak);
      y -= height;
      svg += "<rect class=\"bar " + std::string(series.css_class) + "\" x=\"" +
             Number(kLeft + slot * static_cast<double>(i)) + "\" y=\"" + Number(y) +
             "\" width=\"" + Number(bar_width) + "\" height=\"" + Number(height) + "\" fill=\"" +
             series.colour + "\" data-calls=\"" + std::to_string(calls) + "\"><title>" + when +
             ": " + std::to_string(calls) + " calls " + series.label + "</title></rect>";
    }
    svg += "</g>";
  }

  if (buckets > 0) {
    const uint64_t end_ns = report.timeline.back().start_ns + report.timeline_bucket_ns;
    svg += "<text class=\"tick\" x=\"" + Number(kLeft) + "\" y=\"" +
           Number(kTop + kPlotHeight + 16) + "\">" + FormatTime(report.timeline.front().start_ns) +
           "</text>";
    svg += "<text class=\"tick\" x=\"" + Number(kLeft + kPlotWidth) + "\" y=\"" +
           Number(kTop + kPlotHeight + 16) + "\" text-anchor=\"end\">" + FormatTime(end_ns) +
           "</text>";
  } else {
    svg += "<text class=\"empty\" x=\"" + Number(kLeft + 12) + "\" y=\"" +
           Number(kTop + kPlotHeight / 2) + "\">No calls in scope</text>";
  }
  AppendLegend(kLeft, kHeight - 14, svg);
  svg += "</svg>";
  return svg;
}

std::string HorizontalBarsSvg(const std::string& id, const std::string& title,
                              const std::vector<BarDatum>& bars) {
  constexpr double kLabelWidth = 340, kBarArea = 400, kRowHeight = 24, kTop = 8;
  const size_t shown = std::min(bars.size(), kMaxChartBars);
  const double height = kTop * 2 + kRowHeight * static_cast<double>(std::max<size_t>(shown, 1));

  uint64_t peak = 0;
  uint64_t total = 0;
  for (size_t i = 0; i < shown; ++i) {
    peak = std::max(peak, bars[i].value);
    total += bars[i].value;
  }

  std::string svg = "<svg id=\"" + HtmlEscape(id) +
                    "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 960 " +
                    Number(height) + "\" width=\"960\" height=\"" + Number(height) +
                    "\" role=\"img\" data-bars=\"" + std::to_string(shown) + "\" data-total=\"" +
                    std::to_string(total) + "\" data-omitted=\"" +
                    std::to_string(bars.size() - shown) + "\">";
  svg += "<title>" + HtmlEscape(title) + "</title>";
  for (size_t i = 0; i < shown; ++i) {
    const BarDatum& bar = bars[i];
    const double y = kTop + kRowHeight * static_cast<double>(i);
    const double width =
        peak == 0 ? 0 : kBarArea * static_cast<double>(bar.value) / static_cast<double>(peak);
    svg += "<g class=\"row\">";
    svg += "<text class=\"label\" x=\"" + Number(kLabelWidth - 8) + "\" y=\"" + Number(y + 16) +
           "\" text-anchor=\"end\">" + HtmlEscape(Shorten(bar.label, 44)) + "<title>" +
           HtmlEscape(bar.label) + "</title></text>";
    svg += "<rect class=\"bar\" x=\"" + Number(kLabelWidth) + "\" y=\"" + Number(y + 4) +
           "\" width=\"" + Number(width) + "\" height=\"" + Number(kRowHeight - 8) +
           "\" data-value=\"" + std::to_string(bar.value) + "\"/>";
    svg += "<text class=\"value\" x=\"" + Number(kLabelWidth + width + 6) + "\" y=\"" +
           Number(y + 16) + "\">" + HtmlEscape(bar.detail) + "</text>";
    svg += "</g>";
  }
  if (shown == 0) {
    svg += "<text class=\"empty\" x=\"12\" y=\"" + Number(kTop + 16) + "\">Nothing to show</text>";
  }
  svg += "</svg>";
  return svg;
}

}  // namespace sluice::control::forensics
