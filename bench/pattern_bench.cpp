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
// Fan-out (BM_FanOut): one producer deals messages to N consumers taking whole messages from one
// queue (unix datagrams and sequenced packets, POSIX, SysV and Boost queues, and shm_mpsc's
// readers, spin_futex); each checks its
// share in order and every byte, and the shares must add up to what was sent.
// Pipeline (BM_Pipeline): S stages in a line, one transport per link; every stage checks every
// message before passing it on. Both: messages and bytes per second (real time of the producer's
// loop), the producer's CPUs and the other side's together (consumer_cpus, stage_cpus).
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <atomic>
#include <cstring>
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

// What the consumer and the producers share across fork: the stop flag and each producer's CPU.
struct Board {
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> cpu_ns[64];
  std::atomic<std::uint64_t> count[64], sum[64];  // fan-out: what each consumer took
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

// Messages (and bytes) per second, and the CPUs each side used per second (1.0 = a whole CPU):
// `one` for this thread, `many` for the n tasks on the board (their cpu_ns).
void report_sides(benchmark::State& state, double seconds, double this_cpu_s, const Board& board,
                  int n, const char* one, const char* many) {
  double others = 0;
  for (int w = 0; w < n; ++w) others += static_cast<double>(board.cpu_ns[w].load()) * 1e-9;
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kBytes));
  state.counters[one] = this_cpu_s / seconds;
  state.counters[many] = others / seconds;
}

// What each pattern starts with: the board its tasks share, the CPUs of its `tasks` tasks by the
// placement's group rule (a pipeline is a chain, a fan a star with this thread as the hub), this
// thread (task 0) pinned, and options for kBytes messages at that placement.
struct Start {
  Start(ipc::Placement placement, std::optional<WaitPolicy> policy, std::size_t tasks,
        ipc::GroupShape shape_)
      : group(ipc::cpus_for_group(placement, tasks, shape_).cpus), shape(shape_), pin(cpu(0)) {
    options.max_message = kBytes;
    options.placement = placement;
    if (policy) options.policy = *policy;
  }
  int cpu(std::size_t task) const { return ipc::group_cpu(group, task, shape); }  // -1: unpinned
  SharedBoard shared;
  std::vector<int> group;
  ipc::GroupShape shape;
  ipc::ScopedPin pin;
  ipc::ChannelOptions options;
};

// This thread's real time and CPU time since the stopwatch was made, in seconds.
struct Stopwatch {
  std::int64_t t0 = now_ns(), cpu0 = thread_cpu_ns();
  double seconds() const { return static_cast<double>(now_ns() - t0) * 1e-9; }
  double cpu_seconds() const { return static_cast<double>(thread_cpu_ns() - cpu0) * 1e-9; }
};

// The producer's loop of fan-out and pipelines: numbered, stamped messages for as long as the
// benchmark runs; *sent is how many went out.
ipc::Status feed(benchmark::State& state, ipc::Channel& tx, std::uint64_t* sent) {
  std::vector<unsigned char> msg(kBytes);
  ipc::fill_pattern(msg.data(), kBytes);
  const auto sum = ipc::payload_checksum(msg.data(), kBytes);
  ipc::Status status;
  for (auto _ : state) {
    if (!status) break;
    ipc::stamp(msg.data(), kBytes, ++*sent, sum);
    status = tx.send(msg.data(), kBytes);
  }
  return status;
}

struct FanInCase {
  Mechanism mechanism;
  std::optional<WaitPolicy> policy;
  Endpoint endpoint;
  int producers;
  ipc::Placement placement = ipc::Placement::kUnpinned;  // a star: the one side the hub
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

ipc::Status start_producers(const FanInCase& c, ipc::Transport& t, Board& board, const Start& start,
                            std::vector<std::unique_ptr<ipc::Peer>>* peers) {
  for (int w = 0; w < c.producers; ++w) {
    auto body = [&t, &board, w](const std::function<void()>& ready) {
      return produce(t, board, static_cast<unsigned>(w), ready);
    };
    peers->emplace_back();
    const int cpu = start.cpu(static_cast<std::size_t>(w) + 1);
    if (auto s = ipc::Peer::start(c.endpoint, cpu, body, &peers->back()); !s) return s;
  }
  for (auto& p : *peers) {
    if (auto s = p->wait_ready(); !s) return s;
  }
  return {};
}

void BM_fan_in(benchmark::State& state, FanInCase c) {
  Start start(c.placement, c.policy, static_cast<std::size_t>(c.producers) + 1,
              ipc::GroupShape::kStar);
  if (start.shared.get() == nullptr) return state.SkipWithError("mmap of the shared board failed");
  Board& board = *start.shared.get();
  std::unique_ptr<ipc::Transport> t;
  std::unique_ptr<ipc::Channel> rx;
  ipc::Status status = ipc::make_transport(c.mechanism, start.options, &t);
  if (status) status = t->open(ipc::Side::kB, &rx);
  std::vector<std::unique_ptr<ipc::Peer>> peers;
  if (status) status = start_producers(c, *t, board, start, &peers);
  std::vector<unsigned char> buf(kBytes);
  std::vector<std::uint64_t> next(c.producers, 1);
  int byes = 0;
  const Stopwatch clock;
  if (status) {
    for (auto _ : state) {
      if (status = consume(*rx, buf, next, &byes); !status) break;
    }
  }
  const double seconds = clock.seconds(), consumer_cpu = clock.cpu_seconds();
  board.stop.store(true);
  while (status && rx && byes < static_cast<int>(peers.size())) {
    status = consume(*rx, buf, next, &byes);
  }
  for (auto& p : peers) {
    if (auto s = p->join(); status && !s) status = s;
  }
  if (!status) return state.SkipWithError(status.message().c_str());
  if (byes != c.producers) return state.SkipWithError("a producer's goodbye came too early");
  report_sides(state, seconds, consumer_cpu, board, c.producers, "consumer_cpus", "producer_cpus");
}

// What each profile measures.
struct Budget {
  std::vector<int> fan_counts;  // producers of a fan-in, consumers of a fan-out
  std::vector<int> stages;      // of a pipeline
  bool seqpacket;               // sequenced packets, which behave as datagrams here
  bool threads_beyond_fan_in;   // fan-outs and pipelines between threads too
  bool placed;                  // same-cpu and each cross level beside unpinned (placements_for)
  std::vector<WaitPolicy> fan_in_policies;  // of the transports with wait policies
  std::vector<Variant> pipelines;
};

const Budget& budget(Profile profile) {
  const auto pipelines = pipe_and_ring();
  const auto every_pipeline = pipe_and_ring({{Mechanism::kUnixStream, std::nullopt},
                                             {Mechanism::kPosixMq, std::nullopt},
                                             {Mechanism::kShmRing, WaitPolicy::kFutex}});
  // More tasks than CPUs: a pure spin would burn the time slices the others need.
  static const PerProfile<Budget> table = {
      .smoke = {{2}, {3}, false, true, false, {WaitPolicy::kSpinFutex}, pipelines},
      .quick = {{4}, {3}, false, false, false, {WaitPolicy::kSpinFutex}, pipelines},
      .full = {{2, 4, 8, 16},
               {2, 3, 4},
               true,
               true,
               true,
               {WaitPolicy::kSpinFutex, WaitPolicy::kFutex},
               every_pipeline},
  };
  return table[profile];
}

// Unpinned always; a placed budget also asks, for processes at one size of the pattern (`asked`:
// 4 on the many side of a fan, 3 stages of a pipeline), same-cpu (all on one CPU) and each level
// across CPUs (ipc::pick_group: a fan's many sides each at the level from the one, on CPUs of
// their own where the host has them; every link of a pipeline at the level).
std::vector<ipc::Placement> placements_for(const Budget& b, Endpoint e, bool asked) {
  if (!b.placed || e != Endpoint::kProcess || !asked) return {ipc::Placement::kUnpinned};
  return with_cross({ipc::Placement::kUnpinned, ipc::Placement::kSameCpu});
}

// Whether this host has the CPUs `pl` needs; notes the benchmark as skipped when not.
bool placeable(const std::string& name, ipc::Placement pl) {
  const std::string why = ipc::cpus_for(pl).error;
  if (!why.empty()) note_skipped(name, why);
  return why.empty();
}

// Every transport with room for several writers (the transport table says which).
std::vector<Variant> fan_in_variants(const Budget& b) {
  std::vector<Variant> out;
  for (Mechanism m : ipc::mechanisms_with(ipc::kManyWriters)) {
    if (!b.seqpacket && m == Mechanism::kUnixSeqpacket) continue;
    if (!ipc::info(m).has(ipc::kWaitPolicies)) {
      out.emplace_back(m, std::nullopt);
      continue;
    }
    for (WaitPolicy p : b.fan_in_policies) out.emplace_back(m, p);
  }
  return out;
}

// Fan-out: one producer (this thread) deals messages to N consumers, each taking whole messages
// from the same queue. Each consumer checks that its messages come in the producer's order and
// every byte; at the end the consumers' counts and sums of message numbers must add up to what
// was sent (every message taken exactly once).
struct FanOutCase {
  Mechanism mechanism;
  Endpoint endpoint;
  int consumers;
  ipc::Placement placement = ipc::Placement::kUnpinned;  // as for fan-in
};
// shm_mpsc's readers wait by spin_futex here (more tasks than CPUs: a pure spin would starve).

ipc::Status consume_share(ipc::Transport& t, Board& board, int me,
                          const std::function<void()>& ready) {
  std::unique_ptr<ipc::Channel> ch;
  if (auto s = t.open_reader(&ch); !s) return s;
  ready();
  std::vector<unsigned char> buf(kBytes);
  const std::int64_t cpu0 = thread_cpu_ns();
  for (std::uint64_t last = 0;;) {
    std::size_t n = 0;
    if (auto s = ch->recv(buf.data(), buf.size(), &n); !s) return s;
    if (n == 1 && buf[0] == kBye) break;
    std::uint64_t seq = 0;
    std::memcpy(&seq, buf.data(), 8);
    if (seq <= last) return {ipc::Errc::kCorrupt, "a consumer's messages came out of order"};
    if (auto s = ipc::verify(buf.data(), n, kBytes, seq); !s) return s;
    last = seq;
    board.count[me].fetch_add(1, std::memory_order_relaxed);
    board.sum[me].fetch_add(seq, std::memory_order_relaxed);
  }
  board.cpu_ns[me].store(thread_cpu_ns() - cpu0);
  return {};
}

ipc::Status check_shares(const Board& board, int consumers, std::uint64_t sent) {
  std::uint64_t count = 0, sum = 0;
  for (int c = 0; c < consumers; ++c) count += board.count[c], sum += board.sum[c];
  if (count != sent || sum != sent * (sent + 1) / 2) {
    return {ipc::Errc::kCorrupt,
            fmt::format("{} messages sent, {} taken (a message lost or taken twice)", sent, count)};
  }
  return {};
}

void BM_fan_out(benchmark::State& state, FanOutCase c) {
  Start start(c.placement, WaitPolicy::kSpinFutex, static_cast<std::size_t>(c.consumers) + 1,
              ipc::GroupShape::kStar);
  if (start.shared.get() == nullptr) return state.SkipWithError("mmap of the shared board failed");
  Board& board = *start.shared.get();
  std::unique_ptr<ipc::Transport> t;
  std::unique_ptr<ipc::Channel> tx;
  ipc::Status status = ipc::make_transport(c.mechanism, start.options, &t);
  std::vector<std::unique_ptr<ipc::Peer>> peers;
  for (int i = 0; status && i < c.consumers; ++i) {
    peers.emplace_back();
    status = ipc::Peer::start(
        c.endpoint, start.cpu(static_cast<std::size_t>(i) + 1),
        [&t, &board, i](const std::function<void()>& ready) {
          return consume_share(*t, board, i, ready);
        },
        &peers.back());
    if (status) status = peers.back()->wait_ready();
  }
  if (status) status = t->open_writer(&tx);
  std::uint64_t seq = 0;
  const Stopwatch clock;
  if (status) status = feed(state, *tx, &seq);
  for (std::size_t i = 0; status && i < peers.size(); ++i) status = tx->send(&kBye, 1);
  const double seconds = clock.seconds(), producer_cpu = clock.cpu_seconds();
  for (auto& p : peers) {
    if (auto s = p->join(); status && !s) status = s;
  }
  if (status) status = check_shares(board, c.consumers, seq);
  if (!status) return state.SkipWithError(status.message().c_str());
  report_sides(state, seconds, producer_cpu, board, c.consumers, "producer_cpus", "consumer_cpus");
}

// A pipeline: this thread feeds stage 1, each of S - 1 stages receives from the link before it,
// checks the message (number and every byte) and passes it on; the last one only checks. One
// transport per link; messages per second through the whole line.
struct PipelineCase {
  Mechanism mechanism;
  std::optional<WaitPolicy> policy;
  Endpoint endpoint;
  int stages;
  ipc::Placement placement = ipc::Placement::kUnpinned;  // a chain: every link at the level
};

ipc::Status run_stage(ipc::Transport& in, ipc::Transport* out, std::atomic<std::int64_t>* cpu_ns,
                      const std::function<void()>& ready) {
  std::unique_ptr<ipc::Channel> rx, tx;
  if (auto s = in.open(ipc::Side::kB, &rx); !s) return s;
  if (out != nullptr) {
    if (auto s = out->open(ipc::Side::kA, &tx); !s) return s;
  }
  ready();
  std::vector<unsigned char> buf(kBytes);
  const std::int64_t cpu0 = thread_cpu_ns();
  for (std::uint64_t seq = 1;; ++seq) {
    std::size_t n = 0;
    if (auto s = rx->recv(buf.data(), buf.size(), &n); !s) return s;
    if (n == 1 && buf[0] == kBye) {
      cpu_ns->store(thread_cpu_ns() - cpu0);
      return tx ? tx->send(&kBye, 1) : ipc::Status{};
    }
    if (auto s = ipc::verify(buf.data(), n, kBytes, seq); !s) return s;
    if (tx) {
      if (auto s = tx->send(buf.data(), n); !s) return s;
    }
  }
}

void BM_pipeline(benchmark::State& state, PipelineCase c) {
  // This thread feeds the chain's first link from its first CPU; stage i runs on its CPU i + 1,
  // so that every link is at the placement's level (all on one CPU for same-cpu).
  Start start(c.placement, c.policy, static_cast<std::size_t>(c.stages), ipc::GroupShape::kChain);
  if (start.shared.get() == nullptr) return state.SkipWithError("mmap of the shared board failed");
  Board& board = *start.shared.get();
  std::vector<std::unique_ptr<ipc::Transport>> links(c.stages - 1);
  ipc::Status status;
  for (auto& l : links) {
    if (status) status = ipc::make_transport(c.mechanism, start.options, &l);
  }
  std::vector<std::unique_ptr<ipc::Peer>> peers;
  for (std::size_t i = 0; status && i < links.size(); ++i) {
    ipc::Transport* next = i + 1 < links.size() ? links[i + 1].get() : nullptr;
    peers.emplace_back();
    status = ipc::Peer::start(
        c.endpoint, start.cpu(i + 1),
        [&links, i, next, &board](const std::function<void()>& ready) {
          return run_stage(*links[i], next, &board.cpu_ns[i], ready);
        },
        &peers.back());
  }
  std::unique_ptr<ipc::Channel> head;
  if (status) status = links.front()->open(ipc::Side::kA, &head);
  for (auto& p : peers) {
    if (status) status = p->wait_ready();
  }
  std::uint64_t seq = 0;
  const Stopwatch clock;
  if (status) status = feed(state, *head, &seq);
  if (status) status = head->send(&kBye, 1);
  const double seconds = clock.seconds(), producer_cpu = clock.cpu_seconds();
  for (auto& p : peers) {
    if (auto s = p->join(); status && !s) status = s;
  }
  if (!status) return state.SkipWithError(status.message().c_str());
  report_sides(state, seconds, producer_cpu, board, c.stages - 1, "producer_cpus", "stage_cpus");
}

void register_fan_out(const Budget& b) {
  for (Mechanism m : ipc::mechanisms_with(ipc::kManyReaders)) {
    if (!b.seqpacket && m == Mechanism::kUnixSeqpacket) continue;
    for (Endpoint e : bench_endpoints()) {
      if (!b.threads_beyond_fan_in && e == Endpoint::kThread) continue;
      for (int n : b.fan_counts) {
        for (ipc::Placement pl : placements_for(b, e, n == 4)) {
          const std::string name = grid_name("FanOut", ipc::to_string(m), ipc::to_string(e), pl,
                                             kBytes, {{"consumers", std::to_string(n)}});
          if (!placeable(name, pl)) continue;
          add_benchmark(name, [c = FanOutCase{m, e, n, pl}](benchmark::State& s) {
            BM_fan_out(s, c);
          })->UseRealTime();
        }
      }
    }
  }
}

void register_pipeline(const Budget& b) {
  for (auto [m, policy] : b.pipelines) {
    for (Endpoint e : bench_endpoints()) {
      if (!b.threads_beyond_fan_in && e == Endpoint::kThread) continue;
      for (int n : b.stages) {
        std::vector<std::pair<std::string, std::string>> params = {{"stages", std::to_string(n)}};
        if (policy) params.emplace_back("policy", std::string(ipc::to_string(*policy)));
        for (ipc::Placement pl : placements_for(b, e, n == 3)) {
          const std::string name =
              grid_name("Pipeline", ipc::to_string(m), ipc::to_string(e), pl, kBytes, params);
          if (!placeable(name, pl)) continue;
          add_benchmark(name, [c = PipelineCase{m, policy, e, n, pl}](benchmark::State& s) {
            BM_pipeline(s, c);
          })->UseRealTime();
        }
      }
    }
  }
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("FanIn", "items_per_second", true);
  declare_primary("FanOut", "items_per_second", true);
  declare_primary("Pipeline", "items_per_second", true);
  const Budget& b = budget(profile);
  for (auto [mechanism, policy] : fan_in_variants(b)) {
    for (Endpoint e : bench_endpoints()) {
      for (int n : b.fan_counts) {
        std::vector<std::pair<std::string, std::string>> params = {
            {"producers", std::to_string(n)}};
        if (policy) params.emplace_back("policy", std::string(ipc::to_string(*policy)));
        for (ipc::Placement pl : placements_for(b, e, n == 4)) {
          const std::string name =
              grid_name("FanIn", ipc::to_string(mechanism), ipc::to_string(e), pl, kBytes, params);
          if (!placeable(name, pl)) continue;
          add_benchmark(name, [c = FanInCase{mechanism, policy, e, n, pl}](
                                  benchmark::State& s) { BM_fan_in(s, c); })
              ->UseRealTime()
              ->Unit(benchmark::kNanosecond);
        }
      }
    }
  }
  register_fan_out(b);
  register_pipeline(b);
  benchmark::AddCustomContext(grid::kContextBaseline, "pipe");
}

}  // namespace ptbench::bench
