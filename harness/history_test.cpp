#include "harness/history.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness/compare.hpp"
#include "harness/exit_codes.hpp"
#include "harness/results.hpp"
#include "harness/sql.hpp"

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
  // The committed runs of under 1 MiB of samples: enough rows, quickly written.
  std::vector<fs::path> small_runs() const {
    auto runs = committed_runs();
    std::erase_if(runs,
                  [](const fs::path& r) { return fs::file_size(r / "samples.csv") > 1u << 20; });
    return runs;
  }
  fs::path dir_;
};

// The store's tests run on SQLite, and on PostgreSQL as well when PTBENCH_TEST_POSTGRESQL names a
// server (ctest's harness.history_postgresql starts one with scripts/with_postgresql): each test
// there gets a schema of its own, emptied first.
std::vector<std::string> backends() {
  std::vector<std::string> b = {"sqlite"};
  if (const char* url = std::getenv("PTBENCH_TEST_POSTGRESQL"); url != nullptr && *url != '\0')
    b.push_back("postgresql");
  return b;
}

class Store : public History, public ::testing::WithParamInterface<std::string> {
 protected:
  // The database this test writes: a file, or a fresh schema on the server.
  std::string target() {
    if (GetParam() == "sqlite") return (dir_ / "h.sqlite").string();
    const std::string base = std::getenv("PTBENCH_TEST_POSTGRESQL");
    auto admin = open_sql(base);
    EXPECT_TRUE(admin.ok()) << admin.error();
    if (!admin) return base;
    auto r =
        (*admin)->exec("DROP SCHEMA IF EXISTS ptbench_test CASCADE; CREATE SCHEMA ptbench_test");
    EXPECT_TRUE(r.ok()) << r.error();
    return base + (base.find('?') == std::string::npos ? "?" : "&") +
           "options=-csearch_path%3Dptbench_test";
  }
  static std::int64_t count(HistoryDb& db, const std::string& table) {
    auto n = db.sql().query("SELECT count(*) FROM " + table);
    return n ? sql_integer(n->at(0).at(0)) : -1;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, Store, ::testing::ValuesIn(backends()),
                         [](const auto& p) { return p.param; });

// Every committed run; the AddressSanitizer build, where the full run's 108,000 samples took 30 s
// a database, imports the runs under 1 MiB of samples (the same code, a fifth of the rows).
TEST_P(Store, TheCommittedRunsImportOnceAndOnlyOnce) {
  auto db = HistoryDb::open(target());
  ASSERT_TRUE(db.ok()) << db.error();
#ifdef __SANITIZE_ADDRESS__
  const auto runs = small_runs();
#else
  const auto runs = committed_runs();
#endif
  ASSERT_GE(runs.size(), 5u);
  for (const auto& r : runs) {
    auto added = (*db)->import_run(r);
    ASSERT_TRUE(added.ok()) << r << ": " << added.error();
    EXPECT_TRUE(*added) << r;
  }
  const auto samples = count(**db, "samples");
  for (const auto& r : runs) {
    auto again = (*db)->import_run(r);
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_FALSE(*again) << r << " was imported twice";
  }
  EXPECT_EQ(count(**db, "samples"), samples);
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
  // The series of the run recorded last reads back with its values as they were written.
  const std::string bench = "BM_Create/pthread/thread/same-cpu/0/rss_mib=0";
  auto pts = (*db)->trend(bench, "real_time");
  ASSERT_TRUE(pts.ok()) << pts.error();
  ASSERT_FALSE(pts->empty());
  auto newest = parse_summary_csv(*read_text_file(runs.back() / "summary.csv"));
  ASSERT_TRUE(newest.ok());
  for (const auto& row : *newest) {
    if (row.benchmark != bench || row.metric != "real_time") continue;
    EXPECT_EQ(pts->back().median, row.stats.median);  // bit for bit, in both databases
    EXPECT_EQ(pts->back().ci_low, row.stats.ci_low);
  }
  // A series of two runs or more reads back oldest first; --last keeps the newest points.
  auto all = (*db)->series(2);
  ASSERT_TRUE(all.ok()) << all.error();
  const auto longer = std::find_if(all->begin(), all->end(), [&](const auto& x) {
    return x.benchmark == bench && x.metric == "real_time";
  });
  ASSERT_NE(longer, all->end()) << "no series of " << bench << " with two runs";
  auto two = (*db)->trend(bench, "real_time", longer->host, longer->profile);
  ASSERT_TRUE(two.ok()) << two.error();
  ASSERT_GE(two->size(), 2u);
  for (std::size_t i = 1; i < two->size(); ++i) {
    EXPECT_LE((*two)[i - 1].started_utc, (*two)[i].started_utc);
  }
  const std::size_t keep = two->size() - 1;
  auto last = (*db)->trend(bench, "real_time", longer->host, longer->profile, keep);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), keep);
  EXPECT_EQ(last->front().run_id, (*two)[1].run_id);
  EXPECT_EQ(last->back().run_id, two->back().run_id);
}

// Eight writers import the same runs at once, each in its own order, into a database that none
// of them has created yet: every run lands once, whole.
TEST_P(Store, EightWritersAtOnceLoseAndDuplicateNothing) {
  const std::string db_target = target();
  const auto runs = small_runs();
  ASSERT_GE(runs.size(), 4u);
  std::atomic<int> added{0}, failed{0};
  std::vector<std::thread> writers;
  for (unsigned w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      auto db = HistoryDb::open(db_target);
      if (!db) {
        ADD_FAILURE() << db.error();
        ++failed;
        return;
      }
      for (std::size_t i = 0; i < runs.size(); ++i) {
        auto r = (*db)->import_run(runs[(i + w) % runs.size()]);
        if (!r) {
          ADD_FAILURE() << "writer " << w << ": " << r.error();
          ++failed;
        } else if (*r) {
          ++added;
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(added.load(), static_cast<int>(runs.size()));
  auto db = HistoryDb::open(db_target);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(count(**db, "runs"), static_cast<std::int64_t>(runs.size()));
  std::int64_t lines = 0;
  for (const auto& r : runs) lines += static_cast<std::int64_t>(load_samples(r)->size());
  EXPECT_EQ(count(**db, "samples"), lines);
}

TEST_P(Store, ASchemaFromANewerPtbenchIsRefused) {
  const std::string db_target = target();
  {
    auto db = HistoryDb::open(db_target);
    ASSERT_TRUE(db.ok()) << db.error();
    ASSERT_TRUE((*db)->sql().exec("INSERT INTO schema_version VALUES(99)").ok());
  }
  auto db = HistoryDb::open(db_target);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().find("newer ptbench (schema 99"), std::string::npos) << db.error();
}

// A database of schema 1 (summary rows without their run's host, profile and start time) is
// brought up to the current schema when opened, and its series read as before.
TEST_P(Store, AnOlderSchemaIsUpgradedInPlace) {
  const std::string db_target = target();
  {
    auto raw = open_sql(db_target);
    ASSERT_TRUE(raw.ok()) << raw.error();
    auto& sql = **raw;
    for (const std::string& statement :
         {HistoryDb::first_schema(sql), std::string("INSERT INTO schema_version VALUES(1)"),
          std::string("INSERT INTO hosts(host_key, label) VALUES('k', 'old host')"),
          std::string("INSERT INTO runs(run_id, host, git_sha, profile, kernel, started_utc)"
                      " VALUES('old', 1, 'abc', 'quick', '6.1.0', '2026-01-01T00:00:00Z')"),
          std::string("INSERT INTO summary(run, benchmark, metric, n, median, is_primary)"
                      " VALUES(1, 'BM_Old', 'real_time', 5, 42.5, 1)"),
          std::string("INSERT INTO host_facts(run, key, value)"
                      " VALUES(1, 'cacheline_floor_before_ns', '412.5')"),
          // A row under the old placement name, in a run that recorded its level.
          std::string(
              "INSERT INTO summary(run, benchmark, metric, n, median, is_primary)"
              " VALUES(1, 'BM_IpcLatency/pipe/process/cross-cpu/64', 'real_time', 5, 9, 1)"),
          std::string("INSERT INTO host_facts(run, key, value)"
                      " VALUES(1, 'cross_cpu_level', 'cross-package')")}) {
      auto r = sql.exec(statement);
      ASSERT_TRUE(r.ok()) << r.error();
    }
  }
  auto db = HistoryDb::open(db_target);
  ASSERT_TRUE(db.ok()) << db.error();
  auto version = (*db)->sql().query("SELECT max(version) FROM schema_version");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(sql_integer(version->at(0).at(0)), HistoryDb::kSchemaVersion);
  auto pts = (*db)->trend("BM_Old", "real_time");
  ASSERT_TRUE(pts.ok()) << pts.error();
  ASSERT_EQ(pts->size(), 1u);
  EXPECT_EQ(pts->front().median, 42.5);
  EXPECT_EQ(pts->front().run_id, "old");
  EXPECT_EQ(pts->front().floor_ns, 412.5);  // schema 4 read it from the run's facts
  // Schema 5 named the old row by the level its run recorded.
  auto renamed = (*db)->trend("BM_IpcLatency/pipe/process/cross-package/64", "real_time");
  ASSERT_TRUE(renamed.ok()) << renamed.error();
  ASSERT_EQ(renamed->size(), 1u);
  EXPECT_EQ(renamed->front().median, 9);
  EXPECT_TRUE((*db)->trend("BM_IpcLatency/pipe/process/cross-cpu/64", "real_time")->empty());
  // Schema 6 counted each run's summary rows.
  auto runs = (*db)->runs();
  ASSERT_TRUE(runs.ok()) << runs.error();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->front().rows, 2u);
  // And it takes new runs after the old one.
  auto added = (*db)->import_run(small_runs().front());
  ASSERT_TRUE(added.ok()) << added.error();
  EXPECT_TRUE(*added);
}

TEST_P(Store, ARunDirectoryMissingFilesWritesNothing) {
  auto db = HistoryDb::open(target());
  ASSERT_TRUE(db.ok());
  const fs::path half = dir_ / "half";
  fs::create_directories(half);
  fs::copy_file(committed_runs().front() / "host.csv", half / "host.csv");
  auto added = (*db)->import_run(half);
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.error().find("samples.csv"), std::string::npos) << added.error();
  EXPECT_TRUE((*db)->runs()->empty());
}

// A run that fails in the middle of its transaction (a summary row twice: the key refuses it)
// leaves no trace: no run, no samples, no host facts.
TEST_P(Store, ARunThatFailsHalfWayWritesNothing) {
  auto db = HistoryDb::open(target());
  ASSERT_TRUE(db.ok());
  const fs::path bad = dir_ / "bad";
  fs::create_directories(bad);
  const fs::path from = small_runs().front();
  for (const char* f : {"host.csv", "samples.csv", "summary.csv"}) fs::copy_file(from / f, bad / f);
  std::string summary = *read_text_file(bad / "summary.csv");
  const auto first_row = summary.find('\n') + 1;
  summary += summary.substr(first_row, summary.find('\n', first_row) + 1 - first_row);
  std::ofstream(bad / "summary.csv", std::ios::trunc) << summary;
  auto added = (*db)->import_run(bad);
  ASSERT_FALSE(added.ok());
  EXPECT_TRUE((*db)->runs()->empty());
  EXPECT_EQ(count(**db, "samples"), 0);
  EXPECT_EQ(count(**db, "host_facts"), 0);
  EXPECT_TRUE((*db)->import_run(from).ok());  // and the good run still goes in
}

// Under scripts/with_postgresql (ctest's harness.history_postgresql) the server answers and the
// store's tests run on it; without it they run on SQLite alone. A setup that lost the server or
// the variable on the way fails here instead of running no test.
TEST(HistoryServer, TheStoreTestsRunWhereTheServerIs) {
  const char* url = std::getenv("PTBENCH_TEST_POSTGRESQL");
  if (url == nullptr) {
    EXPECT_EQ(backends(), std::vector<std::string>{"sqlite"});
    return;
  }
  auto db = open_sql(url);
  ASSERT_TRUE(db.ok()) << db.error();
  EXPECT_EQ(backends(), (std::vector<std::string>{"sqlite", "postgresql"}));
}

// A series of 12 runs of `bench` (profile ci) on one host, its median 30% higher from the 7th run
// (commit c07) on: one change point, with enough runs after it to be "new".
void plant_step(HistoryDb& db, const std::string& bench = "BM_Step") {
  auto& sql = db.sql();
  ASSERT_TRUE(sql.exec("INSERT INTO hosts(host_key, label) VALUES('k', 'test host')").ok());
  for (int i = 1; i <= 12; ++i) {
    const std::string run = fmt::format("run{:02}", i),
                      started = fmt::format("2026-01-{:02}T00:00:00Z", i);
    auto r = sql.query(
        "INSERT INTO runs(run_id, host, git_sha, profile, kernel, started_utc)"
        " VALUES($1, (SELECT id FROM hosts WHERE host_key = 'k'), $2, 'ci', '6.1.0', $3)"
        " RETURNING id",
        {run, fmt::format("c{:02}", i), started});
    ASSERT_TRUE(r.ok()) << r.error();
    const double median = (i >= 7 ? 130.0 : 100.0) + 0.1 * i;
    auto put = sql.query(
        "INSERT INTO summary(run, benchmark, metric, n, median, ci_low, ci_high, direction,"
        " is_primary, host, profile, started_utc) VALUES($1, $6, 'real_time', 5, $2, $3,"
        " $4, 'lower_is_better', 1, (SELECT id FROM hosts WHERE host_key = 'k'), 'ci', $5)",
        {r->at(0).at(0), median, median - 1, median + 1, started, bench});
    ASSERT_TRUE(put.ok()) << put.error();
  }
}

// What `confirm` keeps is shown by `changes`; without both builds it says which commits to build.
TEST_P(Store, AConfirmedChangeKeepsItsStatus) {
  const std::string db_target = target();
  auto db = HistoryDb::open(db_target);
  ASSERT_TRUE(db.ok()) << db.error();
  plant_step(**db);
  std::ostringstream out, err;
  ASSERT_EQ(history_command("changes", {}, db_target, {}, out, err), kExitOk) << err.str();
  EXPECT_NE(out.str().find("BM_Step real_time: +30.5% at c07"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find(", new"), std::string::npos) << out.str();
  std::ostringstream out2, err2;
  EXPECT_EQ(history_command("confirm", {"BM_Step", "run07"}, db_target, {}, out2, err2),
            kExitBadInput);
  EXPECT_NE(err2.str().find("--base (a build of c06) and --cand (a build of c07)"),
            std::string::npos)
      << err2.str();
  std::ostringstream out3, err3;
  EXPECT_EQ(history_command("confirm", {"BM_Step", "run05"}, db_target, {}, out3, err3),
            kExitBadInput);
  EXPECT_NE(err3.str().find("no change point at run run05"), std::string::npos) << err3.str();
  auto series = (*db)->series(6);
  ASSERT_TRUE(series.ok());
  ASSERT_EQ(series->size(), 1u);
  ASSERT_TRUE((*db)->set_status(series->front(), "run07", "rejected", "ab same").ok());
  ASSERT_TRUE((*db)->set_status(series->front(), "run07", "confirmed", "ab slower").ok());
  std::ostringstream out4, err4;
  HistoryArgs csv;
  csv.csv = true;
  ASSERT_EQ(history_command("changes", {}, db_target, csv, out4, err4), kExitOk);
  EXPECT_NE(out4.str().find(",unknown,confirmed\n"), std::string::npos) << out4.str();
  // The runs either side recorded their programs' fingerprint: the same one says so.
  for (const char* run : {"run06", "run07"}) {
    ASSERT_TRUE((*db)
                    ->sql()
                    .query("INSERT INTO host_facts(run, key, value) SELECT id, 'binary_hash', "
                           "'00ff' FROM runs WHERE run_id = $1",
                           {std::string(run)})
                    .ok());
  }
  std::ostringstream out5, err5;
  ASSERT_EQ(history_command("changes", {}, db_target, {}, out5, err5), kExitOk);
  EXPECT_NE(out5.str().find("the same benchmark programs ran either side"), std::string::npos)
      << out5.str();
  ASSERT_TRUE((*db)
                  ->sql()
                  .exec("UPDATE host_facts SET value = '0100' WHERE key = 'binary_hash' AND run = "
                        "(SELECT id FROM runs WHERE run_id = 'run07')")
                  .ok());
  EXPECT_EQ(
      (*db)->same_programs("run06", "run07").ok() ? *(*db)->same_programs("run06", "run07") : "",
      "changed");
  EXPECT_EQ(out4.str().find("rejected"), std::string::npos) << "one status per change point";
}

// End to end: ab between this build and itself, the candidate's BM_Calibrated made 30% slower
// (PTBENCH_CALIBRATED_NS), confirms a 30% rise; made 25% faster, it rejects it.
TEST_F(History, ConfirmRunsAbBetweenTheCommitsBuilds) {
  const std::string bench = "BM_Calibrated/spin_syscall/thread/unpinned/0";
  const std::string db_path = (dir_ / "h.sqlite").string();
  {
    auto db = HistoryDb::open(db_path);
    ASSERT_TRUE(db.ok()) << db.error();
    plant_step(**db, bench);
  }
  HistoryArgs opt;
  opt.base = opt.candidate = PTBENCH_TEST_BENCH_DIR;
  opt.validation_programs = {"calibrated_bench"};
  opt.budget_s = 120;
  opt.out_dir = dir_ / "ab";
  opt.cand_env = {"PTBENCH_CALIBRATED_NS=2600"};
  std::ostringstream out, err;
  ASSERT_EQ(history_command("confirm", {bench, "run07"}, db_path, opt, out, err), kExitOk)
      << err.str();
  EXPECT_NE(out.str().find("\nconfirmed: ab slower"), std::string::npos) << out.str();
  opt.cand_env = {"PTBENCH_CALIBRATED_NS=1500"};
  std::ostringstream out2, err2;
  ASSERT_EQ(history_command("confirm", {bench, "run07"}, db_path, opt, out2, err2), kExitOk)
      << err2.str();
  EXPECT_NE(out2.str().find("\nrejected: ab faster"), std::string::npos) << out2.str();
}

// html --last N draws each series' newest N runs.
TEST_F(History, TheDashboardDrawsTheNewestRuns) {
  const std::string db_path = (dir_ / "h.sqlite").string();
  {
    auto db = HistoryDb::open(db_path);
    ASSERT_TRUE(db.ok()) << db.error();
    plant_step(**db);
  }
  auto points = [&](std::size_t last) {
    HistoryArgs opt;
    opt.last = last;
    std::ostringstream out, err;
    EXPECT_EQ(history_command("html", {(dir_ / "site").string()}, db_path, opt, out, err), kExitOk)
        << err.str();
    const std::string page = *read_text_file(dir_ / "site" / "index.html");
    std::size_t n = 0;
    for (auto at = page.find("<circle class=\"point\""); at != std::string::npos;
         at = page.find("<circle class=\"point\"", at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(points(0), 12u);
  EXPECT_EQ(points(4), 4u);
}

// ab's verdict confirms a change only when it goes the way the series moved.
TEST(Confirm, OnlyAbsVerdictInTheSeriesDirectionConfirms) {
  EXPECT_EQ(confirm_status(true, false, "slower"), "confirmed");  // a time rose, ab: slower
  EXPECT_EQ(confirm_status(false, true, "slower"), "confirmed");  // a rate fell, ab: slower
  EXPECT_EQ(confirm_status(false, false, "faster"), "confirmed");
  EXPECT_EQ(confirm_status(true, false, "same"), "rejected");
  EXPECT_EQ(confirm_status(true, false, "faster"), "rejected");  // the other way
  EXPECT_EQ(confirm_status(true, true, "slower"), "rejected");   // a rate rose: not slower
  EXPECT_EQ(confirm_status(true, false, "undecided"), "");       // nothing kept
}

// A confirmed change that a later change took back is "fixed"; one that stayed is "confirmed".
TEST(Confirm, AChangeTakenBackIsFixed) {
  ChangePoint up{10, 100, 130, 0.3, 1e-4, false}, down{20, 130, 101, -0.22, 1e-4, false},
      partly{20, 130, 115, -0.12, 1e-4, false};
  const std::map<std::string, std::string> kept = {{"r10", "confirmed"}};
  const ChangeOptions o;
  EXPECT_EQ(change_status({{10, up}, {20, down}}, 0, kept, "r10", o), "fixed");
  EXPECT_EQ(change_status({{10, up}, {20, partly}}, 0, kept, "r10", o), "confirmed");
  EXPECT_EQ(change_status({{10, up}}, 0, kept, "r10", o), "confirmed");
  EXPECT_EQ(change_status({{10, up}, {20, down}}, 1, kept, "r20", o), "new");
}

TEST_F(History, AFileThatIsNotADatabaseIsAClearError) {
  std::ofstream(dir_ / "foreign.sqlite") << "these are the minutes of the meeting\n";
  auto db = HistoryDb::open(dir_ / "foreign.sqlite");
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().find("not a database"), std::string::npos) << db.error();
}

// A server that does not answer is the system's problem (exit 4), said within seconds.
TEST_F(History, AnUnreachableServerIsASystemError) {
  std::ostringstream out, err;
  const auto t0 = std::chrono::steady_clock::now();
  const int rc =
      history_command("list", {}, "postgresql://ptbench:secret@127.0.0.1:1/none", {}, out, err);
  EXPECT_EQ(rc, kExitSystem) << err.str();
  EXPECT_NE(err.str().find("cannot connect to postgresql://ptbench:***@127.0.0.1:1/none"),
            std::string::npos)
      << err.str();
  EXPECT_EQ(err.str().find("secret"), std::string::npos) << "the password is never printed";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
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

// The series breaks where the kernel changed or the floor moved to another mode, and nowhere else;
// a step at a break is no change point, the same step without the break is one.
TEST(SeriesBreaks, AKernelOrAFloorModeBreaksTheSeries) {
  std::vector<HistoryPoint> pts(20);
  for (std::size_t i = 0; i < pts.size(); ++i) {
    pts[i].kernel = "6.1.0";
    pts[i].floor_ns = 400 + 10.0 * static_cast<double>(i % 3);  // within one mode
    pts[i].median = (i >= 10 ? 130.0 : 100.0) + 0.01 * static_cast<double>(i);
  }
  for (const auto& why : series_breaks(pts)) EXPECT_EQ(why, "");
  ASSERT_EQ(series_changes(pts, ChangeOptions{}).size(), 1u);  // the step, found
  auto moved = pts;
  for (std::size_t i = 10; i < moved.size(); ++i) moved[i].floor_ns = 70;  // the fast mode
  const auto moved_breaks = series_breaks(moved);
  EXPECT_NE(moved_breaks[10].find("floor moved from 410 ns to 70 ns"), std::string::npos)
      << moved_breaks[10];
  EXPECT_EQ(moved_breaks[11], "");
  EXPECT_TRUE(series_changes(moved, ChangeOptions{}).empty());
  auto kernel = pts;
  for (std::size_t i = 10; i < kernel.size(); ++i) kernel[i].kernel = "6.18.44";
  EXPECT_EQ(series_breaks(kernel)[10], "the kernel changed: 6.1.0 to 6.18.44");
  EXPECT_TRUE(series_changes(kernel, ChangeOptions{}).empty());
  auto unknown = pts;
  unknown[10].floor_ns = NAN;  // a run without the floor: no break on it
  EXPECT_EQ(series_breaks(unknown)[10], "");
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
