#include "harness/crosscheck.hpp"

#include "harness/runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace ptbench::harness {
namespace {

TEST(Crosscheck, AProbesNumberIsTheLastLoneNumber) {
  EXPECT_DOUBLE_EQ(*parse_probe_output("125.5\n"), 125.5);
  EXPECT_DOUBLE_EQ(*parse_probe_output("warming up\n3\n4.25\n"), 4.25);
  EXPECT_FALSE(parse_probe_output("").has_value());
  EXPECT_FALSE(parse_probe_output("took 3 ns\n").has_value());
}

TEST(Crosscheck, PerfBenchSchedPipeIsReadInNanoseconds) {
  const char* perf =
      "# Running 'sched/pipe' benchmark:\n# Executed 50000 pipe operations between two "
      "processes\n\n     Total time: 0.401 [sec]\n\n       8.035683 usecs/op\n"
      "         124444 ops/sec\n";
  EXPECT_NEAR(*parse_probe_output(perf), 8035.683, 1e-6);
}

TEST(Crosscheck, PairsUseTheAllowedCpusAndLeaveOutCrossCpuOnOne) {
  const auto two = crosscheck_pairs("/b", {3, 5}, false);
  const auto one = crosscheck_pairs("/b", {3}, false);
  EXPECT_GT(two.size(), one.size());
  for (const auto& p : one) EXPECT_EQ(p.benchmark.find("cross-cpu"), std::string::npos);
  auto cacheline = std::find_if(two.begin(), two.end(), [](const CrosscheckPair& p) {
    return p.reference_name == "cacheline_probe";
  });
  ASSERT_NE(cacheline, two.end());
  EXPECT_EQ(cacheline->benchmark, "BM_Floor/cacheline/thread/cross-cpu/64");
  EXPECT_EQ(cacheline->reference,
            (std::vector<std::string>{"/b/ptbench_probe_cacheline", "3", "5"}));
  EXPECT_TRUE(crosscheck_pairs("/b", {}, false).empty());
}

TEST(Crosscheck, TheRatioIsTheMedianOfPairedRoundsSoDriftCancels) {
  CrosscheckRow row;
  // The host doubles its speed after the first round: each round's pair moves together.
  row.suite = {200, 100, 100};
  row.probe = {190, 95, 96};
  finish_row(row, 0.15);
  EXPECT_NEAR(row.ratio, 100.0 / 95, 1e-9);
  EXPECT_TRUE(row.agrees);
  row.suite = {100, 100, 100};
  row.probe = {80, 80, 80};
  finish_row(row, 0.15);
  EXPECT_DOUBLE_EQ(row.ratio, 1.25);
  EXPECT_FALSE(row.agrees);
}

TEST(Crosscheck, BadOptionsAreRefusedWithExitTwo) {
  CrosscheckOptions opt;
  opt.rounds = 0;
  std::ostringstream out, err;
  EXPECT_EQ(crosscheck_command(opt, out, err), 2);
  EXPECT_NE(err.str().find("--rounds"), std::string::npos);
}

}  // namespace
}  // namespace ptbench::harness
