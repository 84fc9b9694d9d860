#include "harness/report.hpp"

#include "harness/paths.hpp"
#include "harness/report_models.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "harness/csv.hpp"
#include "harness/host.hpp"
#include "harness/report_notes.hpp"
#include "harness/results.hpp"
#include "harness/runner.hpp"
#include "harness/stats.hpp"
#include "harness/subprocess.hpp"
#include "harness/verify.hpp"
#include "ipc/topology.hpp"

namespace ptbench::harness {

namespace fs = std::filesystem;

namespace {

// A CSV file of the run directory, read and parsed.
template <class T>
Result<T> read_run_file(const fs::path& file, Result<T> (*parse)(std::string_view)) {
  auto text = read_text_file(file);
  if (!text) return fail(fmt::format("cannot read {}", file.string()));
  auto parsed = parse(*text);
  if (!parsed) return parsed.with_context(file.string());
  return parsed;
}

std::string ratio(double v) {
  return std::isnan(v) ? "–" : fmt::format("{:.3g}×", v);
}

std::string label(const SummaryRow& r) {
  std::string l = r.mechanism;
  if (!r.params.empty()) l += " " + r.params;
  return l;
}

std::string median_with_spread(const SummaryRow& r) {
  const double m = r.stats.median;
  if (std::isnan(m)) return "–";
  return fmt::format("{} ({}–{})", human_value(m, r.unit), human_value(r.stats.p25, r.unit),
                     human_value(r.stats.p75, r.unit));
}

// Flags a reader must see (measurement rule 14): repetitions in two modes (the p75 over twice
// the p25: a median alone would hide one of them), and a value beyond the run's own floor (a
// time below it, a rate above it), which a correct measurement cannot give.
std::string flags(const SummaryRow& r) {
  std::string out;
  const double p25 = r.stats.p25, p75 = r.stats.p75;
  if (p25 > 0 && p75 > 2 * p25)
    out += "; two-mode: repetitions from " + human_value(p25, r.unit) + " to " +
           human_value(p75, r.unit);
  const double f = r.ratio_to_floor;
  const bool rate = r.direction == "higher_is_better";
  if (!std::isnan(f) && (rate ? f > 1.05 : f < 0.95))
    out += rate ? "; above the floor" : "; below the floor";
  return out;
}

std::string mark(const SummaryRow& r) {
  if (r.skipped) return r.error;
  if (r.errors > 0) return "FAILED: " + r.error;
  std::string m = (r.stable ? "" : "unstable") + flags(r);
  if (m.rfind("; ", 0) == 0) m.erase(0, 2);
  return m;
}

// A table of one suite's rows for one metric, with an optional second metric beside it.
// `only`: just the benchmarks whose name starts with it (a program can hold two questions).
void section_table(std::ostream& out, const std::vector<SummaryRow>& rows, const std::string& suite,
                   const std::string& metric, bool with_floor, const std::string& extra_metric,
                   const std::string& only = "") {
  std::map<std::string, const SummaryRow*> extra;
  for (const auto& r : rows) {
    if (r.suite == suite && r.metric == extra_metric) extra[r.benchmark] = &r;
  }
  out << "| benchmark | endpoint | placement | bytes | median of repetition means (p25–p75) | ";
  if (!extra_metric.empty()) out << extra_metric << " | ";
  out << "× baseline |" << (with_floor ? " × floor |" : "") << " note |\n|---|---|---|---:|---:|";
  if (!extra_metric.empty()) out << "---:|";
  out << "---:|" << (with_floor ? "---:|" : "") << "---|\n";
  for (const auto& r : rows) {
    if (r.suite != suite || !r.benchmark.starts_with(only)) continue;
    if (r.metric != metric && !(r.skipped && r.metric == "real_time")) continue;
    out << fmt::format("| {} | {} | {} | {} | {} | ", label(r), r.endpoint, r.placement,
                       csv_number(r.payload_bytes), median_with_spread(r));
    if (!extra_metric.empty()) {
      auto it = extra.find(r.benchmark);
      const SummaryRow* e = it == extra.end() ? nullptr : it->second;
      out << (e ? human_value(e->stats.median, e->unit) : "–") << " | ";
    }
    out << ratio(r.ratio_to_baseline) << " |";
    if (with_floor) out << " " << ratio(r.ratio_to_floor) << " |";
    out << " " << mark(r) << " |\n";
  }
}

// 8 B, 4 KiB, 1 MiB: message sizes as people write them.
std::string size_label(long long bytes) {
  if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= 1024 && bytes % 1024 == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} B", bytes);
}

// The section at a glance: one row per mechanism and endpoint, one column per message size, for
// one placement; the full table follows folded. Cells are medians; a cell says why it is empty.
void glance_table(std::ostream& out, const std::vector<SummaryRow>& rows, const std::string& suite,
                  const std::string& metric, const std::string& placement) {
  std::vector<long long> sizes;
  std::vector<std::string> order;  // row keys in the summary's order
  std::map<std::string, std::map<long long, std::string>> cells;
  std::map<std::string, std::map<long long, std::string>> floors;  // by endpoint
  for (const auto& r : rows) {
    if (r.suite != suite || r.placement != placement) continue;
    if (r.metric != metric && !(r.skipped && r.metric == "real_time")) continue;
    if (std::isnan(r.payload_bytes)) continue;
    const auto size = static_cast<long long>(r.payload_bytes);
    if (std::find(sizes.begin(), sizes.end(), size) == sizes.end()) sizes.push_back(size);
    const std::string key = fmt::format("{} | {}", label(r), r.endpoint);
    if (!cells.count(key)) order.push_back(key);
    std::string cell = r.skipped ? "skipped" : human_value(r.stats.median, r.unit);
    if (r.errors > 0 && !r.skipped) cell = "FAILED";
    cells[key][size] = cell;
    const double floor = r.stats.median / r.ratio_to_floor;
    if (std::isfinite(floor) && floor > 0) floors[r.endpoint][size] = human_value(floor, r.unit);
  }
  if (order.empty()) return;
  std::sort(sizes.begin(), sizes.end());
  out << fmt::format(
      "At a glance ({}; medians; the last rows are the section's floor from the same run; the "
      "full table is below):\n\n",
      placement);
  out << "| mechanism | endpoint |";
  for (long long b : sizes) out << " " << size_label(b) << " |";
  out << "\n|---|---|";
  for (std::size_t i = 0; i < sizes.size(); ++i) out << "---:|";
  out << "\n";
  // The floor of the same run last, once if both endpoints share it.
  if (floors.size() == 2 && floors.begin()->second == floors.rbegin()->second) {
    floors = {{"both", floors.begin()->second}};
  }
  for (const auto& [endpoint, f] : floors) {
    const std::string key = fmt::format("*hardware floor* | {}", endpoint);
    order.push_back(key);
    cells[key] = f;
  }
  for (const auto& key : order) {
    out << "| " << key << " |";
    const auto& row = cells.at(key);
    for (long long b : sizes) {
      auto it = row.find(b);
      out << " " << (it == row.end() ? "–" : it->second) << " |";
    }
    out << "\n";
  }
  out << "\n";
}

// Folds a long table so the sections read at a glance.
void folded_table(std::ostream& out, const std::string& summary,
                  const std::function<void(std::ostream&)>& table) {
  out << "<details><summary>" << summary << "</summary>\n\n";
  table(out);
  out << "\n</details>\n";
}

// Process against thread for every hand-off measured both ways.
void thread_process_table(std::ostream& out, const std::vector<SummaryRow>& rows) {
  // Keyed without the endpoint: process first, thread second.
  std::map<std::string, std::pair<const SummaryRow*, const SummaryRow*>> pairs;
  for (const auto& r : rows) {
    if (r.suite != "switch" || r.metric != "real_time" || std::isnan(r.stats.median)) continue;
    const std::string key = fmt::format("{}|{}|{}", r.mechanism, r.placement, r.params);
    (r.endpoint == "process" ? pairs[key].first : pairs[key].second) = &r;
  }
  out << "| primitive | placement | params | process | thread | thread / process |\n"
         "|---|---|---|---:|---:|---:|\n";
  for (const auto& [key, pr] : pairs) {
    if (!pr.first || !pr.second) continue;
    const SummaryRow& p = *pr.first;
    const SummaryRow& t = *pr.second;
    out << fmt::format("| {} | {} | {} | {} | {} | {:.2f} |\n", p.mechanism, p.placement, p.params,
                       human_value(p.stats.median, "ns"), human_value(t.stats.median, "ns"),
                       t.stats.median / p.stats.median);
  }
}

// Context switches at a glance: two tasks, no working set, process against thread on one CPU
// (a switch) and across two (a wake-up on another core).
void switch_glance_table(std::ostream& out, const std::vector<SummaryRow>& rows,
                         const std::string& level) {
  const std::vector<std::string> placements = {"same-cpu", level};
  std::vector<std::string> order;
  std::map<std::string, const SummaryRow*> cell;  // primitive|placement|endpoint
  for (const auto& r : rows) {
    if (r.suite != "switch" || r.metric != "real_time" || r.params != "tasks=2;ws_kib=0" ||
        std::isnan(r.stats.median)) {
      continue;
    }
    if (std::find(order.begin(), order.end(), r.mechanism) == order.end()) {
      order.push_back(r.mechanism);
    }
    cell[r.mechanism + "|" + r.placement + "|" + r.endpoint] = &r;
  }
  if (order.empty()) return;
  out << "At a glance (two tasks, no working set; medians of the round trip):\n\n"
      << fmt::format(
             "| primitive | same-cpu process | same-cpu thread | thread / process | {0} "
             "process | {0} thread | thread / process |\n|---|---:|---:|---:|---:|---:|---:|\n",
             level);
  for (const auto& m : order) {
    out << "| " << m << " |";
    for (const auto& pl : placements) {
      auto p = cell.find(m + "|" + pl + "|process");
      auto t = cell.find(m + "|" + pl + "|thread");
      const double pv = p == cell.end() ? NAN : p->second->stats.median;
      const double tv = t == cell.end() ? NAN : t->second->stats.median;
      out << fmt::format(" {} | {} | {} |", std::isnan(pv) ? "–" : human_value(pv, "ns"),
                         std::isnan(tv) ? "–" : human_value(tv, "ns"),
                         std::isnan(pv) || std::isnan(tv) ? "–" : fmt::format("{:.2f}", tv / pv));
    }
    out << "\n";
  }
  out << "\n";
}

std::string run_plot(const fs::path& dir) {
  const fs::path script = plot_script();
  const fs::path log = dir / "charts.log";
  auto r = run_process({"/usr/bin/python3", script.string(), dir.string()}, log,
                       std::chrono::seconds(120), nullptr);
  if (r.ok()) {
    fs::remove(log);
    return {};
  }
  if (r.exit_code == 3 || (r.exit_code == 127 && !fs::exists("/usr/bin/python3"))) {
    return "charts skipped: matplotlib is missing; install it with `apt-get install "
           "python3-matplotlib` and run `ptbench report " +
           dir.string() + "`";
  }
  return fmt::format("charts skipped: scripts/plot.py {} (see {})", r.describe(), log.string());
}

using HostMap = std::map<std::string, std::string>;

std::string host_value(const HostMap& h, const std::string& k) {
  auto it = h.find(k);
  return it == h.end() ? "unknown" : it->second;
}

// The head of the report: host, build, run, how to read the tables, the noise guard.
void report_head(std::ostream& md, const HostMap& h, const std::string& chart_note) {
  auto hv = [&](const std::string& k) { return host_value(h, k); };
  md << fmt::format("# ptbench report: {}\n\n", hv("run_id"));
  md << fmt::format(
      "- **Host:** {}, CPUs online {}, allowed {}; {}; kernel {}; THP {}; governor {} "
      "(mitigations and more in host.csv)\n"
      "- **Build:** {} {}; Google Benchmark {} ({} library build)\n"
      "- **Placement:** {}; rows are named by what their two CPUs share (same-cpu, smt, "
      "same-cache, cross-cache, cross-numa, cross-package); the tables at a glance show `{}`, "
      "what the first and the last allowed CPU share (CPUs: {}; not on this host: {})\n"
      "- **Run:** profile {}, {} repetitions of at least {} s each, one process per program and "
      "repetition round, in a random interleaved order (seed {}); load {} before, {} after; "
      "completed: {}\n\n",
      hv("cpu_model"), hv("cpus_online"), hv("cpus_allowed"), hv("virtualization"), hv("kernel"),
      hv("thp"), hv("governor"), hv("compiler"), hv("build_type"), hv("google_benchmark_version"),
      hv("google_benchmark_library_build"), hv("topology"),
      run_reference_level(KeyValues(h.begin(), h.end())), hv("placement_cpus"),
      hv("placements_skipped"), hv("profile"), hv("repetitions"), hv("min_time_s"),
      hv("interleave_seed"), hv("load_before"), hv("load_after"), hv("completed"));
  md << "Each repetition gives one mean per benchmark (batch-timed); tables show the median of "
        "those repetition means with their 25th–75th percentiles, and per-message percentiles "
        "(p50, p99, ...) are separate columns from a second, per-message pass. *two-mode* marks "
        "rows whose repetitions split (p75 over twice p25), *below the floor* a time under the "
        "run's own floor. *× baseline* is the ratio "
        "to the section's baseline with the same placement and size, *× floor* to the hardware "
        "floor measured in the same run. *unstable* marks rows whose spread (MAD / median) is "
        "above 10%: close other work, raise `--repetitions`, or pin before trusting them.\n";
  if (!chart_note.empty()) md << "\n> " << chart_note << "\n";
  md << fmt::format("\nNoise guard: cache-line floor {} ns before the run, {} ns after.\n",
                    hv("cacheline_floor_before_ns"), hv("cacheline_floor_after_ns"));
  if (h.count("noise_warning")) md << "\n> **Warning:** " << h.at("noise_warning") << "\n";
}

void report_creation_and_switches(std::ostream& md, const std::vector<SummaryRow>& rows,
                                  const fs::path& dir) {
  md << "\n## Creation: a process against a thread\n\nTimed: creating a task that exits at "
        "once, and waiting for it. Baseline: `pthread_create` + join.\n\n";
  section_table(md, rows, "create", "real_time", false, "");
  chart_link(md, dir, "creation", "creation cost per mechanism, log scale");
  chart_link(md, dir, "fork_memory", "fork cost against the parent's resident memory");

  md << "\n## Context switches: process against thread\n\nTwo tasks hand a token back and "
        "forth. On one CPU (same-cpu) every hand-off is a context switch; across two CPUs it is "
        "a wake-up of a sleeping task on the other core. `tasks=1` rows make the same calls "
        "inside one task: the mechanism's own cost without a switch. Baseline: the pipe.\n\n";
  switch_glance_table(md, rows, run_reference_level(dir));
  folded_table(md, "Process against thread for every placement, task count and working set",
               [&](std::ostream& o) { thread_process_table(o, rows); });
  folded_table(md, "Every primitive, endpoint, placement and working set", [&](std::ostream& o) {
    section_table(o, rows, "switch", "real_time", false, "per_switch_ns");
  });
  chart_link(md, dir, "switch", "hand-off round trip, process against thread");
}

// One IPC section's content.
struct IpcSection {
  const char* heading;
  const char* suite;
  const char* metric;
  const char* extra_metric;
  const char* chart_alt;
};

// The at-a-glance table, every row folded below it, and the chart.
void report_ipc_section(std::ostream& md, const std::vector<SummaryRow>& rows, const fs::path& dir,
                        const IpcSection& s) {
  md << "\n" << s.heading << "\n\n";
  glance_table(md, rows, s.suite, s.metric, run_reference_level(dir));
  folded_table(md, "Every transport, endpoint, placement and size", [&](std::ostream& o) {
    section_table(o, rows, s.suite, s.metric, true, s.extra_metric);
  });
  chart_link(md, dir, s.suite, s.chart_alt);
}

// What the zero-copy ring asks of its user, said once when the run measured it.
constexpr const char* kZeroCopyNote =
    "\n**shm_ring_zc** is the same ring used in place. The sender asks for a slot "
    "(`loan(size)`), writes its message there and publishes it; the receiver gets a pointer to "
    "the message inside the ring (`peek`), reads it there and releases the slot. What it asks of "
    "its user: the message is built where the ring puts it, so its size must be known before it "
    "is written and fit the ring's slots; each direction has one loan (one peek) at a time, "
    "published (released) before the next; nothing may be written to a slot after publishing "
    "it or read from it after releasing it (the other process owns it then); and a slow "
    "receiver holds the sender's slots. In these benchmarks the sender writes every byte of each "
    "message into its slot and the receiver verifies it in place: the copies saved are the "
    "receiver's copy out and the sender's copy in.\n";

// The core-to-core matrix by topology level: how many pairs, the median of their round trips,
// the fastest and the slowest pair; the heat map below it.
void report_core_to_core(std::ostream& md, const std::vector<SummaryRow>& rows,
                         const fs::path& dir) {
  std::map<std::string, std::vector<const SummaryRow*>> by_level;
  for (const auto& r : rows) {
    if (r.suite == "floor" && r.metric == "real_time" && r.stats.n > 0 &&
        r.benchmark.starts_with("BM_CoreToCore/")) {
      by_level[r.placement].push_back(&r);
    }
  }
  if (by_level.empty()) return;
  md << "\n## Core-to-core matrix\n\nThe cache-line round trip between two threads on each pair "
        "of CPUs (a sample of each topology level on a large machine: at most a fixed number of "
        "pairs per level, evenly spaced), by what the two CPUs share (hwloc; `topology.xml` has "
        "the machine).\n\n| level | pairs | median | fastest pair | slowest pair |\n"
        "|---|---:|---:|---|---|\n";
  auto pair_of = [](const SummaryRow& r) {
    std::map<std::string, std::string> p;
    std::stringstream in(r.params);
    for (std::string kv; std::getline(in, kv, ';');) {
      if (auto eq = kv.find('='); eq != std::string::npos) p[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    return p["a"] + "–" + p["b"];
  };
  for (ipc::Level level : ipc::all_levels()) {
    auto it = by_level.find(std::string(ipc::to_string(level)));
    if (it == by_level.end()) continue;
    auto& v = it->second;
    std::sort(v.begin(), v.end(),
              [](auto* x, auto* y) { return x->stats.median < y->stats.median; });
    std::vector<double> medians;
    for (const auto* r : v) medians.push_back(r->stats.median);
    md << fmt::format("| {} | {} | {} | {} ({}) | {} ({}) |\n", it->first, v.size(),
                      human_value(summarize(medians).median, v.front()->unit), pair_of(*v.front()),
                      human_value(v.front()->stats.median, v.front()->unit), pair_of(*v.back()),
                      human_value(v.back()->stats.median, v.back()->unit));
  }
  chart_link(md, dir, "core_to_core", "core-to-core round trip, every measured pair of CPUs");
}

void report_ipc_and_floors(std::ostream& md, const std::vector<SummaryRow>& rows,
                           const fs::path& dir) {
  report_ipc_section(md, rows, dir,
                     {"## IPC latency: round trip\n\nBaseline: the pipe. Floor: a cache line "
                      "bouncing between the same two CPUs.",
                      "ipc_latency", "real_time", "p99_ns", "IPC round trip against message size"});
  report_ipc_section(md, rows, dir,
                     {"## IPC throughput: one-way streaming\n\nBaseline: the pipe. Floor: between "
                      "two CPUs the streaming floor across them at the same size (one thread "
                      "writes buffers, the other copies them out, pipelined); on one CPU memcpy "
                      "bandwidth at the same size.",
                      "ipc_throughput", "bytes_per_second", "receiver_cpu_s_per_gb",
                      "IPC throughput against message size"});
  if (std::any_of(rows.begin(), rows.end(),
                  [](const SummaryRow& r) { return r.mechanism == "shm_ring_zc"; })) {
    md << kZeroCopyNote;
  }
  md << "\n## Floors\n\n";
  section_table(md, rows, "floor", "real_time", false, "p99_ns", "BM_Floor/");
  md << "\n";
  section_table(md, rows, "floor", "bytes_per_second", false, "");
  report_core_to_core(md, rows, dir);
}

bool has_suite(const std::vector<SummaryRow>& rows, const std::string& suite) {
  return std::any_of(rows.begin(), rows.end(),
                     [&](const SummaryRow& r) { return r.suite == suite; });
}

// Latency under load: the open loop.
void report_open_loop(std::ostream& md, const std::vector<SummaryRow>& rows, const fs::path& dir) {
  if (has_suite(rows, "open_loop")) {
    md << "\n## Latency under load (open loop)\n\nRequests sent on a fixed schedule at 10%, "
          "50% and 90% of the rate the transport saturates at (16 in flight), each response "
          "timed from when its request was due (no coordinated omission). The p50 response "
          "time with its p99, then the CPUs the server used waiting for and answering requests "
          "at that rate, with the requests the one-thread client could not send on time "
          "(`late_sends`: where they are many, the generator, not the transport, set the rate; "
          "compare `achieved_per_s` with `offered_per_s` in summary.csv).\n\n";
    section_table(md, rows, "open_loop", "real_time", false, "p99_ns", "BM_OpenLoop/");
    md << "\n";
    section_table(md, rows, "open_loop", "server_cpus", false, "late_sends", "BM_OpenLoop/");
    chart_link(md, dir, "open_loop", "response time against offered load, per transport");
  }
}

// Requests in flight, one by one or in batches.
void report_in_flight(std::ostream& md, const std::vector<SummaryRow>& rows) {
  if (has_suite(rows, "in_flight")) {
    md << "\n**Requests in flight** (`BM_InFlight`: K requests out at once, each answer "
          "followed by the next; requests per second, and how long each spent in flight). "
          "`batch=B`: each side takes what has arrived, B at most, and sends as many in one "
          "call (`writev` on a stream, `sendmmsg` on datagram sockets, one wake-up in the ring); "
          "`server_cpus` in summary.csv says what that saved the server:\n\n";
    section_table(md, rows, "in_flight", "items_per_second", false, "in_flight_ns");
  }
}

// The concurrency patterns: fan-in, and response time against offered load; the server models
// with their decision table.
void report_patterns(std::ostream& md, const std::vector<SummaryRow>& rows, const fs::path& dir) {
  report_models(md, rows);
  chart_link(md, dir, "server", "requests per second and p99 against clients, per server model");
  if (has_suite(rows, "server")) {
    md << "\n**Every server row** (requests per second with the p99 response time, then the "
          "server's memory per worker with the CPUs the clients used: near the CPUs there are, "
          "the clients were part of the limit):\n\n";
    section_table(md, rows, "server", "items_per_second", false, "p99_ns");
    md << "\n";
    section_table(md, rows, "server", "server_pss_kib_per_worker", false, "client_cpus");
  }
  if (has_suite(rows, "pattern")) {
    md << "\n## Patterns: fan-in, fan-out, pipelines\n\nMore tasks than CPUs, as services "
          "run; every message verified. `FanIn`: N producers into one consumer (each producer's "
          "numbers in order, every byte). `FanOut`: one producer dealing to N consumers (each "
          "message taken exactly once). `Pipeline`: S stages in a line, each checking every "
          "message. Messages per second, with the CPUs the consumer side used (1.0 = a whole "
          "CPU: the one consumer of a fan-in, the N of a fan-out together); summary.csv has "
          "`producer_cpus` for every row and `stage_cpus` for the pipelines.\n\n";
    section_table(md, rows, "pattern", "items_per_second", false, "consumer_cpus");
    chart_link(md, dir, "fan_in", "messages per second against producers, per transport");
  }
  report_open_loop(md, rows, dir);
  report_in_flight(md, rows);
}

// The hand-written sections, in report order, each beside the suites it writes; every other
// suite of a run gets a generic section (report_other_suites), so a new program reaches
// report.md with no change here.
struct Section {
  void (*write)(std::ostream& md, const std::vector<SummaryRow>& rows, const fs::path& dir);
  std::vector<std::string> suites;
};

const std::vector<Section>& sections() {
  static const std::vector<Section> table = {
      {report_notes,
       {"cow_write", "speedup", "zombie", "footprint", "time_slice", "shared_data", "fiber"}},
      {report_creation_and_switches, {"create", "switch"}},
      {report_ipc_and_floors, {"ipc_latency", "ipc_throughput", "floor"}},
      {report_patterns, {"server", "pattern", "open_loop", "in_flight"}},
  };
  return table;
}

const std::set<std::string>& hand_written_suites() {
  static const std::set<std::string> suites = [] {
    std::set<std::string> out;
    for (const auto& s : sections()) out.insert(s.suites.begin(), s.suites.end());
    return out;
  }();
  return suites;
}

// Per suite without a section of its own: its rows on their primary metric (each program
// declares it), with their spread and ratio to the suite's baseline.
void report_other_suites(std::ostream& md, const std::vector<SummaryRow>& rows) {
  std::map<std::string, std::set<std::string>> metrics;  // suite -> its primary metrics
  for (const auto& r : rows) {
    if (!hand_written_suites().count(r.suite) && r.primary) metrics[r.suite].insert(r.metric);
  }
  for (const auto& [suite, names] : metrics) {
    md << fmt::format(
        "\n## {}\n\nEach row on the metric its program judges it by ({}); summary.csv has every "
        "metric.\n\n",
        suite, fmt::join(names, ", "));
    for (const auto& metric : names) {
      section_table(md, rows, suite, metric, false, "");
      md << "\n";
    }
  }
}

}  // namespace

void chart_link(std::ostream& out, const fs::path& dir, const std::string& name,
                const std::string& alt) {
  std::error_code ec;
  if (fs::exists(dir / "charts" / (name + ".png"), ec)) {
    out << fmt::format("\n![{}](charts/{}.png)\n", alt, name);
  }
}

Result<std::string> write_report(const fs::path& dir) {
  auto rows = read_run_file(dir / "summary.csv", parse_summary_csv);
  if (!rows) return fail(rows.error());
  auto host = read_run_file(dir / "host.csv", parse_host_csv);
  if (!host) return fail(host.error());
  map_legacy_placements(*rows, run_reference_level(*host));
  const HostMap h(host->begin(), host->end());
  std::string chart_note = run_plot(dir);
  std::ostringstream md;
  report_head(md, h, chart_note);
  report_claims(md, dir);
  for (const auto& section : sections()) section.write(md, *rows, dir);
  report_other_suites(md, *rows);
  std::ofstream out(dir / "report.md");
  out << md.str();
  if (!out) return fail(fmt::format("cannot write {}", (dir / "report.md").string()));
  return chart_note;
}

int report_command(const fs::path& dir, std::ostream& out, std::ostream& err) {
  auto note = write_report(dir);
  if (!note) {
    err << "ptbench report: " << note.error() << '\n';
    return kExitBadInput;
  }
  if (!note->empty()) err << "ptbench report: " << *note << '\n';
  out << "wrote " << (dir / "report.md").string() << '\n';
  return kExitOk;
}

}  // namespace ptbench::harness
