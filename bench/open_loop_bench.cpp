// Also here: BM_InFlight, the same request/response with K requests in flight, one by one or in
// batches (below).
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
#include "ipc/cpu_relax.hpp"
#include "ipc/message.hpp"

namespace ptbench::bench {
namespace {

using ipc::Mechanism;
using ipc::WaitPolicy;

constexpr std::size_t kBytes = 64;
constexpr unsigned char kMark = 0xfc;  // the server starts counting its CPU time here
constexpr int kWindow = 16;            // requests in flight while the saturation is measured
constexpr std::uint64_t kMaxInFlight = 256;

struct Durations {
  double saturation_s, open_s;
};

Durations durations(Profile p) {
  if (p == Profile::kFull) return {0.3, 1.0};
  if (p == Profile::kQuick) return {0.05, 0.1};  // quick stays under 90 s with every suite
  return {0.02, 0.05};
}

// The server: echoes until the stop message, then answers it with its CPU time since the mark.
ipc::Status serve(ipc::Channel& ch) {
  std::vector<unsigned char> buf(kBytes);
  std::int64_t cpu0 = thread_cpu_ns();
  for (;;) {
    std::size_t n = 0;
    if (auto s = ch.recv(buf.data(), buf.size(), &n); !s) return s;
    if (n == kStopSize && buf[0] == kStop) {
      const std::int64_t used = thread_cpu_ns() - cpu0;
      return ch.send(&used, sizeof used);
    }
    if (n == 1 && buf[0] == kMark) cpu0 = thread_cpu_ns();
    if (auto s = ch.send(buf.data(), n); !s) return s;
  }
}

// The batching server: takes the request that is there (waiting for it) and the others already
// in (a non-blocking receive), `most` in all, and answers them in one send_batch; the stop
// message as serve() does (it comes alone: the client sends it only when every answer is in).
ipc::Status serve_batched(ipc::Channel& ch, std::size_t most) {
  std::vector<std::vector<unsigned char>> bufs(most, std::vector<unsigned char>(kBytes));
  std::vector<ipc::Message> batch;
  const std::int64_t cpu0 = thread_cpu_ns();
  for (;;) {
    batch.clear();
    std::size_t n = 0;
    if (auto s = ch.recv(bufs[0].data(), kBytes, &n); !s) return s;
    if (n == kStopSize && bufs[0][0] == kStop) {
      const std::int64_t used = thread_cpu_ns() - cpu0;
      return ch.send(&used, sizeof used);
    }
    batch.push_back({bufs[0].data(), n});
    for (bool got = true; got && batch.size() < most;) {
      if (auto s = ch.try_recv(bufs[batch.size()].data(), kBytes, &n, &got); !s) return s;
      if (got) batch.push_back({bufs[batch.size()].data(), n});
    }
    if (auto s = ch.send_batch(batch.data(), batch.size()); !s) return s;
  }
}

class Client {
 public:
  explicit Client(ipc::Channel& ch) : ch_(ch), out_(kBytes), in_(kBytes) {
    ipc::fill_pattern(out_.data(), kBytes);
    sum_ = ipc::payload_checksum(out_.data(), kBytes);
  }
  ipc::Status send_request(std::uint64_t i) {
    ipc::stamp(out_.data(), kBytes, i, sum_);
    return ch_.send(out_.data(), kBytes);
  }
  // Requests first .. first + count - 1 in one send_batch.
  ipc::Status send_requests(std::uint64_t first, std::size_t count) {
    while (batch_out_.size() < count) batch_out_.push_back(out_);
    batch_.clear();
    for (std::size_t k = 0; k < count; ++k) {
      ipc::stamp(batch_out_[k].data(), kBytes, first + k, sum_);
      batch_.push_back({batch_out_[k].data(), kBytes});
    }
    return ch_.send_batch(batch_.data(), count);
  }
  // Receives and verifies response `i`, waiting for it.
  ipc::Status receive(std::uint64_t i) {
    std::size_t n = 0;
    if (auto s = ch_.recv(in_.data(), in_.size(), &n); !s) return s;
    return ipc::verify(in_.data(), n, kBytes, i);
  }
  // Receives and verifies response `first` (waiting for it) and those after it that are already
  // in, at most `max` in all; *count says how many.
  ipc::Status receive_some(std::uint64_t first, std::uint64_t max, std::uint64_t* count) {
    *count = 0;
    if (auto s = receive(first); !s) return s;
    bool got = true;
    for (*count = 1; *count < max; ++*count) {
      if (auto s = try_receive(first + *count, &got); !s || !got) return s;
    }
    return {};
  }
  // Receives and verifies response `i` if it is there; *got says whether it was.
  ipc::Status try_receive(std::uint64_t i, bool* got) {
    std::size_t n = 0;
    if (auto s = ch_.try_recv(in_.data(), in_.size(), &n, got); !s || !*got) return s;
    return ipc::verify(in_.data(), n, kBytes, i);
  }
  ipc::Status control(unsigned char byte, void* answer, std::size_t size) {
    if (auto s = ch_.send(&byte, 1); !s) return s;
    std::size_t n = 0;
    if (auto s = ch_.recv(answer, size, &n); !s) return s;
    return n == size ? ipc::Status{} : ipc::Status{ipc::Errc::kCorrupt, "a short control answer"};
  }

 private:
  ipc::Channel& ch_;
  std::vector<unsigned char> out_, in_;
  std::uint64_t sum_ = 0;
  std::vector<std::vector<unsigned char>> batch_out_;
  std::vector<ipc::Message> batch_;
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

// Requests in flight (BM_InFlight): K requests out at once, each answer followed by the next
// request (a closed loop with a window of K); requests per second and the mean time a request
// spends in flight (K / rate). K = 1 is the plain ping-pong. Batched (batch=B): each side takes
// the answers (requests) that are in, waiting for the first, B at most, and sends as many in one
// send_batch (serve_batched for the server), so K stay in flight with one send per B messages
// at best instead of one per message. One benchmark iteration is one request either way.
void BM_in_flight(benchmark::State& state, IpcCase c, int k, int b) {
  const bool batched = b > 0;
  const auto most = static_cast<std::uint64_t>(b);
  auto server = [most](ipc::Channel& ch) { return most > 0 ? serve_batched(ch, most) : serve(ch); };
  IpcSession session;
  if (auto s = open_session(c, kBytes + 8, server, &session); !s) {
    return state.SkipWithError(s.message().c_str());
  }
  Client client(*session.channel);
  const auto window = static_cast<std::uint64_t>(k);
  std::uint64_t sent = 1, received = 1, in_hand = 0;
  ipc::Status status;
  for (std::uint64_t n = 0; status && batched && sent <= window; sent += n) {
    n = std::min(most, window + 1 - sent);
    status = client.send_requests(sent, n);
  }
  while (status && sent <= window) status = client.send_request(sent++);
  const std::int64_t t0 = now_ns();
  for (auto _ : state) {
    if (!status) continue;
    if (!batched) {
      status = client.receive(received++);
      if (status) status = client.send_request(sent++);
    } else if (in_hand == 0) {  // this request's answer and those in with it, then as many more
      status = client.receive_some(received, most, &in_hand);
      received += in_hand;
      if (status) status = client.send_requests(sent, in_hand);
      sent += in_hand;
    }
    in_hand -= in_hand > 0 ? 1 : 0;
  }
  const double seconds = static_cast<double>(now_ns() - t0) * 1e-9;
  while (status && received < sent) status = client.receive(received++);
  std::int64_t server_cpu = 0;
  if (status) status = client.control(kStop, &server_cpu, sizeof server_cpu);
  ipc::Status peer = session.peer->join();
  if (!status) return state.SkipWithError(status.message().c_str());
  if (!peer) return state.SkipWithError(peer.message().c_str());
  const double rate = static_cast<double>(state.iterations()) / seconds;
  state.SetItemsProcessed(state.iterations());
  if (rate > 0) state.counters["in_flight_ns"] = k / rate * 1e9;  // absent, never 0, if not
  state.counters["server_cpus"] = static_cast<double>(server_cpu) * 1e-9 / seconds;
}

struct InFlightCase {
  Mechanism mechanism;
  std::optional<WaitPolicy> policy;
  int k;
  int batch;  // messages per send_batch at most; 0: one send per message
};

// Quick: one by one against batches of 8 for the pipe and the ring at K = 64 (the ping-pong,
// K = 1, is in the IPC latency suite);
// full: K = 1, 8, 64 over the pipe, the Unix stream and datagram sockets and the ring (spin_futex
// and spin), and batches of 8 (K = 8, 64) and of 64 (K = 64) but for the spinning ring.
std::vector<InFlightCase> in_flight_cases(Profile profile) {
  std::vector<std::pair<Mechanism, std::optional<WaitPolicy>>> v = {
      {Mechanism::kPipe, std::nullopt}, {Mechanism::kShmRing, WaitPolicy::kSpinFutex}};
  if (profile == Profile::kFull) {
    v.insert(v.end(), {{Mechanism::kUnixStream, std::nullopt},
                       {Mechanism::kUnixDgram, std::nullopt},
                       {Mechanism::kShmRing, WaitPolicy::kSpin}});
  }
  const std::vector<int> windows =
      profile == Profile::kFull ? std::vector{1, 8, 64} : std::vector{64};
  std::vector<InFlightCase> out;
  for (auto [m, policy] : v) {
    for (int k : windows) {
      out.push_back({m, policy, k, 0});
      if (policy == WaitPolicy::kSpin) continue;
      for (int b : profile == Profile::kFull ? std::vector{8, 64} : std::vector{8}) {
        if (k > 1 && b <= k) out.push_back({m, policy, k, b});
      }
    }
  }
  return out;
}

void register_in_flight(Profile profile) {
  for (const InFlightCase& f : in_flight_cases(profile)) {
    const IpcCase c{f.mechanism, f.policy, bench_endpoints().front(), ipc::Placement::kCrossCpu,
                    kBytes};
    std::vector<std::pair<std::string, std::string>> params = {{"in_flight", std::to_string(f.k)}};
    if (f.batch > 0) params.emplace_back("batch", std::to_string(f.batch));
    if (f.policy) params.emplace_back("policy", std::string(ipc::to_string(*f.policy)));
    const std::string name =
        grid_name("InFlight", ipc::to_string(f.mechanism), "process", c.placement, kBytes, params);
    if (auto why = skip_reason(c); !why.empty()) {
      note_skipped(name, why);
      continue;
    }
    benchmark::RegisterBenchmark(name.c_str(), [c, f](benchmark::State& s) {
      BM_in_flight(s, c, f.k, f.batch);
    })->UseRealTime();
  }
}

std::vector<std::pair<Mechanism, std::optional<WaitPolicy>>> variants(Profile p) {
  std::vector<std::pair<Mechanism, std::optional<WaitPolicy>>> out = {
      {Mechanism::kPipe, std::nullopt}, {Mechanism::kShmRing, WaitPolicy::kSpinFutex}};
  if (p == Profile::kFull) {
    out.insert(out.end(), {{Mechanism::kUnixStream, std::nullopt},
                           {Mechanism::kShmRing, WaitPolicy::kFutex},
                           {Mechanism::kShmRing, WaitPolicy::kSpin}});
  }
  return out;
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("OpenLoop", "p99_ns", false);
  declare_primary("InFlight", "items_per_second", true);
  // Quick and smoke: processes (threads under ThreadSanitizer, which cannot follow a fork).
  const std::vector<ipc::Endpoint> endpoints =
      profile == Profile::kFull ? bench_endpoints() : std::vector{bench_endpoints().front()};
  for (auto [mechanism, policy] : variants(profile)) {
    for (ipc::Endpoint e : endpoints) {
      // Quick asks the two ends of the load range (it has to stay within 90 s).
      const std::vector<int> loads =
          profile == Profile::kQuick ? std::vector{10, 90} : std::vector{10, 50, 90};
      for (int load : loads) {
        OpenLoopCase c{
            {mechanism, policy, e, ipc::Placement::kCrossCpu, kBytes}, load, durations(profile)};
        std::vector<std::pair<std::string, std::string>> params = {
            {"load_pct", std::to_string(load)}};
        if (policy) params.emplace_back("policy", std::string(ipc::to_string(*policy)));
        const std::string name = grid_name("OpenLoop", ipc::to_string(mechanism), ipc::to_string(e),
                                           c.ipc.placement, kBytes, params);
        if (auto why = skip_reason(c.ipc); !why.empty()) {
          note_skipped(name, why);
          continue;
        }
        benchmark::RegisterBenchmark(name.c_str(), [c](benchmark::State& s) { BM_open_loop(s, c); })
            ->Iterations(1)
            ->UseManualTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
  register_in_flight(profile);
  benchmark::AddCustomContext(grid::kContextBaseline, "pipe");
}

}  // namespace ptbench::bench
