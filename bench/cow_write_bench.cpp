// Question: what does a write to memory cost a forked child, against a thread? After fork a
// child's write to the parent's memory costs a copy-on-write fault per page and stays invisible
// to the parent; a thread's write costs no fault and is seen at once.
// Timed (manual): the writer's loop over 1024 pages (16 in the smoke profile), one byte per page.
// Reported: ns_per_page, faults_per_page (the writer's minor faults), visible_to_parent.
// Checked every iteration: the parent never sees the child's write, and always sees the thread's.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pthread.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/support/bench_support.hpp"
#include "bench/support/child.hpp"
#include "bench/support/ipc_support.hpp"
#include "bench/support/latency.hpp"
#include "ipc/peer.hpp"
#include "ipc/shared_object.hpp"

namespace ptbench::bench {
namespace {

using ipc::Placement;
constexpr std::size_t kPage = 4096;

// ---- CowWrite ----------------------------------------------------------------------------------

struct PageWrites {
  std::int64_t ns = 0, faults = 0;
  bool ok = false;
};

// One byte written into each page; the time and the writing thread's minor faults.
PageWrites write_pages(unsigned char* mem, std::size_t pages, unsigned char value) {
  const ThreadUsage u0 = ThreadUsage::now();
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < pages; ++i) mem[i * kPage] = value;
  const std::int64_t t1 = now_ns();
  return {t1 - t0, (ThreadUsage::now() - u0).minflt, true};
}

PageWrites writes_in_child(unsigned char* mem, std::size_t pages, unsigned char value) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return {};
  const pid_t pid = fork_child([&] {
    const PageWrites w = write_pages(mem, pages, value);
    if (write(fds[1], &w, sizeof w) != static_cast<ssize_t>(sizeof w)) _exit(3);
  });
  close(fds[1]);
  PageWrites w;
  const ssize_t got = pid > 0 ? read(fds[0], &w, sizeof w) : -1;
  close(fds[0]);
  const bool exited = pid > 0 && reap_ok(pid);
  w.ok = got == static_cast<ssize_t>(sizeof w) && exited;
  return w;
}

PageWrites writes_in_thread(unsigned char* mem, std::size_t pages, unsigned char value) {
  PageWrites w;
  std::thread t([&] { w = write_pages(mem, pages, value); });
  t.join();
  return w;
}

// Anonymous private memory in 4 KiB pages (no transparent huge pages), every page touched.
class Pages {
 public:
  explicit Pages(std::size_t pages) : bytes_(pages * kPage) {
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mem_ = p == MAP_FAILED ? nullptr : static_cast<unsigned char*>(p);
    if (mem_ == nullptr) return;
    madvise(mem_, bytes_, MADV_NOHUGEPAGE);
    std::memset(mem_, 1, bytes_);
  }
  ~Pages() {
    if (mem_ != nullptr) munmap(mem_, bytes_);
  }
  Pages(const Pages&) = delete;
  Pages& operator=(const Pages&) = delete;
  unsigned char* get() const { return mem_; }

 private:
  std::size_t bytes_;
  unsigned char* mem_ = nullptr;
};

// Timed (manual): the writer's loop over the pages. Checked: a forked child's writes are not
// seen by the parent, a thread's are.
void BM_cow_write(benchmark::State& state, bool in_child, std::size_t pages) {
  Pages mem(pages);
  if (mem.get() == nullptr) return state.SkipWithError("mmap failed");
  std::int64_t ns = 0, faults = 0;
  unsigned char value = 2;
  for (auto _ : state) {
    const PageWrites w = in_child ? writes_in_child(mem.get(), pages, value)
                                  : writes_in_thread(mem.get(), pages, value);
    if (!w.ok) return state.SkipWithError("the writer did not report back");
    const bool seen = mem.get()[0] == value && mem.get()[(pages - 1) * kPage] == value;
    if (seen == in_child) {
      return state.SkipWithError(in_child ? "a forked child's write reached the parent"
                                          : "a thread's write is not visible to its process");
    }
    state.SetIterationTime(static_cast<double>(w.ns) / 1e9);
    ns += w.ns;
    faults += w.faults;
    value = static_cast<unsigned char>(value == 250 ? 2 : value + 1);
  }
  const double written = static_cast<double>(state.iterations()) * static_cast<double>(pages);
  state.counters["ns_per_page"] = static_cast<double>(ns) / written;
  state.counters["faults_per_page"] = static_cast<double>(faults) / written;
  state.counters["visible_to_parent"] = in_child ? 0 : 1;
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("CowWrite", "real_time", false);
  // Pages the writer touches, per profile.
  static const PerProfile<std::size_t> kPages = {.smoke = 16, .quick = 1024, .full = 1024};
  const std::size_t pages = kPages[profile];
  for (bool child : {true, false}) {
    add_benchmark(grid_name("CowWrite", child ? "fork" : "thread", child ? "process" : "thread",
                            Placement::kUnpinned, kPage, {{"pages", std::to_string(pages)}})
                      .c_str(),
                  [child, pages](benchmark::State& s) { BM_cow_write(s, child, pages); })
        ->UseManualTime();
  }
}

}  // namespace ptbench::bench
