#include "harness/runner.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "harness/csv.hpp"
#include "harness/host.hpp"
#include "harness/test_support.hpp"

namespace ptbench::harness {
namespace {

namespace fs = std::filesystem;

// A stand-in benchmark program: lists two benchmarks, writes Google Benchmark JSON for the good
// one, and crashes (SIGSEGV) when asked for the bad one.
constexpr const char* kFakeBench = R"(#!/bin/sh
out=""; filter=""
for a in "$@"; do
  case "$a" in
    --benchmark_list_tests=true) echo 'BM_Fake/good/thread/unpinned/0/real_time';
                                 echo 'BM_Fake/bad/process/unpinned/0/real_time'; exit 0;;
    --ptbench_list_skipped) printf 'BM_Fake/big/thread/unpinned/99\tover the limit (raise it)\n';
                            exit 0;;
    --benchmark_out=*) out="${a#--benchmark_out=}";;
    --benchmark_filter=*) filter="${a#--benchmark_filter=}";;
  esac
done
case "$filter" in *bad*) echo "about to crash"; kill -SEGV $$;; esac
cat > "$out" <<JSON
{"context": {"library_build_type": "debug", "ptbench_baseline_mechanism": "good"},
 "benchmarks": [{"name": "BM_Fake/good/thread/unpinned/0/real_time", "run_type": "iteration",
   "repetition_index": 0, "iterations": 10, "real_time": 1.5, "cpu_time": 1.0,
   "time_unit": "us", "vcsw_per_op": 1}]}
JSON
)";

class Runner : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path();
    testing::write_script(dir_ / "bin/fake_bench", kFakeBench);
    opt_.bench_dir = dir_ / "bin";
    opt_.programs = {"fake_bench"};
    opt_.out_dir = dir_ / "run";
    opt_.repetitions = 2;
    opt_.seed = 1;
  }
  testing::TempDir tmp_{"runner-test"};
  fs::path dir_;
  RunOptions opt_;
  std::ostringstream out_, err_;
};

TEST_F(Runner, ACrashingProgramGivesExit3AndKeepsWhatCompleted) {
  EXPECT_EQ(run_command(opt_, out_, err_), kExitBenchmarkFailed);
  EXPECT_NE(err_.str().find("killed by signal 11"), std::string::npos) << err_.str();
  auto samples = parse_csv(read_text_file(dir_ / "run/samples.csv").value_or(""));
  ASSERT_TRUE(samples.ok()) << samples.error();
  const auto bench = *samples->column("benchmark");
  const auto metric = *samples->column("metric");
  const auto value = *samples->column("value");
  const auto error = *samples->column("error");
  int good = 0, bad = 0;
  for (const auto& row : samples->rows) {
    if (row[bench] == "BM_Fake/good/thread/unpinned/0" && row[metric] == "real_time") {
      EXPECT_EQ(row[value], "1500");  // 1.5 us in ns
      ++good;
    }
    if (row[bench] == "BM_Fake/bad/process/unpinned/0") {
      EXPECT_EQ(row[value], "");
      EXPECT_NE(row[error].find("signal 11"), std::string::npos);
      ++bad;
    }
  }
  EXPECT_EQ(good, 2);
  EXPECT_EQ(bad, 2);
  // The case that cannot run here is recorded once, with its reason, and is not a failure.
  int skipped = 0;
  for (const auto& row : samples->rows) {
    if (row[bench] == "BM_Fake/big/thread/unpinned/99") {
      EXPECT_EQ(row[error], "skipped: over the limit (raise it)");
      ++skipped;
    }
  }
  EXPECT_EQ(skipped, 1);
  EXPECT_TRUE(fs::exists(dir_ / "run/summary.csv"));
  auto host = read_text_file(dir_ / "run/host.csv").value_or("");
  EXPECT_NE(host.find("google_benchmark_library_build,debug"), std::string::npos);
  EXPECT_NE(host.find("load_after,"), std::string::npos);
  EXPECT_NE(out_.str().find("× good"), std::string::npos) << out_.str();
}

TEST_F(Runner, AGoodRunExitsZero) {
  opt_.filter = "good";
  EXPECT_EQ(run_command(opt_, out_, err_), kExitOk) << err_.str();
  auto summary = parse_csv(read_text_file(dir_ / "run/summary.csv").value_or(""));
  ASSERT_TRUE(summary.ok()) << summary.error();
  EXPECT_EQ(summary->rows.size(), 3u);  // real_time, cpu_time, vcsw_per_op
}

TEST_F(Runner, AFilterThatMatchesNothingIsAnError) {
  opt_.filter = "no-such-benchmark";
  EXPECT_EQ(run_command(opt_, out_, err_), kExitBadInput);
  EXPECT_NE(err_.str().find("matches none of the 3 benchmarks"), std::string::npos) << err_.str();
  EXPECT_FALSE(fs::exists(dir_ / "run"));  // nothing written for a run that never started
}

TEST_F(Runner, AnUnwritableOutputDirectoryIsAnError) {
  std::ofstream(dir_ / "file") << "x";
  opt_.out_dir = dir_ / "file" / "run";  // below a regular file
  EXPECT_EQ(run_command(opt_, out_, err_), kExitBadInput);
  EXPECT_NE(err_.str().find("cannot create"), std::string::npos) << err_.str();
}

TEST_F(Runner, AMissingProgramIsASystemProblemAndNamesTheFix) {
  opt_.programs = {"missing_bench"};
  EXPECT_EQ(run_command(opt_, out_, err_), kExitSystem);
  EXPECT_NE(err_.str().find("build first"), std::string::npos) << err_.str();
}

std::vector<Listed> three_listed() {
  const grid::Primary p{"real_time", "lower_is_better"};
  return {{"a_bench", "a", "BM_A/x/thread/unpinned/0/real_time", "BM_A/x/thread/unpinned/0", "", p,
           true},
          {"a_bench", "a", "BM_A/y/thread/unpinned/0", "BM_A/y/thread/unpinned/0", "", p, true},
          {"b_bench", "b", "BM_B/z/process/same-cpu/8", "BM_B/z/process/same-cpu/8", "", p, true},
          {"b_bench", "b", "BM_B/big/process/same-cpu/9", "BM_B/big/process/same-cpu/9",
           "over the limit", p, true}};
}

TEST(PlanRounds, EachRoundRunsEveryProgramOnceAndLeavesOutTheSkipped) {
  const auto listed = three_listed();
  const auto jobs = plan_rounds(listed, 3, 42);
  ASSERT_EQ(jobs.size(), 6u);  // 2 programs x 3 rounds
  for (int r = 0; r < 3; ++r) {
    std::set<std::string> programs;
    for (int k = 0; k < 2; ++k) {
      EXPECT_EQ(jobs[2 * r + k].repetition, r);
      programs.insert(jobs[2 * r + k].program);
    }
    EXPECT_EQ(programs, (std::set<std::string>{"a_bench", "b_bench"}));
  }
  for (const auto& j : jobs) {
    EXPECT_EQ(j.benches.size(), j.program == "a_bench" ? 2u : 1u);  // not the skipped one
  }
  const auto again = plan_rounds(listed, 3, 42);
  for (std::size_t i = 0; i < jobs.size(); ++i) EXPECT_EQ(jobs[i].program, again[i].program);
}

TEST(BatchFilter, MatchesExactlyTheBatch) {
  const auto listed = three_listed();
  const std::regex re(batch_filter({&listed[0], &listed[2]}));
  EXPECT_TRUE(std::regex_search(listed[0].name, re));
  EXPECT_TRUE(std::regex_search(listed[2].name, re));
  EXPECT_FALSE(std::regex_search(listed[1].name, re));
  EXPECT_FALSE(std::regex_search("BM_A/x/thread/unpinned/0/real_time/more", re));
}

// A later round runs the rows with their planned counts: Google Benchmark then names them
// ".../iterations:N/...", and the batch's filter must still take them (and only them).
TEST(BatchFilter, TakesPlannedIterationCounts) {
  const auto listed = three_listed();
  const std::regex re(batch_filter({&listed[0], &listed[2]}));
  EXPECT_TRUE(std::regex_search("BM_A/x/thread/unpinned/0/iterations:1234/real_time", re));
  EXPECT_TRUE(std::regex_search("BM_B/z/process/same-cpu/8/iterations:7", re));
  EXPECT_FALSE(std::regex_search("BM_A/y/thread/unpinned/0/iterations:7", re));
}

// The plan takes the first count a row ran with and names only the batch's planned rows.
TEST(IterationPlan, KeepsTheFirstRoundsCountForTheBatch) {
  const auto listed = three_listed();
  GbenchFile first, second;
  for (auto [file, n] : {std::pair{&first, 1000.0}, std::pair{&second, 5.0}}) {
    GbenchRun run;
    run.grid = *parse_grid_name(listed[0].name);
    run.iterations = n;
    file->runs.push_back(run);
  }
  GbenchRun failed;
  failed.grid = *parse_grid_name(listed[2].name);
  failed.iterations = 3;
  failed.error = true;
  first.runs.push_back(failed);
  IterationPlan plan;
  learn_iterations(first, &plan);
  learn_iterations(second, &plan);
  EXPECT_EQ(plan, (IterationPlan{{"BM_A/x/thread/unpinned/0", 1000.0}}));
  EXPECT_EQ(iteration_plan_text({&listed[0], &listed[1], &listed[2]}, plan),
            "BM_A/x/thread/unpinned/0\t1000\n");
  EXPECT_EQ(iteration_plan_text({&listed[1]}, plan), "");
}

// One grid name, with whatever Google Benchmark appends to it, and nothing that only starts so.
TEST(ExactlyOneOf, TakesTheTimeAndIterationSuffixes) {
  const std::regex re(
      exactly_one_of({"BM_Server/epoll/thread/unpinned/64/clients=16"}, kTimeSuffix));
  EXPECT_TRUE(std::regex_search("BM_Server/epoll/thread/unpinned/64/clients=16", re));
  EXPECT_TRUE(std::regex_search(
      "BM_Server/epoll/thread/unpinned/64/clients=16/iterations:1/manual_time", re));
  EXPECT_TRUE(std::regex_search("BM_Server/epoll/thread/unpinned/64/clients=16/real_time", re));
  EXPECT_FALSE(std::regex_search(
      "BM_Server/epoll/thread/unpinned/64/clients=160/iterations:1/manual_time", re));
  EXPECT_FALSE(
      std::regex_search("BM_Server/epoll/thread/unpinned/64/clients=16/iterations:1/x", re));
}

TEST(RunCollector, TakesWhatArrivedAndReturnsWhatDidNot) {
  const auto listed = three_listed();
  RunCollector got;
  got.run_id = "r";
  GbenchFile parsed;
  parsed.context["ptbench_baseline_mechanism"] = "x";
  GbenchRun ok;
  ok.grid = *parse_grid_name(listed[0].name);
  ok.real_time_ns = 5;
  GbenchRun bad;
  bad.grid = *parse_grid_name(listed[1].name);
  bad.error = true;
  bad.error_message = "peer died";
  parsed.runs = {ok};
  auto missing = got.take(parsed, {&listed[0], &listed[1]}, 2);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0], &listed[1]);
  EXPECT_EQ(got.baselines["a"], "x");
  EXPECT_TRUE(got.failures.empty());
  parsed.runs = {bad};
  EXPECT_TRUE(got.take(parsed, {&listed[1]}, 2).empty());
  ASSERT_EQ(got.failures.size(), 1u);
  EXPECT_NE(got.failures[0].find("peer died"), std::string::npos);
  EXPECT_EQ(got.samples.back().error, "peer died");
}

TEST(FloorMoved, WarnsOnlyBeyondTwentyPercent) {
  EXPECT_FALSE(floor_moved(100, 119));
  ASSERT_TRUE(floor_moved(100, 130));
  EXPECT_NE(floor_moved(100, 130)->find("moved from 100 ns to 130 ns"), std::string::npos);
  EXPECT_FALSE(floor_moved(std::nullopt, 130));
}

TEST(ExitCodes, AreDistinct) {
  const int codes[] = {kExitOk,     kExitRegression, kExitBadInput, kExitBenchmarkFailed,
                       kExitSystem, kExitInterrupted};
  for (std::size_t i = 0; i < std::size(codes); ++i) {
    for (std::size_t j = i + 1; j < std::size(codes); ++j) EXPECT_NE(codes[i], codes[j]);
  }
}

TEST(ExactFilter, EscapesRegexCharacters) {
  EXPECT_EQ(exact_filter("BM_A/b.c/x=1"), "^BM_A/b\\.c/x=1$");
}

}  // namespace
}  // namespace ptbench::harness
