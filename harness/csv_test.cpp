#include "harness/csv.hpp"

#include <gtest/gtest.h>

#include <clocale>
#include <limits>
#include <sstream>

#include "harness/host.hpp"

namespace ptbench::harness {
namespace {

TEST(Csv, QuotesOnlyWhereNeeded) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field(""), "");
}

TEST(Csv, NumbersIgnoreTheLocale) {
  // A locale with ',' decimals must not leak into the files (if the host has one).
  const char* old = std::setlocale(LC_ALL, nullptr);
  std::string saved = old ? old : "C";
  std::setlocale(LC_ALL, "de_DE.UTF-8");
  EXPECT_EQ(csv_number(1.5), "1.5");
  EXPECT_EQ(csv_number(1234567.25), "1234567.25");
  std::setlocale(LC_ALL, saved.c_str());
  EXPECT_EQ(csv_number(0.1), "0.1");  // shortest round trip, not 0.1000000000000000055
  EXPECT_EQ(csv_number(3), "3");
  EXPECT_EQ(csv_number(std::numeric_limits<double>::quiet_NaN()), "");
}

TEST(Csv, WriterMatchesGoldenFile) {
  std::ostringstream out;
  write_csv_row(out, {"name", "value", "note"});
  write_csv_row(out, {"fork", csv_number(840123.5), "fork+_exit+waitpid, full cycle"});
  write_csv_row(out, {"quote", csv_number(1e-9), "he said \"12 µs\""});
  write_csv_row(out, {"multi", csv_number(-2), "line one\nline two"});
  auto golden = read_text_file("testdata/golden.csv");
  ASSERT_TRUE(golden.has_value()) << "run from the harness source directory";
  EXPECT_EQ(out.str(), *golden);
}

TEST(Csv, ParserReadsWhatTheWriterWrites) {
  auto golden = read_text_file("testdata/golden.csv");
  ASSERT_TRUE(golden.has_value());
  auto parsed = parse_csv(*golden, {"name", "note"});
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  ASSERT_EQ(parsed->rows.size(), 3u);
  EXPECT_EQ(parsed->rows[0][2], "fork+_exit+waitpid, full cycle");
  EXPECT_EQ(parsed->rows[1][2], "he said \"12 µs\"");
  EXPECT_EQ(parsed->rows[2][2], "line one\nline two");
  EXPECT_EQ(parse_number(parsed->rows[0][1]), 840123.5);
  EXPECT_EQ(parsed->column("value"), 1u);
}

TEST(Csv, ParserAcceptsCrlfAndATrailingLineWithoutNewline) {
  auto parsed = parse_csv("a,b\r\n1,2\r\n3,4");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  ASSERT_EQ(parsed->rows.size(), 2u);
  EXPECT_EQ(parsed->rows[1][1], "4");
}

TEST(Csv, MalformedInputIsAnErrorThatNamesTheProblem) {
  EXPECT_NE(parse_csv("").error().find("empty"), std::string::npos);
  EXPECT_NE(parse_csv("a,b\n1,2,3\n").error().find("3 fields"), std::string::npos);
  EXPECT_NE(parse_csv("a,b\n\"1,2\n").error().find("never closed"), std::string::npos);
  EXPECT_NE(parse_csv("a,b\n1\"x,2\n").error().find("quote"), std::string::npos);
  EXPECT_NE(parse_csv("a,b\n1,2\n", {"metric"}).error().find("missing column 'metric'"),
            std::string::npos);
}

TEST(Csv, NumbersMustBeWholeCells) {
  EXPECT_EQ(parse_number("12.5"), 12.5);
  EXPECT_EQ(parse_number("-3e2"), -300);
  EXPECT_FALSE(parse_number("").has_value());
  EXPECT_FALSE(parse_number("12abc").has_value());
  EXPECT_FALSE(parse_number("1,5").has_value());
}

}  // namespace
}  // namespace ptbench::harness
