#include "bench/support/bench_support.hpp"

#include <fstream>

#include "bench/support/grid.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ptbench::bench {

namespace {
std::map<std::string, grid::Primary>& primaries() {
  static std::map<std::string, grid::Primary> map;
  return map;
}

std::map<std::string, benchmark::IterationCount>& plan() {
  static std::map<std::string, benchmark::IterationCount> map;
  return map;
}
}  // namespace

bool load_iteration_plan(const std::string& path, std::string* why) {
  std::ifstream f(path);
  if (!f) {
    *why = "cannot read the iteration plan " + path;
    return false;
  }
  int number = 0;
  for (std::string line; std::getline(f, line);) {
    ++number;
    if (line.empty()) continue;
    const auto tab = line.find('\t');
    char* end = nullptr;
    const long long n =
        tab == std::string::npos ? 0 : std::strtoll(line.c_str() + tab + 1, &end, 10);
    if (n <= 0 || end == nullptr || *end != '\0') {
      *why = path + " line " + std::to_string(number) + ": expected <name><tab><iterations>";
      return false;
    }
    plan()[line.substr(0, tab)] = n;
  }
  return true;
}

benchmark::IterationCount planned_iterations(const std::string& name) {
  const auto it = plan().find(name);
  return it == plan().end() ? 0 : it->second;
}

void declare_primary(std::string_view question, std::string_view metric, bool higher_is_better) {
  primaries()[std::string(question)] = {
      std::string(metric),
      std::string(higher_is_better ? grid::kHigherIsBetter : grid::kLowerIsBetter)};
}

const std::map<std::string, grid::Primary>& declared_primaries() {
  return primaries();
}

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

Memory smaps_rollup(const std::string& pid) {
  std::ifstream f("/proc/" + pid + "/smaps_rollup");
  Memory m;
  std::string header;
  std::getline(f, header);  // the address range and "[rollup]"
  for (std::string key; f >> key;) {
    double kib = 0;
    if (!(f >> kib)) break;
    if (key == "Pss:") m.pss_kib = kib, m.ok = true;
    if (key == "Private_Clean:" || key == "Private_Dirty:") m.uss_kib += kib;
    f.ignore(64, '\n');
  }
  return m;
}

std::int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
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
