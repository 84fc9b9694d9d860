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
#include <sstream>

#include "harness/csv.hpp"
#include "harness/gbench_json.hpp"
#include "harness/host.hpp"
#include "harness/report.hpp"
#include "harness/results.hpp"
#include "harness/subprocess.hpp"

namespace ptbench::harness {

namespace fs = std::filesystem;

namespace {

std::string utc_stamp(std::time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string safe_for_path(std::string s) {
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '-';
  }
  return s;
}

std::string suite_of(const std::string& program) {
  const std::string suffix = "_bench";
  if (program.size() > suffix.size() &&
      program.compare(program.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return program.substr(0, program.size() - suffix.size());
  }
  return program;
}

// Checks that `dir` exists (creating it) and takes a file; the reason on failure.
std::string prepare_out_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir / "raw", ec);
  if (ec) return fmt::format("cannot create {}: {}", (dir / "raw").string(), ec.message());
  const fs::path probe = dir / ".write-test";
  {
    std::ofstream f(probe);
    if (!f || !(f << "x") || !f.flush()) return fmt::format("cannot write in {}", dir.string());
  }
  fs::remove(probe, ec);
  return {};
}

struct Job {
  std::string program;
  const std::vector<const Listed*>* benches;
  int repetition;
};

}  // namespace

std::string exact_filter(const std::string& s) {
  std::string out = "^";
  for (char c : s) {
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out + "$";
}

std::optional<std::vector<Listed>> list_benchmarks(const RunOptions& opt, std::ostream& err) {
  std::vector<Listed> all;
  for (const auto& program : opt.programs) {
    const fs::path path = opt.bench_dir / program;
    if (access(path.c_str(), X_OK) != 0) {
      err << fmt::format(
          "ptbench: benchmark program {} is missing or not executable; build first "
          "(scripts/run builds the release preset) or pass --bench-dir\n",
          path.string());
      return std::nullopt;
    }
    // Two listings: what runs, and (tab-separated name and reason) what cannot run here.
    for (const bool skipped : {false, true}) {
      char tmpl[] = "/tmp/ptbench-list-XXXXXX";
      const int fd = mkstemp(tmpl);
      if (fd < 0) {
        err << "ptbench: cannot create a temporary file in /tmp\n";
        return std::nullopt;
      }
      close(fd);
      auto result =
          run_process({path.string(), "--ptbench_profile=" + opt.profile,
                       skipped ? "--ptbench_list_skipped" : "--benchmark_list_tests=true"},
                      tmpl, std::chrono::seconds(60), &g_interrupted);
      auto text = read_text_file(tmpl);
      unlink(tmpl);
      if (!result.ok() || !text) {
        err << fmt::format("ptbench: listing the benchmarks of {} failed: {}\n{}", path.string(),
                           result.describe(), text.value_or(""));
        return std::nullopt;
      }
      std::istringstream in(*text);
      std::string line;
      while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::string reason;
        if (skipped) {
          const auto tab = line.find('\t');
          reason = tab == std::string::npos ? "no reason given" : line.substr(tab + 1);
          line = line.substr(0, tab);
        }
        auto grid = parse_grid_name(line);
        if (!grid) {
          err << fmt::format("ptbench: {} lists '{}', which is not a grid name\n", program, line);
          return std::nullopt;
        }
        all.push_back({program, suite_of(program), line, grid->benchmark, reason});
      }
    }
  }
  if (opt.filter.empty()) return all;
  std::regex re;
  try {
    re = std::regex(opt.filter, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    err << fmt::format("ptbench: --filter '{}' is not a valid regular expression: {}\n", opt.filter,
                       e.what());
    return std::nullopt;
  }
  std::vector<Listed> kept;
  for (auto& b : all) {
    if (std::regex_search(b.grid, re)) kept.push_back(std::move(b));
  }
  if (kept.empty()) {
    err << fmt::format(
        "ptbench: --filter '{}' matches none of the {} benchmarks of profile {} "
        "(`ptbench list` shows their names)\n",
        opt.filter, all.size(), opt.profile);
    return std::nullopt;
  }
  return kept;
}

int run_command(const RunOptions& opt, std::ostream& out, std::ostream& err) {
  install_interrupt_handlers();
  for (const auto& program : opt.programs) {
    if (access((opt.bench_dir / program).c_str(), X_OK) != 0) {
      err << fmt::format(
          "ptbench: benchmark program {} is missing or not executable; build first "
          "(scripts/run builds the release preset) or pass --bench-dir\n",
          (opt.bench_dir / program).string());
      return kExitSystem;
    }
  }
  auto listed = list_benchmarks(opt, err);
  if (!listed) return g_interrupted ? kExitInterrupted : kExitBadInput;

  const int reps = opt.repetitions.value_or(opt.profile == "full" ? 11 : 3);
  const double min_time = opt.min_time.value_or(opt.profile == "full" ? 0.01 : 0.05);
  const unsigned seed = opt.seed.value_or(std::random_device{}());
  const std::time_t started = std::time(nullptr);
  const auto host = collect_host();
  auto host_value = [&](const std::string& key) {
    for (const auto& [k, v] : host) {
      if (k == key) return v;
    }
    return std::string("unknown");
  };
  const std::string run_id =
      fmt::format("{}_{}_{}", utc_stamp(started, "%Y%m%dT%H%M%SZ"),
                  safe_for_path(host_value("hostname")), safe_for_path(host_value("git_sha")));
  const fs::path dir = opt.out_dir.empty() ? default_runs_dir() / run_id : opt.out_dir;
  if (auto problem = prepare_out_dir(dir); !problem.empty()) {
    err << "ptbench: " << problem << " (choose another directory with --out)\n";
    return kExitBadInput;
  }
  const std::string load_before = read_load();
  // The noise guard: the cache-line floor before and after the run. If the host changed under us
  // (another tenant, a build), it moves, and the run says so.
  auto floor_probe = [&](const std::string& stem) -> double {
    const std::string program = "floor_bench";
    const std::string name = "BM_Floor/cacheline/thread/cross-cpu/64/manual_time";
    if (std::find(opt.programs.begin(), opt.programs.end(), program) == opt.programs.end() ||
        access((opt.bench_dir / program).c_str(), X_OK) != 0) {
      return NAN;
    }
    const fs::path json = dir / "raw" / (stem + ".json");
    auto r = run_process({(opt.bench_dir / program).string(),
                          "--benchmark_filter=" + exact_filter(name), "--benchmark_min_time=0.05",
                          "--benchmark_out=" + json.string(), "--benchmark_out_format=json"},
                         dir / "raw" / (stem + ".log"), std::chrono::seconds(60), &g_interrupted);
    auto text = read_text_file(json);
    if (!r.ok() || !text) return NAN;
    auto parsed = parse_gbench_json(*text);
    return parsed.error.empty() && !parsed.runs.empty() && !parsed.runs[0].error
               ? parsed.runs[0].real_time_ns
               : NAN;
  };
  const double floor_before = floor_probe("noise_guard_before");

  // One batch per program and repetition round: a single process runs that round's benchmarks
  // of the program in Google Benchmark's random interleaved order. Rounds go one after another
  // and the programs' order within a round is shuffled too, so drift over the run (another
  // tenant, thermal state) spreads over all benchmarks. A process per benchmark would cost more
  // than the benchmarks themselves on a host where starting one takes tens of milliseconds.
  std::map<std::string, std::vector<const Listed*>> by_program;
  std::size_t runnable = 0;
  for (const auto& b : *listed) {
    if (!b.skipped.empty()) continue;
    by_program[b.program].push_back(&b);
    ++runnable;
  }
  std::vector<Job> jobs;
  std::mt19937 rng(seed);
  for (int r = 0; r < reps; ++r) {
    std::vector<Job> round;
    for (const auto& [program, benches] : by_program) round.push_back({program, &benches, r});
    std::shuffle(round.begin(), round.end(), rng);
    jobs.insert(jobs.end(), round.begin(), round.end());
  }

  const bool tty = isatty(STDERR_FILENO);
  err << fmt::format(
      "ptbench run: {} benchmarks x {} repetitions ({} cannot run here), profile {}, into {}\n",
      runnable, reps, listed->size() - runnable, opt.profile, dir.string());
  std::vector<Sample> samples;
  for (const auto& b : *listed) {
    if (!b.skipped.empty()) {
      samples.push_back(skipped_sample(run_id, b.suite, *parse_grid_name(b.name), b.skipped));
    }
  }
  std::map<std::string, FloorSpec> floors;
  std::map<std::string, std::string> baselines;
  std::map<std::string, std::string> library_build;
  int failures = 0;
  bool interrupted = false;
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t done = 0;  // benchmarks x repetitions finished, for the estimate

  // Runs `benches` (of one program) in one process; returns the parsed output or the reason.
  auto run_batch = [&](const std::string& program, const std::vector<const Listed*>& benches,
                       const std::string& stem, ProcessResult* result) {
    std::string filter = "^(";
    for (std::size_t i = 0; i < benches.size(); ++i) {
      const std::string exact = exact_filter(benches[i]->name);
      if (i) filter += '|';
      filter.append(exact, 1, exact.size() - 2);
    }
    filter += ")$";
    const fs::path json = dir / "raw" / (stem + ".json");
    *result = run_process({(opt.bench_dir / program).string(), "--ptbench_profile=" + opt.profile,
                           "--benchmark_filter=" + filter, "--benchmark_repetitions=1",
                           "--benchmark_enable_random_interleaving=true",
                           fmt::format("--benchmark_min_time={}", min_time),
                           "--benchmark_out=" + json.string(), "--benchmark_out_format=json"},
                          dir / "raw" / (stem + ".log"),
                          std::chrono::milliseconds(static_cast<long>(
                              (opt.timeout_s + 15.0 * static_cast<double>(benches.size())) * 1000)),
                          &g_interrupted);
    auto text = read_text_file(json);
    return text ? parse_gbench_json(*text) : GbenchFile{{}, {}, "no JSON output"};
  };

  auto fail = [&](const Listed& b, int rep, const std::string& why) {
    ++failures;
    samples.push_back(failed_sample(run_id, b.suite, *parse_grid_name(b.name), rep, why));
    if (tty) err << '\n';
    err << fmt::format("ptbench: {} repetition {}: {}\n", b.grid, rep, why);
  };

  // Takes a batch's results; returns the benchmarks that produced nothing.
  auto take = [&](const GbenchFile& parsed, const std::vector<const Listed*>& benches, int rep) {
    std::map<std::string, const Listed*> wanted;
    for (const auto* b : benches) wanted[b->grid] = b;
    const Listed* any = benches.front();
    if (auto it = parsed.context.find("ptbench_baseline_mechanism"); it != parsed.context.end()) {
      baselines[any->suite] = it->second;
    }
    if (auto it = parsed.context.find("ptbench_floor"); it != parsed.context.end()) {
      if (auto spec = parse_floor_spec(it->second)) floors[any->suite] = *spec;
    }
    if (auto it = parsed.context.find("library_build_type"); it != parsed.context.end()) {
      library_build[any->program] = it->second;
    }
    for (const auto& run : parsed.runs) {
      auto it = wanted.find(run.grid.benchmark);
      if (it == wanted.end()) continue;
      if (run.error) {
        fail(*it->second, rep, run.error_message);
      } else {
        auto rows = samples_from_run(run_id, it->second->suite, run, rep);
        samples.insert(samples.end(), rows.begin(), rows.end());
      }
      wanted.erase(it);
    }
    std::vector<const Listed*> missing;
    for (const auto& [grid, b] : wanted) missing.push_back(b);
    return missing;
  };

  for (std::size_t i = 0; i < jobs.size() && !interrupted; ++i) {
    if (g_interrupted) {
      interrupted = true;
      break;
    }
    const auto& job = jobs[i];
    const std::string suite = job.benches->front()->suite;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::size_t total = runnable * static_cast<std::size_t>(reps);
    const std::string eta = done == 0
                                ? "?"
                                : fmt::format("{:.0f}s", elapsed / static_cast<double>(done) *
                                                             static_cast<double>(total - done));
    const std::string progress = fmt::format(
        "[{}/{}] {:.0f}s elapsed, ~{} left  {} round {} of {} ({} benchmarks)", i + 1, jobs.size(),
        elapsed, eta, suite, job.repetition + 1, reps, job.benches->size());
    if (tty) {
      err << "\r\033[K" << progress.substr(0, 150) << std::flush;
    } else {
      err << progress << '\n';
    }
    const std::string stem = fmt::format("{}_r{:02d}", suite, job.repetition);
    ProcessResult result;
    auto parsed = run_batch(job.program, *job.benches, stem, &result);
    if (result.cancelled) {
      interrupted = true;
      break;
    }
    auto missing = take(parsed, *job.benches, job.repetition);
    if (!result.ok() || !parsed.error.empty()) {
      // The batch died or wrote no usable JSON: run what it did not deliver one by one, so one
      // crashing benchmark costs only its own result.
      if (tty) err << '\n';
      err << fmt::format(
          "ptbench: {} round {} {}; running its {} remaining benchmark(s) one by "
          "one (see raw/{}.log)\n",
          job.program, job.repetition + 1, result.ok() ? "wrote no usable JSON" : result.describe(),
          missing.size(), stem);
      for (std::size_t k = 0; k < missing.size() && !interrupted; ++k) {
        const std::string one = fmt::format("{}_{:02d}", stem, k);
        ProcessResult r1;
        auto p1 = run_batch(job.program, {missing[k]}, one, &r1);
        if (r1.cancelled) {
          interrupted = true;
          break;
        }
        if (take(p1, {missing[k]}, job.repetition).empty()) continue;
        fail(*missing[k], job.repetition,
             !r1.ok() ? fmt::format("{} {} (see raw/{}.log)", job.program, r1.describe(), one)
                      : fmt::format("raw/{}.json: {}", one,
                                    p1.error.empty() ? "the benchmark did not run" : p1.error));
      }
    } else {
      for (const auto* b : missing) fail(*b, job.repetition, "the benchmark did not run");
    }
    done += job.benches->size();
  }
  if (tty) err << '\n';

  // Rows in the programs' registration order, not the random order they ran in.
  auto summary = summarize_samples(samples, baselines, floors);
  std::map<std::string, std::size_t> order;
  for (const auto& b : *listed) order.emplace(b.grid, order.size());
  std::stable_sort(summary.begin(), summary.end(), [&](const auto& a, const auto& b) {
    return order[a.benchmark] < order[b.benchmark];
  });
  auto meta = host;
  meta.insert(meta.begin(), {"run_id", run_id});
  auto add = [&](std::string k, std::string v) { meta.emplace_back(std::move(k), std::move(v)); };
  add("profile", opt.profile);
  add("repetitions", std::to_string(reps));
  add("min_time_s", fmt::format("{}", min_time));
  add("interleave_seed", std::to_string(seed));
  add("filter", opt.filter);
  std::string lib = library_build.empty() ? "unknown" : library_build.begin()->second;
  add("google_benchmark_library_build", lib);
  if (lib == "debug") {
    add("google_benchmark_note",
        "Debian's libbenchmark is built without NDEBUG, so every program prints a DEBUG warning; "
        "the timed loop is inlined from the header into ptbench's own optimized code, and only the "
        "library's bookkeeping between timed runs carries the extra checks");
  }
  add("started_utc", utc_stamp(started, "%Y-%m-%dT%H:%M:%SZ"));
  add("finished_utc", utc_stamp(std::time(nullptr), "%Y-%m-%dT%H:%M:%SZ"));
  add("load_before", load_before);
  add("load_after", read_load());
  const double floor_after = interrupted ? NAN : floor_probe("noise_guard_after");
  add("cacheline_floor_before_ns",
      std::isnan(floor_before) ? "unknown" : fmt::format("{:.0f}", floor_before));
  add("cacheline_floor_after_ns",
      std::isnan(floor_after) ? "unknown" : fmt::format("{:.0f}", floor_after));
  if (!std::isnan(floor_before) && !std::isnan(floor_after) &&
      std::fabs(floor_after / floor_before - 1) > 0.2) {
    const std::string moved = fmt::format(
        "the cache-line floor moved from {:.0f} ns to {:.0f} ns during the run: the host changed "
        "under it (other work?); trust ratios within the run, close other work and run again",
        floor_before, floor_after);
    add("noise_warning", moved);
    err << "ptbench: warning: " << moved << '\n';
  }
  add("completed", interrupted ? "no (interrupted)" : "yes");

  {
    // Closed before the report reads them back.
    std::ofstream samples_csv(dir / "samples.csv"), summary_csv(dir / "summary.csv"),
        host_csv(dir / "host.csv");
    write_samples_csv(samples_csv, samples);
    write_summary_csv(summary_csv, summary);
    write_host_csv(host_csv, meta);
    samples_csv.close();
    summary_csv.close();
    host_csv.close();
    if (!samples_csv || !summary_csv || !host_csv) {
      err << fmt::format("ptbench: writing the CSV files in {} failed\n", dir.string());
      return kExitSystem;
    }
  }

  print_summary_table(out, summary, baselines);
  std::string chart_note;
  if (auto problem = write_report(dir, &chart_note); !problem.empty()) {
    err << "ptbench: report.md not written: " << problem << '\n';
  } else if (!chart_note.empty()) {
    err << "ptbench: " << chart_note << '\n';
  }
  out << fmt::format("\nrun directory: {} (report.md, summary.csv, samples.csv, host.csv)\n",
                     dir.string());
  if (interrupted) {
    err << "ptbench: interrupted; what completed is in the run directory\n";
    return kExitInterrupted;
  }
  if (failures > 0) {
    err << fmt::format("ptbench: {} repetition(s) failed; the rest is in the run directory\n",
                       failures);
    return kExitBenchmarkFailed;
  }
  return kExitOk;
}

}  // namespace ptbench::harness
