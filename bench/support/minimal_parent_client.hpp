// The client side of ptbench_minimal_parent: starts it (found beside the running benchmark
// program), asks it for batches of creations and reads back each batch's time and counters.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "bench/minimal_parent.h"
#include "ipc/status.hpp"

namespace ptbench::bench {

class MinimalParent {
 public:
  // Starts the minimal parent for `mechanism` pinned to `parent_cpu` with children on
  // `child_cpu` (-1: unpinned) and `rss_mib` MiB of resident ballast; returns once it has set up
  // and created one warm-up task. `plant_ns`: spun inside each timed creation (PTBENCH_PLANT).
  static ipc::Status start(const std::string& mechanism, int parent_cpu, int child_cpu,
                           std::size_t rss_mib, std::unique_ptr<MinimalParent>* out,
                           std::int64_t plant_ns = 0);

  // Creates `n` tasks there; a stuck or dead parent is an error after `timeout`.
  ipc::Status batch(std::uint32_t n, mp_reply* reply,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

  const mp_hello& hello() const { return hello_; }

  // Ends the parent (end of input), reaps it, and kills it if it does not exit within a second.
  ~MinimalParent();
  MinimalParent(const MinimalParent&) = delete;
  MinimalParent& operator=(const MinimalParent&) = delete;

 private:
  MinimalParent(pid_t pid, int to, int from) : pid_(pid), to_(to), from_(from) {}
  ipc::Status read_exact(void* buf, std::size_t len, std::chrono::milliseconds timeout);

  pid_t pid_;
  int to_;
  int from_;
  mp_hello hello_{};
};

// The path of ptbench_minimal_parent: beside this program's executable.
std::string minimal_parent_path();

}  // namespace ptbench::bench
