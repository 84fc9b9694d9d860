// Question: how long does a message take to go to the other end and back, per transport,
// between processes and between threads, on one CPU and across two?
// Timed: from before send() until the echo has been received and checked (sequence number and
// checksum over every byte; the zero-copy ring writes into its loaned slot, the peer copies slot
// to slot, and the check reads the reply in place), in batches with the clock read outside them;
// the check's own cost, measured on the same buffer, is taken off and reported as verify_ns.
// Per-message percentiles come from a second pass. Left out: starting the peer and up to 200
// warm-up round trips (at most ~2 ms). Each end reports its own context switches and faults
// (RUSAGE_THREAD; the peer's as peer_*), per round trip of both passes.
#include <algorithm>
#include <cstring>
#include <vector>

#include "bench/support/grid.hpp"
#include "bench/support/ipc_support.hpp"
#include "bench/support/latency.hpp"
#include "bench/support/plant.hpp"
#include "ipc/message.hpp"

namespace ptbench::bench {
namespace {

// A one-byte message that starts the peer's own counters (it is echoed like any other); the stop
// message is answered with the counters since then.
constexpr unsigned char kMark = 0xfe;

// Answers one message with the same bytes, in place: from the received slot straight into the
// loaned one.
ipc::Status echo_in_place(ipc::ZeroCopy& zc, const std::byte* in, std::size_t n) {
  std::byte* out = nullptr;
  if (auto s = zc.loan(n, &out); !s) return s;
  std::memcpy(out, in, n);
  zc.publish();
  zc.release();
  return {};
}

// Echoes every message (the zero-copy ring in place, `zc` non-null) until the stop message.
ipc::Status echo_until_stop(ipc::Channel& ch, ipc::ZeroCopy* zc, std::size_t max) {
  std::vector<unsigned char> buf(std::max(max, sizeof(ThreadUsage)));
  ThreadUsage start = ThreadUsage::now();
  for (;;) {
    const unsigned char* msg = buf.data();
    std::size_t n = 0;
    const std::byte* slot = nullptr;
    if (auto s = zc != nullptr ? zc->peek(&slot, &n) : ch.recv(buf.data(), buf.size(), &n); !s) {
      return s;
    }
    if (zc != nullptr) msg = reinterpret_cast<const unsigned char*>(slot);
    if (n == kStopSize && msg[0] == kStop) {
      if (zc != nullptr) zc->release();
      const ThreadUsage used = ThreadUsage::now() - start;
      return ch.send(&used, sizeof used);
    }
    if (n == 1 && msg[0] == kMark) start = ThreadUsage::now();
    if (auto s = zc != nullptr ? echo_in_place(*zc, slot, n) : ch.send(buf.data(), n); !s) {
      return s;
    }
  }
}

// Sends `byte` alone and receives what comes back into `reply` (`size` bytes expected).
ipc::Status exchange(ipc::Channel& ch, unsigned char byte, void* reply, std::size_t size) {
  if (auto s = ch.send(&byte, 1); !s) return s;
  std::size_t n = 0;
  if (auto s = ch.recv(reply, size, &n); !s) return s;
  if (n != size) return {ipc::Errc::kCorrupt, "the peer's answer to a control message is short"};
  return {};
}

// What checking one received message of `bytes` costs here: the median of 5 timings of
// verifying the same (cache-warm) buffer, as the benchmark does right after each receive. The
// buffer must hold message `seq`: a failing check costs its error message, not the check.
ipc::Status verify_cost_ns(const unsigned char* msg, std::size_t bytes, std::uint64_t seq,
                           double* ns) {
  if (auto s = ipc::verify(msg, bytes, bytes, seq); !s) {
    return {ipc::Errc::kCorrupt,
            "the verification cost was to be timed on a bad message: " + s.message()};
  }
  const int reps = bytes >= (256 << 10) ? 4 : 64;
  std::vector<double> t;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = now_ns();
    for (int i = 0; i < reps; ++i) benchmark::DoNotOptimize(ipc::verify(msg, bytes, bytes, seq));
    t.push_back(static_cast<double>(now_ns() - t0) / reps);
  }
  std::sort(t.begin(), t.end());
  *ns = t[2];
  return {};
}

// `plant`: nanoseconds PTBENCH_PLANT adds to each round trip (0 unless validating the gate).
void BM_round_trip(benchmark::State& state, IpcCase c, std::int64_t plant) {
  // Set-up: the channel and the echoing peer.
  IpcSession session;
  if (auto s = open_session(
          c, std::max(c.bytes, sizeof(ThreadUsage)),
          [&c](ipc::Channel& ch) { return echo_until_stop(ch, zero_copy_for(c, ch), c.bytes); },
          &session);
      !s) {
    return state.SkipWithError(s.message().c_str());
  }
  // Timed: a stamped message out, its echo back, every byte of the echo checked (in place for
  // the zero-copy ring).
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
  ipc::ZeroCopy* zc = zero_copy_for(c, ch);
  auto checked_round_trip = [&]() -> ipc::Status {
    plant_spin(plant);
    if (zc != nullptr) {
      if (auto s = send_in_place(*zc, out.data(), c.bytes, ++seq, sum); !s) return s;
      return receive_in_place(*zc, c.bytes, seq);
    }
    if (auto s = round_trip(); !s) return s;
    return ipc::verify(in.data(), c.bytes, c.bytes, seq);
  };
  ipc::Status status;
  for (WarmUp w(200); status && w.more();) status = checked_round_trip();
  // The check's own cost, timed on a good message, to take off the round trip.
  if (zc != nullptr) {  // the reply was checked in place: time the check on a copy of it
    std::memcpy(in.data(), out.data(), c.bytes);
    ipc::stamp(in.data(), c.bytes, seq, sum);
  }
  double verify_ns = 0;
  if (status) status = verify_cost_ns(in.data(), c.bytes, seq, &verify_ns);
  // Measured: the peer marks where its counters start, then the batch-timed round trips.
  unsigned char mark = 0;
  if (status) status = exchange(ch, kMark, &mark, 1);
  const ThreadUsage mine0 = ThreadUsage::now();
  std::int64_t ops = 0;
  if (status) {
    status = measure_latency(
        state, [&] { return ++ops, checked_round_trip(); }, verify_ns);
  }
  // The peer stopped, its counters back, joined.
  const ThreadUsage mine = ThreadUsage::now() - mine0;
  ThreadUsage peer_usage;
  if (status) status = exchange(ch, kStop, &peer_usage, sizeof peer_usage);
  if (status) report_thread_usage(state, mine, peer_usage, static_cast<double>(ops));
  state.counters["verify_ns"] = verify_ns;
  ipc::Status peer = session.peer->join();
  if (!status) return state.SkipWithError(status.message().c_str());
  if (!peer) return state.SkipWithError(peer.message().c_str());
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("IpcLatency", "real_time", false);
  for (auto [mechanism, policy] : ipc_variants(profile)) {
    for (ipc::Endpoint e : ipc_endpoints(profile, mechanism)) {
      for (ipc::Placement p : ipc_budget(profile).placements) {
        if (!measured_on_one_cpu(profile, p, mechanism)) continue;
        for (std::size_t bytes : ipc_budget(profile).latency_sizes) {
          IpcCase c{mechanism, policy, e, p, bytes};
          const std::string name = ipc_name("IpcLatency", c);
          auto run = [c, plant = planted_ns(name)](benchmark::State& s) {
            BM_round_trip(s, c, plant);
          };
          if (auto* b = register_or_skip(name, skip_reason(c), run))
            b->UseManualTime()->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
  benchmark::AddCustomContext(grid::kContextBaseline, "pipe");
  // The hardware floor each round trip across CPUs is compared with: a cache line bouncing
  // between the same two CPUs (measured by floor_bench in the same run). A round trip on one
  // CPU is two context switches, which no cache line bounds: it has no floor.
  benchmark::AddCustomContext(grid::kContextFloor,
                              "BM_Floor/cacheline/{endpoint}/{placement}/64:real_time");
}

}  // namespace ptbench::bench
