#include "harness/compare.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <regex>
#include <set>

#include "harness/csv.hpp"
#include "harness/host.hpp"
#include "harness/runner.hpp"
#include "harness/stats.hpp"

namespace ptbench::harness {

namespace fs = std::filesystem;

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kSame:
      return "same";
    case Verdict::kRegression:
      return "regression";
    case Verdict::kImprovement:
      return "improvement";
    case Verdict::kUnstable:
      return "unstable";
    case Verdict::kInsufficient:
      return "insufficient";
  }
  return "?";
}

Result<std::vector<Sample>> load_samples(const fs::path& where) {
  std::error_code ec;
  const fs::path file = fs::is_directory(where, ec) ? where / "samples.csv" : where;
  auto text = read_text_file(file);
  if (!text) return fail(fmt::format("cannot read {}", file.string()));
  auto samples = parse_samples_csv(*text);
  if (!samples) return samples.with_context(file.string());
  if (samples->empty()) return fail(fmt::format("{}: no samples", file.string()));
  map_legacy_placements(*samples, run_reference_level(file.parent_path()));
  return samples;
}

namespace {

struct Values {
  std::string suite, unit, direction;
  std::vector<double> v;
};

// The samples to compare, per benchmark x metric: each benchmark's primary metric, or the metrics
// the pattern names.
std::map<std::pair<std::string, std::string>, Values> group(
    const std::vector<Sample>& samples, const std::optional<std::regex>& metric) {
  std::map<std::pair<std::string, std::string>, Values> out;
  for (const auto& s : samples) {
    if (!s.error.empty() || std::isnan(s.value)) continue;
    if (metric ? !std::regex_search(s.metric, *metric) : !s.primary) continue;
    auto& g = out[{s.benchmark, s.metric}];
    g.suite = s.suite;
    g.unit = s.unit;
    g.direction = s.direction;
    g.v.push_back(s.value);
  }
  return out;
}

double relative_mad(const Summary& s) {
  return s.median != 0 ? s.mad / std::fabs(s.median) : 0;
}

// One test, at the corrected alpha: the two-sided Mann-Whitney U test, where the sample sizes can
// reach that alpha at all (rule "mann-whitney"; "none" when they cannot).
bool significant(const Values& bv, const Values& cv, double alpha_corrected, ComparisonRow* row) {
  if (mann_whitney_min_p(bv.v.size(), cv.v.size()) > alpha_corrected) {
    row->rule = "none";
    return false;
  }
  row->rule = "mann-whitney";
  row->p_value = mann_whitney(bv.v, cv.v).p;
  return row->p_value < alpha_corrected;
}

// The verdict: a significant change beyond the threshold is slower or faster, whatever the
// spread (a regression that also adds jitter still fails); otherwise a side too noisy to judge,
// a change beyond the threshold that the test cannot confirm, or sizes that cannot reach the
// alpha leave the row undecided, never "same".
Verdict verdict_of(const ComparisonRow& row, bool sig, bool stable) {
  const bool large = std::fabs(row.slowdown) > row.threshold;
  if (row.rule == "none") return Verdict::kInsufficient;
  if (sig && large) return row.slowdown > 0 ? Verdict::kRegression : Verdict::kImprovement;
  if (!stable) return Verdict::kUnstable;
  if (large) return Verdict::kInsufficient;
  return Verdict::kSame;
}

// One benchmark x metric: the medians, the change, the threshold, the rule and the verdict.
ComparisonRow compare_row(const std::pair<std::string, std::string>& key, const Values& bv,
                          const Values& cv, const CompareOptions& opt, double alpha_corrected) {
  ComparisonRow row{.suite = bv.suite,
                    .benchmark = key.first,
                    .metric = key.second,
                    .unit = bv.unit,
                    .direction = bv.direction};
  const Summary sb = summarize(bv.v), sc = summarize(cv.v);
  row.n_base = sb.n;
  row.n_candidate = sc.n;
  row.median_base = sb.median;
  row.median_candidate = sc.median;
  row.ratio = sb.median != 0 ? sc.median / sb.median : NAN;
  const bool lower_better = bv.direction == "lower_is_better";
  row.slowdown = lower_better ? row.ratio - 1 : (sc.median != 0 ? sb.median / sc.median - 1 : NAN);
  auto t = opt.suite_thresholds.find(row.suite);
  const double wanted = t != opt.suite_thresholds.end() ? t->second : opt.threshold;
  row.spread = std::max(relative_mad(sb), relative_mad(sc));
  // The minimal effect alone: the test answers for the noise. (Raising it to the noise let a
  // regression that also added jitter pass.)
  row.threshold = wanted;
  const bool sig = significant(bv, cv, alpha_corrected, &row);
  row.verdict = verdict_of(row, sig, is_stable(sb) && is_stable(sc));
  return row;
}

void count(Verdict v, ComparisonResult* result) {
  switch (v) {
    case Verdict::kRegression:
      ++result->regressions;
      break;
    case Verdict::kImprovement:
      ++result->improvements;
      break;
    case Verdict::kUnstable:
    case Verdict::kInsufficient:
      ++result->warnings;
      break;
    case Verdict::kSame:
      break;
  }
}

}  // namespace

Result<ComparisonResult> compare_samples(const std::vector<Sample>& base,
                                         const std::vector<Sample>& candidate,
                                         const CompareOptions& opt) {
  std::optional<std::regex> metric;
  try {
    if (!opt.metric_regex.empty()) metric = std::regex(opt.metric_regex);
  } catch (const std::regex_error& e) {
    return fail(fmt::format("--metric '{}' is not a valid regular expression", opt.metric_regex));
  }
  const auto b = group(base, metric), c = group(candidate, metric);
  std::vector<std::pair<std::string, std::string>> common;
  for (const auto& [key, values] : b) {
    if (c.count(key)) common.push_back(key);
  }
  if (common.empty()) return fail("the two runs have no benchmark x metric in common");
  ComparisonResult result;
  result.alpha_corrected = opt.alpha / static_cast<double>(common.size());
  for (const auto& key : common) {
    result.rows.push_back(compare_row(key, b.at(key), c.at(key), opt, result.alpha_corrected));
    count(result.rows.back().verdict, &result);
  }
  return result;
}

void write_comparison_csv(std::ostream& out, const ComparisonResult& r) {
  write_csv_row(out, {"suite", "benchmark", "metric", "unit", "direction", "n_base", "n_candidate",
                      "median_base", "median_candidate", "ratio", "slowdown", "spread", "p_value",
                      "alpha_corrected", "threshold", "rule", "verdict"});
  for (const auto& row : r.rows) {
    write_csv_row(out, {row.suite, row.benchmark, row.metric, row.unit, row.direction,
                        std::to_string(row.n_base), std::to_string(row.n_candidate),
                        csv_number(row.median_base), csv_number(row.median_candidate),
                        csv_number(row.ratio), csv_number(row.slowdown), csv_number(row.spread),
                        csv_number(row.p_value), csv_number(r.alpha_corrected),
                        csv_number(row.threshold), row.rule, verdict_name(row.verdict)});
  }
}

std::string compare_summary_line(const ComparisonResult& r) {
  const std::size_t same = r.rows.size() - r.regressions - r.improvements - r.warnings;
  return fmt::format("{} same, {} slower, {} faster, {} undecided", same, r.regressions,
                     r.improvements, r.warnings);
}

void write_comparison_markdown(std::ostream& out, const ComparisonResult& r) {
  out << "### ptbench compare: " << compare_summary_line(r) << "\n\n";
  out << "| benchmark | metric | base | candidate | change | spread | rule | verdict |\n"
         "|---|---|---:|---:|---:|---:|---|---|\n";
  for (const auto& row : r.rows) {
    if (row.verdict == Verdict::kSame) continue;
    out << fmt::format("| `{}` | {} | {} | {} | {:+.1f}% | {:.1f}% | {} | **{}** |\n",
                       row.benchmark, row.metric, human_value(row.median_base, row.unit),
                       human_value(row.median_candidate, row.unit), 100 * row.slowdown,
                       100 * row.spread, row.rule, verdict_name(row.verdict));
  }
  out << fmt::format(
      "\nslower (a regression) and faster need a significant Mann-Whitney test (alpha {:.2g} "
      "after Bonferroni) and a change larger than the threshold, however noisy the row; "
      " same needs a decidable test, a stable row and a change within the threshold; every "
      "other row is undecided (spread: the noisier side's MAD / median). Repetitions pooled from "
      "several runs are treated as independent: for a gate between two builds, `ptbench ab` "
      "pairs them by round instead.\n",
      r.alpha_corrected);
}

void write_github_benchmark_json(std::ostream& out, const ComparisonResult& r, bool smaller) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& row : r.rows) {
    if ((row.direction == "lower_is_better") != smaller) continue;
    list.push_back({{"name", row.benchmark + " " + row.metric},
                    {"unit", row.unit},
                    {"value", row.median_candidate},
                    {"extra", fmt::format("base {} ({}), {}", row.median_base, row.rule,
                                          verdict_name(row.verdict))}});
  }
  out << list.dump(2) << '\n';
}

Result<std::vector<Sample>> load_pooled(const std::vector<std::string>& runs) {
  std::vector<Sample> all;
  for (const auto& run : runs) {
    auto one = load_samples(run);
    if (!one) return one;
    all.insert(all.end(), one->begin(), one->end());
  }
  if (all.empty()) return fail("no run given");
  return all;
}

int compare_command(const std::vector<std::string>& base, const std::vector<std::string>& candidate,
                    const CompareOptions& opt, std::ostream& out, std::ostream& err) {
  auto b = load_pooled(base);
  auto c = b ? load_pooled(candidate) : b;
  auto result = c ? compare_samples(*b, *c, opt) : Result<ComparisonResult>(fail(c.error()));
  if (!result) {
    err << "ptbench compare: " << result.error() << '\n';
    return kExitBadInput;
  }
  out << fmt::format("{:<60} {:>10} {:>10} {:>8} {:>7} {:<13} {}\n", "benchmark (metric)", "base",
                     "candidate", "change", "spread", "rule", "verdict");
  for (const auto& row : result->rows) {
    out << fmt::format("{:<60} {:>10} {:>10} {:>+7.1f}% {:>6.1f}% {:<13} {}\n",
                       row.benchmark + (row.metric == "real_time" ? "" : " (" + row.metric + ")"),
                       human_value(row.median_base, row.unit),
                       human_value(row.median_candidate, row.unit), 100 * row.slowdown,
                       100 * row.spread, row.rule, verdict_name(row.verdict));
  }
  if (result->warnings > 0) {
    out << fmt::format(
        "\n{} row(s) undecided: too noisy (spread above 10%), too few repetitions to decide at "
        "the corrected alpha, or a change beyond the threshold the test cannot confirm: not "
        "judged, so not a pass. Close other work, raise --repetitions, pool interleaved rounds "
        "(ptbench compare BASE1,BASE2 CAND1,CAND2), or gate with ptbench ab, which decides from "
        "paired rounds\n",
        result->warnings);
  }
  for (const auto& row : result->rows) {
    if (row.verdict == Verdict::kRegression) {
      out << fmt::format("REGRESSION: {} {} is {:.1f}% worse ({})\n", row.benchmark, row.metric,
                         100 * row.slowdown, row.rule);
    }
  }
  if (!opt.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(opt.out_dir, ec);
    std::ofstream csv(opt.out_dir / "comparison.csv"), md(opt.out_dir / "comparison.md"),
        smaller(opt.out_dir / "github-benchmark-smaller.json"),
        bigger(opt.out_dir / "github-benchmark-bigger.json");
    write_comparison_csv(csv, *result);
    write_comparison_markdown(md, *result);
    write_github_benchmark_json(smaller, *result, true);
    write_github_benchmark_json(bigger, *result, false);
    if (!csv || !md || !smaller || !bigger) {
      err << "ptbench compare: cannot write the comparison files in " << opt.out_dir.string()
          << '\n';
      return kExitBadInput;
    }
  }
  out << compare_summary_line(*result) << '\n';
  return result->regressions > 0 ? kExitRegression : kExitOk;
}

}  // namespace ptbench::harness
