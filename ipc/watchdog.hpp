// Deadlines for blocking calls without a system call or a clock read on the fast path.
//
// A transport wraps each blocking call (read, futex wait, msgrcv, a spin loop, ...) in a
// DeadlineGuard. The guard only bumps a per-thread counter; a watchdog thread wakes every
// kTick, and when a thread's counter has stood still in a guarded call for longer than its
// timeout, it marks the call expired and interrupts it with a signal whose handler does nothing
// (installed without SA_RESTART), so the call returns EINTR and the transport reports kTimeout.
// A dead or stuck peer therefore becomes an error within the timeout, never a hang, while a call
// that completes costs two plain stores to a thread-owned cache line.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ptbench::ipc {

inline constexpr std::chrono::milliseconds kWatchdogTick{50};
inline constexpr std::chrono::milliseconds kWatchdogIdleSleep{800};
inline constexpr const char* kWatchdogThreadName = "ptbench-watch";
inline constexpr std::chrono::milliseconds kDefaultTimeout{5000};

struct WatchdogSlot;

class DeadlineGuard {
 public:
  // Arms the deadline for the calling thread; `timeout` is rounded up to whole ticks.
  explicit DeadlineGuard(std::chrono::milliseconds timeout);
  ~DeadlineGuard();
  DeadlineGuard(const DeadlineGuard&) = delete;
  DeadlineGuard& operator=(const DeadlineGuard&) = delete;

  // True once the watchdog has declared this call overdue. Spin loops poll it; blocking calls
  // check it after EINTR.
  bool expired() const;

 private:
  WatchdogSlot* slot_;
  std::uint64_t call_;
};

// The signal the watchdog interrupts blocked calls with (a real-time signal).
int watchdog_signal();

}  // namespace ptbench::ipc
