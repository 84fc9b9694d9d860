#include "ipc/watchdog.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

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

// The thread id of the watchdog thread (by its name), or -1.
pid_t watchdog_tid() {
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(e.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name == kWatchdogThreadName) return std::stoi(e.path().filename().string());
  }
  return -1;
}

TEST(Watchdog, RunsOnEveryAllowedCpuEvenWhenAPinnedThreadStartsIt) {
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  std::thread pinned([&] {
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &all)) {
        CPU_SET(c, &one);
        break;
      }
    }
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    DeadlineGuard guard(1000ms);  // starts the watchdog if nothing did yet
  });
  pinned.join();
  const pid_t tid = watchdog_tid();
  ASSERT_GT(tid, 0) << "no thread named " << kWatchdogThreadName;
  cpu_set_t mask;
  ASSERT_EQ(sched_getaffinity(tid, sizeof mask, &mask), 0);
  EXPECT_EQ(CPU_COUNT(&mask), CPU_COUNT(&all));
}

// The descriptors in a task's table, as /proc lists them.
std::vector<int> fds_of(pid_t tid) {
  std::vector<int> fds;
  const auto dir = "/proc/self/task/" + std::to_string(tid) + "/fd";
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    fds.push_back(std::stoi(e.path().filename().string()));
  }
  return fds;
}

// The measured threads keep their descriptor table to themselves (a shared table makes every read
// and write dearer), and the watchdog never holds a pipe end open: its table has stdin, stdout
// and stderr at most.
TEST(Watchdog, HoldsNoDescriptorOfTheProcessBeyondTheStandardThree) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  { DeadlineGuard guard(1000ms); }  // starts the watchdog if nothing did yet
  const pid_t tid = watchdog_tid();
  ASSERT_GT(tid, 0) << "no thread named " << kWatchdogThreadName;
  std::vector<int> held;
  for (int i = 0; i < 100; ++i) {  // it leaves the table as it starts: allow it a moment
    held = fds_of(tid);
    if (std::all_of(held.begin(), held.end(), [](int fd) { return fd <= 2; })) break;
    std::this_thread::sleep_for(20ms);
  }
  for (int fd : held) EXPECT_LE(fd, 2) << "the watchdog holds descriptor " << fd;
  EXPECT_GT(fds_of(gettid()).size(), held.size());  // the test's own table has the pipe
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace ptbench::ipc
