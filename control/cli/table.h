// Plain-text tables for sluicectl's human output: a header row, then rows, columns padded to the
// widest cell and separated by two spaces.
#pragma once

#include <string>
#include <vector>

namespace sluice::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // Right-aligns a column, for numbers.
  void AlignRight(size_t column);
  // Adds a row; missing cells print empty and extra cells are an error the caller avoids.
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // The table as text, one line per row, each ending in '\n'. The last column is not padded,
  // so lines carry no trailing spaces.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// Width of UTF-8 text in terminal columns, counting one per code point.
size_t DisplayWidth(const std::string& text);

// "3d04h", "2h05m", "4m07s", "12s".
std::string FormatDuration(double seconds);
// Fixed one-decimal rate, "1234.5".
std::string FormatRate(double per_second);

}  // namespace sluice::cli
