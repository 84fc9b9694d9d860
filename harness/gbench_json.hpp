// Reads Google Benchmark's JSON output (--benchmark_out_format=json) into per-repetition rows.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/support/grid.hpp"
#include "harness/result.hpp"

namespace ptbench::harness {

// A benchmark name on ptbench's grid (the contract in bench/support/grid.hpp).
using GridName = grid::Name;
inline std::optional<GridName> parse_grid_name(std::string_view name) {
  return grid::parse(name);
}

// One repetition of one benchmark instance.
struct GbenchRun {
  std::string name;  // as Google Benchmark printed it, with its suffixes
  GridName grid;
  int repetition_index = 0;
  double iterations = 0;
  bool error = false;
  std::string error_message;
  double real_time_ns = 0, cpu_time_ns = 0;
  std::map<std::string, double> counters;  // user counters, already divided as flagged
};

struct GbenchFile {
  std::map<std::string, std::string> context;  // string-valued context entries
  std::vector<GbenchRun> runs;                 // iteration runs only; aggregates are recomputed
};

// Parses the JSON text. Malformed JSON, a missing "benchmarks" array, an unknown time unit or a
// benchmark name that is not on the grid give an error.
Result<GbenchFile> parse_gbench_json(std::string_view text);

}  // namespace ptbench::harness
