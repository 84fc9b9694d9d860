#include "harness/report.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness/host.hpp"

namespace ptbench::harness {
namespace {

namespace fs = std::filesystem;

// The fixture is the CSV output of a real small run (ptbench run --filter ... --repetitions 3;
// the filter is in its host.csv).
class Report : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ptbench-report-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const char* f : {"summary.csv", "samples.csv", "host.csv"}) {
      fs::copy_file(fs::path("testdata/run_fixture") / f, dir_ / f);
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// A suite no section was written for still reaches the report, on its primary metric: adding a
// program needs no change in the harness.
TEST_F(Report, ASuiteWithoutASectionOfItsOwnGetsAGenericOne) {
  const auto summary = read_text_file(dir_ / "summary.csv").value_or("");
  const auto first = summary.find('\n') + 1;
  std::string row = summary.substr(first, summary.find('\n', first) - first + 1);
  ASSERT_EQ(row.rfind("create,BM_Create/", 0), 0u) << row;
  row.replace(0, std::string("create,BM_Create/").size(), "newthing,BM_Newthing/");
  {
    std::ofstream out(dir_ / "summary.csv", std::ios::app);
    out << row;
  }
  auto written = write_report(dir_);
  ASSERT_TRUE(written.ok()) << written.error();
  const auto md = read_text_file(dir_ / "report.md").value_or("");
  EXPECT_NE(md.find("\n## newthing\n"), std::string::npos) << md;
  EXPECT_NE(md.find("judges it by (real_time)"), std::string::npos);
  EXPECT_EQ(md.find("\n## create\n"), std::string::npos);  // hand-written suites keep theirs
}

TEST_F(Report, HasTheHostEverySectionAndTheRatios) {
  auto written = write_report(dir_);
  ASSERT_TRUE(written.ok()) << written.error();
  const std::string note = *written;
  const auto md = read_text_file(dir_ / "report.md").value_or("");
  for (const char* heading :
       {"# ptbench report:", "## Creation", "## Context switches", "## IPC latency",
        "## IPC throughput", "## Floors", "## The course notes, measured",
        "**Endpoint against mechanism**", "**The ladder**", "**More threads**"}) {
    EXPECT_NE(md.find(heading), std::string::npos) << heading;
  }
  EXPECT_NE(md.find("AMD EPYC"), std::string::npos);  // host summary
  EXPECT_NE(md.find("| pthread rss_mib=0 | thread |"), std::string::npos) << md;
  EXPECT_NE(md.find("× |"), std::string::npos);                            // ratios in the tables
  EXPECT_NE(md.find("skipped: POSIX message queues"), std::string::npos);  // skipped, with why
  // IPC sections open with a mechanism x size table that ends with the floor of the same run.
  EXPECT_NE(md.find("| mechanism | endpoint | 64 B |"), std::string::npos) << md;
  EXPECT_NE(md.find("| shm_ring policy=spin | thread |"), std::string::npos) << md;
  EXPECT_NE(md.find("| *hardware floor* |"), std::string::npos) << md;
  EXPECT_NE(md.find("<details><summary>"), std::string::npos);  // the long tables, folded
  // Context switches open with process against thread, on one CPU and across two.
  EXPECT_NE(md.find("| primitive | same-cpu process | same-cpu thread | thread / process |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("\n| pipe | "), std::string::npos) << md;
  // Charts when matplotlib is there, or a note that says how to get them.
  if (note.empty()) {
    EXPECT_TRUE(fs::exists(dir_ / "charts/creation.png"));
    EXPECT_NE(md.find("![creation cost"), std::string::npos);
  } else {
    EXPECT_NE(note.find("python3-matplotlib"), std::string::npos) << note;
  }
}

// The zero-copy ring's note says what the API asks of its user, only when the run measured it.
TEST_F(Report, SaysWhatZeroCopyAsksWhenTheRunMeasuredIt) {
  ASSERT_TRUE(write_report(dir_).ok());
  auto md = read_text_file(dir_ / "report.md").value_or("");
  EXPECT_EQ(md.find("**shm_ring_zc**"), std::string::npos);
  std::string summary = read_text_file(dir_ / "summary.csv").value_or("");
  const auto at = summary.find("\nipc_latency,BM_IpcLatency/shm_ring/");
  ASSERT_NE(at, std::string::npos);
  std::string row = summary.substr(at + 1, summary.find('\n', at + 1) - at);
  for (auto p = row.find("shm_ring"); p != std::string::npos; p = row.find("shm_ring", p + 11)) {
    row.replace(p, 8, "shm_ring_zc");
  }
  std::ofstream(dir_ / "summary.csv", std::ios::app) << row;
  ASSERT_TRUE(write_report(dir_).ok());
  md = read_text_file(dir_ / "report.md").value_or("");
  EXPECT_NE(md.find("**shm_ring_zc** is the same ring used in place"), std::string::npos) << md;
  EXPECT_NE(md.find("`loan(size)`"), std::string::npos);
}

TEST_F(Report, TheVerdictsOpenTheReportWhenVerifyRan) {
  std::ofstream(dir_ / "verify.csv")
      << "claim,statement,condition,evidence,ratio,ci_low,ci_high,ci_coverage,p_value,verdict,"
         "explanation,note\n"
         "8,The more threads the faster,on 2 CPUs,speed-up,1.9,1.8,2,0.99,0.001,holds in part,"
         "it stops at the CPUs,\n";
  ASSERT_TRUE(write_report(dir_).ok());
  const auto md = read_text_file(dir_ / "report.md").value_or("");
  const auto verdicts = md.find("## What the notes say, what this machine says");
  ASSERT_NE(verdicts, std::string::npos) << md;
  EXPECT_LT(verdicts, md.find("## Creation"));
  EXPECT_NE(md.find("| 8 | The more threads the faster | **holds in part** | on 2 CPUs | 1.90×"),
            std::string::npos)
      << md;
}

TEST_F(Report, AMissingOrMalformedSummaryIsAnError) {
  fs::remove(dir_ / "summary.csv");
  auto missing = write_report(dir_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("cannot read"), std::string::npos);
  std::ofstream(dir_ / "summary.csv") << "suite,benchmark\nx\n";
  auto malformed = write_report(dir_);
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.error().find("summary.csv"), std::string::npos) << malformed.error();
}

}  // namespace
}  // namespace ptbench::harness
