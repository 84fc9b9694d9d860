// `ptbench run`: lists the benchmark programs' benchmarks, filters them, runs every repetition
// in its own process in a random interleaved order, and writes the run directory.
#pragma once

#include <ctime>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/support/grid.hpp"
#include "harness/exit_codes.hpp"
#include "harness/gbench_json.hpp"
#include "harness/result.hpp"
#include "harness/results.hpp"

namespace ptbench::harness {

struct RunOptions {
  std::string profile = "quick";      // quick | full
  std::string filter;                 // ECMAScript regex on the grid name; empty: all
  std::filesystem::path out_dir;      // empty: results/runs/<stamp>_<host>_<sha>
  std::optional<int> repetitions;     // default: 3 quick, 11 full
  std::optional<double> min_time;     // seconds per repetition; default per profile
  std::filesystem::path bench_dir;    // where the programs are
  std::vector<std::string> programs;  // program names in bench_dir
  std::optional<unsigned> seed;       // the interleaving order; default: random, recorded
  double timeout_s = 600;             // a batch's deadline: this plus 15 s per benchmark in it
  std::filesystem::path history_db;   // the run history to record the run in; empty: none
};

// A benchmark as one program lists it.
struct Listed {
  std::string program;    // file name, e.g. create_bench
  std::string suite;      // program without the _bench suffix, e.g. create
  std::string name;       // as Google Benchmark lists it (with its suffixes)
  std::string grid;       // the grid name
  std::string skipped;    // why it cannot run on this host ("" if it can); such a one is not run
  grid::Primary primary;  // the metric it is judged on, as its program declared it
  bool primary_declared = false;  // false: the program declared none (a build from before the
                                  // declarations); `primary` is then legacy_primary(suite)
};

// `t` in UTC, formatted by strftime.
std::string utc_stamp(std::time_t t, const char* format);

// Lists the benchmarks of the programs for a profile, filtered by opt.filter.
Result<std::vector<Listed>> list_benchmarks(const RunOptions& opt);

// A regex that matches exactly `s`, for Google Benchmark's --benchmark_filter.
std::string exact_filter(const std::string& s);

int run_command(const RunOptions& opt, std::ostream& out, std::ostream& err);

// The parts of a run, each testable alone.

// One batch: one program's benchmarks for one repetition round, run in one process.
struct Job {
  std::string program;
  std::vector<const Listed*> benches;
  int repetition;
};

// Every runnable benchmark of `listed` (skipped ones left out), one job per program and round,
// rounds in order and the programs' order within a round shuffled by `seed`.
std::vector<Job> plan_rounds(const std::vector<Listed>& listed, int repetitions, unsigned seed);

// What Google Benchmark appends to the name of a benchmark with a fixed iteration count
// (BM_Server: "/iterations:1") and of one timed in manual or real time.
inline constexpr std::string_view kTimeSuffix = "(/iterations:[0-9]+)?(/(manual|real)_time)?";

// "^(a|b|...)<suffix>$": exactly one of the grid names (regex characters escaped), then `suffix`
// (a regex, e.g. Google Benchmark's time suffix).
std::string exactly_one_of(const std::vector<std::string>& names, std::string_view suffix = "");

// A --benchmark_filter that matches exactly these benchmarks, with or without a planned
// iteration count in their names.
std::string batch_filter(const std::vector<const Listed*>& benches);

// Iteration counts by grid name: what Google Benchmark's ramp settled on in a program's first
// round, handed to its later rounds so that each runs a row in one call (bench_support.hpp).
using IterationPlan = std::map<std::string, double>;
// Takes each row's count from a round's output, keeping any count already planned.
void learn_iterations(const GbenchFile& parsed, IterationPlan* plan);
// The plan file's text for `benches` ("<grid name>\t<count>" lines), empty when none is planned.
std::string iteration_plan_text(const std::vector<const Listed*>& benches,
                                const IterationPlan& plan);

// What a run has collected: samples, the context each suite declared, failures.
struct RunCollector {
  std::string run_id;
  std::vector<Sample> samples;
  std::map<std::string, FloorSpec> floors;           // suite -> its floor
  std::map<std::string, std::string> baselines;      // suite -> baseline mechanism
  std::map<std::string, std::string> library_build;  // program -> Google Benchmark's build
  std::vector<std::string> failures;                 // one line per failed repetition

  // Takes a batch's output for `benches` at repetition `rep`; returns those it did not deliver.
  std::vector<const Listed*> take(const GbenchFile& parsed,
                                  const std::vector<const Listed*>& benches, int rep);
  // Records a failed repetition (a sample with the reason, and a line in `failures`).
  void fail(const Listed& b, int rep, const std::string& why);

 private:
  void take_context(const GbenchFile& parsed, const Listed& any);
};

// The noise guard's warning when the cache-line floor moved by more than 20% over the run; none
// when it did not, or when either end is unknown.
std::optional<std::string> floor_moved(std::optional<double> before, std::optional<double> after);

// Runs the one benchmark `grid` (its grid name; Google Benchmark's time suffix may follow) of
// the program at `program` once, for at least `min_time` seconds, with its JSON and log at
// `stem`.json / `stem`.log.
Result<GbenchRun> run_one_benchmark(const std::filesystem::path& program,
                                    const std::string& profile, const std::string& grid,
                                    double min_time, const std::filesystem::path& stem);

// The first benchmark program of `opt` that is missing or not executable.
std::optional<std::filesystem::path> missing_program(const RunOptions& opt);

}  // namespace ptbench::harness
