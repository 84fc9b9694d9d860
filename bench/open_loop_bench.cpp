// Question: what response time does a transport give at a given request rate, and what does
// waiting for requests cost each side's CPU at that rate? A closed loop (send, wait, send) hides
// queueing: here requests go out on a fixed schedule whatever the responses do.
// Measured first: the rate the transport saturates at (16 requests kept in flight for a while).
// Then requests are sent at 10%, 50% or 90% of it, each stamped with its number; its response
// time is counted from when the schedule said it should go out (t0 + i / rate), not from when it
// went out, so a stall of the sender or the transport is charged to every request it delayed (no
// coordinated omission). The server echoes every request on the other CPU; the client, one thread
// on this CPU, sends on the schedule and between sends takes the responses that are in (a
// non-blocking receive: the transports that have one, pipe, unix stream and the ring), verifying
// each (number in order, checksum of every byte). The client spins while requests are out, so
// its CPU is the load generator's, not the transport's. Reported: p50 (the time column), p90, p99,
// p99.9 (with enough samples) and max of the response time; offered and achieved rates; the
// saturation rate; the CPUs the server and the client used per second (1.0 = a whole CPU);
// late_sends, requests that went out more than 20 us after their time (the generator's own limit; a
// late request still counts from its time).
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <vector>

#include "bench/support/grid.hpp"
#include "bench/support/ipc_support.hpp"
#include "bench/support/latency.hpp"
#include "bench/support/requests.hpp"
#include "ipc/cpu_relax.hpp"
#include "ipc/message.hpp"

namespace ptbench::bench {
namespace {

using ipc::Mechanism;
using ipc::WaitPolicy;

constexpr std::size_t kBytes = kRequestBytes;
constexpr int kWindow = 16;  // requests in flight while the saturation is measured
constexpr std::uint64_t kMaxInFlight = 256;

struct Durations {
  double saturation_s, open_s;
};

// Requests per second with kWindow in flight for `seconds`; *next is the next request number.
ipc::Status saturation(Client& c, double seconds, std::uint64_t* next, double* rate) {
  std::uint64_t sent = *next, received = *next;
  const std::int64_t t0 = now_ns(), until = t0 + static_cast<std::int64_t>(seconds * 1e9);
  while (sent < *next + kWindow) {
    if (auto s = c.send_request(sent++); !s) return s;
  }
  while (now_ns() < until) {
    if (auto s = c.receive(received++); !s) return s;
    if (auto s = c.send_request(sent++); !s) return s;
  }
  const double elapsed = static_cast<double>(now_ns() - t0) * 1e-9;
  *rate = static_cast<double>(received - *next) / elapsed;
  while (received < sent) {
    if (auto s = c.receive(received++); !s) return s;
  }
  *next = sent;
  return {};
}

struct OpenLoopResult {
  std::vector<std::int64_t> response_ns;
  double seconds = 0, client_cpu_s = 0;
  std::int64_t late = 0;
};

void sleep_until(std::int64_t t) {
  timespec ts{t / 1'000'000'000, t % 1'000'000'000};
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

// Sends `count` requests from `first` on the schedule t0 + k * period and takes their responses
// in the same thread without ever blocking: between sends it takes whatever has come back. It
// spins while requests are out (to time their responses to the nanosecond) and sleeps only when
// none is and the next is due in more than 100 us. No progress for the deadline is an error.
ipc::Status open_loop(Client& c, std::uint64_t first, std::uint64_t count, double period_ns,
                      OpenLoopResult* r) {
  const std::int64_t t0 = now_ns() + 100'000;
  auto due = [&](std::uint64_t k) {
    return t0 + static_cast<std::int64_t>(period_ns * static_cast<double>(k));
  };
  const std::int64_t cpu0 = thread_cpu_ns();
  const auto deadline = std::chrono::nanoseconds(ipc::kDefaultTimeout).count();
  std::uint64_t sent = 0, received = 0;
  std::int64_t progress = now_ns();
  r->response_ns.reserve(count);
  while (received < count) {
    const std::int64_t now = now_ns();
    bool got = false;
    // At most kMaxInFlight requests out, so a send never waits for room while responses wait
    // to be taken (the queues hold more); a request held back still counts from its time.
    if (sent < count && now >= due(sent) && sent - received < kMaxInFlight) {
      if (now - due(sent) > 20'000) ++r->late;
      if (auto s = c.send_request(first + sent++); !s) return s;
      got = true;
    } else if (auto s = c.try_receive(first + received, &got); !s) {
      return s;
    } else if (got) {
      r->response_ns.push_back(now_ns() - due(received++));
    } else if (sent == received && due(sent) - now > 100'000) {
      sleep_until(due(sent) - 50'000);
    } else {
      ipc::cpu_relax();
    }
    if (got) progress = now;
    if (now - progress > deadline) {
      return {ipc::Errc::kTimeout, "open loop: no response within the deadline"};
    }
  }
  r->seconds = static_cast<double>(now_ns() - t0) * 1e-9;
  r->client_cpu_s = static_cast<double>(thread_cpu_ns() - cpu0) * 1e-9;
  return {};
}

struct OpenLoopCase {
  IpcCase ipc;
  int load_pct;
  Durations time;
};

void report(benchmark::State& state, const OpenLoopCase& c, double sat, const OpenLoopResult& r,
            std::int64_t server_cpu_ns) {
  LatencyRecorder rec(state, r.response_ns.size());
  for (auto v : r.response_ns) rec.add(v, false);
  rec.report();
  state.SetIterationTime(state.counters["p50_ns"] * 1e-9);
  state.counters["saturation_per_s"] = sat;
  state.counters["offered_per_s"] = sat * c.load_pct / 100.0;
  state.counters["achieved_per_s"] = static_cast<double>(r.response_ns.size()) / r.seconds;
  state.counters["server_cpus"] = static_cast<double>(server_cpu_ns) * 1e-9 / r.seconds;
  state.counters["client_cpus"] = r.client_cpu_s / r.seconds;
  state.counters["late_sends"] = static_cast<double>(r.late);
}

void BM_open_loop(benchmark::State& state, OpenLoopCase c) {
  prctl(PR_SET_TIMERSLACK, 1);
  IpcSession session;
  if (auto s = open_session(c.ipc, kBytes + 8, serve, &session); !s) {
    return state.SkipWithError(s.message().c_str());
  }
  Client client(*session.channel);
  std::uint64_t next = 1;
  double sat = 0;
  OpenLoopResult r;
  unsigned char mark = 0;
  std::int64_t server_cpu = 0;
  ipc::Status status = saturation(client, c.time.saturation_s, &next, &sat);
  for (auto _ : state) {
    if (status) status = client.control(kMark, &mark, 1);
    const double rate = sat * c.load_pct / 100.0;
    const auto count = static_cast<std::uint64_t>(rate * c.time.open_s) + 1;
    if (status) status = open_loop(client, next, count, 1e9 / rate, &r);
  }
  if (status) status = client.control(kStop, &server_cpu, sizeof server_cpu);
  ipc::Status peer = session.peer->join();
  if (!status) return state.SkipWithError(status.message().c_str());
  if (!peer) return state.SkipWithError(peer.message().c_str());
  report(state, c, sat, r, server_cpu);
}

// What each profile measures. Quick and smoke run processes only (threads under
// ThreadSanitizer, which cannot follow a fork); quick asks the two ends of the load range and
// keeps its windows short (it has to stay within 90 s with every suite).
struct Budget {
  std::vector<Variant> variants;
  bool every_endpoint;
  std::vector<int> loads;  // percent of the saturation rate
  Durations durations;
};

const Budget& budget(Profile profile) {
  const auto two = pipe_and_ring();
  const auto five = pipe_and_ring({{Mechanism::kUnixStream, std::nullopt},
                                   {Mechanism::kShmRing, WaitPolicy::kFutex},
                                   {Mechanism::kShmRing, WaitPolicy::kSpin}});
  static const PerProfile<Budget> table = {
      .smoke = {two, false, {10, 50, 90}, {0.02, 0.05}},
      .quick = {two, false, {10, 90}, {0.05, 0.1}},
      .full = {five, true, {10, 50, 90}, {0.3, 1.0}},
  };
  return table[profile];
}

// One row per offered load for one transport, endpoint and placement.
void register_loads(const Budget& plan, const IpcCase& ipc_case) {
  for (int load : plan.loads) {
    OpenLoopCase c{ipc_case, load, plan.durations};
    std::vector<std::pair<std::string, std::string>> params = {{"load_pct", std::to_string(load)}};
    if (ipc_case.policy) {
      params.emplace_back("policy", std::string(ipc::to_string(*ipc_case.policy)));
    }
    const std::string name =
        grid_name("OpenLoop", ipc::to_string(ipc_case.mechanism), ipc::to_string(ipc_case.endpoint),
                  ipc_case.placement, kBytes, params);
    auto run = [c](benchmark::State& s) { BM_open_loop(s, c); };
    if (auto* b = register_or_skip(name, skip_reason(c.ipc), run))
      b->Iterations(1)->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("OpenLoop", "p99_ns", false);
  const Budget& plan = budget(profile);
  const std::vector<ipc::Endpoint> endpoints =
      plan.every_endpoint ? bench_endpoints() : std::vector{bench_endpoints().front()};
  for (auto [mechanism, policy] : plan.variants) {
    for (ipc::Endpoint e : endpoints) {
      for (ipc::Placement pl : ipc::offered_cross_placements())
        register_loads(plan, {mechanism, policy, e, pl, kBytes});
    }
  }
  benchmark::AddCustomContext(grid::kContextBaseline, "pipe");
}

}  // namespace ptbench::bench
