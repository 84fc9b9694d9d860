#include "harness/subprocess.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/host.hpp"
#include "harness/test_support.hpp"

namespace ptbench::harness {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class Subprocess : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tmp_.path().empty()); }
  fs::path log() const { return dir_ / "out.log"; }
  testing::TempDir tmp_{"subprocess-test"};
  fs::path dir_ = tmp_.path();
};

TEST_F(Subprocess, CapturesOutputAndExitStatus) {
  auto r = run_process({"/bin/sh", "-c", "echo hello; echo oops >&2; exit 3"}, log(), 10s, nullptr);
  EXPECT_TRUE(r.started);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.describe(), "exited with status 3");
  EXPECT_EQ(read_text_file(log()).value_or(""), "hello\noops\n");
  EXPECT_TRUE(run_process({"/bin/true"}, log(), 10s, nullptr).ok());
}

TEST_F(Subprocess, TheChildGetsTheExtraEnvironmentAndKeepsTheRest) {
  setenv("PTBENCH_TEST_KEPT", "kept", 1);
  setenv("PTBENCH_TEST_REPLACED", "old", 1);
  auto r = run_process(
      {"/bin/sh", "-c", "echo $PTBENCH_TEST_KEPT $PTBENCH_TEST_REPLACED $PTBENCH_TEST_NEW"}, log(),
      10s, nullptr, {"PTBENCH_TEST_REPLACED=new", "PTBENCH_TEST_NEW=x=y"});
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(read_text_file(log()).value_or(""), "kept new x=y\n");
  unsetenv("PTBENCH_TEST_KEPT");
  unsetenv("PTBENCH_TEST_REPLACED");
}

TEST_F(Subprocess, ACrashIsReportedWithItsSignal) {
  auto r = run_process({"/bin/sh", "-c", "kill -SEGV $$"}, log(), 10s, nullptr);
  EXPECT_EQ(r.signal, SIGSEGV);
  EXPECT_NE(r.describe().find("signal 11"), std::string::npos) << r.describe();
}

TEST_F(Subprocess, AMissingProgramIsAnErrorNotAHang) {
  auto r = run_process({(dir_ / "no-such-program").string()}, log(), 10s, nullptr);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.exit_code, 127);
}

TEST_F(Subprocess, TheDeadlineKillsTheWholeProcessGroup) {
  const fs::path pidfile = dir_ / "grandchild.pid";
  const auto t0 = std::chrono::steady_clock::now();
  // The grandchild ignores SIGTERM: only the SIGKILL of the group stops it.
  auto r =
      run_process({"/bin/sh", "-c",
                   "sh -c 'trap \"\" TERM; sleep 60' & echo $! > " + pidfile.string() + "; wait"},
                  log(), 500ms, nullptr);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(took, 10s);
  std::ifstream in(pidfile);
  pid_t grandchild = 0;
  ASSERT_TRUE(in >> grandchild);
  // Give the kernel a moment to deliver the SIGKILL and init to reap the orphan.
  for (int i = 0; i < 100 && kill(grandchild, 0) == 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_NE(kill(grandchild, 0), 0) << "the grandchild outlived the deadline";
}

TEST_F(Subprocess, CancellationStopsTheChildQuickly) {
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    cancel = true;
    // The harness's signal handler would interrupt poll; here the poll's 1 s cap bounds it.
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_process({"/bin/sleep", "30"}, log(), 60s, &cancel);
  canceller.join();
  EXPECT_TRUE(r.cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

}  // namespace
}  // namespace ptbench::harness
