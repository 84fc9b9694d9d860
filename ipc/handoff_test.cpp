#include "ipc/handoff.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "ipc/status_testing.hpp"

namespace ptbench::ipc {
namespace {

using namespace std::chrono_literals;

class HandoffTest : public ::testing::TestWithParam<HandoffKind> {};

TEST_P(HandoffTest, ASignalBeforeTheWaitIsNotLost) {
  std::unique_ptr<Handoff> h;
  ASSERT_TRUE(IsOk(make_handoff(GetParam(), &h)));
  ASSERT_TRUE(IsOk(h->signal()));
  EXPECT_TRUE(IsOk(h->wait()));
}

TEST_P(HandoffTest, TwoThreadsPassATokenBackAndForth) {
  std::unique_ptr<Handoff> ping, pong;
  ASSERT_TRUE(IsOk(make_handoff(GetParam(), &ping)));
  ASSERT_TRUE(IsOk(make_handoff(GetParam(), &pong)));
  constexpr int kRounds = 200;
  Status peer;
  std::thread t([&] {
    for (int i = 0; i < kRounds && peer; ++i) {
      peer = ping->wait();
      if (peer) peer = pong->signal();
    }
  });
  Status mine;
  for (int i = 0; i < kRounds && mine; ++i) {
    mine = ping->signal();
    if (mine) mine = pong->wait();
  }
  t.join();
  EXPECT_TRUE(IsOk(mine));
  EXPECT_TRUE(IsOk(peer));
}

TEST_P(HandoffTest, AForkedChildWakesItsParent) {
#ifdef __SANITIZE_THREAD__
  GTEST_SKIP() << "ThreadSanitizer cannot follow a fork of a multi-threaded process";
#else
  std::unique_ptr<Handoff> h;
  ASSERT_TRUE(IsOk(make_handoff(GetParam(), &h)));
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(h->signal() ? 0 : 1);
  EXPECT_TRUE(IsOk(h->wait()));
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#endif
}

TEST_P(HandoffTest, AWaitWithoutASignalTimesOut) {
  std::unique_ptr<Handoff> h;
  ASSERT_TRUE(IsOk(make_handoff(GetParam(), &h, 200ms)));
  const Status s = h->wait();
  EXPECT_EQ(s.code(), Errc::kTimeout) << s.message();
}

INSTANTIATE_TEST_SUITE_P(All, HandoffTest,
                         ::testing::Values(HandoffKind::kPipe, HandoffKind::kFutex,
                                           HandoffKind::kEventfd, HandoffKind::kSemaphore,
                                           HandoffKind::kCondvar, HandoffKind::kYield),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST(HandoffKind, NamesRoundTrip) {
  for (auto k : {HandoffKind::kPipe, HandoffKind::kFutex, HandoffKind::kEventfd,
                 HandoffKind::kSemaphore, HandoffKind::kCondvar, HandoffKind::kYield}) {
    EXPECT_EQ(parse_handoff_kind(to_string(k)), k);
  }
  EXPECT_FALSE(parse_handoff_kind("smoke_signal").has_value());
}

}  // namespace
}  // namespace ptbench::ipc
