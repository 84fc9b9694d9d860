// Question: how many messages and bytes per second does each transport stream one way, and
// what does it cost in CPU on each side?
// Timed: from when the peer has received the warm-up messages until it acknowledges the last
// message, sending one message per iteration while the peer receives and verifies every one
// (sequence number and checksum over every byte). The zero-copy ring's sender writes every byte
// into its loaned slot and the receiver verifies the message there, without copying it out. Left
// out: starting the peer and 100 warm-up messages, drained by a sync exchange before the clock
// starts.
#include <sys/resource.h>

#include <cstring>
#include <vector>

#include "bench/support/grid.hpp"
#include "bench/support/ipc_support.hpp"
#include "bench/support/plant.hpp"
#include "ipc/message.hpp"

namespace ptbench::bench {
namespace {

struct Ack {
  std::uint64_t received;
  std::int64_t cpu_ns;
};

// The sender asks for this one-byte message to be answered once everything before it arrived.
constexpr unsigned char kSync = 0xfe;

// Receives and verifies until the stop message, then reports how many arrived and the CPU time
// this thread spent, counted from the sync that ends the warm-up. `plant`: nanoseconds
// PTBENCH_PLANT adds to each message received (0 unless validating the gate).
ipc::Status sink(ipc::Channel& ch, ipc::ZeroCopy* zc, std::size_t bytes, std::int64_t plant) {
  std::vector<unsigned char> buf(std::max(bytes, kStopSize));
  std::uint64_t seq = 0;
  std::int64_t cpu0 = thread_cpu_ns();
  for (;;) {
    const unsigned char* msg = buf.data();
    std::size_t n = 0;
    const std::byte* slot = nullptr;
    if (auto s = zc != nullptr ? zc->peek(&slot, &n) : ch.recv(buf.data(), buf.size(), &n); !s) {
      return s;
    }
    if (zc != nullptr) msg = reinterpret_cast<const unsigned char*>(slot);
    const bool control = n == kStopSize && (msg[0] == kStop || msg[0] == kSync);
    ipc::Status checked = control ? ipc::Status{} : ipc::verify(msg, n, bytes, ++seq);
    if (!control) plant_spin(plant);
    const bool stop = control && msg[0] == kStop;
    if (zc != nullptr) zc->release();
    if (!checked) return checked;
    if (stop) break;
    if (control) {
      if (auto s = ch.send(&kSync, 1); !s) return s;
      cpu0 = thread_cpu_ns();
    }
  }
  const Ack ack{seq, thread_cpu_ns() - cpu0};
  return ch.send(&ack, sizeof ack);
}

// Sends the sync message and waits for its answer: every message sent before it has arrived.
ipc::Status sync(ipc::Channel& ch) {
  if (auto s = ch.send(&kSync, 1); !s) return s;
  unsigned char answer = 0;
  std::size_t n = 0;
  if (auto s = ch.recv(&answer, 1, &n); !s) return s;
  if (n != 1 || answer != kSync) return {ipc::Errc::kCorrupt, "the sync was not answered"};
  return {};
}

// `plant`: nanoseconds PTBENCH_PLANT adds to each message, on both sides (the stream is as slow
// as its slower side, so a slowdown planted in one side alone can vanish behind the other).
void BM_stream(benchmark::State& state, IpcCase c, std::int64_t plant) {
  constexpr std::uint64_t kWarmup = 100;
  IpcSession session;
  if (auto s = open_session(
          c, std::max(c.bytes, sizeof(Ack)),
          [&c, plant](ipc::Channel& ch) { return sink(ch, zero_copy_for(c, ch), c.bytes, plant); },
          &session);
      !s) {
    return state.SkipWithError(s.message().c_str());
  }
  auto& ch = *session.channel;
  std::vector<unsigned char> msg(c.bytes);
  ipc::fill_pattern(msg.data(), msg.size());
  const auto sum = ipc::payload_checksum(msg.data(), c.bytes);
  std::uint64_t seq = 0;
  ipc::ZeroCopy* zc = zero_copy_for(c, ch);
  auto send_next = [&] {
    if (zc != nullptr) return send_in_place(*zc, msg.data(), c.bytes, ++seq, sum);
    ipc::stamp(msg.data(), c.bytes, ++seq, sum);
    return ch.send(msg.data(), c.bytes);
  };
  ipc::Status status;
  for (std::uint64_t i = 0; i < kWarmup && status; ++i) status = send_next();
  if (status) status = sync(ch);
  const std::int64_t cpu0 = thread_cpu_ns();
  const std::int64_t t0 = now_ns();
  for (auto _ : state) {
    plant_spin(plant);
    status = send_next();
    if (!status) break;
  }
  Ack ack{};
  if (status) {
    const unsigned char stop = kStop;
    status = ch.send(&stop, kStopSize);
  }
  if (status) {
    std::size_t n = 0;
    status = ch.recv(&ack, sizeof ack, &n);
    if (status && (n != sizeof ack || ack.received != seq)) {
      status = {ipc::Errc::kCorrupt, "the receiver counted a different number of messages"};
    }
  }
  // The clock stops when the receiver has acknowledged the last message.
  state.SetIterationTime(static_cast<double>(now_ns() - t0) * 1e-9);
  const std::int64_t sender_cpu = thread_cpu_ns() - cpu0;
  ipc::Status peer = session.peer->join();
  if (!peer) return state.SkipWithError(peer.message().c_str());
  if (!status) return state.SkipWithError(status.message().c_str());
  const auto bytes = static_cast<double>(state.iterations()) * static_cast<double>(c.bytes);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
  const double gb = bytes / 1e9;
  state.counters["sender_cpu_s_per_gb"] = static_cast<double>(sender_cpu) * 1e-9 / gb;
  state.counters["receiver_cpu_s_per_gb"] = static_cast<double>(ack.cpu_ns) * 1e-9 / gb;
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("IpcThroughput", "bytes_per_second", true);
  const IpcBudget& budget = ipc_budget(profile);
  for (auto [mechanism, policy] : ipc_variants(profile)) {
    for (ipc::Endpoint e : ipc_endpoints(profile, mechanism)) {
      for (ipc::Placement p : budget.stream_placements) {
        for (std::size_t bytes : budget.stream_sizes) {
          IpcCase c{mechanism, policy, e, p, bytes};
          const std::string name = ipc_name("IpcThroughput", c);
          auto run = [c, plant = planted_ns(name)](benchmark::State& s) { BM_stream(s, c, plant); };
          if (auto* b = register_or_skip(name, skip_reason(c), run))
            b->UseManualTime()->Unit(benchmark::kNanosecond);
        }
      }
    }
  }
  benchmark::AddCustomContext(grid::kContextBaseline, "pipe");
  // The floor: between two CPUs the streaming floor across them, elsewhere (one CPU, unpinned)
  // memcpy inside one core; the first that the run has.
  benchmark::AddCustomContext(grid::kContextFloor,
                              "BM_Floor/stream/thread/{placement}/{bytes}|"
                              "BM_Floor/memcpy/thread/unpinned/{bytes}:bytes_per_second");
}

}  // namespace ptbench::bench
