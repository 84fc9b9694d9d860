// Question: what are the hardware and kernel floors the IPC results are measured against?
// Measured in every run, beside the mechanisms, because on a shared VM they move between runs:
// a cache line bouncing between two CPUs (threads, and processes over a shared page; the spin
// pauses between loads), memcpy bandwidth per size in one core (real time, like the rates it
// bounds), a null system call, a clock read, and two threads handing a message through ordinary
// heap memory, each buffer on cache lines of its own (what threads get without any IPC), and
// the streaming floor between two CPUs (one writes buffers, the other copies them out,
// pipelined: what bounds a stream across CPUs, where memcpy bounds one inside a core). Beside
// them the core-to-core matrix (BM_CoreToCore): the cache-line round trip on each pair of CPUs
// (a sample per topology level on large machines), named by the level the two CPUs share. Round
// trips are batch means with the clock read outside the batch; percentiles come from a second
// pass, with the clock's own cost reported beside them (timer_overhead_ns).
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <vector>

#include "bench/support/ipc_support.hpp"
#include "bench/support/latency.hpp"
#include "ipc/cpu_relax.hpp"
#include "ipc/topology.hpp"

namespace ptbench::bench {
namespace {

using ipc::Endpoint;
using ipc::Placement;

struct alignas(64) Line {
  std::atomic<std::uint64_t> value{0};
};
constexpr std::uint64_t kStopValue = ~std::uint64_t{0};

// A buffer that starts on a cache line of its own and is padded to whole lines.
class PaddedBuffer {
 public:
  PaddedBuffer(std::size_t bytes, unsigned char fill)
      : data_(new (std::align_val_t{64}) unsigned char[(bytes + 63) / 64 * 64]) {
    std::memset(data_.get(), fill, (bytes + 63) / 64 * 64);
  }
  unsigned char* data() { return data_.get(); }

 private:
  struct Free {
    void operator()(unsigned char* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  std::unique_ptr<unsigned char[], Free> data_;
};

// Spins until `pred` holds or the deadline passes, with a pause between checks: a spinning load
// without one keeps several loads of the line in flight and pays a pipeline flush when the line
// changes, which made the round trip up to a third slower on the development VM (measured A/B:
// 57-64 ns with the pause, 82-97 ns without), so the floor was not the floor. The first 64 Ki
// checks run without a deadline guard, so a round trip that answers pays nothing for it.
template <typename Pred>
bool spin_until(Pred pred) {
  for (std::uint32_t n = 0; n < 0x10000; ++n) {
    if (pred()) return true;
    ipc::cpu_relax();
  }
  ipc::DeadlineGuard guard(ipc::kDefaultTimeout);
  for (std::uint32_t n = 1; !pred(); ++n) {
    ipc::cpu_relax();
    if ((n & 0xffff) == 0 && guard.expired()) return false;
  }
  return true;
}

// Timed: one round trip of a cache line between two CPUs: we store an odd number, the peer
// answers with the next even one. Each side spins; nothing else is touched. Between processes
// the line sits in a shared page, between threads in ordinary memory.
void BM_cacheline(benchmark::State& state, Endpoint endpoint, ipc::CpuPair cpus) {
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return state.SkipWithError("mmap failed");
  auto* line = new (page) Line();
  ipc::ScopedPin pin(cpus.first);
  std::unique_ptr<ipc::Peer> peer;
  auto body = [line](const std::function<void()>& ready) -> ipc::Status {
    ready();
    for (std::uint64_t expect = 1;; expect += 2) {
      std::uint64_t v = 0;
      if (!spin_until(
              [&] { return (v = line->value.load(std::memory_order_acquire)) >= expect; })) {
        return {ipc::Errc::kTimeout, "cache-line peer: no store within the deadline"};
      }
      if (v == kStopValue) return {};
      line->value.store(v + 1, std::memory_order_release);
    }
  };
  if (auto s = ipc::Peer::start(endpoint, cpus.second, body, &peer);
      !s || !(s = peer->wait_ready())) {
    munmap(page, 4096);
    return state.SkipWithError(s.message().c_str());
  }
  std::uint64_t v = 1;
  auto round_trip = [&]() -> ipc::Status {
    line->value.store(v, std::memory_order_release);
    if (!spin_until([&] { return line->value.load(std::memory_order_acquire) == v + 1; })) {
      return {ipc::Errc::kTimeout, "cache-line peer did not answer"};
    }
    v += 2;
    return {};
  };
  ipc::Status result = measure_latency(state, round_trip);
  line->value.store(kStopValue, std::memory_order_release);
  if (auto s = peer->join(); result) result = s;
  if (!result) state.SkipWithError(result.message().c_str());
  munmap(page, 4096);
}

// Timed: memcpy of `bytes` between two warm buffers: the bandwidth any copying transport is
// bounded by at that size.
void BM_memcpy(benchmark::State& state, std::size_t bytes) {
  std::vector<unsigned char> src(bytes, 1), dst(bytes, 2);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

// The least a stream between two CPUs can cost: slots of `bytes` in ordinary memory, about
// 256 KiB of them (at least 4, as a ring holds); this thread copies its buffer into each and then
// stores the message's sequence number in the slot's first 8 bytes (release), the peer on the
// other CPU waits for that number in the slot it is about to read (acquire), copies the slot out,
// checks the number and publishes how far it has read. The writer reads that counter only when
// the slots are full, so no line other than the data moves per message. No API, no deadline, no
// wait policy: a cross-CPU stream is held against this, not against memcpy inside one core.
struct StreamSlots {
  explicit StreamSlots(std::size_t bytes)
      : count(std::max<std::uint64_t>(4, (256 * 1024) / std::max<std::size_t>(bytes, 64))) {
    for (std::uint64_t i = 0; i < count; ++i) slot.emplace_back(std::max<std::size_t>(bytes, 8), 0);
  }
  unsigned char* at(std::uint64_t seq) { return slot[seq % count].data(); }
  // The sequence number in a slot's first 8 bytes (each slot starts on a cache line).
  static std::atomic_ref<std::uint64_t> number(unsigned char* s) {
    return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(s));
  }
  std::uint64_t count;
  std::vector<PaddedBuffer> slot;
  Line released;  // the last sequence number copied out
  Line stop;      // nonzero: the writer is done
};

ipc::Status read_stream(StreamSlots& ring, std::size_t bytes, const std::function<void()>& ready) {
  PaddedBuffer mine(bytes, 0);
  ready();
  for (std::uint64_t seq = 1;; ++seq) {
    unsigned char* slot = ring.at(seq);
    bool stopped = false;
    if (!spin_until([&] {
          return StreamSlots::number(slot).load(std::memory_order_acquire) == seq ||
                 (stopped = ring.stop.value.load(std::memory_order_acquire) != 0);
        })) {
      return {ipc::Errc::kTimeout, "stream reader: nothing arrived within the deadline"};
    }
    if (stopped && StreamSlots::number(slot).load(std::memory_order_acquire) != seq) return {};
    std::memcpy(mine.data(), slot, bytes);
    std::uint64_t got = 0;
    std::memcpy(&got, mine.data(), sizeof got);
    if (got != seq) return {ipc::Errc::kCorrupt, "stream reader: a slot out of order"};
    ring.released.value.store(seq, std::memory_order_release);
  }
}

void BM_stream_floor(benchmark::State& state, std::size_t bytes, ipc::CpuPair cpus) {
  StreamSlots ring(bytes);
  PaddedBuffer src(bytes, 5);
  ipc::ScopedPin pin(cpus.first);
  std::unique_ptr<ipc::Peer> peer;
  if (auto s = ipc::Peer::start(
          Endpoint::kThread, cpus.second,
          [&](const std::function<void()>& ready) { return read_stream(ring, bytes, ready); },
          &peer);
      !s || !(s = peer->wait_ready())) {
    return state.SkipWithError(s.message().c_str());
  }
  ipc::Status result;
  std::uint64_t seq = 0, freed = 0;  // freed: the reader's counter, as last read
  for (auto _ : state) {
    ++seq;
    if (seq > freed + ring.count && !spin_until([&] {
          return (freed = ring.released.value.load(std::memory_order_acquire)) + ring.count >= seq;
        })) {
      result = {ipc::Errc::kTimeout, "stream reader did not free a slot"};
      break;
    }
    unsigned char* slot = ring.at(seq);
    std::memcpy(slot + 8, src.data() + 8, bytes - 8);
    StreamSlots::number(slot).store(seq, std::memory_order_release);
  }
  // The reader's last copies, outside the clock (a few of thousands).
  if (result &&
      !spin_until([&] { return ring.released.value.load(std::memory_order_acquire) >= seq; })) {
    result = {ipc::Errc::kTimeout, "stream reader did not finish"};
  }
  ring.stop.value.store(1, std::memory_order_release);
  if (auto s = peer->join(); result) result = s;
  if (!result) return state.SkipWithError(result.message().c_str());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

// Timed: getppid() through syscall(2): the cost of entering and leaving the kernel here.
void BM_null_syscall(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(syscall(SYS_getppid));
}

// Timed: clock_gettime(CLOCK_MONOTONIC): what each per-round-trip timestamp adds to a latency.
void BM_clock_read(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(now_ns());
}

// The thread baseline: two threads hand a message back and forth through ordinary heap memory
// (copy in, flip a flag, the other spins, copies out): what threads get without any IPC.
void BM_heap_handoff(benchmark::State& state, std::size_t bytes, ipc::CpuPair cpus) {
  // Each buffer on cache lines of its own, so the two threads do not falsely share a line.
  PaddedBuffer box(bytes, 0), mine(bytes, 3), theirs(bytes, 0);
  Line flag;
  ipc::ScopedPin pin(cpus.first);
  std::unique_ptr<ipc::Peer> peer;
  auto body = [&](const std::function<void()>& ready) -> ipc::Status {
    ready();
    for (std::uint64_t expect = 1;; expect += 2) {
      std::uint64_t v = 0;
      if (!spin_until([&] { return (v = flag.value.load(std::memory_order_acquire)) >= expect; })) {
        return {ipc::Errc::kTimeout, "handoff peer: nothing arrived within the deadline"};
      }
      if (v == kStopValue) return {};
      std::memcpy(theirs.data(), box.data(), bytes);  // take the message
      std::memcpy(box.data(), theirs.data(), bytes);  // and hand it back
      flag.value.store(v + 1, std::memory_order_release);
    }
  };
  if (auto s = ipc::Peer::start(Endpoint::kThread, cpus.second, body, &peer);
      !s || !(s = peer->wait_ready())) {
    return state.SkipWithError(s.message().c_str());
  }
  std::uint64_t v = 1;
  auto round_trip = [&]() -> ipc::Status {
    std::memcpy(box.data(), mine.data(), bytes);
    flag.value.store(v, std::memory_order_release);
    if (!spin_until([&] { return flag.value.load(std::memory_order_acquire) == v + 1; })) {
      return {ipc::Errc::kTimeout, "handoff peer did not answer"};
    }
    std::memcpy(mine.data(), box.data(), bytes);
    v += 2;
    return {};
  };
  ipc::Status result = measure_latency(state, round_trip);
  flag.value.store(kStopValue, std::memory_order_release);
  if (auto s = peer->join(); result) result = s;
  if (result && mine.data()[bytes - 1] != 3) {
    result = {ipc::Errc::kCorrupt, "the handed-off message came back changed"};
  }
  if (!result) state.SkipWithError(result.message().c_str());
}

// Pairs per topology level of the core-to-core matrix: every pair of a 2-CPU VM, a bounded
// sample of each level on a large machine (ipc::matrix_pairs states the rule).
constexpr PerProfile<std::size_t> kMatrixPairsPerLevel = {.smoke = 1, .quick = 4, .full = 16};

// The core-to-core matrix: the cache-line round trip between threads on each pair of CPUs,
// named by the level the two share (BM_CoreToCore/cacheline/thread/<level>/64/a=A/b=B).
void register_matrix(Profile profile, const std::vector<int>& allowed) {
  ipc::Topology topo;
  if (auto s = ipc::load_topology(allowed, &topo); !s) {
    note_skipped(grid::format("CoreToCore", "cacheline", "thread", "all-pairs", 64),
                 "hwloc could not read the topology: " + s.message());
    return;
  }
  const auto pairs = ipc::matrix_pairs(topo, kMatrixPairsPerLevel[profile]);
  if (pairs.empty()) {
    note_skipped(grid::format("CoreToCore", "cacheline", "thread", "all-pairs", 64),
                 "one CPU only: no pair of CPUs to measure");
  }
  for (const auto& p : pairs) {
    const std::string name =
        grid::format("CoreToCore", "cacheline", "thread", ipc::to_string(p.level), 64,
                     {{"a", std::to_string(p.first)}, {"b", std::to_string(p.second)}});
    add_benchmark(name, [cpus = ipc::CpuPair{p.first, p.second}](
                            benchmark::State& s) { BM_cacheline(s, Endpoint::kThread, cpus); })
        ->UseManualTime()
        ->Unit(benchmark::kNanosecond);
  }
}

// The floors between two CPUs at one topology level the host offers: the cache-line round trip,
// the heap hand-off and the streaming floor (each IPC row across CPUs is held against the floor
// of its own level).
void register_pair_floors(Placement pl, const std::vector<std::size_t>& sizes) {
  const ipc::CpuPair cpus = ipc::cpus_for(pl).cpus;
  for (Endpoint e : bench_endpoints()) {
    add_benchmark(grid_name("Floor", "cacheline", ipc::to_string(e), pl, 64),
                  [e, cpus](benchmark::State& s) { BM_cacheline(s, e, cpus); })
        ->UseManualTime()
        ->Unit(benchmark::kNanosecond);
  }
  for (std::size_t bytes : sizes) {
    add_benchmark(grid_name("Floor", "heap_handoff", "thread", pl, bytes),
                  [bytes, cpus](benchmark::State& s) { BM_heap_handoff(s, bytes, cpus); })
        ->UseManualTime()
        ->Unit(benchmark::kNanosecond);
    add_benchmark(grid_name("Floor", "stream", "thread", pl, bytes), [bytes,
                                                                      cpus](benchmark::State& s) {
      BM_stream_floor(s, bytes, cpus);
    })->UseRealTime();
  }
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("Floor", "real_time", false);
  declare_primary("CoreToCore", "real_time", false);
  const auto& sizes = ipc_budget(profile).sizes;
  for (Placement pl : ipc::offered_cross_placements()) register_pair_floors(pl, sizes);
  for (std::size_t bytes : sizes) {
    add_benchmark(grid_name("Floor", "memcpy", "thread", Placement::kUnpinned, bytes),
                  [bytes](benchmark::State& s) { BM_memcpy(s, bytes); })
        ->UseRealTime();  // as the IPC rates it is compared with
  }
  add_benchmark(grid_name("Floor", "null_syscall", "thread", Placement::kUnpinned, 0),
                BM_null_syscall);
  add_benchmark(grid_name("Floor", "clock_read", "thread", Placement::kUnpinned, 0), BM_clock_read);
  register_matrix(profile, ipc::allowed_cpus());
}

}  // namespace ptbench::bench
