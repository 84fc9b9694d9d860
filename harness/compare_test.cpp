#include "harness/compare.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "harness/host.hpp"
#include "harness/runner.hpp"

namespace ptbench::harness {
namespace {

namespace fs = std::filesystem;
const fs::path kData = "testdata/compare";

struct Run {
  int code;
  std::string out, err;
};

Run compare(const std::string& base, const std::string& candidate, CompareOptions opt = {}) {
  std::ostringstream out, err;
  auto in_data = [](const std::string& list) {  // "a,b": several runs pooled on one side
    std::vector<std::string> paths;
    std::stringstream names(list);
    for (std::string name; std::getline(names, name, ',');)
      paths.push_back((kData / name).string());
    return paths;
  };
  const int code = compare_command(in_data(base), in_data(candidate), opt, out, err);
  return {code, out.str(), err.str()};
}

std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of('\n');
  auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - start);
}

TEST(Compare, AnAARunPasses) {
  auto r = compare("base.csv", "aa.csv");
  EXPECT_EQ(r.code, kExitOk) << r.out << r.err;
  EXPECT_EQ(last_line(r.out), "4 same, 0 slower, 0 faster, 0 undecided");
  EXPECT_EQ(r.out.find("REGRESSION"), std::string::npos);
}

TEST(Compare, APlantedTwofoldRegressionIsCaughtAndNamed) {
  auto r = compare("base.csv", "regressed.csv");
  EXPECT_EQ(r.code, kExitRegression) << r.out;
  EXPECT_NE(r.out.find("REGRESSION: BM_Create/fork/process/unpinned/0 real_time"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(last_line(r.out), "3 same, 1 slower, 0 faster, 0 undecided");
}

TEST(Compare, AnImprovementIsReportedNotFailed) {
  // The rate doubled: for a higher-is-better metric that is an improvement.
  auto r = compare("base.csv", "improved.csv");
  EXPECT_EQ(r.code, kExitOk) << r.out;
  EXPECT_NE(r.out.find("improvement"), std::string::npos) << r.out;
  EXPECT_EQ(last_line(r.out), "3 same, 0 slower, 1 faster, 0 undecided");
}

// A noisy row whose change the test cannot confirm is undecided with its spread, never "same".
TEST(Compare, ANoisyRowIsUndecidedNeverSame) {
  auto r = compare("base.csv", "noisy.csv");
  EXPECT_EQ(r.code, kExitOk) << r.out;
  EXPECT_NE(r.out.find("28.1% mann-whitney  unstable"), std::string::npos) << r.out;
  EXPECT_EQ(last_line(r.out), "3 same, 0 slower, 0 faster, 1 undecided");
}

// A regression that also adds jitter (fork 1.6x slower, each repetition +-30%) still fails: the
// spread makes a row undecided only when the test cannot confirm its change.
TEST(Compare, ARegressionThatAddsJitterStillFails) {
  auto r = compare("base.csv", "jittery_regressed.csv");
  EXPECT_EQ(r.code, kExitRegression) << r.out;
  EXPECT_NE(r.out.find("REGRESSION: BM_Create/fork/process/unpinned/0"), std::string::npos)
      << r.out;
}

TEST(Compare, ThreeRepetitionsASideWarnInsteadOfGuessing) {
  // The U-test's smallest p is 0.1 and disjoint ranges happen by chance in 10% of unchanged
  // rows: a doubled median is reported as insufficient evidence, never as a pass or a failure.
  auto r = compare("quick_base.csv", "quick_regressed.csv");
  EXPECT_EQ(r.code, kExitOk) << r.out;
  EXPECT_NE(r.out.find("insufficient"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pool"), std::string::npos) << r.out;
  // The summary says nothing was decided instead of "passed".
  EXPECT_NE(last_line(r.out).find("undecided"), std::string::npos) << r.out;
  EXPECT_EQ(last_line(r.out).find(" 0 undecided"), std::string::npos) << r.out;
}

TEST(Compare, WritesCsvMarkdownAndGithubBenchmarkJson) {
  const fs::path dir = fs::temp_directory_path() / "ptbench-compare-test";
  fs::remove_all(dir);
  CompareOptions opt;
  opt.out_dir = dir;
  auto r = compare("base.csv", "regressed.csv", opt);
  EXPECT_EQ(r.code, kExitRegression);
  auto csv = read_text_file(dir / "comparison.csv").value_or("");
  EXPECT_NE(csv.find("BM_Create/fork/process/unpinned/0,real_time"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",mann-whitney,regression"), std::string::npos) << csv;
  auto md = read_text_file(dir / "comparison.md").value_or("");
  EXPECT_NE(md.find("1 slower"), std::string::npos) << md;
  auto smaller = read_text_file(dir / "github-benchmark-smaller.json").value_or("");
  EXPECT_NE(smaller.find("\"unit\": \"ns\""), std::string::npos) << smaller;
  auto bigger = read_text_file(dir / "github-benchmark-bigger.json").value_or("");
  EXPECT_NE(bigger.find("bytes_per_second"), std::string::npos) << bigger;
  fs::remove_all(dir);
}

TEST(Compare, ASuiteThresholdOverridesTheDefault) {
  CompareOptions opt;
  opt.suite_thresholds["create"] = 1.5;  // only a change over 150% counts in create
  auto r = compare("base.csv", "regressed.csv", opt);
  EXPECT_EQ(r.code, kExitOk) << r.out;
}

TEST(Compare, OneOutlierDoesNotHideADoubledMedian) {
  // base.csv with one repetition of fork ten times slower, against fork doubled: the U-test
  // still ranks ten of the eleven base repetitions below every candidate one.
  auto r = compare("base_outlier.csv", "regressed.csv");
  EXPECT_EQ(r.code, kExitRegression) << r.out;
  EXPECT_NE(r.out.find("REGRESSION: BM_Create/fork/process/unpinned/0"), std::string::npos)
      << r.out;
}

TEST(Compare, TheTestIsCorrectedForMultiplicity) {
  // alpha / 4 rows = 4e-6, as for a thousand rows at 0.004: eleven repetitions a side cannot
  // reach it (the U-test's smallest p is 2 / C(22, 11) = 2.8e-6 without the outlier, far more
  // with it). An uncorrected test would call it a regression; the corrected one leaves it
  // undecided, and says so.
  CompareOptions opt;
  opt.alpha = 1.6e-5;
  auto r = compare("base_outlier.csv", "regressed.csv", opt);
  EXPECT_EQ(r.code, kExitOk) << r.out;
  EXPECT_NE(r.out.find("insufficient"), std::string::npos) << r.out;
}

TEST(Compare, PooledQuickRoundsCanDecide) {
  // Two quick rounds a side (3 + 3 repetitions) pooled, six against six: the planted
  // regression is caught, and nothing else.
  auto r = compare("quick_base.csv,quick_base2.csv", "quick_regressed.csv,quick_regressed2.csv");
  EXPECT_EQ(r.code, kExitRegression) << r.out;
  EXPECT_NE(r.out.find("REGRESSION: BM_Create/fork/process/unpinned/0"), std::string::npos)
      << r.out;
  EXPECT_EQ(last_line(r.out), "3 same, 1 slower, 0 faster, 0 undecided");
}

TEST(Compare, BadInputExitsTwoWithTheReason) {
  for (const auto& [file, reason] : std::vector<std::pair<std::string, std::string>>{
           {"empty.csv", "empty input"},
           {"header_only.csv", "no samples"},
           {"missing_column.csv", "missing column 'direction'"},
           {"bad_quote.csv", "never closed"},
           {"bad_value.csv", "value is not a number"},
           {"no-such-file.csv", "cannot read"},
           {"unrelated.csv", "no benchmark x metric in common"}}) {
    auto r = compare("base.csv", file);
    EXPECT_EQ(r.code, kExitBadInput) << file;
    EXPECT_NE(r.err.find(reason), std::string::npos) << file << ": " << r.err;
  }
}

}  // namespace
}  // namespace ptbench::harness
