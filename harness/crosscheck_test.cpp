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
  const auto two = crosscheck_pairs("/b", {3, 5}, false, "cross-package", {});
  const auto one = crosscheck_pairs("/b", {3}, false, "cross-package", {});
  EXPECT_GT(two.size(), one.size());
  for (const auto& p : one) EXPECT_EQ(p.benchmark.find("cross-package"), std::string::npos);
  auto cacheline = std::find_if(two.begin(), two.end(), [](const CrosscheckPair& p) {
    return p.reference_name == "cacheline_probe";
  });
  ASSERT_NE(cacheline, two.end());
  EXPECT_EQ(cacheline->benchmark, "BM_Floor/cacheline/thread/cross-package/64");
  EXPECT_EQ(cacheline->reference,
            (std::vector<std::string>{"/b/ptbench_probe_cacheline", "3", "5"}));
  EXPECT_TRUE(crosscheck_pairs("/b", {}, false, "smt", {}).empty());
}

TEST(Crosscheck, LddLibrariesLeaveOutWhatTheMinimalServerLoadsToo) {
  const char* ldd =
      "\tlinux-vdso.so.1 (0x00007ffd)\n"
      "\tlibfmt.so.9 => /lib/x86_64-linux-gnu/libfmt.so.9 (0x00007f02)\n"
      "\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f01)\n"
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f00)\n"
      "\tlibmissing.so.1 => not found\n"
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f03)\n";
  EXPECT_EQ(parse_ldd_libraries(ldd),
            (std::vector<std::string>{"/lib/x86_64-linux-gnu/libfmt.so.9",
                                      "/lib/x86_64-linux-gnu/libstdc++.so.6"}));
  EXPECT_TRUE(parse_ldd_libraries("\tstatically linked\n").empty());
}

// Fork per request costs more the larger the forked process: the probe loads the suite server's
// libraries, and its name says so; without them it is the probe alone.
TEST(Crosscheck, TheForkingProbeLoadsTheSuiteServersLibraries) {
  auto fork_pair = [](const std::vector<CrosscheckPair>& pairs) {
    auto it = std::find_if(pairs.begin(), pairs.end(), [](const CrosscheckPair& p) {
      return p.benchmark.find("fork_per_request") != std::string::npos;
    });
    EXPECT_NE(it, pairs.end());
    return it == pairs.end() ? CrosscheckPair{} : *it;
  };
  const auto with =
      fork_pair(crosscheck_pairs("/b", {0, 1}, false, "same-cache", {"/l/a.so", "/l/b.so"}));
  EXPECT_EQ(with.env, (std::vector<std::string>{"LD_PRELOAD=/l/a.so:/l/b.so"}));
  EXPECT_EQ(with.reference_name, "server_probe fork + the suite's libraries");
  const auto without = fork_pair(crosscheck_pairs("/b", {0, 1}, false, "same-cache", {}));
  EXPECT_TRUE(without.env.empty());
  EXPECT_EQ(without.reference_name, "server_probe fork");
}

TEST(Crosscheck, TheRatioIsTheMedianOfPairedRoundsSoDriftCancels) {
  CrosscheckRow row;
  // The host doubles its speed after the first rounds: each round's pair moves together.
  row.suite = {200, 200, 100, 100, 100, 100, 100, 100};
  row.probe = {190, 192, 95, 96, 97, 95, 96, 98};
  finish_row(row, 0.15);
  EXPECT_NEAR(row.ratio, 1.04, 0.01);
  EXPECT_LE(row.ci_low, row.ratio);
  EXPECT_GE(row.ci_high, row.ratio);
  EXPECT_EQ(row.verdict, Agreement::kAgrees);
}

// A verdict from the interval, not the point: steady 1.25 disagrees, a ratio near 1 whose rounds
// scatter across the band's edge is undecided (a median of 1.01 once printed "agrees" with its
// sides 1.16 apart), and too few rounds for an interval decide nothing.
TEST(Crosscheck, AgreementNeedsTheIntervalInsideTheBand) {
  CrosscheckRow row;
  row.suite = std::vector<double>(8, 100);
  row.probe = std::vector<double>(8, 80);
  finish_row(row, 0.15);
  EXPECT_DOUBLE_EQ(row.ratio, 1.25);
  EXPECT_EQ(row.verdict, Agreement::kDisagrees);
  row.suite = {100, 100, 100, 100, 100, 100, 100, 100};
  row.probe = {70, 130, 99, 101, 75, 125, 100, 98};
  finish_row(row, 0.15);
  EXPECT_NEAR(row.ratio, 1.0, 0.02);
  EXPECT_EQ(row.verdict, Agreement::kUndecided);
  row.suite = {100, 100, 100};
  row.probe = {100, 100, 100};
  finish_row(row, 0.15);
  EXPECT_EQ(row.verdict, Agreement::kUndecided);
  row.error = "probe crashed";
  finish_row(row, 0.15);
  EXPECT_EQ(row.verdict, Agreement::kFailed);
}

TEST(Crosscheck, TheCsvHasOneRowPerPairWithItsInterval) {
  CrosscheckRow row;
  row.pair.label = "cache line";
  row.pair.benchmark = "BM_Floor/cacheline/thread/cross-cpu/64";
  row.pair.metric = "real_time";
  row.suite = std::vector<double>(8, 100);
  row.probe = std::vector<double>(8, 80);
  finish_row(row, 0.15);
  std::ostringstream out;
  write_crosscheck_csv(out, {row});
  EXPECT_NE(out.str().find("ratio,ci95_low,ci95_high,verdict"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find(",1.25,1.25,1.25,disagrees,"), std::string::npos) << out.str();
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
