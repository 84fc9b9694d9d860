#include "harness/report_notes.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ostream>

#include "bench/support/grid.hpp"
#include "harness/host.hpp"
#include "harness/verify.hpp"

namespace ptbench::harness {

namespace fs = std::filesystem;

namespace {

using grid::format;

class Rows {
 public:
  Rows(const std::vector<SummaryRow>& rows, std::string level)
      : rows_(rows), level_(std::move(level)) {}
  // The median of a benchmark's metric (kCrossRef: at the run's reference level), or NaN.
  double median(const std::string& benchmark, const std::string& metric = "real_time") const {
    const std::string name = at_level(benchmark, level_);
    for (const auto& r : rows_) {
      if (r.benchmark == name && r.metric == metric) return r.stats.median;
    }
    return NAN;
  }
  std::string time(const std::string& benchmark, const std::string& metric = "real_time") const {
    const double v = median(benchmark, metric);
    return std::isnan(v) ? "–" : human_value(v, "ns");
  }

 private:
  const std::vector<SummaryRow>& rows_;
  std::string level_;
};

std::string times(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? "–" : fmt::format("{:.2f}×", a / b);
}

std::string number(double v, const char* f) {
  return std::isnan(v) ? "–" : fmt::format(fmt::runtime(f), v);
}

// Claim 3's lesson: the mechanism decides, not the endpoint.
void communication_2x2(std::ostream& md, const Rows& r) {
  md << "**Endpoint against mechanism** (claim 3: 64 B round trips, two CPUs):\n\n"
        "| endpoint | pipe (through the kernel) | shared-memory ring (spin) | pipe / ring |\n"
        "|---|---:|---:|---:|\n";
  for (const char* e : {"process", "thread"}) {
    const std::string pipe = format("IpcLatency", "pipe", e, kCrossRef, 64);
    const std::string ring =
        format("IpcLatency", "shm_ring", e, kCrossRef, 64, {{"policy", "spin"}});
    md << fmt::format("| {} | {} | {} | {} |\n", e, r.time(pipe), r.time(ring),
                      times(r.median(pipe), r.median(ring)));
  }
}

// Claim 4 at every size the run has.
void bulk_by_size(std::ostream& md, const Rows& r) {
  md << "\n**Streaming between processes by message size** (claim 4, two CPUs):\n\n"
        "| size | pipe | shared-memory ring (spin_futex) | ring / pipe |\n|---:|---:|---:|---:|\n";
  for (std::size_t bytes :
       {std::size_t{64}, std::size_t{4096}, std::size_t{65536}, std::size_t{1} << 20}) {
    const std::string pipe = format("IpcThroughput", "pipe", "process", kCrossRef, bytes);
    const std::string ring = format("IpcThroughput", "shm_ring", "process", kCrossRef, bytes,
                                    {{"policy", "spin_futex"}});
    const double p = r.median(pipe, "bytes_per_second"), g = r.median(ring, "bytes_per_second");
    if (std::isnan(p) && std::isnan(g)) continue;
    md << fmt::format("| {} B | {} | {} | {} |\n", bytes,
                      std::isnan(p) ? "–" : human_value(p, "B/s"),
                      std::isnan(g) ? "–" : human_value(g, "B/s"), times(g, p));
  }
}

// Process, thread, fiber: creation and a round trip of two switches (claim 12).
void ladder(std::ostream& md, const Rows& r, const fs::path& dir) {
  const std::string fork0 = format("Create", "fork", "process", "same-cpu", 0, {{"rss_mib", "0"}});
  const std::string thread0 =
      format("Create", "pthread", "thread", "same-cpu", 0, {{"rss_mib", "0"}});
  auto sw = [](const char* e) {
    return format("Switch", "pipe", e, "same-cpu", 0, {{"tasks", "2"}, {"ws_kib", "0"}});
  };
  md << "\n**The ladder** (claim 12: one CPU):\n\n| | process | thread | fiber "
        "|\n|---|---:|---:|---:|\n";
  md << fmt::format("| create (and end) | {} | {} | {} |\n", r.time(fork0), r.time(thread0),
                    r.time(format("Fiber", "create", "fiber", "same-cpu", 0)));
  md << fmt::format("| round trip of two switches | {} | {} | {} |\n", r.time(sw("process")),
                    r.time(sw("thread")),
                    r.time(format("Fiber", "switch", "fiber", "same-cpu", 0)));
  chart_link(md, dir, "ladder", "creation and switch: process, thread, fiber");
}

void speedup(std::ostream& md, const Rows& r, const fs::path& dir) {
  auto name = [](int n) {
    return format("Speedup", "xorshift", "thread", "unpinned", 0, {{"threads", std::to_string(n)}});
  };
  md << fmt::format(
      "\n**More threads** (claim 8: a CPU-bound job on {} CPUs):\n\n"
      "| threads | time | speed-up |\n|---:|---:|---:|\n",
      number(r.median(name(1), "cpus"), "{:.0f}"));
  for (int n : {1, 2, 4, 8, 16, 64}) {
    if (std::isnan(r.median(name(n)))) continue;
    md << fmt::format("| {} | {} | {} |\n", n, r.time(name(n)),
                      times(r.median(name(1)), r.median(name(n))));
  }
  chart_link(md, dir, "speedup", "speed-up against threads");
}

void memory_tables(std::ostream& md, const Rows& r) {
  md << "\n**Writes after fork against a thread's** (claim 7: 1024 pages):\n\n"
        "| writer | per page | faults per page | the parent sees the write "
        "|\n|---|---:|---:|---|\n";
  for (const auto& [m, e] : {std::pair{"fork", "process"}, std::pair{"thread", "thread"}}) {
    const std::string b = format("CowWrite", m, e, "unpinned", 4096, {{"pages", "1024"}});
    md << fmt::format("| {} | {} | {} | {} |\n", m, r.time(b, "ns_per_page"),
                      number(r.median(b, "faults_per_page"), "{:.2f}"),
                      std::isnan(r.median(b, "visible_to_parent")) ? "–"
                      : r.median(b, "visible_to_parent") > 0       ? "yes"
                                                                   : "no");
  }
  md << "\n**Memory per worker** (claim 10: each touches a 256 KiB heap; PSS / USS):\n\n"
        "| workers | process | thread |\n|---:|---:|---:|\n";
  for (int n : {1, 8, 64}) {
    auto cell = [&](bool p) {
      const std::string b = format("Footprint", p ? "fork" : "pthread", p ? "process" : "thread",
                                   "unpinned", 0, {{"workers", std::to_string(n)}});
      return fmt::format("{} / {} KiB", number(r.median(b, "pss_kib_per_worker"), "{:.0f}"),
                         number(r.median(b, "uss_kib_per_worker"), "{:.0f}"));
    };
    md << fmt::format("| {} | {} | {} |\n", n, cell(true), cell(false));
  }
}

// The share of children seen in state Z until reaped ("yes" from runs that recorded only that
// every one was), or "–".
std::string zombie_share(const Rows& r, const std::string& b) {
  const double f = r.median(b, "zombie_fraction");
  if (!std::isnan(f)) return fmt::format("{:.0f}% of children", 100 * f);
  return std::isnan(r.median(b, "zombie_state_seen")) ? "–" : "yes";
}

void process_life_tables(std::ostream& md, const Rows& r) {
  md << "\n**Zombies** (claim 9):\n\n| the child | exit to seen by the parent | reaping | state Z "
        "until reaped |\n|---|---:|---:|---|\n";
  for (const char* how : {"exit", "killed"}) {
    const std::string b = format("Zombie", how, "process", "unpinned", 0);
    md << fmt::format("| {} | {} | {} | {} |\n", how, r.time(b), r.time(b, "reap_ns"),
                      zombie_share(r, b));
  }
  md << "\n**Time slices** (claim 11: two CPU-bound tasks on one CPU):\n\n"
        "| tasks | median slice | p90 | max | slices |\n|---|---:|---:|---:|---:|\n";
  for (const char* e : {"process", "thread"}) {
    const std::string b = format("TimeSlice", "cpu_bound", e, "same-cpu", 0, {{"tasks", "2"}});
    md << fmt::format("| {} | {} | {} | {} | {} |\n", e, r.time(b), r.time(b, "p90_ns"),
                      r.time(b, "max_ns"), number(r.median(b, "samples"), "{:.0f}"));
  }
}

}  // namespace

void report_claims(std::ostream& md, const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / "verify.csv", ec)) return;
  auto verdicts = read_text_file(dir / "verify.csv");
  auto claims = verdicts ? parse_verify_csv(*verdicts)
                         : Result<std::vector<ClaimResult>>(fail("cannot read"));
  if (!claims) {
    md << "\n> verify.csv is there but unreadable: " << claims.error() << "\n";
    return;
  }
  md << "\n## What the notes say, what this machine says (`ptbench verify`)\n\n"
        "| # | the notes say | verdict here | measured under | ratio (interval) | p | why |\n"
        "|---|---|---|---|---:|---:|---|\n";
  for (const auto& c : *claims) {
    md << fmt::format("| {} | {} | **{}** | {} | {} | {} | {} |\n", c.number, c.statement.en,
                      verdict_text(c.verdict), c.condition.en,
                      std::isnan(c.ratio)
                          ? "–"
                          : fmt::format("{:.2f}× ({}–{})", c.ratio, number(c.ci_low, "{:.2f}"),
                                        number(c.ci_high, "{:.2f}")),
                      number(c.p_value, "{:.2g}"), c.explanation.en);
  }
}

void report_notes(std::ostream& md, const std::vector<SummaryRow>& rows, const fs::path& dir) {
  const Rows r(rows, run_reference_level(dir));
  md << "\n## The course notes, measured\n\nThe numbers behind the verdicts (medians of "
        "repetition means).\n\n";
  communication_2x2(md, r);
  bulk_by_size(md, r);
  ladder(md, r, dir);
  speedup(md, r, dir);
  memory_tables(md, r);
  process_life_tables(md, r);
}

}  // namespace ptbench::harness
