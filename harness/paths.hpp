// Where ptbench finds its parts, relative to its own executable, so that the build tree and an
// installed copy (`cmake --install`) both work from any directory and nothing is baked in as an
// absolute path.
#pragma once

#include <filesystem>

namespace ptbench::harness {

// The directory of the running executable (/proc/self/exe).
std::filesystem::path self_dir();

// The benchmark programs: <self>/../libexec/ptbench when installed, <self>/../bench in the build
// tree (the first that exists; the installed one otherwise).
std::filesystem::path default_bench_dir();

// scripts/plot.py as installed (<self>/../share/ptbench/plot.py); the build copies it there too.
std::filesystem::path plot_script();

// Where a run writes when --out is not given: results/runs of the current directory.
std::filesystem::path default_runs_dir();

}  // namespace ptbench::harness
