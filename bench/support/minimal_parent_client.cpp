#include "bench/support/minimal_parent_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

extern char** environ;

namespace ptbench::bench {
namespace {

std::string errno_text(std::int64_t negative_errno) {
  return std::strerror(static_cast<int>(-negative_errno));
}

bool wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const pid_t r = waitpid(pid, nullptr, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) return true;
    if (std::chrono::steady_clock::now() > end) return false;
    usleep(1000);
  }
}

}  // namespace

std::string minimal_parent_path() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "ptbench_minimal_parent";
  std::string exe(buf, static_cast<std::size_t>(n));
  return exe.substr(0, exe.rfind('/') + 1) + "ptbench_minimal_parent";
}

ipc::Status MinimalParent::start(const std::string& mechanism, int parent_cpu, int child_cpu,
                                 std::size_t rss_mib, std::unique_ptr<MinimalParent>* out,
                                 std::int64_t plant_ns) {
  signal(SIGPIPE, SIG_IGN);  // a dead parent turns a write into EPIPE, not a killed benchmark
  int in[2], back[2];
  if (pipe2(in, O_CLOEXEC) != 0) return ipc::Status::from_errno("pipe2", errno);
  if (pipe2(back, O_CLOEXEC) != 0) {
    const int e = errno;
    close(in[0]);
    close(in[1]);
    return ipc::Status::from_errno("pipe2", e);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, back[1], STDOUT_FILENO);
  const std::string path = minimal_parent_path();
  std::string args[] = {path,
                        mechanism,
                        std::to_string(parent_cpu),
                        std::to_string(child_cpu),
                        std::to_string(rss_mib),
                        std::to_string(plant_ns)};
  char* argv[] = {args[0].data(), args[1].data(), args[2].data(), args[3].data(),
                  args[4].data(), args[5].data(), nullptr};
  pid_t pid = -1;
  const int e = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(back[1]);
  if (e != 0) {
    close(in[1]);
    close(back[0]);
    return ipc::Status::from_errno("posix_spawn " + path, e);
  }
  std::unique_ptr<MinimalParent> p(new MinimalParent(pid, in[1], back[0]));
  if (auto s = p->read_exact(&p->hello_, sizeof p->hello_, std::chrono::seconds(30)); !s) {
    return {s.code(), "minimal parent (" + mechanism + ") did not start: " + s.message()};
  }
  if (p->hello_.status != 0) {
    return {ipc::Errc::kSystem,
            "minimal parent (" + mechanism + ") could not set up: " + errno_text(p->hello_.status)};
  }
  *out = std::move(p);
  return {};
}

ipc::Status MinimalParent::read_exact(void* buf, std::size_t len,
                                      std::chrono::milliseconds timeout) {
  auto* p = static_cast<char*>(buf);
  std::size_t got = 0;
  while (got < len) {
    pollfd pfd{from_, POLLIN, 0};
    const int r = poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ipc::Status::from_errno("poll", errno);
    if (r == 0) return ipc::timed_out("minimal parent reply", timeout);
    const ssize_t n = read(from_, p + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ipc::Status::from_errno("read", errno);
    if (n == 0) return {ipc::Errc::kPeerClosed, "the minimal parent exited"};
    got += static_cast<std::size_t>(n);
  }
  return {};
}

ipc::Status MinimalParent::batch(std::uint32_t n, mp_reply* reply,
                                 std::chrono::milliseconds timeout) {
  if (write(to_, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) {
    return ipc::Status::from_errno("write to the minimal parent", errno);
  }
  if (auto s = read_exact(reply, sizeof *reply, timeout); !s) return s;
  if (reply->ns < 0) return {ipc::Errc::kSystem, "creation failed: " + errno_text(reply->ns)};
  return {};
}

MinimalParent::~MinimalParent() {
  close(to_);  // end of input: the parent exits
  if (!wait_exit(pid_, std::chrono::seconds(1))) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  close(from_);
}

}  // namespace ptbench::bench
