// Question: how long does a message take to go to the other end and back, per transport,
// between processes and between threads, on one CPU and across two?
// Timed: from before send() until the echo has been received, per round trip (manual time, one
// clock read per round trip). Left out: starting the peer, 200 warm-up round trips (at most ~2 ms),
// and checking the echo (sequence number and checksum over every byte), which happens after the
// clock read.
#include <vector>

#include "bench/support/ipc_support.hpp"
#include "bench/support/latency.hpp"
#include "ipc/message.hpp"

namespace ptbench::bench {
namespace {

ipc::Status echo_until_stop(ipc::Channel& ch, std::size_t max) {
  std::vector<unsigned char> buf(std::max(max, kStopSize));
  for (;;) {
    std::size_t n = 0;
    if (auto s = ch.recv(buf.data(), buf.size(), &n); !s) return s;
    if (n == kStopSize && buf[0] == kStop) return {};
    if (auto s = ch.send(buf.data(), n); !s) return s;
  }
}

void BM_round_trip(benchmark::State& state, IpcCase c) {
  IpcSession session;
  if (auto s = open_session(
          c, c.bytes, [&c](ipc::Channel& ch) { return echo_until_stop(ch, c.bytes); }, &session);
      !s) {
    return state.SkipWithError(s.message().c_str());
  }
  auto& ch = *session.channel;
  std::vector<unsigned char> out(c.bytes), in(c.bytes);
  ipc::fill_pattern(out.data(), out.size());
  const auto sum = ipc::payload_checksum(out.data(), c.bytes);
  std::uint64_t seq = 0;
  auto round_trip = [&]() -> ipc::Status {
    ipc::stamp(out.data(), c.bytes, ++seq, sum);
    if (auto s = ch.send(out.data(), c.bytes); !s) return s;
    std::size_t n = 0;
    return ch.recv(in.data(), in.size(), &n);
  };
  ipc::Status failed;
  for (WarmUp w(200); failed && w.more();) failed = round_trip();
  LatencyRecorder rec(state);
  RusageCounters usage;
  for (auto _ : state) {
    if (!failed) break;
    const auto t0 = now_ns();
    failed = round_trip();
    rec.add(now_ns() - t0);
    if (failed) failed = ipc::verify(in.data(), c.bytes, c.bytes, seq);
  }
  usage.report(state);
  rec.report();
  if (failed) {
    const unsigned char stop = kStop;
    failed = ch.send(&stop, kStopSize);
  }
  ipc::Status peer = session.peer->join();
  if (!failed) return state.SkipWithError(failed.message().c_str());
  if (!peer) return state.SkipWithError(peer.message().c_str());
}

}  // namespace

void register_benchmarks(Profile profile) {
  for (auto [mechanism, policy] : ipc_variants(profile)) {
    for (ipc::Endpoint e : bench_endpoints()) {
      for (ipc::Placement p : ipc_placements(profile)) {
        if (!measured_on_one_cpu(profile, p, mechanism)) continue;
        for (std::size_t bytes : ipc_sizes(profile)) {
          IpcCase c{mechanism, policy, e, p, bytes};
          const std::string name = ipc_name("IpcLatency", c);
          if (auto why = skip_reason(c); !why.empty()) {
            note_skipped(name, why);
            continue;
          }
          benchmark::RegisterBenchmark(name.c_str(),
                                       [c](benchmark::State& s) { BM_round_trip(s, c); })
              ->UseManualTime()
              ->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
  benchmark::AddCustomContext("ptbench_baseline_mechanism", "pipe");
  // The hardware floor each round trip is compared with: a cache line bouncing between the same
  // two CPUs (measured by floor_bench in the same run).
  benchmark::AddCustomContext("ptbench_floor",
                              "BM_Floor/cacheline/{endpoint}/cross-cpu/64:real_time");
}

}  // namespace ptbench::bench
