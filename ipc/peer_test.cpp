#include "ipc/peer.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "ipc/status_testing.hpp"

namespace ptbench::ipc {
namespace {

using namespace std::chrono_literals;

class PeerTest : public testing::TestWithParam<Endpoint> {
 protected:
  void SetUp() override {
#ifdef __SANITIZE_THREAD__
    if (GetParam() == Endpoint::kProcess) GTEST_SKIP() << "no fork under TSan";
#endif
  }
};

TEST_P(PeerTest, ReturnsTheBodysStatus) {
  std::unique_ptr<Peer> peer;
  ASSERT_TRUE(IsOk(Peer::start(
      GetParam(), -1,
      [](auto& ready) {
        ready();
        return Status{Errc::kCorrupt, "checksum mismatch in message 7"};
      },
      &peer)));
  ASSERT_TRUE(IsOk(peer->wait_ready()));
  Status s = peer->join();
  EXPECT_EQ(s.code(), Errc::kCorrupt);
  EXPECT_NE(s.message().find("message 7"), std::string::npos) << s.message();
}

TEST_P(PeerTest, FailingBeforeReadyIsAnErrorNotAHang) {
  std::unique_ptr<Peer> peer;
  ASSERT_TRUE(IsOk(Peer::start(
      GetParam(), -1,
      [](auto&) {
        return Status{Errc::kSystem, "could not open its end"};
      },
      &peer)));
  Status s = peer->wait_ready(2s);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("could not open its end"), std::string::npos) << s.message();
}

TEST_P(PeerTest, RunsOnTheRequestedCpu) {
  const auto cpus = allowed_cpus();
  const int cpu = cpus.back();
  std::unique_ptr<Peer> peer;
  ASSERT_TRUE(IsOk(Peer::start(
      GetParam(), cpu,
      [cpu](auto& ready) {
        ready();
        return sched_getcpu() == cpu ? Status{} : Status{Errc::kSystem, "not on the pinned CPU"};
      },
      &peer)));
  ASSERT_TRUE(IsOk(peer->wait_ready()));
  EXPECT_TRUE(IsOk(peer->join()));
}

INSTANTIATE_TEST_SUITE_P(Both, PeerTest, testing::Values(Endpoint::kProcess, Endpoint::kThread),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST(PeerProcess, AStuckChildIsKilledAndReapedAtTheDeadline) {
#ifdef __SANITIZE_THREAD__
  GTEST_SKIP() << "no fork under TSan";
#endif
  std::unique_ptr<Peer> peer;
  ASSERT_TRUE(IsOk(Peer::start(
      Endpoint::kProcess, -1,
      [](auto& ready) {
        ready();
        pause();  // stuck forever
        return Status{};
      },
      &peer)));
  ASSERT_TRUE(IsOk(peer->wait_ready()));
  const pid_t pid = peer->pid();
  const auto t0 = std::chrono::steady_clock::now();
  Status s = peer->join(300ms);
  EXPECT_EQ(s.code(), Errc::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);  // already reaped: no zombie left
  EXPECT_EQ(errno, ECHILD);
}

// A plain forked child: its exit code, its signal, or the deadline, and never a zombie after.
TEST(ReapChild, SaysHowTheChildEndedAndLeavesNoZombie) {
#ifdef __SANITIZE_THREAD__
  GTEST_SKIP() << "no fork under TSan";
#endif
  auto child = [](auto body) {
    const pid_t pid = fork();
    if (pid == 0) {
      body();
      _exit(0);
    }
    return pid;
  };
  EXPECT_TRUE(IsOk(reap_child(child([] {}), "the child")));
  Status failed = reap_child(child([] { _exit(3); }), "the worker");
  EXPECT_EQ(failed.code(), Errc::kPeerClosed);
  EXPECT_EQ(failed.message(), "the worker failed (exit 3)");
  Status signalled = reap_child(child([] { raise(SIGKILL); }), "the worker");
  EXPECT_NE(signalled.message().find("killed by signal 9"), std::string::npos)
      << signalled.message();
  const pid_t stuck = child([] { pause(); });
  const auto t0 = std::chrono::steady_clock::now();
  Status late = reap_child(stuck, "the server process", 200ms);
  EXPECT_EQ(late.code(), Errc::kTimeout);
  EXPECT_EQ(late.message(), "the server process did not end within 200 ms and was killed");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(waitpid(stuck, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(PeerProcess, ACrashingChildIsReportedWithItsSignal) {
#ifdef __SANITIZE_THREAD__
  GTEST_SKIP() << "no fork under TSan";
#endif
  std::unique_ptr<Peer> peer;
  ASSERT_TRUE(IsOk(Peer::start(
      Endpoint::kProcess, -1,
      [](auto& ready) {
        ready();
        raise(SIGABRT);
        return Status{};
      },
      &peer)));
  ASSERT_TRUE(IsOk(peer->wait_ready()));
  Status s = peer->join();
  EXPECT_EQ(s.code(), Errc::kPeerClosed);
  EXPECT_NE(s.message().find("signal 6"), std::string::npos) << s.message();
}

TEST(ScopedPin, PinsAndRestores) {
  const auto cpus = allowed_cpus();
  {
    ScopedPin pin(cpus.front());
    EXPECT_EQ(pin.error(), "");
    EXPECT_EQ(allowed_cpus(), std::vector<int>{cpus.front()});
  }
  EXPECT_EQ(allowed_cpus(), cpus);
}

}  // namespace
}  // namespace ptbench::ipc
