#include "ipc/watchdog.hpp"

#include <linux/close_range.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace ptbench::ipc {

// A slot per thread, on cache lines of its own: two threads arming their guards must not bounce
// one line between their CPUs (128 bytes: the adjacent-line prefetcher moves pairs).
struct alignas(128) WatchdogSlot {
  std::atomic<bool> used{false};
  std::atomic<std::uint64_t> calls{0};  // odd while inside a guarded call
  std::atomic<std::uint32_t> timeout_ticks{0};
  std::atomic<std::uint64_t> expired_call{0};  // the odd `calls` value the watchdog expired
  // Atomic: the watchdog may read the previous owner's id while a new thread claims the slot.
  std::atomic<pthread_t> thread{};
  // The watchdog's own view, touched only by the watchdog thread.
  std::uint64_t last_seen = 0;
  std::uint32_t still_ticks = 0;
};

namespace {

constexpr int kSlots = 256;
WatchdogSlot g_slots[kSlots];
std::atomic<pid_t> g_watchdog_pid{0};  // the process whose watchdog thread runs
pthread_mutex_t g_start_lock = PTHREAD_MUTEX_INITIALIZER;

// Bumped in a forked child, so a thread can tell its slot belongs to the parent without asking
// the kernel: getpid() is a system call, and a guard must not cost one.
std::atomic<std::uint64_t> g_fork_generation{1};

struct ThreadSlot {
  WatchdogSlot* slot = nullptr;
  std::uint64_t generation = 0;
  ~ThreadSlot() {
    if (slot != nullptr && generation == g_fork_generation.load(std::memory_order_relaxed)) {
      slot->calls.store(0);
      slot->used.store(false, std::memory_order_release);
    }
  }
};
thread_local ThreadSlot t_slot;

void on_watchdog_signal(int) {}

// The CPUs the process may use, read before any thread pins itself: the watchdog runs on all of
// them instead of inheriting the mask of whichever measured thread started it.
cpu_set_t g_process_cpus;
[[maybe_unused]] const int g_process_cpus_read =
    sched_getaffinity(0, sizeof g_process_cpus, &g_process_cpus);

// Scans the slots once; true if some thread is inside a guarded call.
bool scan_slots() {
  bool active = false;
  for (auto& s : g_slots) {
    if (!s.used.load(std::memory_order_acquire)) continue;
    const std::uint64_t calls = s.calls.load(std::memory_order_acquire);
    active = active || (calls & 1) != 0;
    if ((calls & 1) == 0 || calls != s.last_seen) {
      s.last_seen = calls;
      s.still_ticks = 0;
      continue;
    }
    if (++s.still_ticks < s.timeout_ticks.load(std::memory_order_relaxed)) continue;
    const pthread_t owner = s.thread.load(std::memory_order_acquire);
    if (s.expired_call.load() != calls) {
      s.expired_call.store(calls, std::memory_order_release);
      pthread_kill(owner, watchdog_signal());
    } else if (s.still_ticks % 4 == 0) {
      pthread_kill(owner, watchdog_signal());  // the call was between checks: again
    }
  }
  return active;
}

// The watchdog reads and writes no file, so it leaves the process's table to the measured threads:
// close_range(3.., CLOSE_RANGE_UNSHARE) gives it a table of its own that holds only stdin, stdout
// and stderr (a sanitizer reports on stderr from any thread), in one step, so it never holds a
// pipe end or socket open. While two threads share a table, each read and write takes and drops a
// reference on its file (the kernel skips that only for an unshared table): a pipe round trip
// between two processes on one CPU cost about 5% more with a watchdog thread that shared it. On a
// kernel without the call (before 5.9) it fails and the table stays shared.
void leave_the_fd_table() {
  close_range(3, ~0U, CLOSE_RANGE_UNSHARE);
}

// Wakes every kWatchdogTick while a guarded call is under way; while none is, it sleeps longer
// and longer (up to kWatchdogIdleSleep), so an idle process is not woken 20 times a second. A
// deadline is then noticed at most kWatchdogIdleSleep late.
void* watchdog_main(void*) {
  leave_the_fd_table();
  auto sleep = kWatchdogTick;
  for (;;) {
    const timespec ts{0, std::chrono::nanoseconds(sleep).count()};
    nanosleep(&ts, nullptr);
    sleep = scan_slots() ? kWatchdogTick : std::min(sleep * 2, kWatchdogIdleSleep);
  }
  return nullptr;
}

void ensure_watchdog() {
  const pid_t me = getpid();
  if (g_watchdog_pid.load(std::memory_order_acquire) == me) return;
  pthread_mutex_lock(&g_start_lock);
  if (g_watchdog_pid.load() != me) {
    struct sigaction sa {};
    sa.sa_handler = on_watchdog_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the blocked call must return EINTR
    sigaction(watchdog_signal(), &sa, nullptr);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    if (g_process_cpus_read == 0) {
      pthread_attr_setaffinity_np(&attr, sizeof g_process_cpus, &g_process_cpus);
    }
    // The watchdog must not receive the signal it sends, nor the process's SIGINT/SIGTERM.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pthread_t t;
    const int rc = pthread_create(&t, &attr, watchdog_main, nullptr);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    pthread_attr_destroy(&attr);
    if (rc == 0) pthread_setname_np(t, kWatchdogThreadName);
    if (rc != 0) {
      std::fprintf(stderr, "ptbench: cannot start the deadline watchdog thread\n");
      std::abort();
    }
    g_watchdog_pid.store(me, std::memory_order_release);
  }
  pthread_mutex_unlock(&g_start_lock);
}

// A fork copies the slots but not the watchdog thread nor the other threads: start afresh.
void after_fork_in_child() {
  g_fork_generation.fetch_add(1);
  for (auto& s : g_slots) {
    s.used.store(false);
    s.calls.store(0);
    s.expired_call.store(0);
    s.last_seen = 0;
    s.still_ticks = 0;
  }
  g_start_lock = PTHREAD_MUTEX_INITIALIZER;
}

[[maybe_unused]] const int g_atfork = pthread_atfork(nullptr, nullptr, after_fork_in_child);

WatchdogSlot* my_slot() {
  const std::uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
  if (t_slot.slot != nullptr && t_slot.generation == generation) return t_slot.slot;
  ensure_watchdog();
  for (auto& s : g_slots) {
    bool expected = false;
    if (s.used.load() || !s.used.compare_exchange_strong(expected, true)) continue;
    s.thread.store(pthread_self(), std::memory_order_release);
    s.calls.store(0);
    s.expired_call.store(0);
    t_slot.slot = &s;  // fields, not a temporary ThreadSlot: its destructor would free the slot
    t_slot.generation = generation;
    return &s;
  }
  std::fprintf(stderr, "ptbench: more than %d threads use IPC deadlines\n", kSlots);
  std::abort();
}

}  // namespace

int watchdog_signal() {
  return SIGRTMIN + 5;
}

// Only the owning thread writes `calls`, so a load and a store do (no locked instruction).
DeadlineGuard::DeadlineGuard(std::chrono::milliseconds timeout) : slot_(my_slot()) {
  const auto ticks = (timeout + kWatchdogTick - std::chrono::milliseconds(1)) / kWatchdogTick;
  slot_->timeout_ticks.store(static_cast<std::uint32_t>(ticks < 1 ? 1 : ticks),
                             std::memory_order_relaxed);
  call_ = slot_->calls.load(std::memory_order_relaxed) + 1;  // odd: inside
  slot_->calls.store(call_, std::memory_order_release);
}

DeadlineGuard::~DeadlineGuard() {
  slot_->calls.store(call_ + 1, std::memory_order_release);
}

bool DeadlineGuard::expired() const {
  return slot_->expired_call.load(std::memory_order_relaxed) == call_;
}

}  // namespace ptbench::ipc
