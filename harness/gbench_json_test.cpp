#include "harness/gbench_json.hpp"

#include <gtest/gtest.h>

#include "harness/host.hpp"

namespace ptbench::harness {
namespace {

// Grid names themselves are tested with the contract (bench/support/grid_test.cpp).

// The golden file is real Google Benchmark 1.7.1 output: two repetitions of a benchmark in
// microseconds with a counter, the aggregates, and a benchmark that failed with SkipWithError.
TEST(GbenchJson, ReadsIterationsAndErrorsFromGoldenOutput) {
  auto text = read_text_file("testdata/gbench_errored.json");
  ASSERT_TRUE(text.has_value()) << "run from the harness source directory";
  auto parsed = parse_gbench_json(*text);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  auto& f = *parsed;
  EXPECT_EQ(f.context["library_build_type"], "debug");
  ASSERT_EQ(f.runs.size(), 4u);  // aggregates are left out

  const auto& ok = f.runs[0];
  EXPECT_EQ(ok.grid.benchmark, "BM_Create/fork/process/unpinned/0/rss_mib=64");
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.repetition_index, 0);
  EXPECT_DOUBLE_EQ(ok.real_time_ns, 3.4862210534577164e-04 * 1e3);  // us -> ns
  EXPECT_DOUBLE_EQ(ok.cpu_time_ns, 3.4866006648894525e-04 * 1e3);
  ASSERT_EQ(ok.counters.count("vcsw_per_op"), 1u);
  EXPECT_EQ(ok.counters.size(), 1u);
  EXPECT_EQ(f.runs[1].repetition_index, 1);

  const auto& bad = f.runs[2];
  EXPECT_TRUE(bad.error);
  EXPECT_EQ(bad.error_message, "peer died: no reply within 5 s");
  EXPECT_EQ(bad.grid.mechanism, "vfork");
}

TEST(GbenchJson, MalformedInputIsAnError) {
  EXPECT_EQ(parse_gbench_json("").error(), "not valid JSON");
  EXPECT_EQ(parse_gbench_json("{\"benchmarks\": [").error(), "not valid JSON");
  EXPECT_NE(parse_gbench_json("{\"context\": {}}").error().find("no \"benchmarks\""),
            std::string::npos);
  EXPECT_NE(parse_gbench_json(R"({"benchmarks":[{"name":"BM_x","run_type":"iteration"}]})")
                .error()
                .find("not named on the ptbench grid"),
            std::string::npos);
  EXPECT_NE(parse_gbench_json(R"({"benchmarks":[{"name":"BM_A/b/c/d/0","real_time":1,
                                "time_unit":"fortnights"}]})")
                .error()
                .find("unknown time unit"),
            std::string::npos);
}

}  // namespace
}  // namespace ptbench::harness
