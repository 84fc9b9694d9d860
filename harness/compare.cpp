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
  return samples;
}

namespace {

struct Values {
  std::string suite, unit, direction;
  std::vector<double> v;
};

std::map<std::pair<std::string, std::string>, Values> group(const std::vector<Sample>& samples,
                                                            const std::regex& metric) {
  // A benchmark that reports a rate is judged by it; its time per message says the same again.
  std::set<std::string> rates;
  for (const auto& s : samples) {
    if (s.metric == "bytes_per_second") rates.insert(s.benchmark);
  }
  std::map<std::pair<std::string, std::string>, Values> out;
  for (const auto& s : samples) {
    if (!s.error.empty() || std::isnan(s.value) || !std::regex_search(s.metric, metric)) continue;
    if (s.metric == "real_time" && rates.count(s.benchmark)) continue;
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

// Significant when the U-test says so (at the Bonferroni-corrected alpha, where the sample sizes
// can reach it at all), or when the medians' distribution-free confidence intervals are disjoint:
// robust to a single outlier, which can hold the U-test back. The intervals are corrected too:
// each covers its median with at least 1 - alpha_corrected / 2, so that disjoint intervals of
// two unchanged rows happen with at most the same probability as a false U-test. Sets the row's
// rule ("none" when neither can decide) and p-value.
bool significant(const Values& bv, const Values& cv, double alpha_corrected, ComparisonRow* row) {
  bool yes = false;
  const bool u_can_decide = mann_whitney_min_p(bv.v.size(), cv.v.size()) <= alpha_corrected;
  if (u_can_decide) {
    row->p_value = mann_whitney(bv.v, cv.v).p;
    yes = row->p_value < alpha_corrected;
    row->rule = "mann-whitney";
  }
  const auto ib = median_interval(bv.v, 1 - alpha_corrected / 2);
  const auto ic = median_interval(cv.v, 1 - alpha_corrected / 2);
  if (!yes && ib && ic) {
    if (ic->low > ib->high || ic->high < ib->low) {
      yes = true;
      row->rule = "median-ci";
    } else if (!u_can_decide) {
      row->rule = "median-ci";
    }
  }
  if (row->rule.empty()) row->rule = "none";
  return yes;
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
  // Never below the noise: three MADs of the noisier side (about two standard deviations).
  row.threshold = std::max(wanted, 3 * std::max(relative_mad(sb), relative_mad(sc)));
  const bool sig = significant(bv, cv, alpha_corrected, &row);
  const bool large = std::fabs(row.slowdown) > row.threshold;
  if (row.rule == "none") {
    row.verdict = Verdict::kInsufficient;
  } else if (sig && large) {
    row.verdict = row.slowdown > 0 ? Verdict::kRegression : Verdict::kImprovement;
  } else if (large) {
    // A change above the threshold that the corrected test cannot confirm is not "same".
    row.verdict = Verdict::kInsufficient;
  }
  // An unstable side (spread above 10%) cannot be trusted either way: it warns, never fails.
  if (row.verdict != Verdict::kInsufficient && (!is_stable(sb) || !is_stable(sc))) {
    row.verdict = Verdict::kUnstable;
  }
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
  std::regex metric;
  try {
    metric = std::regex(opt.metric_regex);
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
                      "median_base", "median_candidate", "ratio", "slowdown", "p_value",
                      "alpha_corrected", "threshold", "rule", "verdict"});
  for (const auto& row : r.rows) {
    write_csv_row(
        out, {row.suite, row.benchmark, row.metric, row.unit, row.direction,
              std::to_string(row.n_base), std::to_string(row.n_candidate),
              csv_number(row.median_base), csv_number(row.median_candidate), csv_number(row.ratio),
              csv_number(row.slowdown), csv_number(row.p_value), csv_number(r.alpha_corrected),
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
  out << "| benchmark | metric | base | candidate | change | rule | verdict |\n"
         "|---|---|---:|---:|---:|---|---|\n";
  for (const auto& row : r.rows) {
    if (row.verdict == Verdict::kSame) continue;
    out << fmt::format("| `{}` | {} | {} | {} | {:+.1f}% | {} | **{}** |\n", row.benchmark,
                       row.metric, human_value(row.median_base, row.unit),
                       human_value(row.median_candidate, row.unit), 100 * row.slowdown, row.rule,
                       verdict_name(row.verdict));
  }
  out << fmt::format(
      "\nslower (a regression) and faster need a significant difference (Mann-Whitney at alpha "
      "{:.2g} after Bonferroni, or disjoint medians' intervals each covering at least 1 - that / "
      "2) "
      "larger than the threshold and the noise; undecided rows (unstable or too few repetitions) "
      "never fail. Repetitions pooled from several runs are treated as independent: for a gate "
      "between two builds, `ptbench ab` pairs them by round instead.\n",
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
  out << fmt::format("{:<60} {:>10} {:>10} {:>8} {:<15} {}\n", "benchmark (metric)", "base",
                     "candidate", "change", "rule", "verdict");
  for (const auto& row : result->rows) {
    out << fmt::format("{:<60} {:>10} {:>10} {:>+7.1f}% {:<15} {}\n",
                       row.benchmark + (row.metric == "real_time" ? "" : " (" + row.metric + ")"),
                       human_value(row.median_base, row.unit),
                       human_value(row.median_candidate, row.unit), 100 * row.slowdown, row.rule,
                       verdict_name(row.verdict));
  }
  if (result->warnings > 0) {
    out << fmt::format(
        "\n{} row(s) undecided: unstable (spread above 10%) or too few repetitions to decide at "
        "the corrected alpha; they never fail. Close other work, raise --repetitions, pool "
        "interleaved rounds (ptbench compare BASE1,BASE2 CAND1,CAND2), or gate with ptbench ab, "
        "which decides from paired rounds\n",
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
