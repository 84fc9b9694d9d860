// ptbench: runs the benchmark programs and turns their output into tidy CSV reports.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "harness/ab.hpp"
#include "harness/compare.hpp"
#include "harness/crosscheck.hpp"
#include "harness/csv.hpp"
#include "harness/history.hpp"
#include "harness/host.hpp"
#include "harness/paths.hpp"
#include "harness/profiles.hpp"
#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "harness/verify.hpp"
#include "ipc/names.hpp"

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

int clean_command(bool dry_run, std::ostream& out, std::ostream& err) {
  const auto report = ptbench::ipc::clean_leftovers(dry_run, ptbench::ipc::temp_dir());
  for (const auto& r : report.removed) out << (dry_run ? "would remove " : "removed ") << r << '\n';
  for (const auto& k : report.kept) out << "kept (its process still runs) " << k << '\n';
  for (const auto& f : report.failed) err << "ptbench clean: could not remove " << f << '\n';
  if (report.removed.empty() && report.failed.empty()) out << "nothing left behind\n";
  return report.failed.empty() ? ptbench::harness::kExitOk : ptbench::harness::kExitSystem;
}

using namespace ptbench::harness;

// Every option of every subcommand, and which subcommand was chosen.
struct Cli {
  RunOptions run_opt;
  int repetitions = 0;
  double min_time = 0;
  unsigned seed = 0;
  CompareOptions cmp;
  std::string base_runs, candidate_runs;  // comma-separated run lists
  std::vector<std::string> suite_thresholds;
  AbOptions ab;
  std::string ab_budget = "10m";
  std::vector<std::string> ab_suite_effects;
  std::string verify_from, report_dir, lang = "en";
  bool dry_run = false;
  CrosscheckOptions xopt;
  std::string history_action;
  HistoryArgs history_opt;
  std::vector<std::string> history_args;
  std::filesystem::path history_db;
  CLI::App* history = nullptr;
  CLI::App *run = nullptr, *list = nullptr, *compare = nullptr, *ab_cmd = nullptr,
           *verify = nullptr, *report = nullptr, *crosscheck = nullptr, *clean = nullptr;
};

void add_bench_dir(CLI::App* sub, Cli& c) {
  sub->add_option("--bench-dir", c.run_opt.bench_dir, "where the benchmark programs are")
      ->check(CLI::ExistingDirectory);
}

void add_selection(CLI::App* sub, Cli& c) {
  sub->add_option("--profile", c.run_opt.profile,
                  "quick: the default grid, 3 repetitions, about 90 s here; full: every "
                  "transport, size, placement, policy and memory level, 11 repetitions; ci: a "
                  "short, stable subset of quick with the calibrated control, for gates")
      ->check(CLI::IsMember(profile_names()));
  sub->add_option("--filter", c.run_opt.filter,
                  "only benchmarks whose grid name (BM_Question/mechanism/endpoint/placement/"
                  "bytes/params) matches this ECMAScript regex");
  add_bench_dir(sub, c);
}

void add_run(CLI::App& app, Cli& c) {
  c.run = app.add_subcommand(
      "run", "Run the benchmarks and write samples.csv, summary.csv, host.csv and raw/*.json");
  add_selection(c.run, c);
  c.run->add_option("--out", c.run_opt.out_dir,
                    "run directory to write (default: results/runs/<UTC stamp>_<host>_<git sha> "
                    "in the current directory)");
  c.run
      ->add_option("--repetitions", c.repetitions,
                   "repetitions per benchmark, one process per program and round (default 3 "
                   "quick, 11 full)")
      ->check(CLI::Range(1, 1000));
  c.run
      ->add_option("--min-time", c.min_time,
                   "seconds each repetition runs at least (default 0.05 quick, 0.01 full)")
      ->check(CLI::Range(0.0001, 60.0));
  c.run->add_option("--seed", c.seed, "seed of the random interleaving order (default: random)");
  c.run
      ->add_option("--timeout", c.run_opt.timeout_s,
                   "deadline of one batch (a program's benchmarks of one round): this many "
                   "seconds plus 15 per benchmark; then it is killed and its benchmarks rerun one "
                   "by one")
      ->check(CLI::Range(1.0, 86400.0));
  c.list = app.add_subcommand("list", "List the benchmarks a run would execute");
  add_selection(c.list, c);
}

void add_compare(CLI::App& app, Cli& c) {
  c.compare = app.add_subcommand(
      "compare",
      "Compare two runs (directories or samples.csv files) and fail on real regressions: a "
      "two-sided Mann-Whitney test significant at alpha / rows and a change beyond the "
      "threshold; a row the test cannot judge is undecided, never a pass. Exit 0 none, 1 "
      "regression, 2 bad input");
  c.compare
      ->add_option("base", c.base_runs,
                   "the reference run: a run directory or samples.csv, or several, "
                   "comma-separated, whose samples are pooled")
      ->required();
  c.compare->add_option("candidate", c.candidate_runs, "the run under test, the same way")
      ->required();
  c.compare
      ->add_option("--alpha", c.cmp.alpha, "significance level before correction (default 0.01)")
      ->check(CLI::Range(1e-9, 0.5));
  c.compare
      ->add_option("--threshold", c.cmp.threshold,
                   "smallest relative change that counts (default 0.10 = 10%)")
      ->check(CLI::Range(0.0, 10.0));
  c.compare->add_option("--suite-threshold", c.suite_thresholds,
                        "per-suite threshold, e.g. create=0.2 (repeatable)");
  c.compare->add_option(
      "--metric", c.cmp.metric_regex,
      "metrics to compare, a regex (default: each benchmark's declared primary metric)");
  c.compare->add_option("--out", c.cmp.out_dir,
                        "write comparison.csv, comparison.md and github-benchmark-*.json here");
}

void add_ab(CLI::App& app, Cli& c) {
  auto* ab = c.ab_cmd = app.add_subcommand(
      "ab",
      "A/B gate in one job: run BASE and CANDIDATE in alternating rounds and decide each "
      "benchmark from its paired per-round ratios (Wilcoxon signed-rank, Holm across benchmarks, "
      "a minimal effect), stopping when all are decided or the budget is spent. Exit 0 nothing "
      "slower, 1 something slower, 2 bad input, 3 a benchmark failed on a side");
  ab->add_option("base", c.ab.base,
                 "build directory, install prefix, directory of benchmark programs or ptbench "
                 "binary of the reference")
      ->required();
  ab->add_option("candidate", c.ab.candidate, "the same for the build under test")->required();
  ab->add_option("--base-env", c.ab.base_env, "K=V for the base side's programs (repeatable)");
  ab->add_option("--cand-env", c.ab.cand_env,
                 "K=V for the candidate's programs (repeatable), e.g. to A/B a glibc tunable on "
                 "one build");
  ab->add_option("--profile", c.ab.run.profile, "quick, full or ci (default ci)")
      ->check(CLI::IsMember(profile_names()));
  ab->add_option("--filter", c.ab.run.filter, "only benchmarks whose grid name matches this regex");
  ab->add_option("--budget", c.ab_budget, "time budget, e.g. 600, 90s, 10m (default 10m)");
  ab->add_option("--min-effect", c.ab.min_effect,
                 "smallest change that counts, a fraction (default 0.05)")
      ->check(CLI::Range(0.001, 1.0));
  ab->add_option("--suite-effect", c.ab_suite_effects,
                 "per-suite minimal effect, e.g. create=0.1 (repeatable)");
  ab->add_option("--alpha", c.ab.alpha,
                 "family-wise error rate across benchmarks and looks (default 0.05)")
      ->check(CLI::Range(1e-6, 0.5));
  ab->add_option("--min-rounds", c.ab.min_rounds, "rounds before the first look (default 6)")
      ->check(CLI::Range(6, 1000));
  ab->add_option("--max-rounds", c.ab.max_rounds, "rounds at the most (default 60)")
      ->check(CLI::Range(6, 1000));
  ab->add_option("--min-time", c.ab.min_time,
                 "seconds each benchmark runs per side and round (default 0.05)")
      ->check(CLI::Range(0.001, 60.0));
  ab->add_option("--metric", c.ab.metric,
                 "decide on this metric (e.g. cpu_time, p99_ns) instead of the primary metric "
                 "each program declares for each row");
  ab->add_option("--seed", c.ab.seed, "seed of the program order in the rounds (default 0)");
  ab->add_option("--out", c.ab.out_dir,
                 "write ab.csv, ab.md, host.csv and github-benchmark-*.json here (default "
                 "results/ab/<UTC stamp>)");
}

int ab_from_cli(Cli& c) {
  auto budget = parse_duration(c.ab_budget);
  if (!budget) {
    std::cerr << "ptbench ab: --budget wants a positive duration such as 600, 90s or 10m, got '"
              << c.ab_budget << "'\n";
    return kExitBadInput;
  }
  c.ab.budget_s = *budget;
  for (const auto& se : c.ab_suite_effects) {
    const auto eq = se.find('=');
    auto value = eq == std::string::npos ? std::nullopt : parse_number(se.substr(eq + 1));
    if (!value || *value <= 0 || *value >= 1) {
      std::cerr << "ptbench ab: --suite-effect wants suite=fraction, got '" << se << "'\n";
      return kExitBadInput;
    }
    c.ab.suite_effects[se.substr(0, eq)] = *value;
  }
  c.ab.run.programs = profile_programs(c.ab.run.profile, split_list(PTBENCH_BENCH_PROGRAMS),
                                       split_list(PTBENCH_VALIDATION_PROGRAMS));
  c.ab.run.history_db = default_history_db();  // both sides, as runs of profile ab-<profile>
  return ab_command(c.ab, std::cout, std::cerr);
}

void add_verify_and_report(CLI::App& app, Cli& c) {
  c.verify = app.add_subcommand(
      "verify",
      "Test the course notes' twelve claims on this host (creation, switches, communication, "
      "bulk data, fork and memory, cache, memory isolation, more threads, zombies, footprint, "
      "time slices, fibers): a verdict per claim with its condition, ratio, interval, p and "
      "explanation, in verify.csv; --lang ko prints them in Korean");
  c.verify
      ->add_option("--from", c.verify_from,
                   "evaluate an existing run directory instead of running the benchmarks")
      ->check(CLI::ExistingDirectory);
  c.verify->add_option("--out", c.run_opt.out_dir, "run directory to write");
  c.verify->add_option("--lang", c.lang, "en, or ko for the verdicts in the notes' language")
      ->check(CLI::IsMember({"en", "ko"}));
  c.verify->add_option("--repetitions", c.repetitions, "repetitions per benchmark (default 15)")
      ->check(CLI::Range(3, 1000));
  add_bench_dir(c.verify, c);
  c.report = app.add_subcommand(
      "report", "Rewrite DIR/report.md and its charts from the run directory's CSV files");
  c.report->add_option("dir", c.report_dir, "a run directory")
      ->required()
      ->check(CLI::ExistingDirectory);
}

void add_tools(CLI::App& app, Cli& c) {
  c.crosscheck = app.add_subcommand(
      "crosscheck",
      "Run each headline benchmark beside a minimal standalone probe (and perf bench sched pipe "
      "where perf is installed), interleaved on the same CPUs, and print suite/probe per pair with "
      "its 95% interval: agrees (inside 1 +- the tolerance), disagrees (wholly outside) or "
      "undecided. Exit 0 when every pair agrees, 1 when one does not");
  c.crosscheck->add_option(
      "--rounds", c.xopt.rounds,
      "interleaved rounds (default 8; 6 or more give the ratio a 95% interval)");
  c.crosscheck->add_option("--min-time", c.xopt.min_time,
                           "seconds per suite measurement (default 0.2)");
  c.crosscheck->add_option(
      "--tolerance", c.xopt.tolerance,
      "the band around 1 the ratio's interval must lie in to agree (default 0.15)");
  c.crosscheck->add_option(
      "--out", c.xopt.work_dir,
      "where each measurement's output, crosscheck.csv and "
      "crosscheck_rounds.csv go (default: results/runs/crosscheck_<UTC stamp>)");
  add_bench_dir(c.crosscheck, c);
  c.clean = app.add_subcommand(
      "clean",
      "Remove what killed runs left behind: ptbench shared memory, message queues, FIFO "
      "directories and SysV queues whose creating process is gone (never another program's)");
  c.clean->add_flag("--dry-run,-n", c.dry_run, "only list what would be removed");
  app.add_subcommand("host", "Print the host metadata that every run records (host.csv)");
  c.history = app.add_subcommand(
      "history",
      "The run history (SQLite, results/history.sqlite by default, or a PostgreSQL server: --db "
      "postgresql://...; ptbench run records every run): import DIR... | list | hosts | trend "
      "BENCHMARK [--metric M] [--last N] | changes (change points per series of run medians, split "
      "where the kernel changed) | confirm BENCHMARK RUN_ID --base B --cand C (ptbench ab between "
      "builds of the commits either side of a change point; the verdict is kept) | html OUT_DIR "
      "(a static "
      "dashboard: every series charted, change points marked) | quality RUN_DIR (the detector "
      "on series resampled from a run's repetitions, with planted steps)");
  c.history
      ->add_option("action", c.history_action,
                   "import, list, hosts, trend, changes, confirm, html or quality")
      ->required()
      ->check(CLI::IsMember(
          {"import", "list", "hosts", "trend", "changes", "confirm", "html", "quality"}));
  c.history->add_option("args", c.history_args,
                        "run directories (import), a benchmark (trend), a benchmark and a run id "
                        "(confirm) or a directory (html)");
  c.history->add_option("--db", c.history_db,
                        "the database: a SQLite file or a postgresql:// URL (default: $PTBENCH_DB "
                        "or results/history.sqlite)");
  c.history->add_option("--metric", c.history_opt.metric, "trend: the metric (default real_time)");
  c.history
      ->add_option("--last", c.history_opt.last,
                   "trend, html: only the newest N points of a series")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40));
  c.history->add_flag("--csv", c.history_opt.csv, "CSV instead of a table");
  c.history->add_option(
      "--base", c.history_opt.base,
      "confirm: a build of the commit before the change (as ptbench ab takes it)");
  c.history->add_option("--cand", c.history_opt.candidate,
                        "confirm: a build of the commit of the change");
  c.history->add_option("--cand-env", c.history_opt.cand_env,
                        "confirm: K=V for the candidate's benchmark programs (repeatable)");
  c.history->add_option("--out", c.history_opt.out_dir,
                        "confirm: where ab writes its files (default: results/ab/<time>)");
}

int list_command(const RunOptions& opt) {
  auto listed = list_benchmarks(opt);
  if (!listed) {
    std::cerr << "ptbench list: " << listed.error() << '\n';
    return kExitBadInput;
  }
  for (const auto& b : *listed) {
    std::cout << b.grid << (b.skipped.empty() ? "" : "\t(skipped: " + b.skipped + ")") << '\n';
  }
  return kExitOk;
}

int compare_from_cli(Cli& c) {
  for (const auto& st : c.suite_thresholds) {
    const auto eq = st.find('=');
    auto value = eq == std::string::npos ? std::nullopt : parse_number(st.substr(eq + 1));
    if (!value || *value < 0) {
      std::cerr << "ptbench compare: --suite-threshold wants suite=fraction, got '" << st << "'\n";
      return kExitBadInput;
    }
    c.cmp.suite_thresholds[st.substr(0, eq)] = *value;
  }
  return compare_command(split_list(c.base_runs), split_list(c.candidate_runs), c.cmp, std::cout,
                         std::cerr);
}

int dispatch(Cli& c) {
  RunOptions& opt = c.run_opt;
  opt.programs = profile_programs(opt.profile, split_list(PTBENCH_BENCH_PROGRAMS),
                                  split_list(PTBENCH_VALIDATION_PROGRAMS));
  opt.history_db = default_history_db();  // run and verify record what they measured
  if (*c.run) {
    if (c.run->count("--repetitions")) opt.repetitions = c.repetitions;
    if (c.run->count("--min-time")) opt.min_time = c.min_time;
    if (c.run->count("--seed")) opt.seed = c.seed;
    return run_command(opt, std::cout, std::cerr);
  }
  if (*c.list) return list_command(opt);
  if (*c.crosscheck) {
    c.xopt.bench_dir = opt.bench_dir;
    return crosscheck_command(c.xopt, std::cout, std::cerr);
  }
  if (*c.clean) return clean_command(c.dry_run, std::cout, std::cerr);
  if (*c.report) return report_command(c.report_dir, std::cout, std::cerr);
  if (*c.verify) {
    if (c.verify->count("--repetitions")) opt.repetitions = c.repetitions;
    return verify_command(opt, c.verify_from, c.lang, std::cout, std::cerr);
  }
  if (*c.compare) return compare_from_cli(c);
  if (*c.history) {
    c.history_opt.bench_programs = split_list(PTBENCH_BENCH_PROGRAMS);
    c.history_opt.validation_programs = split_list(PTBENCH_VALIDATION_PROGRAMS);
    return history_command(c.history_action, c.history_args,
                           c.history_db.empty() ? default_history_db() : c.history_db,
                           c.history_opt, std::cout, std::cerr);
  }
  if (*c.ab_cmd) return ab_from_cli(c);
  write_host_csv(std::cout, collect_host());
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ptbench: what processes, threads and inter-process communication really cost on this "
      "machine.\nExit codes: 0 fine; 1 a regression (compare) or a disagreeing pair (crosscheck); "
      "2 bad input; 3 some benchmarks failed (what completed is written); 4 a system problem "
      "(a program missing, a file that cannot be written); 130 interrupted."};
  app.require_subcommand(1);
  Cli c;
  c.run_opt.bench_dir = default_bench_dir();
  c.ab.run.profile = "ci";
  add_run(app, c);
  add_compare(app, c);
  add_ab(app, c);
  add_verify_and_report(app, c);
  add_tools(app, c);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }
  return dispatch(c);
}
