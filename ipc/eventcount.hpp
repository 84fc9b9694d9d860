// How the shared-memory transports wait: a policy (spin, yield, futex, or spin then futex) and an
// eventcount (an epoch word and a waiter count) in shared memory. A publisher issues FUTEX_WAKE
// only when someone sleeps, and a wake-up cannot be lost because the sleeper re-checks after
// announcing itself and FUTEX_WAIT refuses to sleep once the epoch has moved. A sleeper that
// finds its condition true when its deadline wakes it counts a lost wake-up (tests want zero).
#pragma once

#include <fmt/format.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>

#include "ipc/channel.hpp"
#include "ipc/cpu_relax.hpp"
#include "ipc/futex.hpp"
#include "ipc/watchdog.hpp"

namespace ptbench::ipc {

struct EventCount {
  std::atomic<std::uint32_t> epoch{0};
  std::atomic<std::uint32_t> waiters{0};
};

// spin_futex spins this long before it sleeps: about what sleeping and being woken costs (a
// futex hop between cores), so spinning never costs more than twice the best choice made in
// hindsight. Much shorter is worse than either pure policy: once one end sleeps, its wake-up
// outlasts the other end's spin, which then sleeps too, and every hop after pays a wake-up (the
// A/B that chose 20 us is in docs/findings/2026-11-25.md). On one CPU it spins not at all: the
// peer cannot run while we spin.
constexpr std::chrono::nanoseconds kSpinBeforeSleep = std::chrono::microseconds(20);
// Polls before a spinning wait arms its deadline and reads the clock: a few microseconds of
// pauses, far longer than a running peer on another CPU takes to answer.
constexpr std::uint32_t kQuietPolls = 256;

// Publisher side of the eventcount: after the data is published (release), wake only if a
// waiter has announced itself. Reading the count with an RMW (adding 0) orders it with the
// waiter's own RMW on the same word: either we see the waiter, or the waiter's increment reads
// from ours, synchronizes with it and then sees the published data. No lost wake-up, and no
// standalone fence (which ThreadSanitizer cannot check).
// `wake` sleepers are woken (all by default): one is enough where one event can serve only one
// of them (a freed slot, for producers that all want one), and waking all of them there is a
// thundering herd.
inline void notify(EventCount& ec, WaitPolicy policy, int wake = INT_MAX) {
  if (policy == WaitPolicy::kSpin || policy == WaitPolicy::kYield) return;
  if (ec.waiters.fetch_add(0, std::memory_order_acq_rel) != 0) {
    ec.epoch.fetch_add(1, std::memory_order_release);
    futex_wake(&ec.epoch, wake);
  }
}

// Waits until `ready()` holds, by `policy`: spinning (then, for spin_futex, sleeping once the
// spin budget is spent) or sleeping on `ec` at once; an error after `timeout` ("<what>: ...").
template <typename Ready>
Status wait(Ready ready, EventCount& ec, std::atomic<std::uint64_t>& lost, WaitPolicy policy,
            std::chrono::nanoseconds spin_budget, std::chrono::milliseconds timeout,
            const char* what) {
  if (ready()) return {};
  const bool spins =
      policy == WaitPolicy::kSpin || (policy == WaitPolicy::kSpinFutex && spin_budget.count() > 0);
  // The first polls arm neither the deadline nor the clock: a peer that answers within them
  // costs the wait nothing but the polls.
  for (std::uint32_t n = 0; spins && n < kQuietPolls; ++n) {
    cpu_relax();
    if (ready()) return {};
  }
  DeadlineGuard guard(timeout);
  auto overdue = [&] { return timed_out(what, timeout); };
  if (spins) {
    const auto start = std::chrono::steady_clock::now();
    for (std::uint32_t n = 1;; ++n) {
      cpu_relax();
      if (ready()) return {};
      if ((n & 15) != 0) continue;  // the clock costs about a pause; look at it now and then
      if (policy == WaitPolicy::kSpinFutex &&
          std::chrono::steady_clock::now() - start >= spin_budget) {
        break;
      }
      if ((n & 0xfff) == 0 && guard.expired()) return overdue();
    }
  }
  if (policy == WaitPolicy::kYield) {
    for (;;) {
      sched_yield();
      if (ready()) return {};
      if (guard.expired()) return overdue();
    }
  }
  for (;;) {
    const std::uint32_t epoch = ec.epoch.load(std::memory_order_acquire);
    ec.waiters.fetch_add(1, std::memory_order_acq_rel);
    if (ready()) {
      ec.waiters.fetch_sub(1, std::memory_order_relaxed);
      return {};
    }
    futex_wait(&ec.epoch, epoch);  // returns at once if the epoch moved since we read it
    ec.waiters.fetch_sub(1, std::memory_order_relaxed);
    if (ready()) return {};
    if (guard.expired()) {
      // The deadline woke us: if the condition holds now, a publisher failed to wake us.
      if (ready()) {
        lost.fetch_add(1);
        return {Errc::kSystem, fmt::format("{}: lost wake-up", what)};
      }
      return overdue();
    }
  }
}

// Refuses (kRefused, with the reason) spinning with both ends on one CPU.
inline Status spin_allowed(const ChannelOptions& o) {
  if (o.policy == WaitPolicy::kSpin && o.placement == Placement::kSameCpu) {
    return {Errc::kRefused,
            "spin with both ends on one CPU: the waiter would burn its time slice while the peer "
            "cannot run; use futex, spin_futex or yield"};
  }
  return {};
}

// How long spin_futex spins at `placement` before it sleeps.
inline std::chrono::nanoseconds spin_budget_for(Placement placement) {
  return placement == Placement::kSameCpu ? std::chrono::nanoseconds(0) : kSpinBeforeSleep;
}

}  // namespace ptbench::ipc
