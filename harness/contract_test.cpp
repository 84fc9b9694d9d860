// The contract between the benchmark programs and the harness: every benchmark name that verify,
// crosscheck and the charts rely on is one the programs of this build list. Rename a benchmark
// without its users and this fails, instead of a claim going "inconclusive" or a chart vanishing.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "harness/crosscheck.hpp"
#include "harness/host.hpp"
#include "harness/profiles.hpp"
#include "harness/report.hpp"
#include "harness/results.hpp"
#include "harness/runner.hpp"
#include "harness/subprocess.hpp"
#include "harness/verify.hpp"

namespace ptbench::harness {
namespace {

namespace fs = std::filesystem;

// The programs this build made, as the ptbench binary runs them for a profile.
std::vector<std::string> programs(const std::string& profile) {
  auto split = [](const std::string& list) {
    std::vector<std::string> out;
    std::stringstream names(list);
    for (std::string name; std::getline(names, name, ',');) out.push_back(name);
    return out;
  };
  return profile_programs(profile, split(PTBENCH_TEST_PROGRAMS),
                          split(PTBENCH_TEST_VALIDATION_PROGRAMS));
}

class Contract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RunOptions opt;
    opt.profile = "full";
    opt.bench_dir = PTBENCH_TEST_BENCH_DIR;
    opt.programs = programs("full");
    auto got = list_benchmarks(opt);
    if (got) listed_ = new std::vector<Listed>(std::move(*got));
    list_error_ = new std::string(got ? "" : got.error());
  }
  static void TearDownTestSuite() {
    delete listed_;
    delete list_error_;
  }
  void SetUp() override {
#ifdef __SANITIZE_THREAD__
    GTEST_SKIP() << "ThreadSanitizer builds register thread endpoints only";
#endif
    ASSERT_NE(listed_, nullptr) << *list_error_;
  }

  static std::vector<Listed>* listed_;
  static std::string* list_error_;
};
std::vector<Listed>* Contract::listed_ = nullptr;
std::string* Contract::list_error_ = nullptr;

TEST_F(Contract, EveryBenchmarkVerifyAndCrosscheckReadIsListed) {
  std::set<std::string> names;
  for (const auto& b : *listed_) names.insert(b.grid);
  std::vector<std::string> relied;
  const std::string level = host_reference_level();
  for (const auto& p :
       crosscheck_pairs(PTBENCH_TEST_BENCH_DIR, crosscheck_cpus(level), false, level, {}))
    relied.push_back(p.benchmark);
  for (const auto& b : verify_benchmarks()) relied.push_back(b);
  ASSERT_FALSE(relied.empty());
  for (const auto& name : relied) EXPECT_TRUE(names.count(name)) << name << " is not listed";
}

// The ci profile's subset is listed by the quick grid and the validation program, with nothing
// skipped on a host with two CPUs.
TEST_F(Contract, EveryCiBenchmarkIsListed) {
  RunOptions opt;
  opt.profile = "ci";
  opt.bench_dir = PTBENCH_TEST_BENCH_DIR;
  opt.programs = {"create_bench",         "floor_bench",  "ipc_latency_bench",
                  "ipc_throughput_bench", "switch_bench", "calibrated_bench"};
  auto listed = list_benchmarks(opt);
  ASSERT_TRUE(listed.ok()) << listed.error();
  std::set<std::string> names;
  for (const auto& b : *listed) names.insert(b.grid);
  for (const auto& name : ci_benchmarks()) EXPECT_TRUE(names.count(name)) << name;
  EXPECT_EQ(names.size(), ci_benchmarks().size());
}

// Every row a user runs by default (quick) or gates on (ci) is judged on a metric its program
// declares, not on one the harness guesses from the suite's name.
TEST_F(Contract, EveryQuickAndCiRowDeclaresItsPrimaryMetric) {
  for (const char* profile : {"quick", "ci"}) {
    RunOptions opt;
    opt.profile = profile;
    opt.bench_dir = PTBENCH_TEST_BENCH_DIR;
    opt.programs = programs(profile);
    auto listed = list_benchmarks(opt);
    ASSERT_TRUE(listed.ok()) << listed.error();
    for (const auto& b : *listed) {
      EXPECT_TRUE(b.primary_declared) << profile << ": " << b.grid << " declares no primary metric";
      EXPECT_FALSE(b.primary.metric.empty()) << b.grid;
    }
  }
}

// The benchmarks of `samples` whose primary metric (by question, from `declared`) is missing
// or, for a time or a rate over three or more good repetitions, the same value in every one: a
// constant (a fixed time window) decides nothing.
std::vector<std::string> unjudgeable(const std::vector<Sample>& samples,
                                     const std::map<std::string, grid::Primary>& declared) {
  std::map<std::string, std::vector<double>> values;  // benchmark -> its primary metric's values
  std::set<std::string> measured;
  for (const auto& s : samples) {
    const auto name = grid::parse(s.benchmark);
    if (!name || !s.error.empty() || std::isnan(s.value)) continue;
    auto d = declared.find(name->question);
    if (d == declared.end()) continue;
    measured.insert(s.benchmark);
    if (s.metric != d->second.metric) continue;
    auto& v = values[s.benchmark];
    if (s.unit == "ns" || s.unit.ends_with("/s")) v.push_back(s.value);
  }
  std::vector<std::string> bad;
  for (const auto& b : measured) {
    auto v = values.find(b);
    if (v == values.end()) {
      bad.push_back(b + ": no value of its primary metric");
    } else if (v->second.size() >= 3 &&
               std::adjacent_find(v->second.begin(), v->second.end(), std::not_equal_to<>()) ==
                   v->second.end()) {
      bad.push_back(b + ": its primary metric is the same in every repetition");
    }
  }
  return bad;
}

std::map<std::string, grid::Primary> declared_by_question(const std::vector<Listed>& listed) {
  std::map<std::string, grid::Primary> out;
  for (const auto& b : listed) {
    if (b.primary_declared) out[grid::parse(b.grid)->question] = b.primary;
  }
  return out;
}

// The committed runs hold the declarations to real data: each benchmark has its primary metric,
// and it moves between repetitions.
TEST_F(Contract, EveryDeclaredPrimaryMetricVariesInTheCommittedRuns) {
  const auto declared = declared_by_question(*listed_);
  std::size_t runs = 0;
  for (const auto& entry : fs::directory_iterator(PTBENCH_TEST_RESULTS_DIR)) {
    if (!fs::exists(entry.path() / "samples.csv")) continue;
    auto samples = parse_samples_csv(read_text_file(entry.path() / "samples.csv").value_or(""));
    ASSERT_TRUE(samples.ok()) << entry.path() << ": " << samples.error();
    for (const auto& why : unjudgeable(*samples, declared))
      ADD_FAILURE() << entry.path() << ": " << why;
    ++runs;
  }
  EXPECT_GE(runs, 5u);
}

// The committed run directories (those with a summary), one test each: a report draws its charts
// with matplotlib, seconds per run, and the test program's shards share the runs out.
std::vector<std::string> committed_runs() {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(PTBENCH_TEST_RESULTS_DIR)) {
    if (fs::exists(entry.path() / "summary.csv")) out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(CommittedRuns, AreThere) {
  EXPECT_GE(committed_runs().size(), 5u);
}

// Old runs read with today's suite ids (notes_bench was split, BM_InFlight moved): every suite of
// the committed run is a program of this build, and its report is written with no generic
// section for a suite that no longer exists.
class CommittedRun : public ::testing::TestWithParam<std::string> {};

TEST_P(CommittedRun, ReadsWithTodaysSuitesAndReports) {
  std::set<std::string> suites;
  for (const auto& p : programs("ci")) suites.insert(grid::suite_of(p));
  for (const auto& p : programs("full")) suites.insert(grid::suite_of(p));
  const fs::path run = fs::path(PTBENCH_TEST_RESULTS_DIR) / GetParam();
  auto rows = parse_summary_csv(read_text_file(run / "summary.csv").value_or(""));
  ASSERT_TRUE(rows.ok()) << run;
  for (const auto& r : *rows) EXPECT_TRUE(suites.count(r.suite)) << run << ": " << r.suite;
  const fs::path dir = fs::temp_directory_path() / fmt::format("ptbench-old-{}", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* f : {"summary.csv", "host.csv", "verify.csv"}) {
    if (fs::exists(run / f)) fs::copy_file(run / f, dir / f);
  }
  auto written = write_report(dir);
  const std::string md = read_text_file(dir / "report.md").value_or("");
  fs::remove_all(dir);
  ASSERT_TRUE(written.ok()) << run << ": " << written.error();
  EXPECT_EQ(*written, "") << run << ": the charts";  // plot.py drew every chart
  EXPECT_EQ(md.find("\n## notes\n"), std::string::npos) << run;
}

INSTANTIATE_TEST_SUITE_P(Results, CommittedRun, ::testing::ValuesIn(committed_runs()),
                         [](const testing::TestParamInfo<std::string>& p) {
                           std::string name = p.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// And the check can say no: a server judged on its fixed time window, or a metric it never
// reports.
TEST(ContractCheck, AConstantOrMissingPrimaryMetricIsCaught) {
  std::vector<Sample> samples;
  for (int rep = 0; rep < 3; ++rep) {
    for (const char* metric : {"real_time", "items_per_second"}) {
      Sample s;
      s.benchmark = "BM_Server/epoll/thread/unpinned/64/clients=4";
      s.metric = metric;
      s.unit = std::string(metric) == "real_time" ? "ns" : "1/s";
      s.value = std::string(metric) == "real_time" ? 5e7 : 1e4 + rep;
      s.repetition = rep;
      samples.push_back(s);
    }
  }
  const grid::Primary window{"real_time", "lower_is_better"};
  const grid::Primary rate{"items_per_second", "higher_is_better"};
  const grid::Primary absent{"p99_ns", "lower_is_better"};
  EXPECT_EQ(unjudgeable(samples, {{"Server", window}}).size(), 1u);
  EXPECT_EQ(unjudgeable(samples, {{"Server", absent}}).size(), 1u);
  EXPECT_TRUE(unjudgeable(samples, {{"Server", rate}}).empty());
}

// A summary.csv with one row per listed benchmark and metric the charts read; plot.py --check
// says whether each chart selects any row from it.
TEST_F(Contract, EveryChartSelectsRowsFromTheListedBenchmarks) {
  std::vector<Sample> samples;
  for (const auto& b : *listed_) {
    if (!b.skipped.empty()) continue;
    GbenchRun run;
    run.grid = *parse_grid_name(b.grid);
    run.real_time_ns = 1000;
    run.counters = {{"p99_ns", 2000}, {"bytes_per_second", 1e9}, {"items_per_second", 1e6}};
    for (auto& s : samples_from_run("contract", b.suite, run, 0)) samples.push_back(std::move(s));
  }
  const fs::path dir = fs::temp_directory_path() / ("ptbench-contract-" + std::to_string(getpid()));
  fs::create_directories(dir);
  {
    std::ofstream summary(dir / "summary.csv"), host(dir / "host.csv");
    write_summary_csv(summary, summarize_samples(samples, {}));
    write_host_csv(host, collect_host());  // the levels, as a run records them
  }
  auto r = run_process({"/usr/bin/python3", PTBENCH_TEST_PLOT_SCRIPT, "--check", dir.string()},
                       dir / "check.log", std::chrono::seconds(60), nullptr);
  const std::string log = read_text_file(dir / "check.log").value_or("");
  fs::remove_all(dir);
  EXPECT_TRUE(r.ok()) << r.describe() << "\n" << log;
}

// And the check itself can fail: a summary without the creation rows leaves a chart empty.
TEST_F(Contract, ThePlotCheckFailsWhenAChartHasNoRows) {
  const fs::path dir =
      fs::temp_directory_path() / ("ptbench-contract0-" + std::to_string(getpid()));
  fs::create_directories(dir);
  {
    std::ofstream summary(dir / "summary.csv");
    write_summary_csv(summary, {});
  }
  auto r = run_process({"/usr/bin/python3", PTBENCH_TEST_PLOT_SCRIPT, "--check", dir.string()},
                       dir / "check.log", std::chrono::seconds(60), nullptr);
  const std::string log = read_text_file(dir / "check.log").value_or("");
  fs::remove_all(dir);
  EXPECT_EQ(r.exit_code, 1) << log;
  EXPECT_NE(log.find("no rows for creation"), std::string::npos) << log;
}

}  // namespace
}  // namespace ptbench::harness
