// The profiles a run can ask for. quick and full are the benchmark programs' own grids; ci is a
// short, stable subset of the quick grid (a few benchmarks of each suite, none that is bimodal
// by placement) plus the calibrated control, for regression gates (`ptbench ab`).
#pragma once

#include <string>
#include <vector>

namespace ptbench::harness {

// "quick", "full", "ci".
const std::vector<std::string>& profile_names();

// The profile the benchmark programs are started with: ci runs the quick grid.
std::string bench_profile(const std::string& profile);

// The grid names of the ci profile.
const std::vector<std::string>& ci_benchmarks();

// The programs a profile runs: the suites, and for ci the validation programs too.
std::vector<std::string> profile_programs(const std::string& profile,
                                          const std::vector<std::string>& suites,
                                          const std::vector<std::string>& validation);

// The one metric a gate decides a suite's benchmarks on: bytes_per_second for the throughput
// suite (its time per iteration is the same measurement), real_time for the others.
std::string primary_metric(const std::string& suite);

}  // namespace ptbench::harness
