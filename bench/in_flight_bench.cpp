// Question: how many requests per second does a transport answer with K requests in flight, one
// send per message or in batches? K requests out at once, each answer followed by the next
// request (a closed loop with a window of K); K = 1 is the plain ping-pong. Batched (batch=B):
// each side takes what has arrived, waiting for the first, B at most, and sends as many in one
// Channel::send_batch (one writev on a pipe or stream socket, one sendmmsg on datagram sockets,
// one wake-up of the receiver in the ring).
// Timed (real): one benchmark iteration per request, the client on one CPU, the server on the
// other, every answer verified (number in order, checksum of every byte). Reported: requests per
// second (items), the mean time a request spends in flight (in_flight_ns = K / rate), the CPUs
// the server used per second (server_cpus).
#include <algorithm>
#include <optional>
#include <vector>

#include "bench/support/grid.hpp"
#include "bench/support/ipc_support.hpp"
#include "bench/support/requests.hpp"

namespace ptbench::bench {
namespace {

using ipc::Mechanism;
using ipc::WaitPolicy;

constexpr std::size_t kBytes = kRequestBytes;

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

// What each profile measures. Quick: one by one against batches of 8 for the pipe and the ring
// at K = 64 (the ping-pong, K = 1, is in the IPC latency suite); full: K = 1, 8, 64 over the
// pipe, the Unix stream and datagram sockets and the ring (spin_futex and spin), and batches of
// 8 (K = 8, 64) and of 64 (K = 64) but for the spinning ring.
struct Budget {
  std::vector<Variant> variants;
  std::vector<int> windows;  // messages in flight
  std::vector<int> batches;  // messages per send_batch, beside one send per message
};

const Budget& budget(Profile profile) {
  const auto two = pipe_and_ring();
  const auto five = pipe_and_ring({{Mechanism::kUnixStream, std::nullopt},
                                   {Mechanism::kUnixDgram, std::nullopt},
                                   {Mechanism::kShmRing, WaitPolicy::kSpin}});
  static const PerProfile<Budget> table = {
      .smoke = {two, {64}, {8}},
      .quick = {two, {64}, {8}},
      .full = {five, {1, 8, 64}, {8, 64}},
  };
  return table[profile];
}

std::vector<InFlightCase> in_flight_cases(Profile profile) {
  const Budget& plan = budget(profile);
  std::vector<InFlightCase> out;
  for (auto [m, policy] : plan.variants) {
    for (int k : plan.windows) {
      out.push_back({m, policy, k, 0});
      if (policy == WaitPolicy::kSpin) continue;
      for (int b : plan.batches) {
        if (k > 1 && b <= k) out.push_back({m, policy, k, b});
      }
    }
  }
  return out;
}

void register_in_flight(Profile profile) {
  for (const InFlightCase& f : in_flight_cases(profile)) {
    for (ipc::Placement pl : ipc::offered_cross_placements()) {
      const IpcCase c{f.mechanism, f.policy, bench_endpoints().front(), pl, kBytes};
      std::vector<std::pair<std::string, std::string>> params = {
          {"in_flight", std::to_string(f.k)}};
      if (f.batch > 0) params.emplace_back("batch", std::to_string(f.batch));
      if (f.policy) params.emplace_back("policy", std::string(ipc::to_string(*f.policy)));
      const std::string name = grid_name("InFlight", ipc::to_string(f.mechanism),
                                         ipc::to_string(c.endpoint), pl, kBytes, params);
      auto run = [c, f](benchmark::State& s) { BM_in_flight(s, c, f.k, f.batch); };
      if (auto* b = register_or_skip(name, skip_reason(c), run)) b->UseRealTime();
    }
  }
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("InFlight", "items_per_second", true);
  register_in_flight(profile);
  benchmark::AddCustomContext(grid::kContextBaseline, "pipe");
}

}  // namespace ptbench::bench
