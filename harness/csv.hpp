// RFC 4180 CSV: a header row, comma separators, quotes only where needed, CRLF-free ("\n") lines,
// numbers in the C locale whatever the user's locale says.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/result.hpp"

namespace ptbench::harness {

// One field, quoted if it holds a comma, a quote, a CR or a LF (quotes doubled).
std::string csv_field(std::string_view s);

// Shortest text that reads back as the same double, with '.' decimals; "" for NaN (missing).
std::string csv_number(double v);

void write_csv_row(std::ostream& out, const std::vector<std::string>& fields);

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  // Index of a header column, or nullopt.
  std::optional<std::size_t> column(std::string_view name) const;
};

// Parses a whole CSV text. Empty input, an unterminated quote, a row whose field count differs from
// the header's, or a missing required column are errors (the message names the line or column).
Result<CsvTable> parse_csv(std::string_view text,
                           const std::vector<std::string>& required_columns = {});

// Strict number parsing for CSV cells: the whole cell must be a number.
std::optional<double> parse_number(std::string_view s);

}  // namespace ptbench::harness
