#include "ipc/watchdog.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace ptbench::ipc {
namespace {

using namespace std::chrono_literals;

// Blocks in read() on a pipe nobody writes to, under a deadline; returns how long it took and
// whether the watchdog declared the call expired.
std::pair<std::chrono::milliseconds, bool> blocked_read(std::chrono::milliseconds timeout) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const auto t0 = std::chrono::steady_clock::now();
  bool expired = false;
  {
    DeadlineGuard guard(timeout);
    char c;
    for (;;) {
      ssize_t n = read(fds[0], &c, 1);
      EXPECT_EQ(n, -1);
      EXPECT_EQ(errno, EINTR);
      if (guard.expired()) {
        expired = true;
        break;
      }
    }
  }
  close(fds[0]);
  close(fds[1]);
  return {
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0),
      expired};
}

TEST(Watchdog, InterruptsABlockedCallAfterItsTimeout) {
  auto [took, expired] = blocked_read(300ms);
  EXPECT_TRUE(expired);
  EXPECT_GE(took, 300ms - kWatchdogTick);
  EXPECT_LT(took, 300ms + 4 * kWatchdogTick + 500ms);  // a tick or two late, on a loaded host
}

TEST(Watchdog, WorksAgainAndInEveryThread) {
  EXPECT_TRUE(blocked_read(100ms).second);
  std::thread t([] { EXPECT_TRUE(blocked_read(100ms).second); });
  std::thread u([] { EXPECT_TRUE(blocked_read(200ms).second); });
  t.join();
  u.join();
}

TEST(Watchdog, ACallThatCompletesIsNotExpired) {
  for (int i = 0; i < 1000; ++i) {
    DeadlineGuard guard(50ms);
    EXPECT_FALSE(guard.expired());
  }
  // A long computation made of many short guarded calls is never interrupted.
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < 300ms) {
    DeadlineGuard guard(50ms);
    EXPECT_FALSE(guard.expired());
  }
}

}  // namespace
}  // namespace ptbench::ipc
