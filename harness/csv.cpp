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

namespace {

// Splits RFC 4180 text into records of fields; an error names the line.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : text_(text) {}

  Result<std::vector<std::vector<std::string>>> run() {
    for (i_ = 0; i_ < text_.size(); ++i_) {
      if (in_quotes_) {
        quoted(text_[i_]);
      } else if (!unquoted(text_[i_])) {
        return fail(fmt::format("line {}: a quote inside an unquoted field", line_));
      }
    }
    if (in_quotes_)
      return fail(fmt::format("line {}: a quoted field is never closed", quote_line_));
    if (field_started_ || !record_.empty()) end_record();
    return std::move(records_);
  }

 private:
  void quoted(char c) {
    if (c != '"') {
      if (c == '\n') ++line_;
      field_ += c;
    } else if (i_ + 1 < text_.size() && text_[i_ + 1] == '"') {
      field_ += '"';
      ++i_;
    } else {
      in_quotes_ = false;
    }
  }

  bool unquoted(char c) {
    switch (c) {
      case '"':
        if (field_started_) return false;
        in_quotes_ = field_started_ = true;
        quote_line_ = line_;
        break;
      case ',':
        end_field();
        break;
      case '\r':
        break;
      case '\n':
        end_record();
        ++line_;
        break;
      default:
        field_ += c;
        field_started_ = true;
    }
    return true;
  }

  void end_field() {
    record_.push_back(std::move(field_));
    field_.clear();
    field_started_ = false;
  }

  void end_record() {
    end_field();
    records_.push_back(std::move(record_));
    record_.clear();
  }

  std::string_view text_;
  std::size_t i_ = 0, line_ = 1, quote_line_ = 0;
  bool in_quotes_ = false, field_started_ = false;
  std::string field_;
  std::vector<std::string> record_;
  std::vector<std::vector<std::string>> records_;
};

bool blank(const std::vector<std::string>& record) {
  return record.size() == 1 && record[0].empty();
}

}  // namespace

Result<CsvTable> parse_csv(std::string_view text,
                           const std::vector<std::string>& required_columns) {
  auto records = Tokenizer(text).run();
  if (!records) return fail(records.error());
  if (records->empty() || (records->size() == 1 && blank((*records)[0])))
    return fail("empty input: no header row");
  CsvTable table;
  table.header = std::move((*records)[0]);
  for (std::size_t r = 1; r < records->size(); ++r) {
    auto& record = (*records)[r];
    if (blank(record)) continue;
    if (record.size() != table.header.size())
      return fail(fmt::format("record {}: {} fields where the header has {}", r + 1, record.size(),
                              table.header.size()));
    table.rows.push_back(std::move(record));
  }
  for (const auto& col : required_columns) {
    if (!table.column(col)) return fail(fmt::format("missing column '{}'", col));
  }
  return table;
}

std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace ptbench::harness
