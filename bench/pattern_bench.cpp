// Question: what do the patterns of real services cost over each transport, with more tasks
// than CPUs (as services run)?
// Fan-in (BM_FanIn): N producers, one consumer, over the transports that keep several writers'
// messages apart (pipe writes of up to PIPE_BUF, unix datagrams and sequenced packets, POSIX and
// SysV queues, Boost message_queue, and the shared-memory multi-producer queue).
// Timed: the consumer receiving and verifying messages (each writer's numbers in order, every
// byte checked), real time, while all producers send as fast as the transport takes them. Left
// out: starting the producers, and the drain after the clock stops (each producer ends with a
// one-byte goodbye; its last messages are still verified). Reported: messages and bytes per
// second, the consumer's CPU time and the producers' (together) per second of the run.
#include <sys/mman.h>
#include <sys/resource.h>

#include <atomic>
#include <memory>
#include <vector>

#include "bench/support/grid.hpp"
#include "bench/support/ipc_support.hpp"
#include "ipc/message.hpp"

namespace ptbench::bench {
namespace {

using ipc::Endpoint;
using ipc::Mechanism;
using ipc::WaitPolicy;

constexpr std::size_t kBytes = 64;
constexpr unsigned char kBye = 0xbe;  // a producer's last message, one byte long

std::int64_t thread_cpu_ns() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return (std::int64_t{u.ru_utime.tv_sec} + u.ru_stime.tv_sec) * 1'000'000'000 +
         (std::int64_t{u.ru_utime.tv_usec} + u.ru_stime.tv_usec) * 1000;
}

// What the consumer and the producers share across fork: the stop flag and each producer's CPU.
struct Board {
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> cpu_ns[64];
};

class SharedBoard {
 public:
  SharedBoard() {
    void* p =
        mmap(nullptr, sizeof(Board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    board_ = p == MAP_FAILED ? nullptr : new (p) Board();
  }
  ~SharedBoard() {
    if (board_ != nullptr) munmap(board_, sizeof(Board));
  }
  Board* get() const { return board_; }
  SharedBoard(const SharedBoard&) = delete;
  SharedBoard& operator=(const SharedBoard&) = delete;

 private:
  Board* board_ = nullptr;
};

struct FanInCase {
  Mechanism mechanism;
  std::optional<WaitPolicy> policy;
  Endpoint endpoint;
  int producers;
};

// One producer: sends numbered, stamped messages until told to stop, then its goodbye.
ipc::Status produce(ipc::Transport& t, Board& board, unsigned writer,
                    const std::function<void()>& ready) {
  std::unique_ptr<ipc::Channel> ch;
  if (auto s = t.open_writer(&ch); !s) return s;
  std::vector<unsigned char> msg(kBytes);
  ipc::fill_pattern(msg.data(), kBytes);
  const auto sum = ipc::payload_checksum(msg.data(), kBytes);
  ready();
  const std::int64_t cpu0 = thread_cpu_ns();
  for (std::uint64_t n = 1; !board.stop.load(std::memory_order_relaxed); ++n) {
    ipc::stamp(msg.data(), kBytes, ipc::writer_seq(writer, n), sum);
    if (auto s = ch->send(msg.data(), kBytes); !s) return s;
  }
  board.cpu_ns[writer].store(thread_cpu_ns() - cpu0);
  return ch->send(&kBye, 1);
}

// Receives one message: a producer's (verified) or a goodbye (counted in *byes).
ipc::Status consume(ipc::Channel& ch, std::vector<unsigned char>& buf,
                    std::vector<std::uint64_t>& next, int* byes) {
  std::size_t n = 0;
  if (auto s = ch.recv(buf.data(), buf.size(), &n); !s) return s;
  if (n == 1 && buf[0] == kBye) return ++*byes, ipc::Status{};
  return ipc::verify_fan_in(buf.data(), n, kBytes, next);
}

ipc::Status start_producers(const FanInCase& c, ipc::Transport& t, Board& board,
                            std::vector<std::unique_ptr<ipc::Peer>>* peers) {
  for (int w = 0; w < c.producers; ++w) {
    auto body = [&t, &board, w](const std::function<void()>& ready) {
      return produce(t, board, static_cast<unsigned>(w), ready);
    };
    peers->emplace_back();
    if (auto s = ipc::Peer::start(c.endpoint, -1, body, &peers->back()); !s) return s;
  }
  for (auto& p : *peers) {
    if (auto s = p->wait_ready(); !s) return s;
  }
  return {};
}

void BM_fan_in(benchmark::State& state, FanInCase c) {
  SharedBoard shared;
  if (shared.get() == nullptr) return state.SkipWithError("mmap of the shared board failed");
  Board& board = *shared.get();
  ipc::ChannelOptions o;
  o.max_message = kBytes;
  o.placement = ipc::Placement::kUnpinned;
  if (c.policy) o.policy = *c.policy;
  std::unique_ptr<ipc::Transport> t;
  std::unique_ptr<ipc::Channel> rx;
  ipc::Status status = ipc::make_transport(c.mechanism, o, &t);
  if (status) status = t->open(ipc::Side::kB, &rx);
  std::vector<std::unique_ptr<ipc::Peer>> peers;
  if (status) status = start_producers(c, *t, board, &peers);
  std::vector<unsigned char> buf(kBytes);
  std::vector<std::uint64_t> next(c.producers, 1);
  int byes = 0;
  const std::int64_t cpu0 = thread_cpu_ns();
  const std::int64_t t0 = now_ns();
  if (status) {
    for (auto _ : state) {
      if (status = consume(*rx, buf, next, &byes); !status) break;
    }
  }
  const double seconds = static_cast<double>(now_ns() - t0) * 1e-9;
  const double consumer_cpu = static_cast<double>(thread_cpu_ns() - cpu0) * 1e-9;
  board.stop.store(true);
  while (status && rx && byes < static_cast<int>(peers.size())) {
    status = consume(*rx, buf, next, &byes);
  }
  for (auto& p : peers) {
    if (auto s = p->join(); status && !s) status = s;
  }
  if (!status) return state.SkipWithError(status.message().c_str());
  if (byes != c.producers) return state.SkipWithError("a producer's goodbye came too early");
  double producers_cpu = 0;
  for (int w = 0; w < c.producers; ++w)
    producers_cpu += static_cast<double>(board.cpu_ns[w]) * 1e-9;
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kBytes));
  state.counters["consumer_cpus"] = consumer_cpu / seconds;
  state.counters["producer_cpus"] = producers_cpu / seconds;
}

std::vector<std::pair<Mechanism, std::optional<WaitPolicy>>> fan_in_variants(Profile p) {
  std::vector<std::pair<Mechanism, std::optional<WaitPolicy>>> out;
  for (Mechanism m : {Mechanism::kPipe, Mechanism::kUnixDgram, Mechanism::kUnixSeqpacket,
                      Mechanism::kPosixMq, Mechanism::kSysvMq, Mechanism::kBoostMq}) {
    if (p != Profile::kFull && m == Mechanism::kUnixSeqpacket) continue;
    out.emplace_back(m, std::nullopt);
  }
  // More tasks than CPUs: a pure spin would burn the time slices the others need.
  out.emplace_back(Mechanism::kShmMpsc, WaitPolicy::kSpinFutex);
  if (p == Profile::kFull) out.emplace_back(Mechanism::kShmMpsc, WaitPolicy::kFutex);
  return out;
}

std::vector<int> producer_counts(Profile p) {
  if (p == Profile::kFull) return {2, 4, 8, 16};
  if (p == Profile::kQuick) return {4};
  return {2};
}

}  // namespace

void register_benchmarks(Profile profile) {
  for (auto [mechanism, policy] : fan_in_variants(profile)) {
    for (Endpoint e : bench_endpoints()) {
      for (int n : producer_counts(profile)) {
        std::vector<std::pair<std::string, std::string>> params = {
            {"producers", std::to_string(n)}};
        if (policy) params.emplace_back("policy", std::string(ipc::to_string(*policy)));
        const std::string name = grid_name("FanIn", ipc::to_string(mechanism), ipc::to_string(e),
                                           ipc::Placement::kUnpinned, kBytes, params);
        benchmark::RegisterBenchmark(name.c_str(), [c = FanInCase{mechanism, policy, e, n}](
                                                       benchmark::State& s) { BM_fan_in(s, c); })
            ->UseRealTime()
            ->Unit(benchmark::kNanosecond);
      }
    }
  }
  benchmark::AddCustomContext(grid::kContextBaseline, "pipe");
}

}  // namespace ptbench::bench
