#include "bench/support/grid.hpp"

#include <gtest/gtest.h>

namespace ptbench::grid {
namespace {

TEST(Grid, FormatAndParseAgree) {
  const std::string name =
      format("IpcLatency", "shm_ring", "process", "same-cache", 64, {{"policy", "spin"}});
  EXPECT_EQ(name, "BM_IpcLatency/shm_ring/process/same-cache/64/policy=spin");
  auto g = parse(name + "/manual_time");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->benchmark, name);
  EXPECT_EQ(g->question, "IpcLatency");
  EXPECT_EQ(g->mechanism, "shm_ring");
  EXPECT_EQ(g->endpoint, "process");
  EXPECT_EQ(g->placement, "same-cache");
  EXPECT_EQ(g->payload_bytes, 64);
  EXPECT_EQ(g->params, "policy=spin");
}

TEST(Grid, GoogleBenchmarksSuffixesAreDroppedWhereverTheyStand) {
  auto g = parse("BM_Create/fork/process/same-cpu/0/min_time:0.010/rss_mib=64/real_time");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->benchmark, "BM_Create/fork/process/same-cpu/0/rss_mib=64");
  EXPECT_EQ(g->params, "rss_mib=64");
  auto m = parse("BM_Create/fork/process/unpinned/0/manual_time/min_time:0.100/repeats:3");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->benchmark, "BM_Create/fork/process/unpinned/0");
  EXPECT_EQ(m->params, "");
}

TEST(Grid, NamesOffTheGridAreRefused) {
  EXPECT_FALSE(parse("BM_A/b/c/d").has_value());             // too few parts
  EXPECT_FALSE(parse("A/b/c/d/8").has_value());              // no BM_ prefix
  EXPECT_FALSE(parse("BM_A/b/c/d/eight").has_value());       // bytes not a number
  EXPECT_FALSE(parse("BM_A/b/c/d/8/noequals").has_value());  // a param without '='
  EXPECT_FALSE(parse("BM_/b/c/d/8").has_value());            // no question
}

TEST(Grid, SuiteIsTheProgramWithoutBench) {
  EXPECT_EQ(suite_of("create_bench"), "create");
  EXPECT_EQ(suite_of("ipc_latency_bench"), "ipc_latency");
  EXPECT_EQ(suite_of("tool"), "tool");
  EXPECT_EQ(suite_of("_bench"), "_bench");
}

}  // namespace
}  // namespace ptbench::grid
