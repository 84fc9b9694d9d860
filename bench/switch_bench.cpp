// Question: what does handing the CPU (or a wake-up) from one task to another cost, between
// processes and between threads, on one CPU and across two, and how does it grow with the
// working set each task must bring back into cache?
// Two tasks hand a token back and forth with one wake-up primitive; on one CPU every hand-off
// is a context switch, across two CPUs it is a wake-up of a sleeping task on the other core.
// Timed (manual, in batches with the clock outside them; per-round-trip percentiles from a
// second pass): touching the task's own working set, signalling the peer and waiting for its
// answer. Counted (getrusage of both tasks, over both passes): context switches per round trip,
// the divisor of "time per switch". Measured beside it in the same run: the same calls inside
// one task (no switch), from which the net switch cost is derived.
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/futex.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bench/support/grid.hpp"
#include "bench/support/ipc_support.hpp"
#include "bench/support/latency.hpp"
#include "bench/support/plant.hpp"
#include "ipc/handoff.hpp"
#include "ipc/shared_object.hpp"

namespace ptbench::bench {
namespace {

using ipc::Endpoint;
using ipc::Placement;
using ipc::Status;
using namespace std::chrono_literals;

// The task's own working set: one write per cache line, so it is in cache, dirty, and must come
// back after the other task has run.
class WorkingSet {
 public:
  explicit WorkingSet(std::size_t kib) : bytes_(kib * 1024), data_(bytes_, 1) {}
  void touch() {
    for (std::size_t i = 0; i < bytes_; i += 64)
      data_[i] = static_cast<unsigned char>(data_[i] + 1);
    benchmark::ClobberMemory();
  }

 private:
  std::size_t bytes_;
  std::vector<unsigned char> data_;
};

struct Switches {
  long voluntary = 0, involuntary = 0;
};
Switches thread_switches() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return {u.ru_nvcsw, u.ru_nivcsw};
}

// What the peer reports back through shared memory.
struct PeerCounts {
  std::atomic<int> stop{0};
  std::atomic<int> measuring{0};
  long rounds = 0, voluntary = 0, involuntary = 0;
};

struct SwitchCase {
  ipc::HandoffKind primitive;
  Endpoint endpoint;
  Placement placement;
  std::size_t ws_kib;
};

// The same calls inside one task, per round trip: two signals and two waits that never block,
// plus touching the working set twice (once per task in the real hand-off). At most `rounds`
// rounds or about 20 ms, whichever comes first.
Status own_cost_ns(const SwitchCase& c, int rounds, double* out) {
  std::unique_ptr<ipc::Handoff> a, b;
  if (auto s = ipc::make_handoff(c.primitive, &a); !s) return s;
  if (auto s = ipc::make_handoff(c.primitive, &b); !s) return s;
  WorkingSet mine(c.ws_kib), theirs(c.ws_kib);
  const auto t0 = now_ns();
  int i = 0;
  Status s;
  for (; s && i < rounds && (i < 10 || now_ns() - t0 < 20'000'000); ++i) {
    mine.touch();
    if (s = a->signal(); s) s = a->wait();
    theirs.touch();
    if (s) s = b->signal();
    if (s) s = b->wait();
  }
  *out = static_cast<double>(now_ns() - t0) / i;
  return s;
}

// The peer's side of a hand-off: wait, touch its working set, signal back, until told to stop.
// Its own switches over the measured rounds go back through `counts`.
Status serve_handoffs(ipc::Handoff& in, ipc::Handoff& out, PeerCounts* counts, std::size_t ws_kib,
                      const std::function<void()>& ready) {
  WorkingSet theirs(ws_kib);
  ready();
  Switches start{};
  bool measuring = false;
  for (;;) {
    if (auto st = in.wait(); !st) return st;
    if (counts->stop.load()) break;
    if (!measuring && counts->measuring.load()) {
      measuring = true;
      start = thread_switches();
    }
    theirs.touch();
    if (measuring) ++counts->rounds;
    if (auto st = out.signal(); !st) return st;
  }
  const auto end = thread_switches();
  counts->voluntary = end.voluntary - start.voluntary;
  counts->involuntary = end.involuntary - start.involuntary;
  return {};
}

// Switches per round trip, counted on each task over every measured round trip (both passes),
// and what each switch costs: gross, and net of the calls' own cost.
void report_switches(benchmark::State& state, const Switches& mine, std::int64_t ops,
                     const PeerCounts& peer, double rtt, double own) {
  const double rounds = static_cast<double>(std::max<std::int64_t>(1, ops));
  const double peer_rounds = static_cast<double>(std::max(1L, peer.rounds));
  const double voluntary = static_cast<double>(mine.voluntary) / rounds +
                           static_cast<double>(peer.voluntary) / peer_rounds;
  const double involuntary = static_cast<double>(mine.involuntary) / rounds +
                             static_cast<double>(peer.involuntary) / peer_rounds;
  const double switches = voluntary + involuntary;
  state.counters["vcsw_per_rt"] = voluntary;
  state.counters["ivcsw_per_rt"] = involuntary;
  state.counters["own_cost_ns"] = own;
  if (switches >= 0.5) state.counters["per_switch_ns"] = rtt / switches;
  // Net: what the switches add over the calls themselves; meaningful only when the round trip
  // clearly exceeds the calls' own cost and switches really happened.
  // A value not measured is absent (net_meaningful = 0 says why), never a 0 in the statistics.
  const bool meaningful = switches >= 0.5 && rtt > 1.1 * own;
  if (meaningful) state.counters["net_switch_ns"] = (rtt - own) / switches;
  state.counters["net_meaningful"] = meaningful ? 1 : 0;
}

// `plant`: nanoseconds PTBENCH_PLANT adds to each round trip (0 unless validating the gate).
void BM_handoff(benchmark::State& state, SwitchCase c, std::int64_t plant) {
  // Set-up: the calls' own cost, the two hand-offs, the counters shared with the peer.
  auto cpus = ipc::cpus_for(c.placement);
  ipc::ScopedPin pin(cpus.cpus.first);
  double own = 0;
  std::unique_ptr<ipc::Handoff> to_peer, to_us;
  ipc::SharedObject<PeerCounts> shared;
  Status s = own_cost_ns(c, 2000, &own);
  if (s) s = ipc::make_handoff(c.primitive, &to_peer);
  if (s) s = ipc::make_handoff(c.primitive, &to_us);
  if (s) s = shared.create();
  if (!s) return state.SkipWithError(s.message().c_str());
  PeerCounts* counts = shared.get();
  // The peer, on its CPU.
  std::unique_ptr<ipc::Peer> peer;
  s = ipc::Peer::start(
      c.endpoint, cpus.cpus.second,
      [&, counts, ws = c.ws_kib](const std::function<void()>& ready) {
        return serve_handoffs(*to_peer, *to_us, counts, ws, ready);
      },
      &peer);
  if (s) s = peer->wait_ready();
  if (!s) return state.SkipWithError(s.message().c_str());
  // Timed: our working set touched, a signal, and the wait for the answer.
  WorkingSet mine(c.ws_kib);
  auto round_trip = [&]() -> Status {
    plant_spin(plant);
    mine.touch();
    if (auto st = to_peer->signal(); !st) return st;
    return to_us->wait();
  };
  // Warm-up: 200 round trips or about 2 ms, whichever comes first.
  for (WarmUp w(200); s && w.more();) s = round_trip();
  counts->measuring.store(1);
  const auto start = thread_switches();
  std::int64_t ops = 0;
  double rtt = 0;  // the batch-timed mean round trip, the reported time
  if (s)
    s = measure_latency(
        state, [&] { return ++ops, round_trip(); }, 0, &rtt);
  const auto end = thread_switches();
  // The peer stopped and joined, then the counters.
  counts->stop.store(1);
  (void)to_peer->signal();
  Status joined = peer->join();
  if (!s || !joined) return state.SkipWithError((!s ? s : joined).message().c_str());
  report_switches(state, {end.voluntary - start.voluntary, end.involuntary - start.involuntary},
                  ops, *counts, rtt, own);
}

// The same calls inside one task: the mechanism's cost without any switch.
void BM_in_task(benchmark::State& state, SwitchCase c) {
  auto cpus = ipc::cpus_for(Placement::kSameCpu);
  ipc::ScopedPin pin(cpus.cpus.first);
  std::unique_ptr<ipc::Handoff> a, b;
  Status made = ipc::make_handoff(c.primitive, &a);
  if (made) made = ipc::make_handoff(c.primitive, &b);
  if (!made) return state.SkipWithError(made.message().c_str());
  WorkingSet mine(c.ws_kib), theirs(c.ws_kib);
  for (auto _ : state) {
    mine.touch();
    if (!a->signal() || !a->wait()) return state.SkipWithError("in-task hand-off failed");
    theirs.touch();
    if (!b->signal() || !b->wait()) return state.SkipWithError("in-task hand-off failed");
  }
}

// lmbench's lat_ctx: N tasks in a ring of pipes pass one token; timed per trip around the ring.
void BM_ring(benchmark::State& state, Endpoint e, Placement placement, int tasks) {
  auto cpus = ipc::cpus_for(placement);
  std::vector<std::unique_ptr<ipc::Handoff>> pipes(static_cast<std::size_t>(tasks));
  ipc::SharedObject<std::atomic<int>> shared_stop;
  Status s = shared_stop.create();
  for (int i = 0; i < tasks && s; ++i) s = ipc::make_handoff(ipc::HandoffKind::kPipe, &pipes[i]);
  if (!s) return state.SkipWithError(s.message().c_str());
  std::atomic<int>* stop = shared_stop.get();
  std::vector<std::unique_ptr<ipc::Peer>> peers;
  auto cpu_of = [&](int i) { return i % 2 == 0 ? cpus.cpus.first : cpus.cpus.second; };
  ipc::ScopedPin pin(cpu_of(0));
  for (int i = 1; i < tasks && s; ++i) {
    auto body = [&, i, stop](const std::function<void()>& ready) -> Status {
      ready();
      for (;;) {
        if (auto st = pipes[i - 1]->wait(); !st) return st;
        if (stop->load()) {
          (void)pipes[i]->signal();  // pass the stop along
          return {};
        }
        if (auto st = pipes[i]->signal(); !st) return st;
      }
    };
    std::unique_ptr<ipc::Peer> p;
    s = ipc::Peer::start(e, cpu_of(i), body, &p);
    if (s) s = p->wait_ready();
    peers.push_back(std::move(p));
  }
  auto lap = [&]() -> Status {
    if (auto st = pipes[0]->signal(); !st) return st;
    return pipes[tasks - 1]->wait();
  };
  for (WarmUp w(100); s && w.more();) s = lap();
  double mean = 0;  // the batch-timed mean trip around the ring
  if (s) s = measure_latency(state, lap, 0, &mean);
  stop->store(1);
  (void)pipes[0]->signal();
  (void)pipes[tasks - 1]->wait();
  for (auto& p : peers) {
    if (Status j = p ? p->join() : Status{}; s && !j) s = j;
  }
  state.counters["per_hop_ns"] = mean / tasks;
  if (!s) state.SkipWithError(s.message().c_str());
}

// What each profile measures.
struct Budget {
  std::vector<ipc::HandoffKind> primitives;
  std::vector<std::size_t> working_sets;  // KiB touched between hand-offs
  std::vector<Placement> placements;      // of the two-task hand-off
  std::vector<int> ring_sizes;
  std::vector<Placement> ring_placements;
  bool working_sets_of_every_primitive;  // false: the pipe's only
  bool working_sets_at_every_placement;  // false: on one CPU only (time: issue 14)
};

const Budget& budget(Profile profile) {
  using H = ipc::HandoffKind;
  const std::vector<H> all = {H::kPipe,      H::kFutex,   H::kEventfd,
                              H::kSemaphore, H::kCondvar, H::kYield};
  static const PerProfile<Budget> table = {
      .smoke =
          {all, {16}, with_cross({Placement::kSameCpu}), {4}, {Placement::kSameCpu}, true, true},
      .quick = {{H::kPipe, H::kFutex, H::kCondvar},
                {0, 256},
                with_cross({Placement::kSameCpu}),
                {2, 8},
                {Placement::kSameCpu},
                false,
                false},
      .full = {all,
               {0, 16, 256, 4096},
               with_cross({Placement::kSameCpu}, {Placement::kUnpinned}),
               {2, 4, 8, 16},
               with_cross({Placement::kSameCpu}, {Placement::kUnpinned}),
               true,
               true},
  };
  return table[profile];
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("Switch", "real_time", false);
  const Budget& b = budget(profile);
  for (ipc::HandoffKind p : b.primitives) {
    for (Endpoint e : bench_endpoints()) {
      for (std::size_t ws : b.working_sets) {
        if (!b.working_sets_of_every_primitive && ws != 0 && p != ipc::HandoffKind::kPipe) continue;
        const std::vector<std::pair<std::string, std::string>> one = {
            {"tasks", "1"}, {"ws_kib", std::to_string(ws)}};
        add_benchmark(
            grid_name("Switch", ipc::to_string(p), ipc::to_string(e), Placement::kSameCpu, 0, one)
                .c_str(),
            [c = SwitchCase{p, e, Placement::kSameCpu, ws}](benchmark::State& s) {
              BM_in_task(s, c);
            })
            ->UseRealTime();
        for (Placement pl : b.placements) {
          if (!b.working_sets_at_every_placement && ws != 0 && pl != Placement::kSameCpu) continue;
          const std::vector<std::pair<std::string, std::string>> two = {
              {"tasks", "2"}, {"ws_kib", std::to_string(ws)}};
          const std::string name =
              grid_name("Switch", ipc::to_string(p), ipc::to_string(e), pl, 0, two);
          if (auto err = ipc::cpus_for(pl).error; !err.empty()) {
            note_skipped(name, err);
            continue;
          }
          if (p == ipc::HandoffKind::kYield && pl != Placement::kSameCpu) {
            note_skipped(name, "sched_yield hands over the CPU only when both tasks share one CPU");
            continue;
          }
          add_benchmark(name, [c = SwitchCase{p, e, pl, ws}, plant = planted_ns(name)](
                                  benchmark::State& s) { BM_handoff(s, c, plant); })
              ->UseManualTime()
              ->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
  for (Endpoint e : bench_endpoints()) {
    for (Placement pl : b.ring_placements) {
      for (int n : b.ring_sizes) {
        const std::string name = grid_name("Switch", "pipe_ring", ipc::to_string(e), pl, 0,
                                           {{"tasks", std::to_string(n)}, {"ws_kib", "0"}});
        if (auto err = ipc::cpus_for(pl).error; !err.empty()) {
          note_skipped(name, err);
          continue;
        }
        add_benchmark(name, [e, pl, n](benchmark::State& s) { BM_ring(s, e, pl, n); })
            ->UseManualTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
  // Thread against process is the question: the ratio column compares with the pipe hand-off.
  benchmark::AddCustomContext(grid::kContextBaseline, "pipe");
}

}  // namespace ptbench::bench
