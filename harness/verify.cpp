#include "harness/verify.hpp"

#include "bench/support/grid.hpp"

#include "harness/paths.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>
#include <ostream>

#include "harness/compare.hpp"
#include "harness/csv.hpp"
#include "harness/stats.hpp"

namespace ptbench::harness {

namespace fs = std::filesystem;

namespace {

// The benchmarks the claims read, named through the grid contract the programs use.
const std::string kThreadCreate =
    grid::format("Create", "pthread", "thread", "same-cpu", 0, {{"rss_mib", "0"}});
const std::string kForkCreate =
    grid::format("Create", "fork", "process", "same-cpu", 0, {{"rss_mib", "0"}});
const std::string kThreadCreate256 =
    grid::format("Create", "pthread", "thread", "same-cpu", 0, {{"rss_mib", "256"}});
const std::string kFork256 =
    grid::format("Create", "fork", "process", "same-cpu", 0, {{"rss_mib", "256"}});
const std::string kThreadSwitch =
    grid::format("Switch", "pipe", "thread", "same-cpu", 0, {{"tasks", "2"}, {"ws_kib", "0"}});
const std::string kProcessSwitch =
    grid::format("Switch", "pipe", "process", "same-cpu", 0, {{"tasks", "2"}, {"ws_kib", "0"}});
const std::string kThreadSwitchWs =
    grid::format("Switch", "pipe", "thread", "same-cpu", 0, {{"tasks", "2"}, {"ws_kib", "256"}});
const std::string kProcessSwitchWs =
    grid::format("Switch", "pipe", "process", "same-cpu", 0, {{"tasks", "2"}, {"ws_kib", "256"}});
const std::string kHeapHandoff = grid::format("Floor", "heap_handoff", "thread", "cross-cpu", 64);
const std::string kPipeLatency = grid::format("IpcLatency", "pipe", "process", "cross-cpu", 64);
const std::string kRingStream = grid::format("IpcThroughput", "shm_ring", "process", "cross-cpu",
                                             65536, {{"policy", "spin_futex"}});
const std::string kPipeStream =
    grid::format("IpcThroughput", "pipe", "process", "cross-cpu", 65536);

using Series = std::map<int, double>;                                 // repetition -> value
using Index = std::map<std::pair<std::string, std::string>, Series>;  // (benchmark, metric)

Index index(const std::vector<Sample>& samples) {
  Index out;
  for (const auto& s : samples) {
    if (s.error.empty() && !std::isnan(s.value))
      out[{s.benchmark, s.metric}][s.repetition] = s.value;
  }
  return out;
}

std::vector<double> values(const Series& s) {
  std::vector<double> v;
  for (const auto& [rep, x] : s) v.push_back(x);
  return v;
}

// "expensive costs `ratio` x cheap": holds when significantly above 1, does not hold when
// significantly below (or not significantly different while the claim wants a difference).
ClaimResult test_costlier(int number, std::string statement, std::string evidence,
                          const std::vector<double>& expensive, const std::vector<double>& cheap,
                          double alpha) {
  ClaimResult c;
  c.number = number;
  c.statement = std::move(statement);
  c.evidence = std::move(evidence);
  if (expensive.size() < 3 || cheap.size() < 3) {
    c.verdict = ClaimVerdict::kInconclusive;
    c.note = "fewer than 3 repetitions of a benchmark it needs";
    return c;
  }
  const Summary e = summarize(expensive), k = summarize(cheap);
  c.ratio = e.median / k.median;
  c.ci_low = e.ci_low / k.ci_high;
  c.ci_high = e.ci_high / k.ci_low;
  c.ci_coverage = e.ci_coverage * k.ci_coverage;
  c.p_value = mann_whitney(expensive, cheap).p;
  if (mann_whitney_min_p(expensive.size(), cheap.size()) > alpha) {
    c.verdict = ClaimVerdict::kInconclusive;
    c.note = fmt::format("{} and {} repetitions cannot reach p < {}: run with more repetitions",
                         expensive.size(), cheap.size(), alpha);
  } else if (c.p_value < alpha) {
    c.verdict = c.ratio > 1 ? ClaimVerdict::kHolds : ClaimVerdict::kDoesNotHold;
  } else {
    c.verdict = ClaimVerdict::kInconclusive;
    c.note = "no significant difference";
  }
  return c;
}

const Series* find(const Index& idx, const std::string& benchmark,
                   const char* metric = "real_time") {
  auto it = idx.find({benchmark, metric});
  return it == idx.end() ? nullptr : &it->second;
}

std::vector<double> values_of(const Index& idx, const std::string& benchmark,
                              const char* metric = "real_time") {
  const Series* s = find(idx, benchmark, metric);
  return s ? values(*s) : std::vector<double>{};
}

// Per repetition: b - a, pairing the repetitions of one round.
std::vector<double> deltas(const Series* a, const Series* b) {
  std::vector<double> out;
  if (!a || !b) return out;
  for (const auto& [rep, va] : *a) {
    auto it = b->find(rep);
    if (it != b->end()) out.push_back(it->second - va);
  }
  return out;
}

// Claim 5: fork grows with the parent's memory while thread creation does not.
ClaimResult claim_fork_grows(const Index& idx, double alpha) {
  auto fork_growth =
      test_costlier(5, "", "", values_of(idx, kFork256), values_of(idx, kForkCreate), alpha);
  auto thread_growth = test_costlier(5, "", "", values_of(idx, kThreadCreate256),
                                     values_of(idx, kThreadCreate), alpha);
  ClaimResult c = fork_growth;
  c.statement =
      "fork becomes more expensive as the parent's memory grows; thread creation does not";
  c.evidence = fmt::format(
      "fork at 256 MiB against fork at ~0 MiB (pthread: {:.2f}x, {})", thread_growth.ratio,
      thread_growth.verdict == ClaimVerdict::kHolds ? "grows too" : "does not grow significantly");
  if (fork_growth.verdict == ClaimVerdict::kHolds) {
    const bool thread_grows =
        thread_growth.verdict == ClaimVerdict::kHolds && thread_growth.ratio > 1.1;
    c.verdict = thread_grows ? ClaimVerdict::kDoesNotHold : ClaimVerdict::kHolds;
    if (thread_grows) c.note = "thread creation grows with memory too";
  }
  return c;
}

// Claim 6: the extra time per round trip that a 256 KiB working set adds, process against thread.
ClaimResult claim_switch_loses_cache(const Index& idx, double alpha) {
  auto dp = deltas(find(idx, kProcessSwitch), find(idx, kProcessSwitchWs));
  auto dt = deltas(find(idx, kThreadSwitch), find(idx, kThreadSwitchWs));
  auto c = test_costlier(6, "A process switch loses more cached working set than a thread switch",
                         "extra round-trip time from a 256 KiB working set per task, processes "
                         "against threads, one CPU (paired by repetition)",
                         dp, dt, alpha);
  if (!dp.empty() && !dt.empty() && (summarize(dt).median <= 0 || summarize(dp).median <= 0)) {
    c.verdict = ClaimVerdict::kInconclusive;
    c.note = "the working set added no measurable time on one side";
  }
  return c;
}

}  // namespace

const char* verdict_text(ClaimVerdict v) {
  static constexpr const char* kText[] = {"holds", "does not hold", "inconclusive"};
  return kText[static_cast<int>(v)];
}

std::optional<ClaimVerdict> parse_verdict(std::string_view text) {
  for (auto v : {ClaimVerdict::kHolds, ClaimVerdict::kDoesNotHold, ClaimVerdict::kInconclusive}) {
    if (text == verdict_text(v)) return v;
  }
  return std::nullopt;
}

const std::vector<std::string>& verify_benchmarks() {
  static const std::vector<std::string> all = {kThreadCreate,   kForkCreate,      kThreadCreate256,
                                               kFork256,        kThreadSwitch,    kProcessSwitch,
                                               kThreadSwitchWs, kProcessSwitchWs, kHeapHandoff,
                                               kPipeLatency,    kRingStream,      kPipeStream};
  return all;
}

std::vector<ClaimResult> evaluate_claims(const std::vector<Sample>& samples, double alpha) {
  const auto idx = index(samples);
  std::vector<ClaimResult> claims;
  claims.push_back(test_costlier(1, "Creating a thread is cheaper than creating a process",
                                 "fork+exit+wait against pthread_create+join",
                                 values_of(idx, kForkCreate), values_of(idx, kThreadCreate),
                                 alpha));
  auto c2 = test_costlier(2, "A thread context switch is cheaper than a process context switch",
                          "pipe ping-pong between two processes against two threads, one CPU",
                          values_of(idx, kProcessSwitch), values_of(idx, kThreadSwitch), alpha);
  claims.push_back(c2);
  claims.push_back(test_costlier(
      3,
      "Threads exchanging data through shared memory beat processes exchanging it through the "
      "kernel",
      "64 B pipe round trip between processes against a heap hand-off between threads, two CPUs",
      values_of(idx, kPipeLatency), values_of(idx, kHeapHandoff), alpha));
  // Rates: the cheap side has the higher rate, so compare the inverse (time per byte).
  auto inverse = [](std::vector<double> v) {
    for (double& x : v) x = 1 / x;
    return v;
  };
  claims.push_back(
      test_costlier(4, "Shared memory beats message passing for bulk data between processes",
                    "64 KiB streaming between processes, two CPUs: pipe against the shared-memory "
                    "ring (time per byte)",
                    inverse(values_of(idx, kPipeStream, "bytes_per_second")),
                    inverse(values_of(idx, kRingStream, "bytes_per_second")), alpha));
  claims.push_back(claim_fork_grows(idx, alpha));
  claims.push_back(claim_switch_loses_cache(idx, alpha));
  return claims;
}

void write_verify_csv(std::ostream& out, const std::vector<ClaimResult>& claims) {
  write_csv_row(out, {"claim", "statement", "evidence", "ratio", "ci_low", "ci_high", "ci_coverage",
                      "p_value", "verdict", "note"});
  for (const auto& c : claims) {
    write_csv_row(out, {std::to_string(c.number), c.statement, c.evidence, csv_number(c.ratio),
                        csv_number(c.ci_low), csv_number(c.ci_high), csv_number(c.ci_coverage),
                        csv_number(c.p_value), verdict_text(c.verdict), c.note});
  }
}

Result<std::vector<ClaimResult>> parse_verify_csv(std::string_view text) {
  auto parsed = parse_csv(text, {"claim", "statement", "evidence", "ratio", "ci_low", "ci_high",
                                 "ci_coverage", "p_value", "verdict", "note"});
  if (!parsed) return fail(parsed.error());
  std::vector<ClaimResult> claims;
  for (std::size_t r = 0; r < parsed->rows.size(); ++r) {
    const auto& row = parsed->rows[r];
    auto cell = [&](const char* name) { return row[*parsed->column(name)]; };
    auto number = [&](const char* name) { return parse_number(cell(name)).value_or(NAN); };
    auto verdict = parse_verdict(cell("verdict"));
    auto claim = parse_number(cell("claim"));
    if (!verdict || !claim)
      return fail(fmt::format("record {}: claim or verdict not readable", r + 2));
    claims.push_back({static_cast<int>(*claim), cell("statement"), cell("evidence"),
                      number("ratio"), number("ci_low"), number("ci_high"), number("ci_coverage"),
                      number("p_value"), *verdict, cell("note")});
  }
  return claims;
}

void print_claims(std::ostream& out, const std::vector<ClaimResult>& claims) {
  out << fmt::format("\n{:<3} {:<14} {:>8} {:>19} {:>9}  {}\n", "#", "verdict", "ratio", "interval",
                     "p", "claim");
  for (const auto& c : claims) {
    out << fmt::format("{:<3} {:<14} {:>7.2f}x {:>8.2f}-{:<8.2f}  {:>9.2g}  {}\n", c.number,
                       verdict_text(c.verdict), c.ratio, c.ci_low, c.ci_high, c.p_value,
                       c.statement);
    out << fmt::format("{:<3} {:<14} {:>8} {:>19} {:>9}  evidence: {}{}\n", "", "", "", "", "",
                       c.evidence, c.note.empty() ? "" : " — " + c.note);
  }
  out << "\nratio: how many times the claim's costlier side costs the cheaper one (medians); "
         "interval: from the medians' distribution-free confidence intervals; p: Mann-Whitney, "
         "two-sided; a verdict needs p < 0.01.\n";
}

int verify_command(RunOptions run, const fs::path& from, std::ostream& out, std::ostream& err) {
  fs::path dir = from;
  int run_code = kExitOk;
  if (dir.empty()) {
    std::string filter = "^(";
    for (std::size_t i = 0; i < verify_benchmarks().size(); ++i) {
      if (i) filter += '|';
      filter += exact_filter(verify_benchmarks()[i]).substr(1, std::string::npos);
      filter.pop_back();  // the trailing '$'
    }
    run.filter = filter + ")$";
    if (!run.repetitions) run.repetitions = 7;
    if (run.out_dir.empty()) {
      run.out_dir = default_runs_dir() / fmt::format("verify_{}", std::time(nullptr));
    }
    dir = run.out_dir;
    std::ostringstream table;  // the per-benchmark table is in summary.csv; print the verdicts
    run_code = run_command(run, table, err);
    if (run_code == kExitInterrupted) return run_code;
  }
  auto samples = load_samples(dir);
  if (!samples) {
    err << "ptbench verify: " << samples.error() << '\n';
    return kExitBadInput;
  }
  const auto claims = evaluate_claims(*samples);
  print_claims(out, claims);
  std::ofstream csv(dir / "verify.csv");
  write_verify_csv(csv, claims);
  if (!csv) {
    err << "ptbench verify: cannot write " << (dir / "verify.csv").string() << '\n';
    return kExitSystem;
  }
  out << fmt::format("\nverify.csv and the measurements: {}\n", dir.string());
  return run_code;  // a failed benchmark is reported as such (its claims say what is missing)
}

}  // namespace ptbench::harness
