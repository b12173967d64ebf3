#include "control/cli/table.h"

#include <cstdio>

namespace sluice::cli {

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), right_(headers_.size(), false) {}

void Table::AlignRight(size_t column) {
  if (column < right_.size()) right_[column] = true;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

size_t DisplayWidth(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xc0) != 0x80) ++width;  // continuation bytes belong to the previous code point
  }
  return width;
}

std::string Table::Render() const {
  std::vector<size_t> widths(headers_.size(), 0);
  auto measure = [&widths](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      const size_t width = DisplayWidth(row[i]);
      if (width > widths[i]) widths[i] = width;
    }
  };
  measure(headers_);
  for (const auto& row : rows_) measure(row);

  std::string text;
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string padding(widths[i] - DisplayWidth(row[i]), ' ');
      const bool last = i + 1 == row.size();
      if (right_[i]) {
        line += padding + row[i];
      } else {
        line += row[i];
        if (!last) line += padding;
      }
      if (!last) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  };
  print(headers_);
  for (const auto& row : rows_) print(row);
  return text;
}

std::string FormatDuration(double seconds) {
  if (seconds < 0) seconds = 0;
  const auto total = static_cast<unsigned long long>(seconds);
  const unsigned long long days = total / 86400;
  const unsigned long long hours = total % 86400 / 3600;
  const unsigned long long minutes = total % 3600 / 60;
  const unsigned long long secs = total % 60;
  char buffer[64];
  if (days > 0) {
    std::snprintf(buffer, sizeof(buffer), "%llud%02lluh", days, hours);
  } else if (hours > 0) {
    std::snprintf(buffer, sizeof(buffer), "%lluh%02llum", hours, minutes);
  } else if (minutes > 0) {
    std::snprintf(buffer, sizeof(buffer), "%llum%02llus", minutes, secs);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%llus", secs);
  }
  return buffer;
}

std::string FormatRate(double per_second) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.1f", per_second);
  return buffer;
}

}  // namespace sluice::cli
