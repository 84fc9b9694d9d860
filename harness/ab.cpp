#include "harness/ab.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <random>
#include <set>

#include "harness/csv.hpp"
#include "harness/exit_codes.hpp"
#include "harness/gbench_json.hpp"
#include "harness/history.hpp"
#include "harness/host.hpp"
#include "harness/paths.hpp"
#include "harness/profiles.hpp"
#include "harness/results.hpp"
#include "harness/stats.hpp"
#include "harness/subprocess.hpp"

namespace ptbench::harness {

namespace fs = std::filesystem;

const char* decision_name(AbDecision d) {
  static constexpr const char* kNames[] = {"same", "slower", "faster", "undecided"};
  return kNames[static_cast<int>(d)];
}

std::vector<int> look_schedule(int min_rounds, int max_rounds) {
  std::vector<int> looks;
  for (int r = min_rounds; r < max_rounds; r = std::max(r + 2, (r * 5 + 3) / 4)) looks.push_back(r);
  looks.push_back(max_rounds);
  return looks;
}

namespace {

// Per round, the log of the candidate's slowdown: > 0 when it is slower.
std::vector<double> log_slowdowns(const AbRow& r) {
  std::vector<double> d;
  for (std::size_t i = 0; i < r.base.size() && i < r.cand.size(); ++i) {
    if (r.base[i] <= 0 || r.cand[i] <= 0) continue;
    d.push_back(r.higher_is_better ? std::log(r.base[i] / r.cand[i])
                                   : std::log(r.cand[i] / r.base[i]));
  }
  return d;
}

// The one-sided signed-rank p of "the median of d is below zero".
double p_below_zero(const std::vector<double>& d) {
  const auto t = wilcoxon_signed_rank(d);
  if (t.n == 0) return 1;
  const double mean = static_cast<double>(t.n * (t.n + 1)) / 4;
  return t.w_plus < mean ? t.p / 2 : 1 - t.p / 2;
}

// Two one-sided tests: the larger p of "the slowdown is below +e" and "above -e (a ratio of
// 1/(1+e))". Small when the change is inside the band, with the same error control as a test.
double p_equivalent(const std::vector<double>& d, double effect) {
  const double bound = std::log1p(effect);
  std::vector<double> above(d.size()), below(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) {
    above[i] = d[i] - bound;     // below zero: the slowdown is under +e
    below[i] = -(d[i] + bound);  // below zero: the slowdown is over -e
  }
  return std::max(p_below_zero(above), p_below_zero(below));
}

// The change, its interval and the tests' p from the rounds so far.
void evaluate(AbRow& r) {
  const auto d = log_slowdowns(r);
  if (d.empty()) return;
  r.change = std::expm1(summarize(d).median);
  r.p = wilcoxon_signed_rank(d).p;
  r.p_same = p_equivalent(d, r.min_effect);
  const auto interval = median_interval(d, 0.95);
  r.has_interval = interval.has_value();
  if (interval) {
    r.ci_low = std::expm1(interval->low);
    r.ci_high = std::expm1(interval->high);
  }
}

std::string percent(double v) {
  return fmt::format("{:+.1f}%", 100 * v);
}

// The decision of one evaluated row at this look, or undecided with the reason.
void decide_row(AbRow& r, double alpha_look, std::size_t n, bool final_look) {
  const double up = r.min_effect, down = -r.min_effect / (1 + r.min_effect);  // ratio 1/(1+e)
  const bool significant = r.p_adjusted < alpha_look;
  if (significant && r.change >= up) {
    r.decision = AbDecision::kSlower;
  } else if (significant && r.change <= down) {
    r.decision = AbDecision::kFaster;
  } else if (r.p_same_adjusted < alpha_look) {
    r.decision = AbDecision::kSame;
  }
  if (r.decision != AbDecision::kUndecided) {
    r.decided_after = n;
    r.reason.clear();
    return;
  }
  const std::string band = fmt::format("+-{:.0f}%", 100 * r.min_effect);
  if (!r.has_interval) {
    r.reason = fmt::format("{} rounds give no 95% interval", n);
  } else if (significant) {
    r.reason = fmt::format(
        "a significant change smaller than {}, not yet shown to lie inside it (interval "
        "{}..{})",
        band, percent(r.ci_low), percent(r.ci_high));
  } else {
    r.reason = fmt::format(
        "neither test is below {:.2g}: a change p {:.2g}, inside {} p {:.2g} (both Holm); the "
        "interval is {}..{}",
        alpha_look, r.p_adjusted, band, r.p_same_adjusted, percent(r.ci_low), percent(r.ci_high));
  }
  if (final_look) r.reason += "; the rounds or the time budget ran out";
}

}  // namespace

AbRules gate_rules(double alpha, int min_rounds, const std::vector<int>& looks) {
  return {alpha, static_cast<std::size_t>(min_rounds), looks.empty() ? 0 : looks.size() - 1};
}

double look_alpha(const AbRules& rules, bool final_look) {
  if (rules.interim_looks == 0) return rules.alpha;
  if (final_look) return rules.alpha * rules.final_share;
  return rules.alpha * (1 - rules.final_share) / static_cast<double>(rules.interim_looks);
}

void decide(std::vector<AbRow>& rows, const AbRules& rules, bool final_look) {
  std::vector<std::size_t> live;  // rows that have data: the family Holm corrects over
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].failure.empty()) continue;
    if (rows[i].decision == AbDecision::kUndecided) evaluate(rows[i]);
    live.push_back(i);
  }
  std::vector<double> p, p_same;
  for (auto i : live) {
    p.push_back(rows[i].p);
    p_same.push_back(rows[i].p_same);
  }
  const auto adjusted = holm_adjust(p), adjusted_same = holm_adjust(p_same);
  const double alpha_look = look_alpha(rules, final_look);
  for (std::size_t k = 0; k < live.size(); ++k) {
    AbRow& r = rows[live[k]];
    if (r.decision != AbDecision::kUndecided) continue;
    r.p_adjusted = adjusted[k];
    r.p_same_adjusted = adjusted_same[k];
    const std::size_t n = std::min(r.base.size(), r.cand.size());
    if (n < rules.min_rounds) {
      r.reason = fmt::format("{} of the {} rounds a decision needs", n, rules.min_rounds);
      continue;
    }
    decide_row(r, alpha_look, n, final_look);
  }
  for (auto& r : rows) {
    if (!r.failure.empty()) r.reason = "failed: " + r.failure;
  }
}

std::string ab_summary_line(const std::vector<AbRow>& rows) {
  std::size_t count[4] = {0, 0, 0, 0};
  for (const auto& r : rows) ++count[static_cast<int>(r.decision)];
  return fmt::format("{} same, {} slower, {} faster, {} undecided", count[0], count[1], count[2],
                     count[3]);
}

namespace {

double median_or_nan(const std::vector<double>& v) {
  return v.empty() ? NAN : summarize(v).median;
}

}  // namespace

void write_ab_csv(std::ostream& out, const std::vector<AbRow>& rows) {
  write_csv_row(out, {"suite", "benchmark", "metric", "unit", "direction", "rounds", "median_base",
                      "median_candidate", "change", "ci95_low", "ci95_high", "p_value", "p_holm",
                      "p_same_holm", "min_effect", "decision", "decided_after", "reason"});
  for (const auto& r : rows) {
    const bool i = r.has_interval;
    write_csv_row(out, {r.suite, r.benchmark, r.metric, r.unit,
                        r.higher_is_better ? "higher_is_better" : "lower_is_better",
                        std::to_string(std::min(r.base.size(), r.cand.size())),
                        csv_number(median_or_nan(r.base)), csv_number(median_or_nan(r.cand)),
                        csv_number(r.base.empty() ? NAN : r.change), csv_number(i ? r.ci_low : NAN),
                        csv_number(i ? r.ci_high : NAN), csv_number(r.p), csv_number(r.p_adjusted),
                        csv_number(r.p_same_adjusted), csv_number(r.min_effect),
                        decision_name(r.decision), std::to_string(r.decided_after), r.reason});
  }
}

namespace {

std::string interval_text(const AbRow& r) {
  return r.has_interval ? percent(r.ci_low) + ".." + percent(r.ci_high) : "-";
}

}  // namespace

void write_ab_markdown(std::ostream& out, const std::vector<AbRow>& rows,
                       const std::string& title) {
  out << "### " << title << "\n\n**" << ab_summary_line(rows) << "**\n\n"
      << "| benchmark | metric | base | candidate | change | 95% interval | p (Holm) | rounds | "
         "decision |\n|---|---|---:|---:|---:|---|---:|---:|---|\n";
  for (const auto& r : rows) {
    const std::string decision =
        r.decision == AbDecision::kSlower ? "**slower**" : std::string(decision_name(r.decision));
    out << fmt::format("| `{}` | {} | {} | {} | {} | {} | {:.2g} | {} | {}{} |\n", r.benchmark,
                       r.metric, human_value(median_or_nan(r.base), r.unit),
                       human_value(median_or_nan(r.cand), r.unit), percent(r.change),
                       interval_text(r), r.p_adjusted, std::min(r.base.size(), r.cand.size()),
                       decision, r.reason.empty() ? "" : ": " + r.reason);
  }
  out << "\nchange: the median over rounds of the candidate's paired slowdown (+ is slower, for "
         "rates too); slower/faster need a significant Wilcoxon signed-rank test (Holm across "
         "benchmarks at the look's share of alpha: most of it at the final look) and a change of "
         "at least the minimal effect; same "
         "needs the two one-sided signed-rank tests that the change lies inside +-the minimal "
         "effect to be significant at the same corrected level.\n";
}

void write_ab_github_json(std::ostream& out, const std::vector<AbRow>& rows, bool smaller) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : rows) {
    if (r.higher_is_better == smaller || r.cand.empty()) continue;
    list.push_back(
        {{"name", r.benchmark},
         {"unit", r.unit},
         {"value", median_or_nan(r.cand)},
         {"extra", fmt::format("base {}, change {} ({}), {}", median_or_nan(r.base),
                               percent(r.change), interval_text(r), decision_name(r.decision))}});
  }
  out << list.dump(2) << '\n';
}

std::optional<double> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double scale = 1;
  std::string number = text;
  switch (text.back()) {
    case 's':
      number.pop_back();
      break;
    case 'm':
      scale = 60;
      number.pop_back();
      break;
    case 'h':
      scale = 3600;
      number.pop_back();
      break;
    default:
      break;
  }
  auto v = parse_number(number);
  if (!v || !(*v > 0) || !std::isfinite(*v)) return std::nullopt;
  return *v * scale;
}

Result<fs::path> resolve_bench_dir(const std::string& given, const std::string& program) {
  std::error_code ec;
  const fs::path p(given);
  auto has_programs = [&](const fs::path& d) {
    return fs::is_directory(d, ec) && access((d / program).c_str(), X_OK) == 0;
  };
  fs::path dir = fs::is_regular_file(p, ec) ? p.parent_path() / ".." : p;
  for (const fs::path& d : {dir / "bench", dir / "libexec" / "ptbench", dir}) {
    if (has_programs(d)) return d.lexically_normal();
  }
  return fail(
      fmt::format("'{}' is not a build directory (with bench/), an install prefix (with "
                  "libexec/ptbench/), a directory of benchmark programs or a ptbench "
                  "binary of one",
                  given));
}

namespace {

void mark_failed(AbRow& row, const std::string& why) {
  row.failure = why;
  row.reason = "failed: " + why;
}

struct AbSide {
  std::string label;  // base | candidate
  fs::path bench_dir;
  std::vector<std::string> env;
};

// The rounds of one gate: runs both sides, keeps the paired values, looks, stops.
class AbRun {
 public:
  AbRun(const AbOptions& opt, std::vector<AbRow> rows, std::vector<AbSide> sides, fs::path dir,
        std::ostream& err)
      : opt_(opt),
        rows_(std::move(rows)),
        sides_(std::move(sides)),
        dir_(std::move(dir)),
        err_(err) {}

  // Runs rounds until every row is decided, the rounds or the budget run out, or Ctrl-C (false).
  bool run();
  const std::vector<AbRow>& rows() const { return rows_; }
  const std::vector<AbSide>& sides() const { return sides_; }
  int rounds_done() const { return rounds_; }
  double elapsed_s() const;

 private:
  void run_round(int round);
  void run_program(const std::string& program, int round);
  Result<std::map<std::string, double>> measure(const AbSide& side, const std::string& program,
                                                const std::vector<AbRow*>& rows,
                                                const std::string& stem);
  std::vector<AbRow*> open_rows(const std::string& program);
  std::size_t open_count() const;
  bool next_round_fits(double round_s, std::size_t open_before) const;

  const AbOptions& opt_;
  std::vector<AbRow> rows_;
  std::vector<AbSide> sides_;
  fs::path dir_;
  std::ostream& err_;
  int rounds_ = 0;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

double AbRun::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

std::vector<AbRow*> AbRun::open_rows(const std::string& program) {
  std::vector<AbRow*> out;
  for (auto& r : rows_) {
    if (r.program == program && r.failure.empty() && r.decision == AbDecision::kUndecided)
      out.push_back(&r);
  }
  return out;
}

std::size_t AbRun::open_count() const {
  return static_cast<std::size_t>(std::count_if(rows_.begin(), rows_.end(), [](const AbRow& r) {
    return r.failure.empty() && r.decision == AbDecision::kUndecided;
  }));
}

// One side's run of one program's open rows: each row's primary metric.
Result<std::map<std::string, double>> AbRun::measure(const AbSide& side, const std::string& program,
                                                     const std::vector<AbRow*>& rows,
                                                     const std::string& stem) {
  // Each side runs the rows by the names its program registered.
  auto name_of = [&](const AbRow* row) -> const std::string& {
    return &side == &sides_[0] && !row->base_benchmark.empty() ? row->base_benchmark
                                                               : row->benchmark;
  };
  std::vector<std::string> names;
  for (const auto* row : rows) names.push_back(name_of(row));
  const std::string filter = exactly_one_of(names, kTimeSuffix);
  const fs::path json = dir_ / "raw" / (stem + ".json");
  auto r = run_process(
      {(side.bench_dir / program).string(), "--ptbench_profile=" + bench_profile(opt_.run.profile),
       "--benchmark_filter=" + filter, "--benchmark_repetitions=1",
       fmt::format("--benchmark_min_time={}", opt_.min_time), "--benchmark_out=" + json.string(),
       "--benchmark_out_format=json"},
      dir_ / "raw" / (stem + ".log"),
      std::chrono::seconds(static_cast<long>(opt_.run.timeout_s)) +
          std::chrono::seconds(15) * rows.size(),
      &g_interrupted, side.env);
  auto text = read_text_file(json);
  if (!r.ok() || !text)
    return fail(fmt::format("{} {} {} (see raw/{}.log)", side.label, program, r.describe(), stem));
  auto parsed = parse_gbench_json(*text);
  if (!parsed) return parsed.with_context(fmt::format("{} raw/{}.json", side.label, stem));
  std::map<std::string, double> values;
  for (const auto& run : parsed->runs) {
    if (run.error) return fail(fmt::format("{} {}: {}", side.label, run.name, run.error_message));
    for (const auto* row : rows) {
      if (name_of(row) != run.grid.benchmark) continue;
      auto it = run.counters.find(row->metric);
      if (row->metric == "real_time")
        values[row->benchmark] = run.real_time_ns;
      else if (it != run.counters.end())
        values[row->benchmark] = it->second;
    }
  }
  return values;
}

// Both sides, back to back, in this round's order; a pair enters only when both sides measured.
void AbRun::run_program(const std::string& program, int round) {
  auto rows = open_rows(program);
  if (rows.empty()) return;
  std::map<std::string, double> got[2];
  const int first = round % 2;  // even rounds: base first; odd rounds: the candidate first
  for (int k = 0; k < 2 && !g_interrupted; ++k) {
    const int s = (first + k) % 2;
    auto v = measure(sides_[s], program, rows,
                     fmt::format("r{:02d}_{}_{}", round, sides_[s].label, program));
    if (!v) {
      for (auto* row : rows) mark_failed(*row, v.error());
      return;
    }
    got[s] = std::move(*v);
  }
  if (g_interrupted) return;
  for (auto* row : rows) {
    auto b = got[0].find(row->benchmark), c = got[1].find(row->benchmark);
    if (b == got[0].end() || c == got[1].end()) {
      mark_failed(*row, fmt::format("round {}: no {} from a side", round + 1, row->metric));
      continue;
    }
    row->base.push_back(b->second);
    row->cand.push_back(c->second);
  }
}

void AbRun::run_round(int round) {
  std::vector<std::string> programs;
  for (const auto& r : rows_) {
    if (std::find(programs.begin(), programs.end(), r.program) == programs.end())
      programs.push_back(r.program);
  }
  std::mt19937 rng(opt_.seed.value_or(0) + static_cast<unsigned>(round));
  std::shuffle(programs.begin(), programs.end(), rng);
  for (const auto& program : programs) {
    if (g_interrupted) return;
    run_program(program, round);
  }
}

bool AbRun::next_round_fits(double round_s, std::size_t open_before) const {
  const double share =
      open_before == 0 ? 0 : static_cast<double>(open_count()) / static_cast<double>(open_before);
  return elapsed_s() + round_s * share <= opt_.budget_s;
}

bool AbRun::run() {
  const auto looks = look_schedule(opt_.min_rounds, opt_.max_rounds);
  const AbRules rules = gate_rules(opt_.alpha, opt_.min_rounds, looks);
  for (int round = 0; round < opt_.max_rounds; ++round) {
    const double start = elapsed_s();
    const std::size_t open_before = open_count();
    run_round(round);
    if (g_interrupted) return false;
    rounds_ = round + 1;
    const bool last =
        rounds_ == opt_.max_rounds || !next_round_fits(elapsed_s() - start, open_before);
    if (last || std::find(looks.begin(), looks.end(), rounds_) != looks.end())
      decide(rows_, rules, last);
    err_ << fmt::format("ptbench ab: round {} done, {:.0f}s; {}\n", rounds_, elapsed_s(),
                        ab_summary_line(rows_));
    if (last || open_count() == 0) break;
  }
  return true;
}

Result<void> check_options(const AbOptions& opt) {
  auto bad_env = [](const std::vector<std::string>& env) {
    return std::find_if(env.begin(), env.end(), [](const std::string& kv) {
      return kv.find('=') == std::string::npos || kv.front() == '=';
    });
  };
  for (const auto* env : {&opt.base_env, &opt.cand_env}) {
    if (auto it = bad_env(*env); it != env->end())
      return fail(fmt::format("--base-env/--cand-env want K=V, got '{}'", *it));
  }
  if (opt.min_rounds < 6)
    return fail("--min-rounds must be at least 6 (fewer give no 95% interval of a median)");
  if (opt.max_rounds < opt.min_rounds) return fail("--max-rounds is below --min-rounds");
  if (!(opt.budget_s > 0)) return fail("--budget must be positive");
  if (opt.run.programs.empty()) return fail("no benchmark programs to run");
  return {};
}

// What one side lists for the profile and filter. A side without one of the programs (a base
// from before it existed) runs the others.
Result<std::vector<Listed>> list_side(const AbOptions& opt, const AbSide& side, std::ostream& err) {
  RunOptions ro = opt.run;
  ro.bench_dir = side.bench_dir;
  std::erase_if(ro.programs, [&](const std::string& program) {
    const bool missing = access((side.bench_dir / program).c_str(), X_OK) != 0;
    if (missing) err << "ptbench ab: the " << side.label << " has no " << program << "\n";
    return missing;
  });
  auto listed = list_benchmarks(ro);
  if (!listed) return fail(side.label + ": " + listed.error());
  return listed;
}

std::set<std::string> runnable(const std::vector<Listed>& listed) {
  std::set<std::string> names;
  for (const auto& b : listed) {
    if (b.skipped.empty()) names.insert(b.grid);
  }
  return names;
}

// A row on the primary metric its program declares (the candidate's declaration first: the base
// may predate it), or on --metric.
AbRow make_row(const Listed& b, const Listed* cand, const AbOptions& opt) {
  AbRow r;
  r.program = b.program;
  r.suite = b.suite;
  r.benchmark = cand ? cand->grid : b.grid;
  r.base_benchmark = b.grid;
  const grid::Primary& primary = cand && cand->primary_declared ? cand->primary : b.primary;
  r.metric = opt.metric.empty() ? primary.metric : opt.metric;
  const auto info = metric_info(r.metric);
  r.unit = info.unit;
  r.higher_is_better =
      (opt.metric.empty() ? primary.direction : info.direction) == grid::kHigherIsBetter;
  auto e = opt.suite_effects.find(b.suite);
  r.min_effect = e == opt.suite_effects.end() ? opt.min_effect : e->second;
  return r;
}

// The rows both sides can run, each on its declared primary metric (or --metric).
Result<std::vector<AbRow>> plan_rows(const AbOptions& opt, const std::vector<AbSide>& sides,
                                     std::ostream& err) {
  auto base = list_side(opt, sides[0], err);
  auto cand = base ? list_side(opt, sides[1], err) : base;
  if (!cand) return fail(cand.error());
  // A base from before placements were named by level lists "cross-cpu" where the candidate
  // lists the host's reference level (the same pair of CPUs): such rows pair by that level.
  const std::string level = host_reference_level();
  std::set<std::string> in_base;
  for (const auto& name : runnable(*base)) in_base.insert(at_level(name, level));
  const auto in_cand = runnable(*cand);
  for (const auto& name : in_cand) {
    if (!in_base.count(name))
      err << "ptbench ab: " << name << " is new in the candidate: not gated\n";
  }
  std::map<std::string, const Listed*> cand_by_name;
  for (const auto& c : *cand) cand_by_name[c.grid] = &c;
  std::vector<AbRow> rows;
  for (const auto& b : *base) {
    if (!b.skipped.empty()) continue;
    const std::string paired = in_cand.count(b.grid) ? b.grid : at_level(b.grid, level);
    if (in_cand.count(paired)) {
      rows.push_back(make_row(b, cand_by_name[paired], opt));
    } else {
      err << "ptbench ab: " << b.grid << " runs on the base only: not gated\n";
    }
  }
  if (rows.empty()) return fail("no benchmark runs on both sides");
  return rows;
}

Result<std::vector<AbSide>> resolve_sides(const AbOptions& opt) {
  std::vector<AbSide> sides;
  for (const auto& [label, given, env] : {std::tuple{"base", &opt.base, &opt.base_env},
                                          std::tuple{"candidate", &opt.candidate, &opt.cand_env}}) {
    auto dir = resolve_bench_dir(*given, opt.run.programs.front());
    if (!dir) return fail(std::string(label) + ": " + dir.error());
    sides.push_back({label, *dir, *env});
  }
  return sides;
}

void print_table(std::ostream& out, const std::vector<AbRow>& rows) {
  out << fmt::format("{:<64} {:>8} {:>17} {:>8} {:>6}  {}\n", "benchmark", "change", "95% interval",
                     "p(Holm)", "rounds", "decision");
  for (const auto& r : rows) {
    out << fmt::format("{:<64} {:>8} {:>17} {:>8.2g} {:>6}  {}{}\n", r.benchmark,
                       r.base.empty() ? "-" : percent(r.change), interval_text(r), r.p_adjusted,
                       std::min(r.base.size(), r.cand.size()), decision_name(r.decision),
                       r.reason.empty() ? "" : " (" + r.reason + ")");
  }
}

Result<void> write_files(const fs::path& dir, const AbOptions& opt, const AbRun& run,
                         const KeyValues& host) {
  KeyValues meta = host;
  auto add = [&](std::string k, std::string v) { meta.emplace_back(std::move(k), std::move(v)); };
  add("ab_base", opt.base);
  add("ab_candidate", opt.candidate);
  for (const auto& kv : opt.base_env) add("ab_base_env", kv);
  for (const auto& kv : opt.cand_env) add("ab_candidate_env", kv);
  add("profile", opt.run.profile);
  add("filter", opt.run.filter);
  add("rounds", std::to_string(run.rounds_done()));
  add("elapsed_s", fmt::format("{:.0f}", run.elapsed_s()));
  add("min_time_s", fmt::format("{}", opt.min_time));
  std::ofstream csv(dir / "ab.csv"), md(dir / "ab.md"), host_csv(dir / "host.csv"),
      smaller(dir / "github-benchmark-smaller.json"), bigger(dir / "github-benchmark-bigger.json");
  write_ab_csv(csv, run.rows());
  write_ab_markdown(md, run.rows(),
                    fmt::format("ptbench ab: {} against {}", opt.candidate, opt.base));
  write_host_csv(host_csv, meta);
  write_ab_github_json(smaller, run.rows(), true);
  write_ab_github_json(bigger, run.rows(), false);
  if (!csv || !md || !host_csv || !smaller || !bigger)
    return fail(fmt::format("cannot write the files in {}", dir.string()));
  return {};
}

// The revision a side's programs were built from: the ptbench-revision file (host.csv's format
// and keys) their build wrote beside them; "unknown" for a build that predates it.
KeyValues side_revision(const fs::path& bench_dir) {
  KeyValues out{{"git_sha", "unknown"}, {"git_ordinal", "unknown"}};
  const auto text = read_text_file(bench_dir / "ptbench-revision");
  const auto written = parse_host_csv(text.value_or(""));
  if (!written) return out;
  for (auto& [key, value] : out) {
    for (const auto& [k, v] : *written) {
      if (k == key && !v.empty()) value = v;
    }
  }
  return out;
}

// One side's rounds as the samples of a run: round i is repetition i.
std::vector<Sample> side_samples(const std::vector<AbRow>& rows, bool base,
                                 const std::string& run_id) {
  std::vector<Sample> out;
  for (const auto& r : rows) {
    const auto& values = base ? r.base : r.cand;
    for (std::size_t i = 0; i < values.size(); ++i) {
      Sample x;
      x.run_id = run_id;
      x.suite = r.suite;
      x.benchmark = r.benchmark;
      x.metric = r.metric;
      x.unit = r.unit;
      x.direction = r.higher_is_better ? "higher_is_better" : "lower_is_better";
      x.primary = true;
      x.repetition = static_cast<int>(i);
      x.value = values[i];
      out.push_back(std::move(x));
    }
  }
  return out;
}

// A side as a run directory the history imports (DIR/history/base, DIR/history/candidate): its
// rounds are the repetitions, its commit and binary hash its own, the profile "ab-<profile>" (a
// series of its own: a gate's paired rounds are not a run's repetitions).
Result<fs::path> write_side_run(const fs::path& dir, const AbOptions& opt, const AbRun& run,
                                const AbSide& side, const KeyValues& host,
                                const std::string& started) {
  const fs::path out = dir / "history" / side.label;
  std::error_code ec;
  fs::create_directories(out, ec);
  const std::string run_id = fmt::format("{}_ab_{}", dir.filename().string(), side.label);
  KeyValues meta{{"run_id", run_id}};
  const KeyValues revision = side_revision(side.bench_dir);
  for (const auto& kv : host) {
    if (kv.first != "git_sha" && kv.first != "git_ordinal") meta.push_back(kv);
  }
  meta.insert(meta.end(), revision.begin(), revision.end());
  std::vector<fs::path> programs;
  for (const auto& p : opt.run.programs) programs.push_back(side.bench_dir / p);
  meta.emplace_back("binary_hash", files_fingerprint(programs));
  meta.emplace_back("profile", "ab-" + opt.run.profile);
  meta.emplace_back("ab_side", side.label);
  meta.emplace_back("started_utc", started);
  const auto samples = side_samples(run.rows(), side.label == "base", run_id);
  std::ofstream host_csv(out / "host.csv"), samples_csv(out / "samples.csv"),
      summary(out / "summary.csv");
  write_host_csv(host_csv, meta);
  write_samples_csv(samples_csv, samples);
  write_summary_csv(summary, summarize_samples(samples, {}));
  if (ec || !host_csv || !samples_csv || !summary)
    return fail(fmt::format("cannot write the files in {}", out.string()));
  return out;
}

// Both sides into the history database the options name (none: nothing); a failure warns, as a
// run's does: the gate's answer stands either way.
void record_sides(const fs::path& dir, const AbOptions& opt, const AbRun& run,
                  const KeyValues& host, const std::string& started, std::ostream& err) {
  if (opt.run.history_db.empty() || run.rounds_done() == 0) return;
  auto db = HistoryDb::open(opt.run.history_db);
  for (const auto& side : run.sides()) {
    auto written = db ? write_side_run(dir, opt, run, side, host, started)
                      : Result<fs::path>(fail(db.error()));
    auto added = written ? (*db)->import_run(*written) : Result<bool>(fail(written.error()));
    if (!added) {
      err << "ptbench ab: warning: the " << side.label
          << " side is not recorded in the history: " << added.error() << '\n';
    }
  }
}

int exit_code(const std::vector<AbRow>& rows) {
  auto any = [&](auto pred) { return std::any_of(rows.begin(), rows.end(), pred); };
  if (any([](const AbRow& r) { return r.decision == AbDecision::kSlower; })) return kExitRegression;
  if (any([](const AbRow& r) { return !r.failure.empty(); })) return kExitBenchmarkFailed;
  return kExitOk;
}

}  // namespace

int ab_command(const AbOptions& opt, std::ostream& out, std::ostream& err,
               std::vector<AbRow>* decided) {
  install_interrupt_handlers();
  auto sides = check_options(opt) ? resolve_sides(opt)
                                  : Result<std::vector<AbSide>>(fail(check_options(opt).error()));
  auto rows = sides ? plan_rows(opt, *sides, err) : Result<std::vector<AbRow>>(fail(sides.error()));
  if (!rows) {
    err << "ptbench ab: " << rows.error() << '\n';
    return g_interrupted ? kExitInterrupted : kExitBadInput;
  }
  const fs::path dir = opt.out_dir.empty() ? default_runs_dir().parent_path() / "ab" /
                                                 utc_stamp(std::time(nullptr), "%Y%m%dT%H%M%SZ")
                                           : opt.out_dir;
  std::error_code ec;
  if (fs::create_directories(dir / "raw", ec); ec) {
    err << fmt::format("ptbench ab: cannot create {}: {}\n", dir.string(), ec.message());
    return kExitSystem;
  }
  err << fmt::format("ptbench ab: {} benchmarks, {} to {} rounds, budget {:.0f}s, into {}\n",
                     rows->size(), opt.min_rounds, opt.max_rounds, opt.budget_s, dir.string());
  AbRun run(opt, std::move(*rows), std::move(*sides), dir, err);
  const std::string started = utc_stamp(std::time(nullptr), "%Y-%m-%dT%H:%M:%SZ");
  const bool completed = run.run();
  if (decided != nullptr) *decided = run.rows();
  print_table(out, run.rows());
  const KeyValues host = collect_host();
  if (auto written = write_files(dir, opt, run, host); !written) {
    err << "ptbench ab: " << written.error() << '\n';
    return kExitSystem;
  }
  if (completed) record_sides(dir, opt, run, host, started, err);
  out << fmt::format("\nab.csv, ab.md and github-benchmark-*.json: {}\n", dir.string());
  out << ab_summary_line(run.rows()) << '\n';
  return completed ? exit_code(run.rows()) : kExitInterrupted;
}

}  // namespace ptbench::harness
