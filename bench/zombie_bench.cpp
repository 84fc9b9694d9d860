// Question: does a child that has ended stay in the process table (a zombie, state Z) until its
// parent waits for it, after a normal exit as after an abnormal end (SIGKILL)? The state is read
// from /proc, not assumed: zombie_fraction is the share of children seen in state Z until the
// parent reaped them. Also timed: from the child's last instruction to the parent seeing it ended
// (reap_ns: the waitpid after).
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pthread.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/support/bench_support.hpp"
#include "bench/support/child.hpp"
#include "bench/support/ipc_support.hpp"
#include "bench/support/latency.hpp"
#include "ipc/peer.hpp"
#include "ipc/shared_object.hpp"

namespace ptbench::bench {
namespace {

using ipc::Placement;

// ---- Zombie ------------------------------------------------------------------------------------

// The state letter of /proc/<pid>/stat (R, S, Z, ...), or 0 when there is no such process.
char proc_state(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? 0 : text[paren + 2];
}

struct ExitStamp {
  std::atomic<std::int64_t> ns{0};
};

// The child's own end: a clean exit, or SIGKILL (an abnormal end).
void end_child(ExitStamp* stamp, bool killed) {
  stamp->ns.store(now_ns());
  if (killed) kill(getpid(), SIGKILL);
  _exit(0);
}

bool ended_as_asked(int status, bool killed) {
  return killed ? WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL
                : WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Timed (manual): from the child's last instruction to the parent seeing it exited (waitid with
// WNOWAIT, which leaves it a zombie). Read, not assumed: the share of children /proc shows in
// state Z until the parent reaps them (zombie_fraction; the first is read again 10 ms later).
// Checked: the child ended as asked, and /proc lists nothing after waitpid.
void BM_zombie(benchmark::State& state, bool killed) {
  ipc::SharedObject<ExitStamp> stamp;
  if (!stamp.create()) return state.SkipWithError("mmap failed");
  std::int64_t reap_ns = 0, zombies = 0;
  bool first = true;
  for (auto _ : state) {
    const pid_t pid = fork_child([&] { end_child(stamp.get(), killed); });
    if (pid < 0) return state.SkipWithError("fork failed");
    siginfo_t info{};
    while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    const std::int64_t seen = now_ns();
    const bool zombie = proc_state(pid) == 'Z';
    if (zombie && first) usleep(10'000);
    const bool still = !first || proc_state(pid) == 'Z';
    first = false;
    int status = 0;
    const std::int64_t r0 = now_ns();
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    reap_ns += now_ns() - r0;
    zombies += zombie && still;
    if (!ended_as_asked(status, killed)) return state.SkipWithError("the child ended another way");
    if (proc_state(pid) != 0) return state.SkipWithError("the child is still listed after waitpid");
    state.SetIterationTime(static_cast<double>(seen - stamp->ns.load()) / 1e9);
  }
  state.counters["reap_ns"] =
      benchmark::Counter(static_cast<double>(reap_ns), benchmark::Counter::kAvgIterations);
  state.counters["zombie_fraction"] =
      benchmark::Counter(static_cast<double>(zombies), benchmark::Counter::kAvgIterations);
}

}  // namespace

void register_benchmarks(Profile) {
  declare_primary("Zombie", "real_time", false);
  for (bool killed : {false, true}) {
    add_benchmark(
        grid_name("Zombie", killed ? "killed" : "exit", "process", Placement::kUnpinned, 0).c_str(),
        [killed](benchmark::State& s) { BM_zombie(s, killed); })
        ->UseManualTime();
  }
}

}  // namespace ptbench::bench
