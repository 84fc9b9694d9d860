// `ptbench history confirm`: a change point found in a series of runs is a candidate, never a
// verdict: runs on different days differ by more than a build does on a shared VM. The change is
// confirmed only when `ptbench ab`, running the commits either side of it in alternating rounds on
// one machine, decides the same way; what it decided is kept with the change point.
#include <fmt/format.h>

#include <cmath>
#include <ostream>

#include "harness/ab.hpp"
#include "harness/csv.hpp"
#include "harness/exit_codes.hpp"
#include "harness/history.hpp"
#include "harness/profiles.hpp"
#include "harness/runner.hpp"

namespace ptbench::harness {

std::string confirm_status(bool rose, bool higher_is_better, const std::string& ab_decision) {
  if (ab_decision == "same") return "rejected";
  if (ab_decision != "slower" && ab_decision != "faster") return "";  // undecided: nothing kept
  const bool worse = rose != higher_is_better;  // a time that rose, a rate that fell
  return (ab_decision == "slower") == worse ? "confirmed" : "rejected";
}

std::string change_status(const std::vector<std::pair<std::size_t, ChangePoint>>& changes,
                          std::size_t k, const std::map<std::string, std::string>& kept,
                          const std::string& run_id, const ChangeOptions& o) {
  const auto it = kept.find(run_id);
  if (it == kept.end()) return changes[k].second.pending ? "pending" : "new";
  if (it->second != "confirmed" || k + 1 >= changes.size()) return it->second;
  const double before = changes[k].second.before;
  const double now = changes.back().second.after;  // the series' level after its last change
  return before > 0 && std::fabs(now / before - 1) < o.min_change ? "fixed" : it->second;
}

namespace {

// The series of `benchmark` (its primary metric, or `metric`) that has a change point at
// `run_id`: the series, its points and the change's index in them.
struct Found {
  HistoryDb::Series series;
  std::vector<HistoryPoint> pts;
  std::size_t at = 0;
  ChangePoint change;
};

Result<Found> find_change(HistoryDb& db, const std::string& benchmark, const std::string& run_id,
                          const std::string& metric) {
  const ChangeOptions o;
  auto all = db.series(2 * o.min_segment);
  if (!all) return fail(all.error());
  for (const auto& s : *all) {
    if (s.benchmark != benchmark || (!metric.empty() && s.metric != metric)) continue;
    auto pts = db.trend(s.benchmark, s.metric, s.host, s.profile);
    if (!pts) return fail(pts.error());
    for (const auto& [i, c] : series_changes(*pts, o)) {
      if ((*pts)[i].run_id == run_id) return Found{s, std::move(*pts), i, c};
    }
  }
  return fail(
      fmt::format("no change point at run {} in a series of {} (`ptbench history "
                  "changes` lists them)",
                  run_id, benchmark));
}

}  // namespace

int history_confirm(HistoryDb& db, const std::vector<std::string>& args, const HistoryArgs& opt,
                    std::ostream& out, std::ostream& err) {
  if (args.size() != 2) {
    err << "ptbench history confirm: name the benchmark and the run of the change "
           "(BENCHMARK RUN_ID, as `ptbench history changes --csv` lists them)\n";
    return kExitBadInput;
  }
  auto found = find_change(db, args[0], args[1], opt.metric);
  if (!found) {
    err << "ptbench history confirm: " << found.error() << '\n';
    return kExitBadInput;
  }
  const auto& f = *found;
  const std::string before = f.pts[f.at - 1].git_sha, after = f.pts[f.at].git_sha;
  out << fmt::format("{} {}: {:+.1f}% between {} and {} ({} runs before, {} after)\n",
                     f.series.benchmark, f.series.metric, 100 * f.change.change, before, after,
                     f.at, f.pts.size() - f.at);
  if (opt.base.empty() || opt.candidate.empty()) {
    err << fmt::format(
        "ptbench history confirm: give the builds of both commits: --base (a build of {}) and "
        "--cand (a build of {})\n",
        before, after);
    return kExitBadInput;
  }
  AbOptions ab;
  ab.run.profile = f.series.profile;
  ab.run.programs = profile_programs(ab.run.profile, opt.bench_programs, opt.validation_programs);
  ab.run.filter = exact_filter(f.series.benchmark);
  ab.base = opt.base;
  ab.candidate = opt.candidate;
  ab.cand_env = opt.cand_env;
  ab.budget_s = opt.budget_s;
  ab.metric = f.series.metric;
  ab.out_dir = opt.out_dir;
  std::vector<AbRow> rows;
  const int rc = ab_command(ab, out, err, &rows);
  if (rc != kExitOk && rc != kExitRegression) return rc;
  if (rows.size() != 1) {
    err << fmt::format("ptbench history confirm: ab measured {} rows, not {} alone\n", rows.size(),
                       f.series.benchmark);
    return kExitBadInput;
  }
  const std::string decision = decision_name(rows[0].decision);
  const std::string status =
      confirm_status(f.change.change > 0, f.series.direction == "higher_is_better", decision);
  if (status.empty()) {
    out << fmt::format("undecided: ab could not decide ({}); the change point stays new\n",
                       rows[0].reason);
    return kExitOk;
  }
  const std::string detail =
      fmt::format("ab {} {:+.1f}% [{:+.1f}%, {:+.1f}%] between {} and {}", decision,
                  100 * rows[0].change, 100 * rows[0].ci_low, 100 * rows[0].ci_high, before, after);
  if (auto kept = db.set_status(f.series, args[1], status, detail); !kept) {
    err << "ptbench history confirm: " << kept.error() << '\n';
    return kExitSystem;
  }
  out << status << ": " << detail << '\n';
  return kExitOk;
}

}  // namespace ptbench::harness
