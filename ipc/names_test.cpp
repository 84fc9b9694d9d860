#include "ipc/names.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "ipc/channel.hpp"

namespace ptbench::ipc {
namespace {

namespace fs = std::filesystem;

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A pid that no process has: a child we have already reaped.
pid_t dead_pid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

TEST(Names, AreUniqueAndCarryThePrefixAndPid) {
  auto a = unique_name("ring"), b = unique_name("ring");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("ptbench." + std::to_string(getpid()) + ".", 0), 0u) << a;
}

TEST(Names, SigtermRemovesWhatTheProcessRegistered) {
#ifdef __SANITIZE_THREAD__
  // In the child of a multi-threaded process (the watchdog of an earlier test in this program)
  // ThreadSanitizer never runs the SIGTERM handler; the release and ASan builds run this test.
  const auto threads = std::distance(fs::directory_iterator("/proc/self/task"), {});
  if (threads > 1)
    GTEST_SKIP() << "ThreadSanitizer does not support fork with " << threads << " threads";
#endif
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  if (child == 0) {
    // A FIFO transport keeps its named directory until it is destroyed: SIGTERM comes first.
    std::unique_ptr<Transport> t;
    if (!make_transport(Mechanism::kFifo, {}, &t)) _exit(2);
    std::string dir;
    for (const auto& e : fs::directory_iterator(temp_dir())) {
      if (e.path().filename().string().rfind("ptbench." + std::to_string(getpid()) + ".", 0) == 0)
        dir = e.path().string();
    }
    (void)!write(fds[1], dir.c_str(), dir.size() + 1);
    alarm(10);  // a SIGTERM that does not end it: SIGALRM does, and the test fails, not hangs
    for (;;) pause();  // pause() returns after any handled signal
  }
  close(fds[1]);
  char buf[512] = {};
  ASSERT_GT(read(fds[0], buf, sizeof buf), 1);
  const std::string dir = buf;
  EXPECT_TRUE(fs::exists(dir)) << dir;
  kill(child, SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "wait status " << status;
  EXPECT_FALSE(fs::exists(dir)) << dir << " survived SIGTERM";
  close(fds[0]);
}

TEST(Names, CleanRemovesOnlyLeftoversOfDeadProcesses) {
  const std::string dead = "ptbench." + std::to_string(dead_pid()) + ".0.test";
  const std::string live = "ptbench." + std::to_string(getpid()) + ".999.test";
  for (const auto& n : {dead, live}) {
    int fd = shm_open(("/" + n).c_str(), O_CREAT | O_RDWR, 0600);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  char tmp[] = "/tmp/ptbench-names-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmp), nullptr);
  const std::string fifo_dir = std::string(tmp) + "/" + dead + ".fifo.abc";
  fs::create_directory(fifo_dir);
  mkfifo((fifo_dir + "/a2b").c_str(), 0600);

  auto dry = clean_leftovers(true, tmp);
  EXPECT_TRUE(contains(dry.removed, "/dev/shm/" + dead));
  EXPECT_TRUE(fs::exists("/dev/shm/" + dead)) << "a dry run removes nothing";

  auto report = clean_leftovers(false, tmp);
  EXPECT_TRUE(contains(report.removed, "/dev/shm/" + dead));
  EXPECT_TRUE(contains(report.kept, "/dev/shm/" + live));
  EXPECT_TRUE(contains(report.removed, fifo_dir));
  EXPECT_FALSE(fs::exists("/dev/shm/" + dead));
  EXPECT_FALSE(fs::exists(fifo_dir));
  EXPECT_TRUE(fs::exists("/dev/shm/" + live));
  shm_unlink(("/" + live).c_str());
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace ptbench::ipc
