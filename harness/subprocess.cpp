#include "harness/subprocess.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ptbench::harness {

std::atomic<bool> g_interrupted{false};

namespace {

void on_interrupt(int) {
  g_interrupted.store(true);
}

int pidfd_open(pid_t pid) {
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

// Stops the child's whole process group: SIGTERM (so it can remove its named objects), then
// SIGKILL if it has not exited within `grace`.
void stop_group(pid_t pid, int pidfd, std::chrono::milliseconds grace) {
  kill(-pid, SIGTERM);
  pollfd p{pidfd, POLLIN, 0};
  if (pidfd < 0 || poll(&p, 1, static_cast<int>(grace.count())) <= 0) kill(-pid, SIGKILL);
}

}  // namespace

std::string ProcessResult::describe() const {
  if (!started) return fmt::format("could not start: {}", error);
  if (cancelled) return "stopped by Ctrl-C / SIGTERM";
  if (timed_out) return "did not finish before its deadline and was killed";
  if (signal != 0) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
  return fmt::format("exited with status {}", exit_code);
}

namespace {

// In the child: its own process group, dies with the harness, output to `out`, then exec.
[[noreturn]] void exec_child(std::vector<char*>& args, std::vector<char*>& envp, int out,
                             pid_t parent) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(126);  // the harness died before we got here
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  dup2(out, STDOUT_FILENO);
  dup2(out, STDERR_FILENO);
  execve(args[0], args.data(), envp.data());
  dprintf(STDERR_FILENO, "exec %s: %s\n", args[0], std::strerror(errno));
  _exit(127);
}

// Waits until `pid` exits, the deadline passes or `cancel` is set; stops the group in the
// latter two cases and says which in `r`.
void wait_for(pid_t pid, int pidfd, std::chrono::steady_clock::time_point deadline,
              const std::atomic<bool>* cancel, ProcessResult* r) {
  for (;;) {
    if (cancel != nullptr && cancel->load()) {
      r->cancelled = true;
      stop_group(pid, pidfd, std::chrono::seconds(3));
      return;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r->timed_out = true;
      stop_group(pid, pidfd, std::chrono::seconds(3));
      return;
    }
    if (pidfd >= 0) {
      // A signal (Ctrl-C) interrupts poll with EINTR and we look at the flag again.
      pollfd p{pidfd, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000))) > 0) return;
    } else {
      // No pidfd (old kernel): fall back to checking ten times a second.
      siginfo_t info{};
      if (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) {
        return;
      }
      usleep(100'000);
    }
  }
}

}  // namespace

std::vector<std::string> child_environment(const std::vector<std::string>& overrides) {
  std::vector<std::string> out;
  auto key = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const bool replaced = std::any_of(overrides.begin(), overrides.end(),
                                      [&](const std::string& o) { return key(o) == key(kv); });
    if (!replaced) out.push_back(kv);
  }
  out.insert(out.end(), overrides.begin(), overrides.end());
  return out;
}

ProcessResult run_process(const std::vector<std::string>& argv, const std::filesystem::path& output,
                          std::chrono::milliseconds timeout, const std::atomic<bool>* cancel,
                          const std::vector<std::string>& env) {
  ProcessResult r;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto environment = child_environment(env);  // built before fork: the child only execs
  std::vector<char*> envp;
  for (const auto& kv : environment) envp.push_back(const_cast<char*>(kv.c_str()));
  envp.push_back(nullptr);
  const int out = open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) {
    r.error = fmt::format("cannot open {}: {}", output.string(), std::strerror(errno));
    return r;
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    r.error = fmt::format("fork: {}", std::strerror(errno));
    close(out);
    return r;
  }
  if (pid == 0) exec_child(args, envp, out, parent);
  close(out);
  setpgid(pid, pid);  // also here, so the group exists before we might signal it
  r.started = true;
  const int pidfd = pidfd_open(pid);
  wait_for(pid, pidfd, std::chrono::steady_clock::now() + timeout, cancel, &r);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  kill(-pid, SIGKILL);  // anything the program forked and left in its group
  if (pidfd >= 0) close(pidfd);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status) && !r.cancelled && !r.timed_out) r.signal = WTERMSIG(status);
  return r;
}

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking poll returns EINTR and sees the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace ptbench::harness
