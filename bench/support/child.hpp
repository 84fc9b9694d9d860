// Helpers of the programs that fork plain children (the course notes' questions): a child that
// dies with its parent, and a reap with a deadline that says whether it ended well.
#pragma once

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "ipc/peer.hpp"

namespace ptbench::bench {

// A forked child that dies with us (PR_SET_PDEATHSIG) and never returns into the benchmark: it
// runs `body`, then _exit(0).
template <typename Body>
pid_t fork_child(Body&& body) {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(99);
  body();
  _exit(0);
}

// Reaps the child (killed after ipc's default deadline if it is still running); true when it
// exited with status 0.
inline bool reap_ok(pid_t pid) {
  return ipc::reap_child(pid, "the child").is_ok();
}

}  // namespace ptbench::bench
