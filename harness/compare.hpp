// `ptbench compare BASE CANDIDATE`: is the candidate slower than the base, beyond the noise?
// A regression needs a significant Mann-Whitney test (one test per row, Bonferroni across rows)
// and a change larger than the threshold (the minimal effect), however noisy the row. A row
// that cannot be judged (too few repetitions, too noisy, a large change the test cannot confirm)
// is undecided with its spread, never "same".
#pragma once

#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/results.hpp"

namespace ptbench::harness {

struct CompareOptions {
  double alpha = 0.01;      // before the Bonferroni correction for the number of comparisons
  double threshold = 0.10;  // the smallest change (fraction) that counts
  std::map<std::string, double> suite_thresholds;  // per-suite overrides
  std::string metric_regex;       // metrics to compare (a regex); empty: each row's primary metric
  std::filesystem::path out_dir;  // where comparison.csv/.md/.json go; empty: no files
};

enum class Verdict { kSame, kRegression, kImprovement, kUnstable, kInsufficient };
const char* verdict_name(Verdict v);

struct ComparisonRow {
  std::string suite, benchmark, metric, unit, direction;
  std::size_t n_base = 0, n_candidate = 0;
  double median_base = 0, median_candidate = 0;
  double ratio = 0;      // candidate / base median
  double slowdown = 0;   // > 0: worse; oriented by direction (a halved rate is +1.0)
  double spread = 0;     // the noisier side's MAD / median
  double p_value = 1;    // Mann-Whitney, two-sided (1 when not applicable)
  double threshold = 0;  // the smallest change that counts (the option or the suite's)
  std::string rule{};    // mann-whitney | none (the sizes cannot reach the corrected alpha)
  Verdict verdict = Verdict::kSame;
};

struct ComparisonResult {
  std::vector<ComparisonRow> rows;
  double alpha_corrected = 0;
  std::size_t regressions = 0, improvements = 0, warnings = 0;
};

// Compares the per-repetition samples. Fails when nothing can be compared (no common
// benchmark x metric) or the metric pattern is not a regular expression.
Result<ComparisonResult> compare_samples(const std::vector<Sample>& base,
                                         const std::vector<Sample>& candidate,
                                         const CompareOptions& opt);

// Loads samples from a run directory or a samples.csv path, its rows named at the run's
// reference level (map_legacy_placements, from the host.csv beside it).
Result<std::vector<Sample>> load_samples(const std::filesystem::path& where);
// The samples of several runs pooled (for interleaved A/B rounds).
Result<std::vector<Sample>> load_pooled(const std::vector<std::string>& runs);

// "N same, N slower, N faster, N undecided" (undecided: unstable or insufficient rows).
std::string compare_summary_line(const ComparisonResult& r);

void write_comparison_csv(std::ostream& out, const ComparisonResult& r);
void write_comparison_markdown(std::ostream& out, const ComparisonResult& r);
// github-action-benchmark input: the candidate's medians, one file per direction
// (customSmallerIsBetter for times, customBiggerIsBetter for rates).
void write_github_benchmark_json(std::ostream& out, const ComparisonResult& r, bool smaller);

// The whole command: prints the table, writes the files, returns the exit code. `base` and
// `candidate` are run directories or samples.csv files; several on a side are pooled.
int compare_command(const std::vector<std::string>& base, const std::vector<std::string>& candidate,
                    const CompareOptions& opt, std::ostream& out, std::ostream& err);

}  // namespace ptbench::harness
