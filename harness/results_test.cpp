#include "harness/results.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "harness/csv.hpp"

namespace ptbench::harness {
namespace {

GbenchRun make_run(const std::string& name, double ns) {
  GbenchRun r;
  r.name = name;
  r.grid = *parse_grid_name(name);
  r.real_time_ns = ns;
  r.cpu_time_ns = ns / 2;
  r.counters["vcsw_per_op"] = 1;
  return r;
}

std::vector<Sample> three_reps(const std::string& name, double ns) {
  std::vector<Sample> out;
  for (int rep = 0; rep < 3; ++rep) {
    auto rows = samples_from_run("run1", "create", make_run(name, ns * (1 + 0.01 * rep)), rep);
    out.insert(out.end(), rows.begin(), rows.end());
  }
  return out;
}

const SummaryRow& find(const std::vector<SummaryRow>& rows, const std::string& benchmark,
                       const std::string& metric = "real_time") {
  for (const auto& r : rows) {
    if (r.benchmark == benchmark && r.metric == metric) return r;
  }
  throw std::runtime_error("no row " + benchmark);
}

TEST(Results, MetricUnitsAndDirections) {
  EXPECT_EQ(metric_info("real_time").unit, "ns");
  EXPECT_EQ(metric_info("p99_ns").direction, "lower_is_better");
  EXPECT_EQ(metric_info("bytes_per_second").unit, "B/s");
  EXPECT_EQ(metric_info("bytes_per_second").direction, "higher_is_better");
  EXPECT_EQ(metric_info("msgs_per_s").unit, "1/s");
  EXPECT_EQ(metric_info("vcsw_per_op").unit, "1/op");
}

TEST(Results, ARunBecomesOneSamplePerMetric) {
  auto rows = samples_from_run(
      "r", "create", make_run("BM_Create/fork/process/unpinned/0/rss_mib=64/real_time", 1000), 2);
  ASSERT_EQ(rows.size(), 3u);  // real_time, cpu_time, vcsw_per_op
  EXPECT_EQ(rows[0].metric, "real_time");
  EXPECT_EQ(rows[0].value, 1000);
  EXPECT_EQ(rows[0].params, "rss_mib=64");
  EXPECT_EQ(rows[0].repetition, 2);
  EXPECT_EQ(rows[0].benchmark, "BM_Create/fork/process/unpinned/0/rss_mib=64");

  GbenchRun failed = make_run("BM_Create/vfork/process/unpinned/0", 0);
  failed.error = true;
  failed.error_message = "child did not exit with status 0";
  auto bad = samples_from_run("r", "create", failed, 0);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_TRUE(std::isnan(bad[0].value));
  EXPECT_EQ(bad[0].error, "child did not exit with status 0");
}

TEST(Results, RatioToTheBaselineWithTheClosestParams) {
  std::vector<Sample> s;
  for (auto [name, ns] : std::vector<std::pair<std::string, double>>{
           {"BM_Create/pthread/thread/unpinned/0/rss_mib=0", 50e3},
           {"BM_Create/pthread/thread/unpinned/0/rss_mib=64", 100e3},
           {"BM_Create/fork/process/unpinned/0/rss_mib=0", 1000e3},
           {"BM_Create/fork/process/unpinned/0/rss_mib=64", 3000e3},
           {"BM_Create/fork/process/unpinned/0/interval=child_runs/rss_mib=0", 400e3}}) {
    auto rows = three_reps(name, ns);
    s.insert(s.end(), rows.begin(), rows.end());
  }
  auto summary = summarize_samples(s, {{"create", "pthread"}});
  const auto& fork64 = find(summary, "BM_Create/fork/process/unpinned/0/rss_mib=64");
  EXPECT_EQ(fork64.baseline, "BM_Create/pthread/thread/unpinned/0/rss_mib=64");
  EXPECT_NEAR(fork64.ratio_to_baseline, 30, 1e-9);
  const auto& child =
      find(summary, "BM_Create/fork/process/unpinned/0/interval=child_runs/rss_mib=0");
  EXPECT_EQ(child.baseline, "BM_Create/pthread/thread/unpinned/0/rss_mib=0");
  EXPECT_NEAR(child.ratio_to_baseline, 8, 1e-9);
  EXPECT_NEAR(find(summary, "BM_Create/pthread/thread/unpinned/0/rss_mib=0").ratio_to_baseline, 1,
              1e-12);
  // Counts get no ratio: only time metrics are compared against the baseline.
  EXPECT_TRUE(std::isnan(find(summary, "BM_Create/fork/process/unpinned/0/rss_mib=0", "vcsw_per_op")
                             .ratio_to_baseline));
  EXPECT_EQ(fork64.stats.n, 3u);
  EXPECT_TRUE(fork64.stable);
}

TEST(Results, FailedRepetitionsAreCountedNotAveraged) {
  auto s = three_reps("BM_Create/fork/process/unpinned/0", 1000);
  s.push_back(failed_sample("run1", "create", *parse_grid_name("BM_Create/fork/process/unpinned/0"),
                            3, "killed by signal 11"));
  auto summary = summarize_samples(s, {});
  const auto& row = find(summary, "BM_Create/fork/process/unpinned/0");
  EXPECT_EQ(row.stats.n, 3u);
  EXPECT_EQ(row.errors, 1u);
  EXPECT_EQ(row.error, "killed by signal 11");
  EXPECT_TRUE(std::isnan(row.ratio_to_baseline));  // no baseline given
}

TEST(Results, CsvFilesHaveTheSchemaHeaderAndParseBack) {
  auto s = three_reps("BM_Create/fork/process/unpinned/0/rss_mib=0", 1000);
  std::ostringstream samples, summary;
  write_samples_csv(samples, s);
  write_summary_csv(summary, summarize_samples(s, {{"create", "fork"}}));
  auto ps = parse_csv(samples.str(), kSampleColumns);
  ASSERT_TRUE(ps.ok()) << ps.error();
  EXPECT_EQ(ps->header, kSampleColumns);
  EXPECT_EQ(ps->rows.size(), s.size());
  auto pm = parse_csv(summary.str(), kSummaryColumns);
  ASSERT_TRUE(pm.ok()) << pm.error();
  EXPECT_EQ(pm->rows.size(), 3u);  // real_time, cpu_time, vcsw_per_op
  const auto& first = pm->rows[0];
  EXPECT_EQ(first[*pm->column("metric")], "real_time");
  EXPECT_EQ(first[*pm->column("median")], "1010");
  EXPECT_EQ(first[*pm->column("ratio_to_baseline")], "1");
  EXPECT_EQ(first[*pm->column("stable")], "true");
}

TEST(Results, SummaryCsvReadsBackIntoTypedRows) {
  auto s = three_reps("BM_Create/fork/process/unpinned/0/rss_mib=0", 1000);
  s.push_back(skipped_sample("r", "create", *parse_grid_name("BM_Create/big/process/same-cpu/9"),
                             "over the limit"));
  const auto written = summarize_samples(s, {{"create", "fork"}});
  std::ostringstream summary;
  write_summary_csv(summary, written);
  auto rows = parse_summary_csv(summary.str());
  ASSERT_TRUE(rows.ok()) << rows.error();
  ASSERT_EQ(rows->size(), written.size());
  const auto& first = (*rows)[0];
  EXPECT_EQ(first.benchmark, "BM_Create/fork/process/unpinned/0/rss_mib=0");
  EXPECT_EQ(first.metric, "real_time");
  EXPECT_EQ(first.stats.n, 3u);
  EXPECT_DOUBLE_EQ(first.stats.median, 1010);
  EXPECT_DOUBLE_EQ(first.ratio_to_baseline, 1);
  EXPECT_TRUE(first.stable);
  EXPECT_FALSE(first.skipped);
  const auto& big = rows->back();
  EXPECT_TRUE(big.skipped);
  EXPECT_EQ(big.stats.n, 0u);
  EXPECT_TRUE(std::isnan(big.stats.median));  // an empty statistic is NaN, not 0
}

TEST(Results, AnOlderSummaryWithoutTheSkippedColumnStillReads) {
  const std::string old =
      "suite,benchmark,mechanism,endpoint,placement,payload_bytes,params,metric,unit,direction,"
      "n,median,p25,p75,mad,cv,min,max,ci95_low,ci95_high,ci_coverage,ratio_to_baseline,"
      "baseline,ratio_to_floor,floor,stable,errors,error\n"
      "create,BM_A/b/c/d/9,b,c,d,9,,real_time,ns,lower_is_better,0,,,,,,,,,,,,,,,false,0,"
      "skipped: over the limit\n";
  auto rows = parse_summary_csv(old);
  ASSERT_TRUE(rows.ok()) << rows.error();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_TRUE((*rows)[0].skipped);
  auto bad = parse_summary_csv("suite,benchmark\nx,y\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("missing column"), std::string::npos) << bad.error();
}

TEST(Results, TheFloorRatioReachesTheCsv) {
  std::vector<Sample> s = three_reps("BM_IpcLatency/pipe/process/cross-cpu/64", 20e3);
  auto floor = three_reps("BM_Floor/cacheline/process/cross-cpu/64", 1e3);
  for (auto& f : floor) f.suite = "floor";
  for (auto& x : s) x.suite = "ipc_latency";
  s.insert(s.end(), floor.begin(), floor.end());
  std::ostringstream out;
  write_summary_csv(
      out, summarize_samples(
               s, {},
               {{"ipc_latency",
                 *parse_floor_spec("BM_Floor/cacheline/{endpoint}/cross-cpu/64:real_time")}}));
  auto parsed = parse_csv(out.str(), kSummaryColumns);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  const auto& row = parsed->rows[0];
  EXPECT_EQ(row[*parsed->column("benchmark")], "BM_IpcLatency/pipe/process/cross-cpu/64");
  EXPECT_EQ(row[*parsed->column("ratio_to_floor")], "20");
  EXPECT_EQ(row[*parsed->column("floor")], "BM_Floor/cacheline/process/cross-cpu/64");
}

// "A|B": a cross-CPU stream is held against the stream floor between two CPUs, a row the run
// has no such floor for (one CPU) against the second choice, memcpy.
TEST(Results, AFloorSpecTakesTheFirstFloorTheRunHas) {
  std::vector<Sample> s;
  for (const char* name : {"BM_IpcThroughput/pipe/process/cross-cpu/65536",
                           "BM_IpcThroughput/pipe/process/same-cpu/65536"}) {
    auto rows = three_reps(name, 2e9);
    for (auto& x : rows) x.suite = "ipc_throughput";
    s.insert(s.end(), rows.begin(), rows.end());
  }
  for (auto [name, v] : {std::pair{"BM_Floor/stream/thread/cross-cpu/65536", 4e9},
                         std::pair{"BM_Floor/memcpy/thread/unpinned/65536", 20e9}}) {
    auto rows = three_reps(name, v);
    for (auto& x : rows) x.suite = "floor";
    s.insert(s.end(), rows.begin(), rows.end());
  }
  std::erase_if(s, [](const Sample& x) { return x.metric != "real_time"; });
  for (auto& x : s) x.metric = "bytes_per_second";
  const auto rows = summarize_samples(
      s, {},
      {{"ipc_throughput",
        *parse_floor_spec("BM_Floor/stream/thread/{placement}/{bytes}|"
                          "BM_Floor/memcpy/thread/unpinned/{bytes}:bytes_per_second")}});
  std::map<std::string, std::pair<std::string, double>> got;
  for (const auto& r : rows) {
    if (r.suite == "ipc_throughput") got[r.placement] = {r.floor, r.ratio_to_floor};
  }
  EXPECT_EQ(got["cross-cpu"].first, "BM_Floor/stream/thread/cross-cpu/65536");
  EXPECT_NEAR(got["cross-cpu"].second, 0.5, 1e-9);
  EXPECT_EQ(got["same-cpu"].first, "BM_Floor/memcpy/thread/unpinned/65536");
  EXPECT_NEAR(got["same-cpu"].second, 0.1, 1e-9);
}

TEST(Results, TableShowsRatiosAndMarksUnstableRows) {
  std::vector<Sample> s = three_reps("BM_Create/pthread/thread/unpinned/0", 50e3);
  for (int rep = 0; rep < 3; ++rep) {
    auto rows = samples_from_run(
        "r", "create", make_run("BM_Create/fork/process/unpinned/0", 1e6 * (1 + 0.5 * rep)), rep);
    s.insert(s.end(), rows.begin(), rows.end());
  }
  std::ostringstream out;
  print_summary_table(out, summarize_samples(s, {{"create", "pthread"}}), {{"create", "pthread"}});
  const std::string text = out.str();
  EXPECT_NE(text.find("× pthread"), std::string::npos) << text;
  EXPECT_NE(text.find("1.5 ms"), std::string::npos) << text;
  EXPECT_NE(text.find("29.70"), std::string::npos) << text;  // 1.5 ms / 50.5 µs
  EXPECT_NE(text.find("unstable"), std::string::npos) << text;
  EXPECT_NE(text.find("raise --repetitions"), std::string::npos) << text;
}

TEST(Results, HumanValues) {
  EXPECT_EQ(human_value(840, "ns"), "840 ns");
  EXPECT_EQ(human_value(48700, "ns"), "48.7 µs");
  EXPECT_EQ(human_value(2.5e6, "ns"), "2.5 ms");
  EXPECT_EQ(human_value(3.2e9, "B/s"), "3.2 GB/s");
  EXPECT_EQ(human_value(999'600, "ns"), "1 ms");  // not "1e+03 µs"
  EXPECT_EQ(human_value(999.7, "ns"), "1 µs");
  EXPECT_EQ(human_value(33'200, "1/s"), "33.2 k/s");  // requests, messages: not "3.32e+04 1/s"
  EXPECT_EQ(human_value(2.46e6, "1/s"), "2.46 M/s");
  EXPECT_EQ(human_value(12, "1/s"), "12/s");
}

// Rows named "cross-cpu" (the first and the last allowed CPU, before placements were named by
// level) read at the level their run recorded; a run that recorded none keeps the old name.
TEST(Results, LegacyCrossCpuRowsReadAtTheRecordedLevel) {
  EXPECT_EQ(reference_level("same-cache"), "same-cache");
  EXPECT_EQ(reference_level(""), "cross-cpu");
  EXPECT_EQ(reference_level("unknown"), "cross-cpu");
  EXPECT_EQ(reference_level("none (one CPU)"), "cross-cpu");
  EXPECT_EQ(reference_level("unpinned"), "cross-cpu");
  EXPECT_EQ(at_level("BM_IpcLatency/pipe/process/cross-cpu/64", "same-cache"),
            "BM_IpcLatency/pipe/process/same-cache/64");
  EXPECT_EQ(at_level("BM_IpcLatency/pipe/process/{cross}/64", "smt"),
            "BM_IpcLatency/pipe/process/smt/64");
  // Only the placement part: a mechanism or a param of that name stays.
  EXPECT_EQ(at_level("BM_X/cross-cpu/process/same-cpu/0/at=cross-cpu", "smt"),
            "BM_X/cross-cpu/process/same-cpu/0/at=cross-cpu");
  EXPECT_EQ(at_level("BM_IpcLatency/pipe/process/cross-cpu/64", "cross-cpu"),
            "BM_IpcLatency/pipe/process/cross-cpu/64");

  std::vector<Sample> samples = three_reps("BM_IpcLatency/pipe/process/cross-cpu/64", 20e3);
  samples[0].placement = "cross-cpu";
  map_legacy_placements(samples, "cross-package");
  EXPECT_EQ(samples[0].benchmark, "BM_IpcLatency/pipe/process/cross-package/64");
  EXPECT_EQ(samples[0].placement, "cross-package");
  SummaryRow row;
  row.benchmark = "BM_IpcLatency/pipe/process/cross-cpu/64";
  row.placement = "cross-cpu";
  row.floor = "BM_Floor/cacheline/process/cross-cpu/64";
  row.baseline = "BM_IpcLatency/pipe/process/cross-cpu/64";
  std::vector<SummaryRow> rows = {row};
  map_legacy_placements(rows, "same-cache");
  EXPECT_EQ(rows[0].benchmark, "BM_IpcLatency/pipe/process/same-cache/64");
  EXPECT_EQ(rows[0].placement, "same-cache");
  EXPECT_EQ(rows[0].floor, "BM_Floor/cacheline/process/same-cache/64");
  EXPECT_EQ(rows[0].baseline, "BM_IpcLatency/pipe/process/same-cache/64");
  rows = {row};
  map_legacy_placements(rows, "cross-cpu");  // nothing recorded: nothing renamed
  EXPECT_EQ(rows[0].benchmark, row.benchmark);
}

// Runs written before notes_bench was split read with today's suite ids.
TEST(Results, OldSuiteIdsMapToTodaysPrograms) {
  EXPECT_EQ(current_suite("notes", "BM_CowWrite/fork/process/unpinned/4096/pages=1024"),
            "cow_write");
  EXPECT_EQ(current_suite("notes", "BM_TimeSlice/cpu_bound/process/same-cpu/0/tasks=2"),
            "time_slice");
  EXPECT_EQ(current_suite("notes", "BM_Fiber/create/fiber/same-cpu/0"), "fiber");
  EXPECT_EQ(current_suite("open_loop", "BM_InFlight/pipe/process/cross-cpu/64/in_flight=64"),
            "in_flight");
  EXPECT_EQ(current_suite("open_loop", "BM_OpenLoop/pipe/process/cross-cpu/64/load_pct=10"),
            "open_loop");
  EXPECT_EQ(current_suite("create", "BM_Create/fork/process/same-cpu/0/rss_mib=0"), "create");
}

}  // namespace
}  // namespace ptbench::harness
