#include "harness/crosscheck.hpp"

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <ostream>
#include <sstream>

#include "bench/support/grid.hpp"
#include "harness/csv.hpp"
#include "harness/gbench_json.hpp"
#include "harness/host.hpp"
#include "harness/paths.hpp"
#include "harness/runner.hpp"
#include "harness/stats.hpp"
#include "harness/subprocess.hpp"
#include "ipc/placement.hpp"

namespace ptbench::harness {
namespace fs = std::filesystem;

namespace {

std::string probe(const fs::path& dir, const char* name) {
  return (dir / (std::string("ptbench_probe_") + name)).string();
}

double median_of(const std::vector<double>& v) {
  return summarize(v).median;
}

std::optional<std::string> find_on_path(const std::string& name) {
  const char* path = getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  for (std::string d; std::getline(dirs, d, ':');) {
    const fs::path p = fs::path(d.empty() ? "." : d) / name;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return std::nullopt;
}

bool is_time(const CrosscheckPair& p) {
  return p.metric == "real_time";
}

// The value of `name` in the run: its real time (ns) or one of its counters.
Result<double> value_of(const GbenchRun& run, const std::string& benchmark,
                        const std::string& name) {
  if (name == "real_time") return run.real_time_ns;
  auto it = run.counters.find(name);
  if (it == run.counters.end()) return fail(fmt::format("{} reports no {}", benchmark, name));
  return it->second;
}

// One measurement of the suite benchmark: its real time (ns) or a rate counter.
Result<double> run_suite(const CrosscheckOptions& opt, const CrosscheckPair& p,
                         const fs::path& stem) {
  auto run = run_one_benchmark(opt.bench_dir / p.program, "full", p.benchmark, opt.min_time, stem);
  if (!run) return fail(run.error());
  auto value = value_of(*run, p.benchmark, p.metric);
  if (!value || p.plus_counter.empty()) return value;
  auto plus = value_of(*run, p.benchmark, p.plus_counter);
  if (!plus) return plus;
  return *value + *plus;
}

Result<double> run_reference(const CrosscheckPair& p, const fs::path& stem) {
  const fs::path log = stem.string() + ".log";
  auto r = run_process(p.reference, log, std::chrono::seconds(120), &g_interrupted, p.env);
  auto text = read_text_file(log);
  std::optional<double> v = text ? parse_probe_output(*text) : std::nullopt;
  if (!r.ok() || !v)
    return fail(
        fmt::format("{}: {}", p.reference_name, r.ok() ? "printed no number" : r.describe()));
  return *v;
}

}  // namespace

const char* agreement_name(Agreement a) {
  static constexpr const char* kNames[] = {"agrees", "disagrees", "undecided", "failed"};
  return kNames[static_cast<int>(a)];
}

void finish_row(CrosscheckRow& row, double tolerance) {
  if (!row.error.empty() || row.suite.empty() || row.suite.size() != row.probe.size()) {
    row.verdict = Agreement::kFailed;
    return;
  }
  row.suite_median = median_of(row.suite);
  row.probe_median = median_of(row.probe);
  // The ratio of each round's pair, taken back to back, then their median: drift between rounds
  // (this VM changes its speed from one minute to the next) cancels within a pair.
  std::vector<double> ratios;
  for (std::size_t i = 0; i < row.suite.size(); ++i) {
    if (row.probe[i] > 0) ratios.push_back(row.suite[i] / row.probe[i]);
  }
  row.ratio = ratios.empty() ? NAN : median_of(ratios);
  const auto interval = median_interval(ratios, 0.95);
  row.ci_low = interval ? interval->low : NAN;
  row.ci_high = interval ? interval->high : NAN;
  const double lo = 1 - tolerance, hi = 1 + tolerance;
  if (!interval) {
    row.verdict = Agreement::kUndecided;
  } else if (row.ci_low >= lo && row.ci_high <= hi) {
    row.verdict = Agreement::kAgrees;
  } else if (row.ci_low > hi || row.ci_high < lo) {
    row.verdict = Agreement::kDisagrees;
  } else {
    row.verdict = Agreement::kUndecided;
  }
}

namespace {

std::string unit_of(const CrosscheckPair& p) {
  if (p.metric == "items_per_second") return "items/s";
  return is_time(p) ? "ns" : "B/s";
}

// 85.8 ns, 17.2 us, 4.49 GB/s, 131.2 k/s: a value as a person reads it.
std::string human(double v, const CrosscheckPair& p) {
  if (p.metric == "items_per_second") return fmt::format("{:.1f} k/s", v / 1e3);
  if (!is_time(p)) return fmt::format("{:.2f} GB/s", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.2f} ms", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.2f} us", v / 1e3);
  return fmt::format("{:.1f} ns", v);
}

std::string interval_text(const CrosscheckRow& r) {
  return std::isnan(r.ci_low) ? "-" : fmt::format("{:.2f}-{:.2f}", r.ci_low, r.ci_high);
}

void print_table(const std::vector<CrosscheckRow>& rows, const CrosscheckOptions& opt,
                 std::ostream& out) {
  out << "| what | suite benchmark | suite | reference | reference value | suite/reference | "
         "95% interval | verdict |\n|---|---|---:|---|---:|---:|---|---|\n";
  for (const auto& r : rows) {
    if (!r.error.empty()) {
      out << fmt::format("| {} | `{}` | | {} | | | | failed: {} |\n", r.pair.label,
                         r.pair.benchmark, r.pair.reference_name, r.error);
      continue;
    }
    out << fmt::format("| {} | `{}` | {} | {} | {} | {:.2f} | {} | {} |\n", r.pair.label,
                       r.pair.benchmark, human(r.suite_median, r.pair), r.pair.reference_name,
                       human(r.probe_median, r.pair), r.ratio, interval_text(r),
                       agreement_name(r.verdict));
  }
  out << fmt::format(
      "\nagrees: the interval lies inside {:.2f}-{:.2f}; disagrees: wholly outside it; "
      "undecided: across its edge\n",
      1 - opt.tolerance, 1 + opt.tolerance);
}

void write_rounds_csv(const std::vector<CrosscheckRow>& rows, const fs::path& file) {
  std::ofstream f(file);
  write_csv_row(f, {"label", "benchmark", "metric", "unit", "reference", "round", "suite",
                    "reference_value"});
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.suite.size() && i < r.probe.size(); ++i) {
      write_csv_row(f, {r.pair.label, r.pair.benchmark, r.pair.measured(), unit_of(r.pair),
                        r.pair.reference_name, std::to_string(i), csv_number(r.suite[i]),
                        csv_number(r.probe[i])});
    }
  }
}

}  // namespace

void write_crosscheck_csv(std::ostream& out, const std::vector<CrosscheckRow>& rows) {
  write_csv_row(out, {"label", "benchmark", "metric", "unit", "reference", "rounds", "suite_median",
                      "reference_median", "ratio", "ci95_low", "ci95_high", "verdict", "error"});
  for (const auto& r : rows) {
    write_csv_row(
        out, {r.pair.label, r.pair.benchmark, r.pair.measured(), unit_of(r.pair),
              r.pair.reference_name, std::to_string(r.suite.size()), csv_number(r.suite_median),
              csv_number(r.probe_median), csv_number(r.ratio), csv_number(r.ci_low),
              csv_number(r.ci_high), agreement_name(r.verdict), r.error});
  }
}

namespace {}  // namespace

namespace {

// Pairs on one CPU, `a`; perf's where perf and taskset are installed.
void one_cpu_pairs(const fs::path& dir, const std::string& a, bool with_perf,
                   std::vector<CrosscheckPair>& pairs) {
  pairs.push_back({"pthread create+join, one CPU",
                   "create_bench",
                   grid::format("Create", "pthread", "thread", "same-cpu", 0, {{"rss_mib", "0"}}),
                   "real_time",
                   {probe(dir, "pthread"), a, a},
                   "pthread_probe"});
  pairs.push_back({"fork+exit+wait, one CPU",
                   "create_bench",
                   grid::format("Create", "fork", "process", "same-cpu", 0, {{"rss_mib", "0"}}),
                   "real_time",
                   {probe(dir, "fork"), a},
                   "fork_probe"});
  pairs.push_back({"pipe round trip 64 B, one CPU",
                   "ipc_latency_bench",
                   grid::format("IpcLatency", "pipe", "process", "same-cpu", 64),
                   "real_time",
                   {probe(dir, "pipe"), a, a},
                   "pipe_probe"});
  if (with_perf) {
    auto perf = find_on_path("perf");
    auto taskset = find_on_path("taskset");
    if (perf && taskset) {
      // perf bench sched pipe on CPU `a`, processes or (-T) threads, against a suite benchmark.
      auto perf_pair = [&](const char* label, const char* program, std::string benchmark,
                           bool threads) {
        std::vector<std::string> argv = {*taskset, "-c", a, *perf, "bench", "sched", "pipe"};
        if (threads) argv.push_back("-T");
        argv.insert(argv.end(), {"-l", "50000"});
        pairs.push_back({label, program, std::move(benchmark), "real_time", std::move(argv),
                         threads ? "perf bench sched pipe -T" : "perf bench sched pipe"});
      };
      perf_pair("pipe round trip, one CPU (perf: 4 B)", "ipc_latency_bench",
                grid::format("IpcLatency", "pipe", "process", "same-cpu", 64), false);
      // The context-switch suite's hand-off over a pipe is what perf's sched pipe times too.
      const grid::Params two = {{"tasks", "2"}, {"ws_kib", "0"}};
      perf_pair("pipe hand-off between processes, one CPU (perf)", "switch_bench",
                grid::format("Switch", "pipe", "process", "same-cpu", 0, two), false);
      perf_pair("pipe hand-off between threads, one CPU (perf -T)", "switch_bench",
                grid::format("Switch", "pipe", "thread", "same-cpu", 0, two), true);
    }
  }
}

// Pairs across two CPUs, `a` and `b`, which share `level` (the suite's rows of that placement).
void two_cpu_pairs(const fs::path& dir, const std::string& a, const std::string& b,
                   const std::string& level, std::vector<CrosscheckPair>& pairs) {
  pairs.push_back({"cache-line round trip, two CPUs",
                   "floor_bench",
                   grid::format("Floor", "cacheline", "thread", level, 64),
                   "real_time",
                   {probe(dir, "cacheline"), a, b},
                   "cacheline_probe"});
  pairs.push_back({"pthread create+join, child on the other CPU",
                   "create_bench",
                   grid::format("Create", "pthread", "thread", level, 0, {{"rss_mib", "0"}}),
                   "real_time",
                   {probe(dir, "pthread"), a, b},
                   "pthread_probe"});
  pairs.push_back({"pipe round trip 64 B, two CPUs",
                   "ipc_latency_bench",
                   grid::format("IpcLatency", "pipe", "process", level, 64),
                   "real_time",
                   {probe(dir, "pipe"), a, b},
                   "pipe_probe"});
  // The least a shared-memory ring can do (no API, no deadlines, a byte sum for a check) against
  // the suite's ring with its checksum: the difference is what the suite's ring adds. Both check
  // every message inside the clock (the suite's check cost added back: plus_counter).
  pairs.push_back(
      {"shm ring round trip 64 B, two CPUs (minimal ring)",
       "ipc_latency_bench",
       grid::format("IpcLatency", "shm_ring", "process", level, 64, {{"policy", "spin"}}),
       "real_time",
       {probe(dir, "ring"), a, b},
       "ring_probe",
       "verify_ns"});
  pairs.push_back(
      {"shm ring stream 64 B, two CPUs (minimal ring)",
       "ipc_throughput_bench",
       grid::format("IpcThroughput", "shm_ring", "process", level, 64, {{"policy", "spin"}}),
       "bytes_per_second",
       {probe(dir, "ring"), a, b, "stream"},
       "ring_probe stream"});
  pairs.push_back({"unix stream bandwidth 64 KiB, two CPUs",
                   "ipc_throughput_bench",
                   grid::format("IpcThroughput", "unix_stream", "process", level, 65536),
                   "bytes_per_second",
                   {probe(dir, "unix_stream"), a, b},
                   "unix_stream_probe"});
  // Requests in flight in batches: the least two processes can do over two pipes, taking and
  // sending step for step as the suite does.
  pairs.push_back({"pipe, 64 requests in flight in batches of 8 (requests/s)",
                   "in_flight_bench",
                   grid::format("InFlight", "pipe", "process", level, 64,
                                {{"in_flight", "64"}, {"batch", "8"}}),
                   "items_per_second",
                   {probe(dir, "inflight"), a, b, "64", "8"},
                   "inflight_probe"});
}

// Whole server models: one epoll thread in a process of its own, 16 client threads, 64 B
// requests with the same work (unpinned, as the suite's); and a process forked per request,
// whose cost grows with the size of the process forked: the probe then loads the libraries the
// suite's server loads (`libraries`, LD_PRELOAD), so that both fork a server of the same size.
void server_pairs(const fs::path& dir, const std::vector<std::string>& libraries,
                  std::vector<CrosscheckPair>& pairs) {
  pairs.push_back({"epoll server, 16 clients, 64 B requests (requests/s)",
                   "server_bench",
                   grid::format("Server", "epoll", "thread", "unpinned", 64, {{"clients", "16"}}),
                   "items_per_second",
                   {probe(dir, "server"), "16"},
                   "server_probe"});
  CrosscheckPair fork{
      "fork per request, 16 clients, 64 B requests (requests/s)",
      "server_bench",
      grid::format("Server", "fork_per_request", "process", "unpinned", 64, {{"clients", "16"}}),
      "items_per_second",
      {probe(dir, "server"), "16", "fork"},
      "server_probe fork"};
  if (!libraries.empty()) {
    std::string preload;
    for (const auto& lib : libraries) preload += (preload.empty() ? "" : ":") + lib;
    fork.env = {"LD_PRELOAD=" + preload};
    fork.reference_name += " + the suite's libraries";
  }
  pairs.push_back(std::move(fork));
}

}  // namespace

std::vector<int> crosscheck_cpus(const std::string& level) {
  const auto same = ipc::cpus_for(ipc::Placement::kSameCpu);
  if (!same.error.empty()) return {};
  const auto p = ipc::parse_placement(level);
  if (!p || *p == ipc::Placement::kUnpinned) return {same.cpus.first};
  const auto two = ipc::cpus_for(*p);
  if (!two.error.empty()) return {same.cpus.first};
  return {two.cpus.first, two.cpus.second};
}

std::vector<CrosscheckPair> crosscheck_pairs(const fs::path& dir, const std::vector<int>& cpus,
                                             bool with_perf, const std::string& level,
                                             const std::vector<std::string>& server_libraries) {
  std::vector<CrosscheckPair> pairs;
  if (cpus.empty()) return pairs;
  one_cpu_pairs(dir, std::to_string(cpus[0]), with_perf, pairs);
  if (cpus.size() >= 2) {
    two_cpu_pairs(dir, std::to_string(cpus[0]), std::to_string(cpus[1]), level, pairs);
    server_pairs(dir, server_libraries, pairs);
  }
  return pairs;
}

std::vector<std::string> parse_ldd_libraries(const std::string& ldd_output) {
  static const std::vector<std::string> kMinimal = {"libc.so", "libpthread.so", "libdl.so",
                                                    "librt.so"};
  std::stringstream lines(ldd_output);
  std::vector<std::string> out;
  for (std::string line; std::getline(lines, line);) {
    const auto arrow = line.find("=> /");
    if (arrow == std::string::npos) continue;  // the vDSO, the loader, "not found"
    std::stringstream rest(line.substr(arrow + 3));
    std::string path;
    rest >> path;
    const std::string file = fs::path(path).filename().string();
    const bool minimal = std::any_of(kMinimal.begin(), kMinimal.end(),
                                     [&](const std::string& m) { return file.rfind(m, 0) == 0; });
    if (!minimal) out.push_back(path);
  }
  return out;
}

namespace {

// The shared libraries `program` loads beyond the minimal server's (ldd, its output in `log`).
Result<std::vector<std::string>> server_libraries(const fs::path& program, const fs::path& log) {
  auto ldd = find_on_path("ldd");
  if (!ldd) return fail("ldd is not installed (it comes with the C library's tools)");
  const auto r =
      run_process({*ldd, program.string()}, log, std::chrono::seconds(30), &g_interrupted);
  auto text = read_text_file(log);
  if (!r.ok() || !text) return fail(fmt::format("ldd {}: {}", program.string(), r.describe()));
  auto libs = parse_ldd_libraries(*text);
  if (libs.empty()) return fail(fmt::format("ldd {} lists no libraries", program.string()));
  return libs;
}

}  // namespace

std::optional<double> parse_probe_output(const std::string& text) {
  std::stringstream lines(text);
  std::optional<double> last;
  for (std::string line; std::getline(lines, line);) {
    const auto usecs = line.find("usecs/op");
    std::stringstream words(line.substr(0, usecs));
    double v = 0;
    std::string rest;
    if (!(words >> v) || (words >> rest)) continue;  // one number alone on the line
    last = usecs == std::string::npos ? v : v * 1000;
    if (usecs != std::string::npos) return last;
  }
  return last;
}

int crosscheck_command(const CrosscheckOptions& opt, std::ostream& out, std::ostream& err) {
  if (opt.rounds < 1 || opt.min_time <= 0 || opt.tolerance <= 0) {
    err << "ptbench crosscheck: --rounds, --min-time and --tolerance must be positive\n";
    return kExitBadInput;
  }
  fs::path work = opt.work_dir;
  std::error_code ec;
  if (work.empty()) {
    work = default_runs_dir() / ("crosscheck_" + utc_stamp(std::time(nullptr), "%Y%m%dT%H%M%SZ"));
  }
  if (fs::create_directories(work, ec); ec) {
    err << fmt::format("ptbench crosscheck: cannot create {}: {}\n", work.string(), ec.message());
    return kExitBadInput;
  }
  const std::string level = host_reference_level();
  const auto libraries = server_libraries(opt.bench_dir / "server_bench", work / "ldd.txt");
  if (!libraries) {
    err << fmt::format("ptbench crosscheck: {}\n", libraries.error());
    return kExitBadInput;
  }
  const auto pairs =
      crosscheck_pairs(opt.bench_dir, crosscheck_cpus(level), true, level, *libraries);
  std::vector<CrosscheckRow> rows;
  for (const auto& p : pairs)
    rows.push_back({p, {}, {}, "", 0, 0, 0, NAN, NAN, Agreement::kFailed});
  for (int round = 0; round < opt.rounds && !g_interrupted; ++round) {
    for (std::size_t i = 0; i < rows.size() && !g_interrupted; ++i) {
      auto& row = rows[i];
      if (!row.error.empty()) continue;
      err << fmt::format("crosscheck: round {}/{}: {}\n", round + 1, opt.rounds, row.pair.label);
      const fs::path stem = work / fmt::format("{}_{}", i, round);
      // Alternate which side goes first, so that drift within a round favours neither.
      for (int side : round % 2 == 0 ? std::vector{0, 1} : std::vector{1, 0}) {
        auto v = side == 0 ? run_suite(opt, row.pair, stem.string() + "_suite")
                           : run_reference(row.pair, stem.string() + "_ref");
        if (!v) {
          row.error = v.error();
          break;
        }
        (side == 0 ? row.suite : row.probe).push_back(*v);
      }
    }
  }
  if (g_interrupted) {
    err << "ptbench crosscheck: interrupted\n";
    return kExitInterrupted;
  }
  for (auto& r : rows) finish_row(r, opt.tolerance);
  print_table(rows, opt, out);
  write_rounds_csv(rows, work / "crosscheck_rounds.csv");
  std::ofstream csv(work / "crosscheck.csv");
  write_crosscheck_csv(csv, rows);
  const auto agree = std::count_if(rows.begin(), rows.end(),
                                   [](auto& r) { return r.verdict == Agreement::kAgrees; });
  out << fmt::format(
      "{} of {} pairs agree within ±{:.0f}% (values: medians of {} interleaved rounds; "
      "suite/reference: the median of the rounds' paired ratios, with its 95% interval)\n"
      "crosscheck.csv and crosscheck_rounds.csv: {}\n",
      agree, rows.size(), opt.tolerance * 100, opt.rounds, work.string());
  return agree == static_cast<long>(rows.size()) ? kExitOk : kExitRegression;
}

}  // namespace ptbench::harness
