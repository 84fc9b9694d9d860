#include "ipc/peer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>

namespace ptbench::ipc {

struct Peer::Shared {
  std::atomic<int> done{0};
  int code = 0;  // an Errc
  char message[2048] = {};
};

namespace {

int wait_fd(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const int n = poll(&p, 1, static_cast<int>(std::max<long>(0, left.count())));
    if (n >= 0 || errno != EINTR) return n;
  }
}

// Waits for `pid` (on `pidfd` when there is one, else by polling) up to `timeout`, kills it
// after that, and reaps it into `status`; true when it had to be killed.
bool wait_or_kill(pid_t pid, int pidfd, std::chrono::milliseconds timeout, int* status) {
  bool killed = false;
  if (pidfd >= 0) {
    killed = wait_fd(pidfd, timeout) == 0;
  } else {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (waitpid(pid, status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        killed = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!killed) return false;  // reaped above
  }
  if (killed) kill(pid, SIGKILL);
  while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
  }
  return killed;
}

Status run_body(const Peer::Body& body, int cpu, int ready_fd) {
  if (auto err = pin_current_thread(cpu); !err.empty()) return {Errc::kSystem, err};
  bool signalled = false;
  auto ready = [&] {
    if (signalled) return;
    signalled = true;
    const char byte = 'r';
    while (write(ready_fd, &byte, 1) < 0 && errno == EINTR) {
    }
  };
  try {
    return body(ready);
  } catch (const std::exception& e) {
    return {Errc::kSystem, fmt::format("peer threw: {}", e.what())};
  } catch (...) {
    return {Errc::kSystem, "peer threw an unknown exception"};
  }
}

}  // namespace

namespace {
void store(Peer::Shared* shared, const Status& s) {
  shared->code = static_cast<int>(s.code());
  std::snprintf(shared->message, sizeof shared->message, "%s", s.message().c_str());
  shared->done.store(1, std::memory_order_release);
}
}  // namespace

Status Peer::start(Endpoint endpoint, int cpu, Body body, std::unique_ptr<Peer>* out) {
  void* mem =
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return Status::from_errno("mmap", errno);
  auto* shared = new (mem) Shared();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    const int err = errno;
    munmap(mem, sizeof(Shared));
    return Status::from_errno("pipe", err);
  }
  std::unique_ptr<Peer> peer(new Peer(endpoint, shared, fds[0]));
  if (endpoint == Endpoint::kThread) {
    const int write_end = fds[1];
    peer->thread_ = std::thread([body = std::move(body), cpu, write_end, shared] {
      store(shared, run_body(body, cpu, write_end));
      close(write_end);  // end of file for wait_ready/join
    });
    *out = std::move(peer);
    return {};
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(fds[1]);
    return Status::from_errno("fork", err);
  }
  if (pid == 0) {
    close(fds[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(3);  // the parent is already gone
    // The parent's SIGINT/SIGTERM handlers remove its named objects; the child has none of
    // its own to remove, so it just dies.
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    const Status s = run_body(body, cpu, fds[1]);
    store(shared, s);
    _exit(s ? 0 : 1);  // no atexit handlers, no flushing of the parent's stdio buffers
  }
  close(fds[1]);
  peer->pid_ = pid;
  peer->pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  *out = std::move(peer);
  return {};
}

Status Peer::result() const {
  if (shared_->done.load(std::memory_order_acquire) == 0) {
    return {Errc::kSystem, "the peer ended without a result"};
  }
  if (shared_->code == 0) return {};
  return {static_cast<Errc>(shared_->code), fmt::format("peer: {}", shared_->message)};
}

Status Peer::wait_ready(std::chrono::milliseconds timeout) {
  const int n = wait_fd(ready_fd_, timeout);
  if (n == 0) {
    return {Errc::kTimeout, fmt::format("the peer was not ready within {} ms", timeout.count())};
  }
  char byte;
  ssize_t r;
  while ((r = read(ready_fd_, &byte, 1)) < 0 && errno == EINTR) {
  }
  if (r == 1) return {};
  // End of file: the body returned (or the process died) before it was ready.
  Status s = join(timeout);
  return s ? Status{Errc::kSystem, "the peer finished before it was ready"} : s;
}

Status Peer::join(std::chrono::milliseconds timeout) {
  if (joined_) return result();
  joined_ = true;
  if (endpoint_ == Endpoint::kThread) {
    // The body's own blocking calls have deadlines, so a thread that overruns still ends soon.
    bool late = false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (shared_->done.load(std::memory_order_acquire) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        late = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    thread_.join();
    if (late) {
      return {Errc::kTimeout,
              fmt::format("the peer thread did not finish within {} ms", timeout.count())};
    }
    return result();
  }
  int status = 0;
  if (wait_or_kill(pid_, pidfd_, timeout, &status)) {
    return {Errc::kTimeout,
            fmt::format("the peer process did not finish within {} ms and was killed",
                        timeout.count())};
  }
  if (WIFSIGNALED(status)) {
    return {Errc::kPeerClosed, fmt::format("the peer process was killed by signal {} ({})",
                                           WTERMSIG(status), strsignal(WTERMSIG(status)))};
  }
  return result();
}

Peer::~Peer() {
  if (!joined_) {
    if (endpoint_ == Endpoint::kProcess && pid_ > 0) {
      kill(pid_, SIGKILL);
      int status;
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    } else if (thread_.joinable()) {
      thread_.join();
    }
  }
  if (pidfd_ >= 0) close(pidfd_);
  close(ready_fd_);
  shared_->~Shared();
  munmap(shared_, sizeof(Shared));
}

Status reap_child(pid_t pid, std::string_view what, std::chrono::milliseconds timeout) {
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  int status = 0;
  const bool killed = wait_or_kill(pid, pidfd, timeout, &status);
  if (pidfd >= 0) close(pidfd);
  if (killed) {
    return {Errc::kTimeout,
            fmt::format("{} did not end within {} ms and was killed", what, timeout.count())};
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFSIGNALED(status)) {
    return {Errc::kPeerClosed, fmt::format("{} was killed by signal {} ({})", what,
                                           WTERMSIG(status), strsignal(WTERMSIG(status)))};
  }
  return {Errc::kPeerClosed, fmt::format("{} failed (exit {})", what, WEXITSTATUS(status))};
}

Status start_channel_peer(Transport& transport, Endpoint endpoint, int peer_cpu,
                          std::function<Status(Channel&)> work, std::unique_ptr<Peer>* peer,
                          std::unique_ptr<Channel>* mine) {
  const bool process = endpoint == Endpoint::kProcess;
  auto body = [&transport, process, work = std::move(work)](const std::function<void()>& ready) {
    if (process) transport.drop(Side::kA);
    std::unique_ptr<Channel> end;
    if (auto s = transport.open(Side::kB, &end); !s) return s;
    ready();
    return work(*end);
  };
  if (auto s = Peer::start(endpoint, peer_cpu, std::move(body), peer); !s) return s;
  if (process) transport.drop(Side::kB);
  // Our end first: some transports (FIFO, TCP) complete their open only when both sides try.
  if (auto s = transport.open(Side::kA, mine); !s) {
    Status theirs = (*peer)->join(std::chrono::milliseconds(500));
    return theirs ? s : Status{s.code(), s.message() + "; " + theirs.message()};
  }
  return (*peer)->wait_ready();
}

ScopedPin::ScopedPin(int cpu) {
  if (cpu < 0) return;
  auto* set = reinterpret_cast<cpu_set_t*>(saved_);
  static_assert(sizeof(saved_) >= sizeof(cpu_set_t));
  restore_ = sched_getaffinity(0, sizeof(cpu_set_t), set) == 0;
  error_ = pin_current_thread(cpu);
}

ScopedPin::~ScopedPin() {
  if (restore_) sched_setaffinity(0, sizeof(cpu_set_t), reinterpret_cast<cpu_set_t*>(saved_));
}

}  // namespace ptbench::ipc
