#include "harness/runner.hpp"

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <ostream>
#include <random>
#include <regex>
#include <sstream>

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
  const Listed* bench;
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
  auto listed = list_benchmarks(opt, err);
  if (!listed) return g_interrupted ? kExitInterrupted : kExitBadInput;

  const int reps = opt.repetitions.value_or(opt.profile == "full" ? 11 : 3);
  const double min_time = opt.min_time.value_or(opt.profile == "full" ? 0.5 : 0.05);
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
  const fs::path dir =
      opt.out_dir.empty() ? fs::path(PTBENCH_SOURCE_DIR) / "results/runs" / run_id : opt.out_dir;
  if (auto problem = prepare_out_dir(dir); !problem.empty()) {
    err << "ptbench: " << problem << " (choose another directory with --out)\n";
    return kExitBadInput;
  }
  const std::string load_before = read_load();

  // Repetition rounds; inside each round a fresh random order, so drift over the run (another
  // tenant, thermal state) spreads over all benchmarks instead of biasing the last ones.
  std::vector<Job> jobs;
  std::mt19937 rng(seed);
  for (int r = 0; r < reps; ++r) {
    std::vector<Job> round;
    for (const auto& b : *listed) {
      if (b.skipped.empty()) round.push_back({&b, r});
    }
    std::shuffle(round.begin(), round.end(), rng);
    jobs.insert(jobs.end(), round.begin(), round.end());
  }

  const bool tty = isatty(STDERR_FILENO);
  err << fmt::format(
      "ptbench run: {} benchmarks x {} repetitions ({} cannot run here), profile {}, into {}\n",
      jobs.size() / static_cast<std::size_t>(reps), reps,
      listed->size() - jobs.size() / static_cast<std::size_t>(reps), opt.profile, dir.string());
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
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (g_interrupted) {
      interrupted = true;
      break;
    }
    const auto& job = jobs[i];
    const auto& b = *job.bench;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string eta = i == 0
                                ? "?"
                                : fmt::format("{:.0f}s", elapsed / static_cast<double>(i) *
                                                             static_cast<double>(jobs.size() - i));
    const std::string progress = fmt::format("[{}/{}] {:.0f}s elapsed, ~{} left  {} #{}", i + 1,
                                             jobs.size(), elapsed, eta, b.grid, job.repetition);
    if (tty) {
      err << "\r\033[K" << progress.substr(0, 150) << std::flush;
    } else {
      err << progress << '\n';
    }
    const std::string stem = fmt::format("{}_{:04d}", b.suite, i);
    const fs::path json = dir / "raw" / (stem + ".json");
    const fs::path log = dir / "raw" / (stem + ".log");
    auto result = run_process(
        {(opt.bench_dir / b.program).string(), "--ptbench_profile=" + opt.profile,
         "--benchmark_filter=" + exact_filter(b.name), "--benchmark_repetitions=1",
         fmt::format("--benchmark_min_time={}", min_time), "--benchmark_out=" + json.string(),
         "--benchmark_out_format=json"},
        log, std::chrono::milliseconds(static_cast<long>(opt.timeout_s * 1000)), &g_interrupted);
    const auto grid = *parse_grid_name(b.name);
    if (result.cancelled) {
      interrupted = true;
      break;
    }
    auto fail = [&](const std::string& why) {
      ++failures;
      samples.push_back(failed_sample(run_id, b.suite, grid, job.repetition, why));
      if (tty) err << '\n';
      err << fmt::format("ptbench: {} repetition {}: {}\n", b.grid, job.repetition, why);
    };
    if (!result.ok()) {
      fail(fmt::format("{} {} (see raw/{}.log)", b.program, result.describe(), stem));
      continue;
    }
    auto text = read_text_file(json);
    auto parsed = text ? parse_gbench_json(*text) : GbenchFile{{}, {}, "no JSON output"};
    if (!parsed.error.empty() || parsed.runs.empty()) {
      fail(fmt::format("raw/{}.json: {}", stem,
                       parsed.error.empty() ? "no benchmark ran" : parsed.error));
      continue;
    }
    if (auto it = parsed.context.find("ptbench_baseline_mechanism"); it != parsed.context.end()) {
      baselines[b.suite] = it->second;
    }
    if (auto it = parsed.context.find("ptbench_floor"); it != parsed.context.end()) {
      if (auto spec = parse_floor_spec(it->second)) floors[b.suite] = *spec;
    }
    if (auto it = parsed.context.find("library_build_type"); it != parsed.context.end()) {
      library_build[b.program] = it->second;
    }
    for (const auto& run : parsed.runs) {
      if (run.error) {
        fail(run.error_message);
        continue;
      }
      auto rows = samples_from_run(run_id, b.suite, run, job.repetition);
      samples.insert(samples.end(), rows.begin(), rows.end());
    }
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
      return kExitBadInput;
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
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace ptbench::harness
