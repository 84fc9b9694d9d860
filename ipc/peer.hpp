// Starts the other end of a measurement in a forked process or in a thread, pinned to a CPU,
// and waits for its ready handshake (a byte on a pipe: no sleeps, no signals). A forked peer
// dies with its parent (PR_SET_PDEATHSIG); every wait has a deadline; every child is reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "ipc/channel.hpp"

namespace ptbench::ipc {

class Peer {
 public:
  // The peer's body: open its end, call ready() once set up, do the work, return its Status.
  using Body = std::function<Status(const std::function<void()>& ready)>;

  // Starts `body` in a child process or a thread pinned to `cpu` (< 0: unpinned). Returns at
  // once; wait_ready() waits for the handshake.
  static Status start(Endpoint endpoint, int cpu, Body body, std::unique_ptr<Peer>* out);

  // Waits until the body called ready(); an error if it failed first or the timeout passed.
  Status wait_ready(std::chrono::milliseconds timeout = kDefaultTimeout);

  // Waits for the body to finish (up to the timeout) and returns its Status; a process peer that
  // does not finish in time is killed and reaped.
  Status join(std::chrono::milliseconds timeout = kDefaultTimeout);

  // Joins (killing a process peer at once) if join() was not called.
  ~Peer();

  pid_t pid() const { return pid_; }

  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // The body's result, in memory shared with a forked child.
  struct Shared;

 private:
  Peer(Endpoint e, Shared* shared, int ready_fd)
      : endpoint_(e), shared_(shared), ready_fd_(ready_fd) {}
  Status result() const;

  Endpoint endpoint_;
  Shared* shared_;
  int ready_fd_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::thread thread_;
  bool joined_ = false;
};

// Waits up to `timeout` for the child `pid` to end, kills it after the deadline, and reaps it:
// an error unless it exited 0, naming it as `what` ("the server process"). Every forked child
// that is not a Peer is reaped through this, so none outlives a deadline or is left a zombie.
Status reap_child(pid_t pid, std::string_view what,
                  std::chrono::milliseconds timeout = kDefaultTimeout);

// Opens side A of `transport` here and side B in a peer (process or thread, pinned to
// `peer_cpu`) that runs `work` on its end; returns once both ends are open.
Status start_channel_peer(Transport& transport, Endpoint endpoint, int peer_cpu,
                          std::function<Status(Channel&)> work, std::unique_ptr<Peer>* peer,
                          std::unique_ptr<Channel>* mine);

// Pins the calling thread to `cpu` for the lifetime of the object and restores its affinity after.
class ScopedPin {
 public:
  explicit ScopedPin(int cpu);
  ~ScopedPin();
  const std::string& error() const { return error_; }
  ScopedPin(const ScopedPin&) = delete;
  ScopedPin& operator=(const ScopedPin&) = delete;

 private:
  bool restore_ = false;
  std::string error_;
  unsigned char saved_[128];  // a cpu_set_t
};

}  // namespace ptbench::ipc
