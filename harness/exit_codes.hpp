// The exit codes of every ptbench command, so that a CI job can tell a user error from a failed
// benchmark and from a broken environment. The README's table is generated from nothing: keep the
// two in step (runner_test and main's --help text name them too).
#pragma once

namespace ptbench::harness {

inline constexpr int kExitOk = 0;
// compare: a regression; crosscheck: a pair outside the tolerance.
inline constexpr int kExitRegression = 1;
// The user's input: an unknown flag or value, a filter that matches nothing, a missing or
// malformed run directory or CSV, an output directory that cannot be used.
inline constexpr int kExitBadInput = 2;
// Some benchmark repetitions failed or crashed; what completed is written.
inline constexpr int kExitBenchmarkFailed = 3;
// The environment: a benchmark program missing or not executable, a file that cannot be written
// after the run started, a temporary file that cannot be made.
inline constexpr int kExitSystem = 4;
// Ctrl-C or SIGTERM: the running benchmark was stopped and what completed is written.
inline constexpr int kExitInterrupted = 130;

}  // namespace ptbench::harness
