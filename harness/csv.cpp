#include "harness/csv.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <ostream>

namespace ptbench::harness {

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  // fmt's "{}" is locale-independent and gives the shortest round-trip representation.
  return fmt::format("{}", v);
}

void write_csv_row(std::ostream& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out << ',';
    out << csv_field(fields[i]);
  }
  out << '\n';
}

std::optional<std::size_t> CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return std::nullopt;
}

CsvParse parse_csv(std::string_view text, const std::vector<std::string>& required_columns) {
  CsvParse result;
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool in_quotes = false, field_started = false;
  std::size_t line = 1, quote_line = 0;
  auto end_record = [&] {
    record.push_back(std::move(field));
    field.clear();
    field_started = false;
    records.push_back(std::move(record));
    record.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    switch (c) {
      case '"':
        if (field_started) {
          result.error = fmt::format("line {}: a quote inside an unquoted field", line);
          return result;
        }
        in_quotes = true;
        field_started = true;
        quote_line = line;
        break;
      case ',':
        record.push_back(std::move(field));
        field.clear();
        field_started = false;
        break;
      case '\r':
        break;
      case '\n':
        end_record();
        ++line;
        break;
      default:
        field += c;
        field_started = true;
    }
  }
  if (in_quotes) {
    result.error = fmt::format("line {}: a quoted field is never closed", quote_line);
    return result;
  }
  if (field_started || !record.empty()) end_record();
  if (records.empty() || (records.size() == 1 && records[0].size() == 1 && records[0][0].empty())) {
    result.error = "empty input: no header row";
    return result;
  }
  result.table.header = std::move(records[0]);
  for (std::size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() == 1 && records[r][0].empty()) continue;  // a blank line
    if (records[r].size() != result.table.header.size()) {
      result.error = fmt::format("record {}: {} fields where the header has {}", r + 1,
                                 records[r].size(), result.table.header.size());
      return result;
    }
    result.table.rows.push_back(std::move(records[r]));
  }
  for (const auto& col : required_columns) {
    if (!result.table.column(col)) {
      result.error = fmt::format("missing column '{}'", col);
      return result;
    }
  }
  return result;
}

std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace ptbench::harness
