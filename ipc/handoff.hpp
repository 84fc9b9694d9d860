// One direction of a hand-off between two tasks, threads or forked processes: signal() makes the
// next wait() return. The context-switch benchmarks pass a token back and forth with two of
// them. Every kind keeps its state in memory shared with a forked child (made before the fork)
// and uses the same operations for threads as for processes, so a thread/process comparison
// compares like with like. A wait that sees no signal within the timeout returns kTimeout.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

#include "ipc/status.hpp"
#include "ipc/watchdog.hpp"

namespace ptbench::ipc {

enum class HandoffKind {
  kPipe,       // a byte through a pipe
  kFutex,      // a word and FUTEX_WAIT / FUTEX_WAKE (the shared, not the private, operations)
  kEventfd,    // an eventfd counter
  kSemaphore,  // a process-shared POSIX semaphore
  kCondvar,    // Boost.Interprocess mutex + condition around a flag
  kYield,      // a flag polled with sched_yield (both tasks on one CPU only)
};

std::string_view to_string(HandoffKind k);
std::optional<HandoffKind> parse_handoff_kind(std::string_view s);

class Handoff {
 public:
  virtual ~Handoff() = default;
  virtual Status signal() = 0;
  virtual Status wait() = 0;
};

// Makes one; an error (a failed pipe2, eventfd, mmap or sem_init) instead of a half-made object.
Status make_handoff(HandoffKind kind, std::unique_ptr<Handoff>* out,
                    std::chrono::milliseconds timeout = kDefaultTimeout);

}  // namespace ptbench::ipc
