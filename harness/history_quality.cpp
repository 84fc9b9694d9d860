// `ptbench history quality RUN_DIR`: how well the change-point detector does on series with the
// noise of real measurements. Each series is 40 run medians, each the median of 3 repetitions
// drawn (with replacement, seeded) from one row's repetitions in RUN_DIR; a planted step
// multiplies the runs from run 25 on. Reported per step size: the share of steps found within 5
// runs after the step (the detector run on the series as it stood then), the median number of
// runs it needed, and on the same series without a step the false change points per 1,000 runs;
// each split by how much the row's run medians move between runs (their MAD / median in the
// series without a step): a step smaller than a row's own run-to-run noise cannot be found
// within a few runs without false alarms elsewhere.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <random>

#include "harness/compare.hpp"
#include "harness/csv.hpp"
#include "harness/exit_codes.hpp"
#include "harness/history.hpp"
#include "harness/stats.hpp"

namespace ptbench::harness {

namespace {

constexpr std::size_t kRuns = 40, kStepAt = 25, kWithin = 5, kSeeds = 25, kMaxRows = 40;

// Each usable row's repetitions: its primary metric (real_time in a run from before the
// declarations), at least 10 error-free repetitions; at most kMaxRows rows, evenly spaced.
std::vector<std::vector<double>> rows_of(const std::vector<Sample>& samples) {
  const bool declared =
      std::any_of(samples.begin(), samples.end(), [](const Sample& s) { return s.primary; });
  std::map<std::string, std::vector<double>> by_row;
  for (const auto& s : samples) {
    const bool primary = declared ? s.primary : s.metric == "real_time";
    if (primary && s.error.empty() && s.value > 0) by_row[s.benchmark].push_back(s.value);
  }
  std::vector<std::vector<double>> all;
  for (auto& [name, v] : by_row) {
    if (v.size() >= 10) all.push_back(std::move(v));
  }
  std::vector<std::vector<double>> out;
  const std::size_t keep = std::min(all.size(), kMaxRows);
  for (std::size_t k = 0; k < keep; ++k) out.push_back(all[k * all.size() / keep]);
  return out;
}

std::vector<double> resampled(const std::vector<double>& reps, double step, unsigned seed) {
  return resampled_series(reps, kRuns, kStepAt, step, seed);
}

// Runs after the step until the detector, run on the series as it stood, reports a change at the
// step (one run either side) in the step's direction; 0 when it never does within the series.
std::size_t runs_to_find(const std::vector<double>& series, double step) {
  for (std::size_t after = 1; kStepAt + after <= series.size(); ++after) {
    const std::vector<double> seen(series.begin(), series.begin() + kStepAt + after);
    for (const auto& c : change_points(seen)) {
      if (c.index + 1 >= kStepAt && c.index <= kStepAt + 1 && (c.change > 0) == (step > 1))
        return after;
    }
  }
  return 0;
}

struct StepResult {
  double step;
  std::size_t series = 0, within = 0, ever = 0;
  std::vector<double> needed;
};

// Rows by the run-to-run noise of their medians.
struct NoiseClass {
  const char* name;
  double up_to;  // MAD / median of the run medians
  std::vector<StepResult> steps = {{1.05, 0, 0, 0, {}}, {1.10, 0, 0, 0, {}}, {1.20, 0, 0, 0, {}}};
  std::size_t rows = 0, false_points = 0, clean_runs = 0;
};

double run_noise(const std::vector<double>& reps) {
  const Summary s = summarize(resampled(reps, 1.0, 12345));
  return s.median > 0 ? s.mad / s.median : INFINITY;
}

void print_class(const NoiseClass& c, bool csv, std::ostream& out) {
  const double per_1000 = c.clean_runs ? 1000.0 * static_cast<double>(c.false_points) /
                                             static_cast<double>(c.clean_runs)
                                       : NAN;
  if (!csv) {
    out << fmt::format(
        "{} ({} rows): {} false change points in {} runs without a step ({:.2f} per "
        "1,000)\n",
        c.name, c.rows, c.false_points, c.clean_runs, per_1000);
  }
  for (const auto& r : c.steps) {
    if (r.series == 0) continue;
    const double within = static_cast<double>(r.within) / static_cast<double>(r.series);
    const double ever = static_cast<double>(r.ever) / static_cast<double>(r.series);
    const double needed = r.needed.empty() ? NAN : summarize(r.needed).median;
    if (csv) {
      write_csv_row(
          out, {c.name, std::to_string(c.rows), csv_number(r.step - 1), std::to_string(r.series),
                csv_number(within), csv_number(ever), csv_number(needed), csv_number(per_1000)});
    } else {
      out << fmt::format(
          "  step {:+.0f}%: found within {} runs in {:.1f}% of {} series ({:.1f}% within {}), "
          "median {} runs after the step\n",
          100 * (r.step - 1), kWithin, 100 * within, r.series, 100 * ever, kRuns - kStepAt, needed);
    }
  }
}

}  // namespace

std::vector<double> resampled_series(const std::vector<double>& reps, std::size_t runs,
                                     std::size_t at, double step, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, reps.size() - 1);
  std::vector<double> out;
  for (std::size_t i = 0; i < runs; ++i) {
    const double m = summarize({reps[pick(rng)], reps[pick(rng)], reps[pick(rng)]}).median;
    out.push_back(i >= at ? m * step : m);
  }
  return out;
}

int history_quality(const std::vector<std::string>& args, bool csv, std::ostream& out,
                    std::ostream& err) {
  if (args.size() != 1) {
    err << "ptbench history quality: name one run directory with 10 or more repetitions\n";
    return kExitBadInput;
  }
  auto samples = load_samples(args[0]);
  if (!samples) {
    err << "ptbench history quality: " << samples.error() << '\n';
    return kExitBadInput;
  }
  const auto rows = rows_of(*samples);
  if (rows.empty()) {
    err << "ptbench history quality: " << args[0]
        << " has no row with 10 or more repetitions (a full-profile run has 11)\n";
    return kExitBadInput;
  }
  std::vector<NoiseClass> classes = {{"all rows", INFINITY},
                                     {"run medians within 2%", 0.02},
                                     {"2-5%", 0.05},
                                     {"over 5%", INFINITY}};
  for (const auto& reps : rows) {
    const double noise = run_noise(reps);
    std::vector<NoiseClass*> into = {&classes[0]};
    for (std::size_t k = 1; k < classes.size(); ++k) {
      if (noise <= classes[k].up_to) {
        into.push_back(&classes[k]);
        break;
      }
    }
    for (auto* c : into) ++c->rows;
    for (unsigned seed = 1; seed <= kSeeds; ++seed) {
      for (std::size_t k = 0; k < classes[0].steps.size(); ++k) {
        const double step = classes[0].steps[k].step;
        const std::size_t n = runs_to_find(resampled(reps, step, seed), step);
        for (auto* c : into) {
          auto& r = c->steps[k];
          ++r.series;
          r.within += n > 0 && n <= kWithin;
          r.ever += n > 0;
          if (n > 0) r.needed.push_back(static_cast<double>(n));
        }
      }
      const std::size_t false_points = change_points(resampled(reps, 1.0, seed)).size();
      for (auto* c : into) c->false_points += false_points, c->clean_runs += kRuns;
    }
  }
  if (csv) {
    write_csv_row(
        out, {"rows", "row_count", "step", "series", "found_within_5_runs", "found_within_15_runs",
              "median_runs_needed", "false_points_per_1000_runs"});
  } else {
    out << fmt::format("{} rows x {} seeds of {}, {} runs a series, the step at run {}\n",
                       rows.size(), kSeeds, args[0], kRuns, kStepAt);
  }
  for (const auto& c : classes) print_class(c, csv, out);
  return kExitOk;
}

}  // namespace ptbench::harness
