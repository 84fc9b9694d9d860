// Question: does a process switch lose the cache contents that a thread switch keeps? Two tasks
// on one CPU hand a token back and forth over pipes, each touching a 1 MiB working set (one write
// per cache line) before it hands over: the same data (one shared mapping) for processes and
// threads, or private copies of it.
// Timed (real): a round trip of two hand-offs. Reported: ws_kib_per_task.
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

// ---- SharedData -------------------------------------------------------------------------------

// A working set touched once per hop: one write per cache line. Shared: one MAP_SHARED mapping
// both tasks touch (threads share it anyway; processes map it before fork). Private: each task
// its own copy, as processes that do not share memory hold the same data twice.
class Touched {
 public:
  explicit Touched(std::size_t bytes, bool shared) : bytes_(bytes) {
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                   (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    mem_ = p == MAP_FAILED ? nullptr : static_cast<unsigned char*>(p);
    if (mem_ != nullptr) std::memset(mem_, 1, bytes_);
  }
  ~Touched() {
    if (mem_ != nullptr) munmap(mem_, bytes_);
  }
  Touched(const Touched&) = delete;
  Touched& operator=(const Touched&) = delete;
  bool ok() const { return mem_ != nullptr; }
  void touch() {
    for (std::size_t i = 0; i < bytes_; i += 64) mem_[i] = static_cast<unsigned char>(mem_[i] + 1);
    benchmark::ClobberMemory();
  }

 private:
  std::size_t bytes_;
  unsigned char* mem_ = nullptr;
};

// The peer's side of the ping-pong: wait for the token, touch, answer; token 0 ends it.
void shared_data_peer(int in, int out, Touched* set, int cpu) {
  ipc::pin_current_thread(cpu);
  for (char t = 1;;) {
    if (read(in, &t, 1) != 1 || t == 0) return;
    set->touch();
    if (write(out, &t, 1) != 1) return;
  }
}

// Timed: a round trip of two hand-offs over pipes on one CPU, each task touching the working set
// before it hands over. Both tasks run on the CPU of the benchmark thread.
void BM_shared_data(benchmark::State& state, bool processes, bool shared, std::size_t kib) {
  const int cpu = ipc::allowed_cpus().front();
  ipc::ScopedPin pin(cpu);  // restored after: later benchmarks of this process get every CPU
  int to_peer[2], to_us[2];
  if (pipe2(to_peer, O_CLOEXEC) != 0) return state.SkipWithError("pipe2 failed");
  if (pipe2(to_us, O_CLOEXEC) != 0)
    return close(to_peer[0]), close(to_peer[1]), state.SkipWithError("pipe2 failed");
  Touched mine(kib * 1024, shared), other(shared ? 0 : kib * 1024, false);
  Touched* theirs = shared ? &mine : &other;
  std::thread peer_thread;
  pid_t child = -1;
  if (processes) {
    child = fork_child([&] { shared_data_peer(to_peer[0], to_us[1], theirs, cpu); });
  } else {
    peer_thread = std::thread(shared_data_peer, to_peer[0], to_us[1], theirs, cpu);
  }
  char t = 1;
  bool ok = mine.ok() && (shared || other.ok()) && (!processes || child > 0);
  for (auto _ : state) {
    if (!ok) break;
    mine.touch();
    ok = write(to_peer[1], &t, 1) == 1 && read(to_us[0], &t, 1) == 1;
  }
  t = 0;
  if (write(to_peer[1], &t, 1) != 1) ok = false;
  if (processes && child > 0) ok = reap_ok(child) && ok;
  if (!processes) peer_thread.join();
  for (int fd : {to_peer[0], to_peer[1], to_us[0], to_us[1]}) close(fd);
  if (!ok) state.SkipWithError("the ping-pong broke off");
  state.counters["ws_kib_per_task"] = static_cast<double>(kib);
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("SharedData", "real_time", false);
  // KiB of data shared, per profile.
  static const PerProfile<std::vector<std::size_t>> kKib = {
      .smoke = {16}, .quick = {1024}, .full = {1024}};
  for (std::size_t kib : kKib[profile]) {
    for (bool processes : {true, false}) {
      for (bool shared : {true, false}) {
        add_benchmark(
            grid_name("SharedData", "pipe", processes ? "process" : "thread", Placement::kSameCpu,
                      0, {{"data", shared ? "shared" : "private"}, {"ws_kib", std::to_string(kib)}})
                .c_str(),
            [processes, shared, kib](benchmark::State& s) {
              BM_shared_data(s, processes, shared, kib);
            })
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

}  // namespace ptbench::bench
