#include "harness/history.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness/compare.hpp"

namespace ptbench::harness {
namespace {

namespace fs = std::filesystem;

const fs::path kResults = "../results";  // the committed runs (tests run in harness/)

class History : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ptbench-history-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<fs::path> committed_runs() const {
    std::vector<fs::path> runs;
    for (const auto& e : fs::directory_iterator(kResults)) {
      if (fs::exists(e.path() / "summary.csv") && fs::exists(e.path() / "samples.csv")) {
        runs.push_back(e.path());
      }
    }
    std::sort(runs.begin(), runs.end());
    return runs;
  }
  fs::path dir_;
};

TEST_F(History, TheCommittedRunsImportOnceAndOnlyOnce) {
  auto db = HistoryDb::open(dir_ / "h.sqlite");
  ASSERT_TRUE(db.ok()) << db.error();
  const auto runs = committed_runs();
  ASSERT_GE(runs.size(), 5u);
  for (const auto& r : runs) {
    auto added = (*db)->import_run(r);
    ASSERT_TRUE(added.ok()) << r << ": " << added.error();
    EXPECT_TRUE(*added) << r;
  }
  for (const auto& r : runs) {
    auto again = (*db)->import_run(r);
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_FALSE(*again) << r << " was imported twice";
  }
  auto listed = (*db)->runs();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), runs.size());
  for (const auto& r : *listed) EXPECT_GT(r.rows, 0u) << r.run_id;
  // Every run belongs to one host, and each host says which kernels it ran.
  auto hosts = (*db)->hosts();
  ASSERT_TRUE(hosts.ok()) << hosts.error();
  std::size_t host_runs = 0;
  for (const auto& h : *hosts) {
    host_runs += h.runs;
    EXPECT_FALSE(h.kernels.empty()) << h.label;
    EXPECT_LE(h.first_utc, h.last_utc);
  }
  EXPECT_EQ(host_runs, runs.size());
  // A series reads back, oldest first.
  auto pts = (*db)->trend("BM_Create/pthread/thread/same-cpu/0/rss_mib=0", "real_time");
  ASSERT_TRUE(pts.ok()) << pts.error();
  ASSERT_FALSE(pts->empty());
  for (std::size_t i = 1; i < pts->size(); ++i) {
    EXPECT_LE((*pts)[i - 1].started_utc, (*pts)[i].started_utc);
  }
}

TEST_F(History, AFileThatIsNotADatabaseIsAClearError) {
  std::ofstream(dir_ / "foreign.sqlite") << "these are the minutes of the meeting\n";
  auto db = HistoryDb::open(dir_ / "foreign.sqlite");
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().find("not a database"), std::string::npos) << db.error();
}

TEST_F(History, ASchemaFromANewerPtbenchIsRefused) {
  { ASSERT_TRUE(HistoryDb::open(dir_ / "h.sqlite").ok()); }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "h.sqlite").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "INSERT INTO schema_version VALUES(99)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto db = HistoryDb::open(dir_ / "h.sqlite");
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().find("newer ptbench (schema 99"), std::string::npos) << db.error();
}

TEST_F(History, ARunDirectoryMissingFilesWritesNothing) {
  auto db = HistoryDb::open(dir_ / "h.sqlite");
  ASSERT_TRUE(db.ok());
  const fs::path half = dir_ / "half";
  fs::create_directories(half);
  fs::copy_file(committed_runs().front() / "host.csv", half / "host.csv");
  auto added = (*db)->import_run(half);
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.error().find("samples.csv"), std::string::npos) << added.error();
  EXPECT_TRUE((*db)->runs()->empty());
}

std::vector<double> committed_repetitions(const std::string& benchmark) {
  auto samples = load_samples(kResults / "20261125T145008Z_vm_full");
  std::vector<double> v;
  if (!samples) return v;
  for (const auto& s : *samples) {
    if (s.benchmark == benchmark && s.metric == "real_time" && s.error.empty())
      v.push_back(s.value);
  }
  return v;
}

// A planted 10% step in a real-sample series is found, where it is; the same series without it
// has none; a single slow run is no change point (the minimal segment).
TEST(ChangePoints, AStepIsFoundAndNoStepIsNot) {
  const auto reps = committed_repetitions("BM_Create/fork/process/same-cpu/0/rss_mib=0");
  ASSERT_GE(reps.size(), 10u);
  int found = 0, false_points = 0;
  for (unsigned seed = 1; seed <= 20; ++seed) {
    const auto stepped = resampled_series(reps, 30, 20, 1.10, seed);
    for (const auto& c : change_points(stepped)) {
      if (c.index >= 19 && c.index <= 21 && c.change > 0.05) ++found;
    }
    false_points +=
        static_cast<int>(change_points(resampled_series(reps, 30, 30, 1.0, seed)).size());
  }
  EXPECT_GE(found, 18) << "of 20 series with a 10% step";
  EXPECT_EQ(false_points, 0) << "in 20 series without a step";
  auto spike = resampled_series(reps, 30, 30, 1.0, 7);
  spike[25] *= 2;
  EXPECT_TRUE(change_points(spike).empty());
}

// The newest runs are held as pending until enough runs after them confirm the change.
TEST(ChangePoints, AChangeNearTheEndIsPending) {
  std::vector<double> x(20, 100.0);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] += 0.01 * static_cast<double>(i);  // no ties
  for (std::size_t i = 16; i < x.size(); ++i) x[i] *= 1.3;
  const auto cps = change_points(x);
  ASSERT_EQ(cps.size(), 1u);
  EXPECT_EQ(cps[0].index, 16u);
  EXPECT_TRUE(cps[0].pending);
}

TEST(HostKey, StaysAcrossAReboot) {
  const KeyValues a = {{"cpu_model", "AMD EPYC"},
                       {"cpus_online", "0-1"},
                       {"mem_total", "24684084 kB"},
                       {"kernel", "6.18.44-fc-v669"},
                       {"hostname", "vm"}};
  KeyValues b = a;
  b[2].second = "24684000 kB";       // a few KiB less after a reboot
  b[3].second = "6.18.44-fc-v1098";  // a rebuild of the same kernel
  b[4].second = "another-name";
  EXPECT_EQ(host_key(a), host_key(b));
  KeyValues c = a;
  c[1].second = "0-3";
  EXPECT_NE(host_key(a), host_key(c));
  EXPECT_EQ(host_label(a), "AMD EPYC, 2 CPUs, 24 GiB, Linux 6.18");
}

}  // namespace
}  // namespace ptbench::harness
