// Runs a benchmark program as a child in its own process group, with its output in a file, a
// deadline, and cancellation (Ctrl-C): the whole group is stopped and reaped, never left behind.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace ptbench::harness {

struct ProcessResult {
  bool started = false;
  int exit_code = -1;  // valid when exited normally
  int signal = 0;      // the signal that killed it, or 0
  bool timed_out = false;
  bool cancelled = false;
  std::string error;  // why it could not be started or waited for

  bool ok() const { return started && !timed_out && !cancelled && signal == 0 && exit_code == 0; }
  // One line for a person: "exited with status 3", "killed by signal 11 (Segmentation fault)".
  std::string describe() const;
};

// Runs argv[0] (a path) with stdout and stderr appended to `output`. Waits without polling (a
// pidfd), so the harness itself does not disturb what it measures. `env` ("K=V" each) is added
// to the harness's environment, replacing a variable of the same name.
ProcessResult run_process(const std::vector<std::string>& argv, const std::filesystem::path& output,
                          std::chrono::milliseconds timeout, const std::atomic<bool>* cancel,
                          const std::vector<std::string>& env = {});

// The environment a child gets: the current one with `overrides` ("K=V") put in.
std::vector<std::string> child_environment(const std::vector<std::string>& overrides);

// SIGINT/SIGTERM set this flag (installed by install_interrupt_handlers) instead of killing the
// harness, so it can stop the child, keep what completed and exit cleanly.
extern std::atomic<bool> g_interrupted;
void install_interrupt_handlers();

}  // namespace ptbench::harness
