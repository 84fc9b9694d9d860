// Question: what are the hardware and kernel floors the IPC results are measured against?
// Measured in every run, beside the mechanisms, because on a shared VM they move between runs:
// a cache line bouncing between two CPUs (threads, and processes over a shared page; the spin
// pauses between loads), memcpy bandwidth per size in one core (real time, like the rates it
// bounds), a null system call, a clock read, and two threads handing a message through ordinary
// heap memory, each buffer on cache lines of its own (what threads get without any IPC). Round
// trips are batch means with the clock read outside the batch; percentiles come from a second
// pass, with the clock's own cost reported beside them (timer_overhead_ns).
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "bench/support/ipc_support.hpp"
#include "bench/support/latency.hpp"
#include "ipc/cpu_relax.hpp"

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
void BM_cacheline(benchmark::State& state, Endpoint endpoint) {
  auto cpus = ipc::cpus_for(Placement::kCrossCpu, ipc::allowed_cpus());
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return state.SkipWithError("mmap failed");
  auto* line = new (page) Line();
  ipc::ScopedPin pin(cpus.cpus.first);
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
  if (auto s = ipc::Peer::start(endpoint, cpus.cpus.second, body, &peer);
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
void BM_heap_handoff(benchmark::State& state, std::size_t bytes) {
  auto cpus = ipc::cpus_for(Placement::kCrossCpu, ipc::allowed_cpus());
  // Each buffer on cache lines of its own, so the two threads do not falsely share a line.
  PaddedBuffer box(bytes, 0), mine(bytes, 3), theirs(bytes, 0);
  Line flag;
  ipc::ScopedPin pin(cpus.cpus.first);
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
  if (auto s = ipc::Peer::start(Endpoint::kThread, cpus.cpus.second, body, &peer);
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

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("Floor", "real_time", false);
  const auto& sizes = ipc_budget(profile).sizes;
  const bool two_cpus = ipc::cpus_for(Placement::kCrossCpu, ipc::allowed_cpus()).error.empty();
  for (Endpoint e : bench_endpoints()) {
    const std::string name =
        grid_name("Floor", "cacheline", ipc::to_string(e), Placement::kCrossCpu, 64);
    if (!two_cpus) {
      note_skipped(name, ipc::cpus_for(Placement::kCrossCpu, ipc::allowed_cpus()).error);
      continue;
    }
    add_benchmark(name, [e](benchmark::State& s) { BM_cacheline(s, e); })
        ->UseManualTime()
        ->Unit(benchmark::kNanosecond);
  }
  for (std::size_t bytes : sizes) {
    add_benchmark(grid_name("Floor", "memcpy", "thread", Placement::kUnpinned, bytes).c_str(),
                  [bytes](benchmark::State& s) { BM_memcpy(s, bytes); })
        ->UseRealTime();  // as the IPC rates it is compared with
    const std::string handoff =
        grid_name("Floor", "heap_handoff", "thread", Placement::kCrossCpu, bytes);
    if (!two_cpus) {
      note_skipped(handoff, ipc::cpus_for(Placement::kCrossCpu, ipc::allowed_cpus()).error);
      continue;
    }
    add_benchmark(handoff, [bytes](benchmark::State& s) { BM_heap_handoff(s, bytes); })
        ->UseManualTime()
        ->Unit(benchmark::kNanosecond);
  }
  add_benchmark(grid_name("Floor", "null_syscall", "thread", Placement::kUnpinned, 0).c_str(),
                BM_null_syscall);
  add_benchmark(grid_name("Floor", "clock_read", "thread", Placement::kUnpinned, 0).c_str(),
                BM_clock_read);
}

}  // namespace ptbench::bench
