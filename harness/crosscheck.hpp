// `ptbench crosscheck`: each headline number beside a minimal standalone probe that measures the
// same thing and shares no code with the suite (measurement rule 11), run interleaved on the same
// CPUs, with the suite/probe ratio per pair; plus `perf bench sched pipe` where perf is installed.
#pragma once

#include <chrono>
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
};

struct CrosscheckOptions {
  std::filesystem::path bench_dir;  // the benchmark programs and the probes
  int rounds = 5;                   // interleaved rounds: suite, probe, probe, suite, ...
  double min_time = 0.2;            // the suite benchmark's --benchmark_min_time
  double tolerance = 0.15;          // |suite/probe - 1| within this is agreement
  std::filesystem::path work_dir;   // scratch; empty: a temporary directory
};

// The pairs for this host: the two CPUs come from the allowed set; with one CPU the cross-cpu
// pairs are left out. perf's pair is added when `perf` is on PATH.
std::vector<CrosscheckPair> crosscheck_pairs(const std::filesystem::path& bench_dir,
                                             const std::vector<int>& cpus, bool with_perf);

// The number a probe printed: the last line of its output that parses as a number. perf bench
// sched pipe's "usecs/op" line is read as ns. nullopt when there is none.
std::optional<double> parse_probe_output(const std::string& text);

struct CrosscheckRow {
  CrosscheckPair pair;
  std::vector<double> suite, probe;  // one value per round
  std::string error;                 // why the pair could not be measured
  double suite_median = 0, probe_median = 0;
  double ratio = 0;  // the median over rounds of suite/probe, each round's pair back to back
  bool agrees = false;
};

// Fills the medians, the paired ratio and the verdict of a measured row.
void finish_row(CrosscheckRow& row, double tolerance);

// Runs the pairs (interleaved per round), prints a table and writes crosscheck.csv to the work
// directory. Exit 0 when every pair agrees, 1 when some pair is outside the tolerance or failed,
// 2 on bad input.
int crosscheck_command(const CrosscheckOptions& opt, std::ostream& out, std::ostream& err);

}  // namespace ptbench::harness
