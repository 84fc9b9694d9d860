#include "harness/runner.hpp"

#include "harness/paths.hpp"

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <ostream>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "bench/support/grid.hpp"
#include "harness/csv.hpp"
#include "harness/gbench_json.hpp"
#include "harness/history.hpp"
#include "harness/host.hpp"
#include "harness/profiles.hpp"
#include "harness/report.hpp"
#include "harness/results.hpp"
#include "harness/subprocess.hpp"

namespace ptbench::harness {

namespace fs = std::filesystem;

std::string utc_stamp(std::time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

namespace {

std::string safe_for_path(std::string s) {
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '-';
  }
  return s;
}

// Checks that `dir` exists (creating it) and takes a file.
Result<void> prepare_out_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir / "raw", ec);
  if (ec) return fail(fmt::format("cannot create {}: {}", (dir / "raw").string(), ec.message()));
  const fs::path probe = dir / ".write-test";
  {
    std::ofstream f(probe);
    if (!f || !(f << "x") || !f.flush())
      return fail(fmt::format("cannot write in {}", dir.string()));
  }
  fs::remove(probe, ec);
  return {};
}

}  // namespace

std::string exact_filter(const std::string& s) {
  std::string out = "^";
  for (char c : s) {
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out + "$";
}

namespace {

// What a listing program prints (stdout and stderr), or why it failed (with what it printed).
Result<std::string> output_of(const std::vector<std::string>& argv) {
  char tmpl[] = "/tmp/ptbench-list-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) return fail("cannot create a temporary file in /tmp");
  close(fd);
  auto result = run_process(argv, tmpl, std::chrono::seconds(60), &g_interrupted);
  auto text = read_text_file(tmpl);
  unlink(tmpl);
  if (!result.ok() || !text) return fail(result.describe() + "\n" + text.value_or(""));
  return *text;
}

// Appends what `program` lists for the profile: what runs, or (skipped) the tab-separated name
// and reason of what cannot run here.
Result<void> list_program(const RunOptions& opt, const std::string& program, bool skipped,
                          std::vector<Listed>* all) {
  const fs::path path = opt.bench_dir / program;
  auto text = output_of({path.string(), "--ptbench_profile=" + bench_profile(opt.profile),
                         skipped ? "--ptbench_list_skipped" : "--benchmark_list_tests=true"});
  if (!text)
    return fail(
        fmt::format("listing the benchmarks of {} failed: {}", path.string(), text.error()));
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::string reason;
    if (skipped) {
      const auto tab = line.find('\t');
      reason = tab == std::string::npos ? "no reason given" : line.substr(tab + 1);
      line = line.substr(0, tab);
    }
    auto name = grid::parse(line);
    if (!name) return fail(fmt::format("{} lists '{}', which is not a grid name", program, line));
    all->push_back({program, grid::suite_of(program), line, name->benchmark, reason, {}, false});
  }
  return {};
}

// What `program` declares, question -> primary metric; empty when it declares nothing (a program
// built before the declarations refuses the flag).
std::map<std::string, grid::Primary> list_primaries(const fs::path& program) {
  auto text = output_of({program.string(), grid::kListPrimaryFlag});
  std::map<std::string, grid::Primary> out;
  if (!text) return out;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string question, metric, direction;
    if (std::getline(fields, question, '\t') && std::getline(fields, metric, '\t') &&
        std::getline(fields, direction) &&
        (direction == grid::kLowerIsBetter || direction == grid::kHigherIsBetter)) {
      out[question] = {metric, direction};
    }
  }
  return out;
}

// Gives each benchmark its question's declared primary metric, or the legacy rule's.
void attach_primaries(const fs::path& bench_dir, std::vector<Listed>* all) {
  std::map<std::string, std::map<std::string, grid::Primary>> by_program;
  for (auto& b : *all) {
    auto [it, fresh] = by_program.try_emplace(b.program);
    if (fresh) it->second = list_primaries(bench_dir / b.program);
    const auto name = grid::parse(b.grid);
    auto found = name ? it->second.find(name->question) : it->second.end();
    b.primary_declared = found != it->second.end();
    b.primary = b.primary_declared ? found->second : legacy_primary(b.suite);
  }
}

// The benchmarks whose grid name matches the filter; a filter that is not a regex or matches
// nothing is an error.
Result<std::vector<Listed>> filter_listed(std::vector<Listed> all, const RunOptions& opt) {
  if (opt.filter.empty()) return all;
  std::regex re;
  try {
    re = std::regex(opt.filter, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return fail(
        fmt::format("--filter '{}' is not a valid regular expression: {}", opt.filter, e.what()));
  }
  std::vector<Listed> kept;
  for (auto& b : all) {
    if (std::regex_search(b.grid, re)) kept.push_back(std::move(b));
  }
  if (kept.empty()) {
    return fail(
        fmt::format("--filter '{}' matches none of the {} benchmarks of profile {} "
                    "(`ptbench list` shows their names)",
                    opt.filter, all.size(), opt.profile));
  }
  return kept;
}

}  // namespace

Result<std::vector<Listed>> list_benchmarks(const RunOptions& opt) {
  if (auto missing = missing_program(opt)) {
    return fail(
        fmt::format("benchmark program {} is missing or not executable; build first "
                    "(scripts/run builds the release preset) or pass --bench-dir",
                    missing->string()));
  }
  std::vector<Listed> all;
  for (const auto& program : opt.programs) {
    for (const bool skipped : {false, true}) {
      if (auto listed = list_program(opt, program, skipped, &all); !listed)
        return fail(listed.error());
    }
  }
  attach_primaries(opt.bench_dir, &all);
  if (opt.profile == "ci") {
    // A build from before placements were named by level lists "cross-cpu" for the reference
    // level's rows: they are ci rows too.
    const auto& ci = ci_benchmarks();
    const std::string level = host_reference_level();
    std::erase_if(all, [&](const Listed& b) {
      return std::find(ci.begin(), ci.end(), at_level(b.grid, level)) == ci.end();
    });
  }
  return filter_listed(std::move(all), opt);
}

std::vector<Job> plan_rounds(const std::vector<Listed>& listed, int repetitions, unsigned seed) {
  std::map<std::string, std::vector<const Listed*>> by_program;
  for (const auto& b : listed) {
    if (b.skipped.empty()) by_program[b.program].push_back(&b);
  }
  std::vector<Job> jobs;
  std::mt19937 rng(seed);
  for (int r = 0; r < repetitions; ++r) {
    std::vector<Job> round;
    for (const auto& [program, benches] : by_program) round.push_back({program, benches, r});
    std::shuffle(round.begin(), round.end(), rng);
    jobs.insert(jobs.end(), round.begin(), round.end());
  }
  return jobs;
}

std::string exactly_one_of(const std::vector<std::string>& names, std::string_view suffix) {
  std::string filter = "^(";
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string exact = exact_filter(names[i]);
    if (i) filter += '|';
    filter.append(exact, 1, exact.size() - 2);  // without its ^ and $
  }
  return filter.append(")").append(suffix).append("$");
}

std::string batch_filter(const std::vector<const Listed*>& benches) {
  std::vector<std::string> names;
  for (const auto* b : benches) names.push_back(b->grid);
  return exactly_one_of(names, kTimeSuffix);
}

void learn_iterations(const GbenchFile& parsed, IterationPlan* plan) {
  for (const auto& run : parsed.runs) {
    if (!run.error && run.iterations >= 1) plan->try_emplace(run.grid.benchmark, run.iterations);
  }
}

std::string iteration_plan_text(const std::vector<const Listed*>& benches,
                                const IterationPlan& plan) {
  std::string out;
  for (const auto* b : benches) {
    if (auto it = plan.find(b->grid); it != plan.end())
      out += fmt::format("{}\t{:.0f}\n", b->grid, it->second);
  }
  return out;
}

void RunCollector::take_context(const GbenchFile& parsed, const Listed& any) {
  if (auto it = parsed.context.find(grid::kContextBaseline); it != parsed.context.end()) {
    baselines[any.suite] = it->second;
  }
  if (auto it = parsed.context.find(grid::kContextFloor); it != parsed.context.end()) {
    if (auto spec = parse_floor_spec(it->second)) floors[any.suite] = *spec;
  }
  if (auto it = parsed.context.find("library_build_type"); it != parsed.context.end()) {
    library_build[any.program] = it->second;
  }
}

std::vector<const Listed*> RunCollector::take(const GbenchFile& parsed,
                                              const std::vector<const Listed*>& benches, int rep) {
  std::map<std::string, const Listed*> wanted;
  for (const auto* b : benches) wanted[b->grid] = b;
  take_context(parsed, *benches.front());
  for (const auto& run : parsed.runs) {
    auto it = wanted.find(run.grid.benchmark);
    if (it == wanted.end()) continue;
    if (run.error) {
      fail(*it->second, rep, run.error_message);
    } else {
      auto rows = samples_from_run(run_id, it->second->suite, run, rep);
      mark_primary(rows, it->second->primary);
      samples.insert(samples.end(), rows.begin(), rows.end());
    }
    wanted.erase(it);
  }
  std::vector<const Listed*> missing;
  for (const auto& [grid, b] : wanted) missing.push_back(b);
  return missing;
}

void RunCollector::fail(const Listed& b, int rep, const std::string& why) {
  failures.push_back(fmt::format("{} repetition {}: {}", b.grid, rep, why));
  samples.push_back(failed_sample(run_id, b.suite, *parse_grid_name(b.name), rep, why));
}

namespace {

// One `ptbench run`: the plan, where it writes, and what it has collected so far.
class Run {
 public:
  Run(const RunOptions& opt, std::vector<Listed> listed, std::ostream& err)
      : opt_(opt), listed_(std::move(listed)), err_(err), tty_(isatty(STDERR_FILENO)) {}

  // Settles the run's id, directory and parameters.
  Result<void> prepare();
  // Runs every round; false when interrupted.
  bool run_rounds();
  // Writes samples.csv, summary.csv, host.csv and the report; the exit code.
  int finish(bool completed, std::ostream& out);
  void record_in_history();

 private:
  std::optional<double> floor_probe(const std::string& stem);
  Result<GbenchFile> run_batch(const std::string& program,
                               const std::vector<const Listed*>& benches, const std::string& stem,
                               ProcessResult* result);
  bool run_job(const Job& job);
  bool run_one_by_one(const Job& job, const std::vector<const Listed*>& missing,
                      const std::string& stem);
  void record_failure(const Listed& b, int rep, const std::string& why);
  void progress(std::size_t i, std::size_t jobs, const Job& job);
  KeyValues metadata(bool completed);
  bool write_csv_files(const std::vector<SummaryRow>& summary, const KeyValues& meta);

  const RunOptions& opt_;
  std::vector<Listed> listed_;
  std::ostream& err_;
  bool tty_;
  int reps_ = 0;
  double min_time_ = 0;
  unsigned seed_ = 0;
  std::time_t started_ = 0;
  KeyValues host_;
  fs::path dir_;
  std::string load_before_;
  std::optional<double> floor_before_;
  RunCollector got_;
  IterationPlan plan_;
  std::set<std::string> plannable_;  // programs whose output says they take a plan
  std::chrono::steady_clock::time_point t0_;
  std::size_t done_ = 0;  // benchmarks x repetitions finished, for the estimate
};

Result<void> Run::prepare() {
  reps_ = opt_.repetitions.value_or(opt_.profile == "full" ? 11 : 3);
  min_time_ = opt_.min_time.value_or(opt_.profile == "full" ? 0.01 : 0.05);
  seed_ = opt_.seed.value_or(std::random_device{}());
  started_ = std::time(nullptr);
  host_ = collect_host();
  auto host_value = [&](const std::string& key) {
    for (const auto& [k, v] : host_) {
      if (k == key) return v;
    }
    return std::string("unknown");
  };
  if (const std::string quota = host_value("cpu_quota"); quota != "none" && quota != "unknown") {
    err_ << "ptbench: warning: this process runs under a CPU quota of " << quota
         << " (cgroup cpu.max): when it is used up the kernel stops every task until the next "
            "period, which distorts switch and latency figures; run outside the quota to measure "
            "the machine\n";
  }
  got_.run_id =
      fmt::format("{}_{}_{}", utc_stamp(started_, "%Y%m%dT%H%M%SZ"),
                  safe_for_path(host_value("hostname")), safe_for_path(host_value("git_sha")));
  dir_ = opt_.out_dir.empty() ? default_runs_dir() / got_.run_id : opt_.out_dir;
  if (auto ready = prepare_out_dir(dir_); !ready) return ready;
  for (const auto& b : listed_) {
    if (!b.skipped.empty()) {
      got_.samples.push_back(
          skipped_sample(got_.run_id, b.suite, *parse_grid_name(b.name), b.skipped));
    }
  }
  return {};
}

// The noise guard: the cache-line floor before and after the run. If the host changed under us
// (another tenant, a build), it moves, and the run says so. Unknown when the floor program is
// not part of the run or did not run (the guard is advisory: its failure fails nothing).
std::optional<double> Run::floor_probe(const std::string& stem) {
  const std::string program = "floor_bench";
  if (std::find(opt_.programs.begin(), opt_.programs.end(), program) == opt_.programs.end() ||
      access((opt_.bench_dir / program).c_str(), X_OK) != 0) {
    return std::nullopt;
  }
  auto run =
      run_one_benchmark(opt_.bench_dir / program, bench_profile(opt_.profile),
                        grid::format("Floor", "cacheline", "thread", host_reference_level(), 64),
                        0.05, dir_ / "raw" / stem);
  return run ? std::optional<double>(run->real_time_ns) : std::nullopt;
}

// Runs `benches` (of one program) in one process; returns the parsed output or the reason.
Result<GbenchFile> Run::run_batch(const std::string& program,
                                  const std::vector<const Listed*>& benches,
                                  const std::string& stem, ProcessResult* result) {
  const fs::path json = dir_ / "raw" / (stem + ".json");
  const auto timeout = std::chrono::milliseconds(
      static_cast<long>((opt_.timeout_s + 15.0 * static_cast<double>(benches.size())) * 1000));
  std::vector<std::string> argv = {(opt_.bench_dir / program).string(),
                                   "--ptbench_profile=" + bench_profile(opt_.profile),
                                   "--benchmark_filter=" + batch_filter(benches),
                                   "--benchmark_repetitions=1",
                                   "--benchmark_enable_random_interleaving=true",
                                   fmt::format("--benchmark_min_time={}", min_time_),
                                   "--benchmark_out=" + json.string(),
                                   "--benchmark_out_format=json"};
  if (const std::string plan = iteration_plan_text(benches, plan_);
      plannable_.count(program) && !plan.empty()) {
    const fs::path file = dir_ / "raw" / (stem + ".iterations");
    std::ofstream(file) << plan;
    argv.push_back(std::string(grid::kIterationPlanFlag) + file.string());
  }
  *result = run_process(argv, dir_ / "raw" / (stem + ".log"), timeout, &g_interrupted);
  auto text = read_text_file(json);
  auto parsed = text ? parse_gbench_json(*text) : fail("no JSON output");
  if (parsed && parsed->context.count(grid::kContextIterationPlan)) {
    plannable_.insert(program);
    learn_iterations(*parsed, &plan_);
  }
  return parsed;
}

void Run::record_failure(const Listed& b, int rep, const std::string& why) {
  got_.fail(b, rep, why);
  if (tty_) err_ << '\n';
  err_ << "ptbench: " << got_.failures.back() << '\n';
}

void Run::progress(std::size_t i, std::size_t jobs, const Job& job) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  std::size_t runnable = 0;
  for (const auto& b : listed_) runnable += b.skipped.empty();
  const std::size_t total = runnable * static_cast<std::size_t>(reps_);
  const std::string eta = done_ == 0
                              ? "?"
                              : fmt::format("{:.0f}s", elapsed / static_cast<double>(done_) *
                                                           static_cast<double>(total - done_));
  const std::string line = fmt::format(
      "[{}/{}] {:.0f}s elapsed, ~{} left  {} round {} of {} ({} benchmarks)", i + 1, jobs, elapsed,
      eta, job.benches.front()->suite, job.repetition + 1, reps_, job.benches.size());
  if (tty_) {
    err_ << "\r\033[K" << line.substr(0, 150) << std::flush;
  } else {
    err_ << line << '\n';
  }
}

// The batch died or wrote no usable JSON: what it did not deliver runs one by one, so one
// crashing benchmark costs only its own result. False when interrupted.
bool Run::run_one_by_one(const Job& job, const std::vector<const Listed*>& missing,
                         const std::string& stem) {
  for (std::size_t k = 0; k < missing.size(); ++k) {
    const std::string one = fmt::format("{}_{:02d}", stem, k);
    ProcessResult r1;
    auto p1 = run_batch(job.program, {missing[k]}, one, &r1);
    if (r1.cancelled) return false;
    if (p1 && got_.take(*p1, {missing[k]}, job.repetition).empty()) continue;
    record_failure(*missing[k], job.repetition,
                   !r1.ok() ? fmt::format("{} {} (see raw/{}.log)", job.program, r1.describe(), one)
                            : fmt::format("raw/{}.json: {}", one,
                                          p1 ? "the benchmark did not run" : p1.error()));
  }
  return true;
}

// One program's benchmarks for one round, in one process. False when interrupted.
bool Run::run_job(const Job& job) {
  const std::string stem = fmt::format("{}_r{:02d}", job.benches.front()->suite, job.repetition);
  ProcessResult result;
  auto parsed = run_batch(job.program, job.benches, stem, &result);
  if (result.cancelled) return false;
  auto missing = parsed ? got_.take(*parsed, job.benches, job.repetition) : job.benches;
  done_ += job.benches.size();
  if (result.ok() && parsed) {
    for (const auto* b : missing) record_failure(*b, job.repetition, "the benchmark did not run");
    return true;
  }
  if (tty_) err_ << '\n';
  err_ << fmt::format(
      "ptbench: {} round {} {}; running its {} remaining benchmark(s) one by one (see "
      "raw/{}.log)\n",
      job.program, job.repetition + 1, result.ok() ? "wrote no usable JSON" : result.describe(),
      missing.size(), stem);
  return run_one_by_one(job, missing, stem);
}

bool Run::run_rounds() {
  load_before_ = read_load();
  floor_before_ = floor_probe("noise_guard_before");
  const auto jobs = plan_rounds(listed_, reps_, seed_);
  std::size_t runnable = 0;
  for (const auto& b : listed_) runnable += b.skipped.empty();
  err_ << fmt::format(
      "ptbench run: {} benchmarks x {} repetitions ({} cannot run here), profile {}, into {}\n",
      runnable, reps_, listed_.size() - runnable, opt_.profile, dir_.string());
  t0_ = std::chrono::steady_clock::now();
  bool completed = true;
  for (std::size_t i = 0; i < jobs.size() && completed; ++i) {
    if (g_interrupted) break;
    progress(i, jobs.size(), jobs[i]);
    completed = run_job(jobs[i]);
  }
  if (tty_) err_ << '\n';
  return completed && !g_interrupted;
}

KeyValues Run::metadata(bool completed) {
  KeyValues meta = host_;
  meta.insert(meta.begin(), {"run_id", got_.run_id});
  auto add = [&](std::string k, std::string v) { meta.emplace_back(std::move(k), std::move(v)); };
  add("profile", opt_.profile);
  add("repetitions", std::to_string(reps_));
  add("min_time_s", fmt::format("{}", min_time_));
  // Rows of these programs ran their first round's iteration count in later rounds.
  add("iteration_plan", fmt::format("{}", fmt::join(plannable_, " ")));
  add("interleave_seed", std::to_string(seed_));
  std::vector<fs::path> programs;
  for (const auto& p : opt_.programs) programs.push_back(opt_.bench_dir / p);
  add("binary_hash", files_fingerprint(programs));
  add("filter", opt_.filter);
  const std::string lib =
      got_.library_build.empty() ? "unknown" : got_.library_build.begin()->second;
  add("google_benchmark_library_build", lib);
  if (lib == "debug") {
    add("google_benchmark_note",
        "Debian's libbenchmark is built without NDEBUG, so every program prints a DEBUG warning; "
        "the timed loop is inlined from the header into ptbench's own optimized code, and only the "
        "library's bookkeeping between timed runs carries the extra checks");
  }
  add("started_utc", utc_stamp(started_, "%Y-%m-%dT%H:%M:%SZ"));
  add("finished_utc", utc_stamp(std::time(nullptr), "%Y-%m-%dT%H:%M:%SZ"));
  add("load_before", load_before_);
  add("load_after", read_load());
  const auto floor_after = completed ? floor_probe("noise_guard_after") : std::nullopt;
  auto ns = [](std::optional<double> v) { return v ? fmt::format("{:.0f}", *v) : "unknown"; };
  add("cacheline_floor_before_ns", ns(floor_before_));
  add("cacheline_floor_after_ns", ns(floor_after));
  if (auto moved = floor_moved(floor_before_, floor_after)) {
    add("noise_warning", *moved);
    err_ << "ptbench: warning: " << *moved << '\n';
  }
  add("completed", completed ? "yes" : "no (interrupted)");
  return meta;
}

bool Run::write_csv_files(const std::vector<SummaryRow>& summary, const KeyValues& meta) {
  // Closed before the report reads them back.
  std::ofstream samples_csv(dir_ / "samples.csv"), summary_csv(dir_ / "summary.csv"),
      host_csv(dir_ / "host.csv");
  write_samples_csv(samples_csv, got_.samples);
  write_summary_csv(summary_csv, summary);
  write_host_csv(host_csv, meta);
  if (auto xml = topology_xml()) std::ofstream(dir_ / "topology.xml") << *xml;
  samples_csv.close();
  summary_csv.close();
  host_csv.close();
  return samples_csv && summary_csv && host_csv;
}

// Adds the run to the history database when one is named; a failure warns (the run is complete
// in its directory either way; `ptbench history import` can add it later).
void Run::record_in_history() {
  if (opt_.history_db.empty()) return;
  auto db = HistoryDb::open(opt_.history_db);
  auto added = db ? (*db)->import_run(dir_) : Result<bool>(fail(db.error()));
  if (!added) err_ << "ptbench: warning: not recorded in the history: " << added.error() << '\n';
}

int Run::finish(bool completed, std::ostream& out) {
  // Rows in the programs' registration order, not the random order they ran in.
  auto summary = summarize_samples(got_.samples, got_.baselines, got_.floors);
  std::map<std::string, std::size_t> order;
  for (const auto& b : listed_) order.emplace(b.grid, order.size());
  std::stable_sort(summary.begin(), summary.end(), [&](const auto& a, const auto& b) {
    return order[a.benchmark] < order[b.benchmark];
  });
  if (!write_csv_files(summary, metadata(completed))) {
    err_ << fmt::format("ptbench: writing the CSV files in {} failed\n", dir_.string());
    return kExitSystem;
  }
  print_summary_table(out, summary, got_.baselines);
  if (auto chart_note = write_report(dir_); !chart_note) {
    err_ << "ptbench: report.md not written: " << chart_note.error() << '\n';
  } else if (!chart_note->empty()) {
    err_ << "ptbench: " << *chart_note << '\n';
  }
  out << fmt::format("\nrun directory: {} (report.md, summary.csv, samples.csv, host.csv)\n",
                     dir_.string());
  record_in_history();
  if (!completed) {
    err_ << "ptbench: interrupted; what completed is in the run directory\n";
    return kExitInterrupted;
  }
  if (!got_.failures.empty()) {
    err_ << fmt::format("ptbench: {} repetition(s) failed; the rest is in the run directory\n",
                        got_.failures.size());
    return kExitBenchmarkFailed;
  }
  return kExitOk;
}

}  // namespace

std::optional<std::string> floor_moved(std::optional<double> before, std::optional<double> after) {
  if (!before || !after || std::fabs(*after / *before - 1) <= 0.2) return std::nullopt;
  return fmt::format(
      "the cache-line floor moved from {:.0f} ns to {:.0f} ns during the run: the host changed "
      "under it (other work?); trust ratios within the run, close other work and run again",
      *before, *after);
}

Result<GbenchRun> run_one_benchmark(const fs::path& program, const std::string& profile,
                                    const std::string& grid, double min_time,
                                    const fs::path& stem) {
  const std::string filter = exactly_one_of({grid}, kTimeSuffix);
  const fs::path json = stem.string() + ".json";
  auto r =
      run_process({program.string(), "--ptbench_profile=" + profile, "--benchmark_filter=" + filter,
                   fmt::format("--benchmark_min_time={}", min_time),
                   "--benchmark_out=" + json.string(), "--benchmark_out_format=json"},
                  stem.string() + ".log", std::chrono::seconds(120), &g_interrupted);
  auto text = read_text_file(json);
  if (!r.ok() || !text) {
    return fail(fmt::format("{} {}: {}", program.filename().string(), grid,
                            r.ok() ? "no output" : r.describe()));
  }
  auto parsed = parse_gbench_json(*text);
  if (!parsed || parsed->runs.empty() || parsed->runs[0].error)
    return fail(fmt::format("{} did not run {}", program.filename().string(), grid));
  return parsed->runs[0];
}

std::optional<fs::path> missing_program(const RunOptions& opt) {
  for (const auto& program : opt.programs) {
    if (access((opt.bench_dir / program).c_str(), X_OK) != 0) return opt.bench_dir / program;
  }
  return std::nullopt;
}

// A run in named steps: check the programs, list and filter, prepare the directory, run the
// rounds, write the files.
int run_command(const RunOptions& opt, std::ostream& out, std::ostream& err) {
  install_interrupt_handlers();
  if (auto missing = missing_program(opt)) {
    err << fmt::format(
        "ptbench: benchmark program {} is missing or not executable; build first "
        "(scripts/run builds the release preset) or pass --bench-dir\n",
        missing->string());
    return kExitSystem;
  }
  auto listed = list_benchmarks(opt);
  if (!listed) {
    if (g_interrupted) return kExitInterrupted;
    err << "ptbench: " << listed.error() << '\n';
    return kExitBadInput;
  }
  Run run(opt, std::move(*listed), err);
  if (auto ready = run.prepare(); !ready) {
    err << "ptbench: " << ready.error() << " (choose another directory with --out)\n";
    return kExitBadInput;
  }
  const bool completed = run.run_rounds();
  return run.finish(completed, out);
}

}  // namespace ptbench::harness
