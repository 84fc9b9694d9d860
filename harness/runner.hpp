// `ptbench run`: lists the benchmark programs' benchmarks, filters them, runs every repetition
// in its own process in a random interleaved order, and writes the run directory.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "harness/exit_codes.hpp"

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
};

// A benchmark as one program lists it.
struct Listed {
  std::string program;  // file name, e.g. create_bench
  std::string suite;    // program without the _bench suffix, e.g. create
  std::string name;     // as Google Benchmark lists it (with its suffixes)
  std::string grid;     // the grid name
  std::string skipped;  // why it cannot run on this host ("" if it can); such a one is not run
};

// Lists the benchmarks of the programs for a profile. On failure returns nullopt and writes the
// reason to err.
std::optional<std::vector<Listed>> list_benchmarks(const RunOptions& opt, std::ostream& err);

// A regex that matches exactly `s`, for Google Benchmark's --benchmark_filter.
std::string exact_filter(const std::string& s);

int run_command(const RunOptions& opt, std::ostream& out, std::ostream& err);

}  // namespace ptbench::harness
