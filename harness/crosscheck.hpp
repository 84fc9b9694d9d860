// `ptbench crosscheck`: each headline number beside a minimal standalone probe that measures the
// same thing and shares no code with the suite (measurement rule 11), run interleaved on the same
// CPUs, with the suite/probe ratio per pair; plus `perf bench sched pipe` where perf is installed.
#pragma once

#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace ptbench::harness {

// One pair: a suite benchmark and the independent command that measures the same thing.
struct CrosscheckPair {
  std::string label;                   // what is measured, for a person
  std::string program;                 // the benchmark program, e.g. floor_bench
  std::string benchmark;               // the grid name
  std::string metric;                  // real_time (ns), bytes_per_second or items_per_second
  std::vector<std::string> reference;  // the probe's argv; argv[0] is a path
  std::string reference_name;          // e.g. "cacheline_probe"
  // A counter added to the metric, or "": "verify_ns" where the probe checks every message
  // inside its clock and the suite takes its own check's cost off its real time, so that both
  // time the same work.
  std::string plus_counter = {};
  // Put into the reference's environment ("K=V" each): LD_PRELOAD of the suite server's shared
  // libraries, where the suite's server is that much larger than the minimal one.
  std::vector<std::string> env = {};
  // What is compared, as the CSV names it: "real_time", or "real_time+verify_ns".
  std::string measured() const {
    return plus_counter.empty() ? metric : metric + "+" + plus_counter;
  }
};

struct CrosscheckOptions {
  std::filesystem::path bench_dir;  // the benchmark programs and the probes
  int rounds = 8;  // interleaved rounds: suite, probe, probe, suite, ... (6 give a 95% interval)
  double min_time = 0.2;           // the suite benchmark's --benchmark_min_time
  double tolerance = 0.15;         // the band around 1 the ratio's interval must lie in
  std::filesystem::path work_dir;  // each measurement's output and the CSV files; empty: a
                                   // directory under results/runs
};

// agrees: the interval of suite/probe lies inside 1 +- tolerance; disagrees: it lies wholly
// outside; undecided: it reaches across the band's edge (or too few rounds give none).
enum class Agreement { kAgrees, kDisagrees, kUndecided, kFailed };
const char* agreement_name(Agreement a);

// The pairs for `cpus`: the first for the one-CPU pairs, the first two for the pairs across
// CPUs, which read the suite's rows of the placement `level` (the level those two CPUs share);
// with one CPU the pairs across CPUs are left out. perf's pair is added when `with_perf`.
// `server_libraries`: the shared libraries of the suite's server (server_libraries()), loaded
// into the forking probe so that each fork copies and each exit unmaps a server of the same size;
// none: the probe alone.
std::vector<CrosscheckPair> crosscheck_pairs(const std::filesystem::path& bench_dir,
                                             const std::vector<int>& cpus, bool with_perf,
                                             const std::string& level,
                                             const std::vector<std::string>& server_libraries);

// The shared libraries in `ldd` output beside the C library, the loader and the vDSO (those the
// minimal server loads too).
std::vector<std::string> parse_ldd_libraries(const std::string& ldd_output);
// The CPUs the suite uses at `level` on this host (ipc::cpus_for): both ends for a level it
// offers, else the one CPU of same-cpu; empty when there is none.
std::vector<int> crosscheck_cpus(const std::string& level);

// The number a probe printed: the last line of its output that parses as a number. perf bench
// sched pipe's "usecs/op" line is read as ns. nullopt when there is none.
std::optional<double> parse_probe_output(const std::string& text);

struct CrosscheckRow {
  CrosscheckPair pair;
  std::vector<double> suite, probe;  // one value per round
  std::string error;                 // why the pair could not be measured
  double suite_median = 0, probe_median = 0;
  double ratio = 0;  // the median over rounds of suite/probe, each round's pair back to back
  double ci_low = NAN, ci_high = NAN;  // a distribution-free 95% interval of that median
  Agreement verdict = Agreement::kFailed;
};

// Fills the medians, the paired ratio, its interval and the verdict of a measured row.
void finish_row(CrosscheckRow& row, double tolerance);

// One row per pair: the medians, the ratio, its interval and the verdict (crosscheck.csv; the
// per-round values go to crosscheck_rounds.csv).
void write_crosscheck_csv(std::ostream& out, const std::vector<CrosscheckRow>& rows);

// Runs the pairs (interleaved per round), prints a table and writes crosscheck.csv and
// crosscheck_rounds.csv to the work directory (kept). Exit 0 when every pair agrees, 1 when some
// pair disagrees, is undecided or failed, 2 on bad input.
int crosscheck_command(const CrosscheckOptions& opt, std::ostream& out, std::ostream& err);

}  // namespace ptbench::harness
