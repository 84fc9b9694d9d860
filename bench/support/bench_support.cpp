#include "bench/support/bench_support.hpp"

#include "bench/support/grid.hpp"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ptbench::bench {

std::string grid_name(std::string_view question, std::string_view mechanism,
                      std::string_view endpoint, ipc::Placement placement, std::size_t bytes,
                      const std::vector<std::pair<std::string, std::string>>& params) {
  return grid::format(question, mechanism, endpoint, ipc::to_string(placement), bytes, params);
}

RusageCounters::RusageCounters() {
  getrusage(RUSAGE_SELF, &self_);
  getrusage(RUSAGE_CHILDREN, &children_);
}

void RusageCounters::report(benchmark::State& state) const {
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  auto per_op = [](long delta) {
    return benchmark::Counter(static_cast<double>(delta), benchmark::Counter::kAvgIterations);
  };
  state.counters["vcsw_per_op"] = per_op(self.ru_nvcsw - self_.ru_nvcsw);
  state.counters["ivcsw_per_op"] = per_op(self.ru_nivcsw - self_.ru_nivcsw);
  state.counters["minflt_per_op"] = per_op(self.ru_minflt - self_.ru_minflt);
  state.counters["child_minflt_per_op"] = per_op(children.ru_minflt - children_.ru_minflt);
}

ThreadUsage ThreadUsage::now() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return {u.ru_nvcsw, u.ru_nivcsw, u.ru_minflt};
}

void report_thread_usage(benchmark::State& state, const ThreadUsage& mine, const ThreadUsage& peer,
                         double ops) {
  if (ops <= 0) return;
  state.counters["vcsw_per_op"] = static_cast<double>(mine.vcsw) / ops;
  state.counters["ivcsw_per_op"] = static_cast<double>(mine.ivcsw) / ops;
  state.counters["minflt_per_op"] = static_cast<double>(mine.minflt) / ops;
  state.counters["peer_vcsw_per_op"] = static_cast<double>(peer.vcsw) / ops;
  state.counters["peer_ivcsw_per_op"] = static_cast<double>(peer.ivcsw) / ops;
  state.counters["peer_minflt_per_op"] = static_cast<double>(peer.minflt) / ops;
}

namespace {
struct Ballast {
  void* base = nullptr;
  std::size_t bytes = 0;
};
Ballast g_ballast;
}  // namespace

void set_resident_ballast(std::size_t mib) {
  const std::size_t bytes = mib << 20;
  if (bytes == g_ballast.bytes) return;
  if (g_ballast.base != nullptr) munmap(g_ballast.base, g_ballast.bytes);
  g_ballast = {};
  if (bytes == 0) return;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::fprintf(stderr, "ptbench: cannot map %zu MiB of ballast: %s\n", mib, std::strerror(errno));
    std::abort();
  }
  // Ordinary 4 KiB pages, as a typical heap has; THP would hide the page-table cost being measured.
  madvise(p, bytes, MADV_NOHUGEPAGE);
  std::memset(p, 0x5a, bytes);
  g_ballast = {p, bytes};
}

double resident_mib() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long size = 0, resident = 0;
  const int n = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  if (n != 2) return -1;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

double thread_count() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  double threads = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "Threads:", 8) == 0) threads = std::strtod(line + 8, nullptr);
  }
  std::fclose(f);
  return threads;
}

}  // namespace ptbench::bench
