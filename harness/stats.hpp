// Summary statistics for repeated measurements: medians and spread, never a lone mean.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace ptbench::harness {

struct Summary {
  std::size_t n = 0;
  double median = 0, p25 = 0, p75 = 0;
  double mad = 0;  // median absolute deviation from the median, unscaled
  double cv = 0;   // sample standard deviation / mean (0 when n < 2)
  double min = 0, max = 0;
  // Distribution-free confidence interval of the median from order statistics (binomial).
  // With fewer than 6 values no pair of order statistics reaches 95%: the interval is then
  // [min, max] and ci_coverage says how much it really covers (1 - 2 * 0.5^n).
  double ci_low = 0, ci_high = 0, ci_coverage = 0;
};

// Quantile with linear interpolation between order statistics (Hyndman-Fan type 7, as R and
// NumPy do by default). `sorted` must be sorted and non-empty; q in [0, 1].
double quantile_sorted(const std::vector<double>& sorted, double q);

// Summary of the values; n == 0 gives a Summary with n == 0 and zeros elsewhere.
Summary summarize(std::vector<double> values);

// Whether a summary's spread is narrow enough to trust a comparison: at least 3 values and
// MAD / median at most `max_rel_mad`.
bool is_stable(const Summary& s, double max_rel_mad = 0.10);

// Mann-Whitney U test of "a and b come from the same distribution", two-sided. Exact (counting
// all rank arrangements) when both samples are small and have no ties; otherwise the normal
// approximation with continuity and tie corrections.
struct UTest {
  double u = 0;  // U of sample a
  double p = 1;  // two-sided p-value
  bool exact = false;
};
UTest mann_whitney(const std::vector<double>& a, const std::vector<double>& b);

// The smallest two-sided p-value the U-test can give for these sample sizes (all of a below all
// of b): if it is above alpha, the test cannot decide and another rule must.
double mann_whitney_min_p(std::size_t n1, std::size_t n2);

// Distribution-free interval of the median from order statistics with coverage of at least
// `coverage`: the narrowest symmetric pair (x_(k), x_(n+1-k)). Nullopt when even [min, max] covers
// less (n too small for that coverage).
struct Interval {
  double low = 0, high = 0, coverage = 0;
};
std::optional<Interval> median_interval(std::vector<double> values, double coverage);

// Wilcoxon signed-rank test of "the differences are symmetric about zero", two-sided. Zeros are
// dropped (Wilcoxon's convention). Exact (all 2^n sign patterns) for up to 50 non-zero
// differences without ties in |d|; otherwise the normal approximation with tie correction.
struct SignedRankTest {
  double w_plus = 0;  // sum of the ranks of the positive differences
  std::size_t n = 0;  // non-zero differences
  double p = 1;
  bool exact = false;
};
SignedRankTest wilcoxon_signed_rank(const std::vector<double>& differences);

// The smallest two-sided p the signed-rank test can give with n non-zero differences: 2 / 2^n.
double wilcoxon_min_p(std::size_t n);

// Holm's step-down adjustment: adjusted p-values in the input order, each compared with the
// family-wise alpha directly.
std::vector<double> holm_adjust(const std::vector<double>& p);

}  // namespace ptbench::harness
