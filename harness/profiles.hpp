// The profiles a run can ask for. quick and full are the benchmark programs' own grids; ci is a
// short, stable subset of the quick grid (a few benchmarks of each suite, none that is bimodal
// by placement) plus the calibrated control, for regression gates (`ptbench ab`).
#pragma once

#include <string>

#include <vector>
#include "bench/support/grid.hpp"

namespace ptbench::harness {

// "quick", "full", "ci".
const std::vector<std::string>& profile_names();

// The profile the benchmark programs are started with: ci runs the quick grid.
std::string bench_profile(const std::string& profile);

// The grid names of the ci profile (the rows across CPUs at this host's reference level).
const std::vector<std::string>& ci_benchmarks();

// The programs a profile runs: the suites, and for ci the validation programs too.
std::vector<std::string> profile_programs(const std::string& profile,
                                          const std::vector<std::string>& suites,
                                          const std::vector<std::string>& validation);

// The primary metric of a row whose program declared none (runs and builds from before the
// declarations, grid::kListPrimaryFlag): bytes_per_second for the throughput suite, real_time for
// the others. Programs declare theirs now; this only reads old runs.
grid::Primary legacy_primary(const std::string& suite);

}  // namespace ptbench::harness
