// `ptbench history`: every run kept in one database, SQLite (results/history.sqlite by default)
// or a PostgreSQL server that several runners share (--db postgresql://...), read back as series
// per host, profile, benchmark and metric, with change points found in them. A series is broken,
// never given a change point, where the kernel changes; a host is keyed by facts that survive a
// reboot (CPU model, CPU count, memory, kernel major.minor), not its name.
#pragma once

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness/host.hpp"
#include "harness/result.hpp"

namespace ptbench::harness {

// The database `ptbench run` records into unless --db or PTBENCH_DB says otherwise:
// results/history.sqlite beside results/runs. A postgresql:// URL names a server instead.
std::filesystem::path default_history_db();

// The key of a host: a hash of its CPU model, CPU count, memory (whole GiB) and kernel
// major.minor; and a label a person reads.
std::string host_key(const KeyValues& host);
std::string host_label(const KeyValues& host);

struct HistoryRun {
  std::string run_id, host_label, git_sha, profile, kernel, started_utc;
  std::size_t rows = 0;  // summary rows
};

struct HistoryHost {
  std::string key, label;
  std::size_t runs = 0;
  std::string first_utc, last_utc, kernels;  // kernels: the distinct ones, space-separated
};

struct HistoryPoint {
  std::string run_id, git_sha, kernel, started_utc;
  double median = 0, ci_low = 0, ci_high = 0;
  std::size_t n = 0;
  double floor_ns = NAN;  // the run's cache-line round trip, measured before it (NaN: unknown)
};

// A series breaks where the host is no longer the machine it was: a new kernel release, or a
// cache-line floor that moved by more than this factor from the median of the piece's last
// kFloorWindow floors (the same VM type has run in modes with floors 5-6x apart, 65 and 397 ns;
// within a mode the floor moved 420-514 ns). Breaks are never change points.
inline constexpr double kFloorBreak = 1.5;
inline constexpr std::size_t kFloorWindow = 5;
// For each point, why the series breaks before it ("" when it does not; always "" for the
// first), in one pass.
std::vector<std::string> series_breaks(const std::vector<HistoryPoint>& pts);

class SqlDb;

class HistoryDb {
 public:
  // Opens (creating its tables on first use) the SQLite file or PostgreSQL URL `target`. A file
  // that is not a database, or one written by a newer ptbench (a higher schema version), is an
  // error; `unreachable` is set when the error is the system's (a server that does not answer).
  static Result<std::unique_ptr<HistoryDb>> open(const std::filesystem::path& target,
                                                 bool* unreachable = nullptr);
  ~HistoryDb();
  HistoryDb(const HistoryDb&) = delete;
  HistoryDb& operator=(const HistoryDb&) = delete;

  // Imports a run directory (host.csv, samples.csv, summary.csv) in one transaction: true when
  // imported, false when the run was there already (importing twice changes nothing, also when
  // several writers import the same run at once).
  Result<bool> import_run(const std::filesystem::path& dir);
  Result<std::vector<HistoryRun>> runs();
  // Every host with its runs: a host key splits when a fact it is made of changes.
  Result<std::vector<HistoryHost>> hosts();
  // One series: the run medians of `benchmark`'s `metric` on one host key and profile, oldest
  // first (by start time, then by the order they were recorded in; empty host or profile: those
  // of the run recorded last).
  // `last` > 0: only the newest `last` points (still oldest first).
  Result<std::vector<HistoryPoint>> trend(const std::string& benchmark, const std::string& metric,
                                          std::string host = "", std::string profile = "",
                                          std::size_t last = 0);
  // Every series of primary metrics with at least `min_points` runs: (host, profile, benchmark,
  // metric).
  struct Series {
    std::string host, profile, benchmark, metric, direction;
  };
  Result<std::vector<Series>> series(std::size_t min_points);

  static constexpr int kSchemaVersion = 6;
  // The tables as schema 1 made them, in `db`'s types: a new database starts there and takes
  // every step up (tests build a database of version 1 with it).
  static std::string first_schema(const SqlDb& db);
  SqlDb& sql();  // the connection, for tests and tools that read the tables directly

  // What `history confirm` decided about the change point at `run_id` in series `s`: kept, and
  // shown by `history changes` from then on.
  Result<void> set_status(const Series& s, const std::string& run_id, const std::string& status,
                          const std::string& detail);
  Result<std::map<std::string, std::string>> statuses(const Series& s);  // run_id -> status
  // Whether two runs ran the same benchmark programs (host.csv's binary_hash): "same", "changed",
  // or "unknown" when a run did not record it. A change point between runs of the same programs
  // is the host's, not the code's (LNT ignores those).
  Result<std::string> same_programs(const std::string& run_a, const std::string& run_b);

 private:
  struct Impl;
  explicit HistoryDb(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Change points in a series of run medians, deterministically: binary segmentation, each split
// where a step fits the series best (least squares on the logs), kept when the runs before and
// after it differ (two-sided Mann-Whitney, p < alpha, at least `min_segment` runs each side) and
// their medians by at least `min_change`. A change with fewer than `confirm_runs` runs after it is
// "pending".
struct ChangeOptions {
  std::size_t min_segment = 3;
  double alpha = 0.003;
  double min_change = 0.05;
  std::size_t confirm_runs = 5;
};
struct ChangePoint {
  std::size_t index = 0;  // the first run after the change
  double before = 0, after = 0;
  double change = 0;  // after / before - 1
  double p = 1;
  bool pending = false;
};
std::vector<ChangePoint> change_points(const std::vector<double>& medians,
                                       const ChangeOptions& opt = {});

// The points of a series, split where the kernel changed (a break, never a change point), with
// each piece's change points: (index of the first run after the change, the change).
std::vector<std::pair<std::size_t, ChangePoint>> series_changes(
    const std::vector<HistoryPoint>& pts, const ChangeOptions& o);

// The status `history changes` shows for the k-th change point of a series: the one `confirm`
// kept (confirmed, rejected), "fixed" for a confirmed change that a later change took back (the
// series' last level within min_change of the level before it), else pending or new.
std::string change_status(const std::vector<std::pair<std::size_t, ChangePoint>>& changes,
                          std::size_t k, const std::map<std::string, std::string>& kept,
                          const std::string& run_id, const ChangeOptions& o);

// What an `ab` run between the commits either side of a change point says of it: "confirmed"
// when ab decides the same way the series moved (slower for a time that rose), "rejected" when
// ab decides same or the other way, "" when ab could not decide. `rose`: the series' median went
// up; `higher_is_better`: the metric's direction.
std::string confirm_status(bool rose, bool higher_is_better, const std::string& ab_decision);

// A series of `runs` run medians, each the median of 3 repetitions drawn (seeded, with
// replacement) from `reps`: the noise of real measurements. `step` multiplies the runs from `at`.
std::vector<double> resampled_series(const std::vector<double>& reps, std::size_t runs,
                                     std::size_t at, double step, unsigned seed);

// `ptbench history quality RUN_DIR`: the detector on series resampled from RUN_DIR's
// repetitions, with planted steps of 5, 10 and 20% and without (history_quality.cpp).
int history_quality(const std::vector<std::string>& args, bool csv, std::ostream& out,
                    std::ostream& err);

// The command's options: trend's metric (default real_time) and how many of the newest points
// it shows (0: all); CSV instead of a table.
struct HistoryArgs {
  std::string metric;
  std::size_t last = 0;
  bool csv = false;
  // confirm: the builds of the commits before and at the change (build directories, install
  // prefixes or ptbench binaries, as `ptbench ab` takes them), and the candidate's environment.
  std::string base, candidate;
  std::vector<std::string> cand_env;
  double budget_s = 600;
  std::vector<std::string> bench_programs, validation_programs;  // this build's programs
  std::filesystem::path out_dir;  // where ab writes (default: results/ab/<time>)
};

// `ptbench history confirm BENCHMARK RUN_ID --base B --cand C` (history_confirm.cpp).
int history_confirm(HistoryDb& db, const std::vector<std::string>& args, const HistoryArgs& opt,
                    std::ostream& out, std::ostream& err);

// The command: `ptbench history import DIR... | list | hosts | trend BENCHMARK [--metric M]
// [--last N] | changes | confirm BENCHMARK RUN_ID | html OUT_DIR | quality RUN_DIR`.
int history_command(const std::string& action, const std::vector<std::string>& args,
                    const std::filesystem::path& db, const HistoryArgs& opt, std::ostream& out,
                    std::ostream& err);

}  // namespace ptbench::harness
