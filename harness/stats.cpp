#include "harness/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ptbench::harness {

double quantile_sorted(const std::vector<double>& sorted, double q) {
  const double h = (static_cast<double>(sorted.size()) - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

namespace {

// P(X <= k) for X ~ Binomial(n, 1/2).
double binomial_half_cdf(std::size_t n, std::size_t k) {
  double sum = 0;
  const auto nd = static_cast<double>(n);
  for (std::size_t i = 0; i <= k && i <= n; ++i) {
    const auto id = static_cast<double>(i);
    sum += std::exp(std::lgamma(nd + 1) - std::lgamma(id + 1) - std::lgamma(nd - id + 1) -
                    nd * std::log(2.0));
  }
  return sum;
}

}  // namespace

Summary summarize(std::vector<double> values) {
  Summary s;
  s.n = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.min = values.front();
  s.max = values.back();
  s.median = quantile_sorted(values, 0.5);
  s.p25 = quantile_sorted(values, 0.25);
  s.p75 = quantile_sorted(values, 0.75);
  std::vector<double> dev;
  dev.reserve(values.size());
  for (double v : values) dev.push_back(std::fabs(v - s.median));
  std::sort(dev.begin(), dev.end());
  s.mad = quantile_sorted(dev, 0.5);
  if (s.n >= 2) {
    const auto nd = static_cast<double>(s.n);
    const double mean = std::accumulate(values.begin(), values.end(), 0.0) / nd;
    double ss = 0;
    for (double v : values) ss += (v - mean) * (v - mean);
    s.cv = mean != 0 ? std::sqrt(ss / (nd - 1)) / std::fabs(mean) : 0;
  }
  // The widest symmetric pair (x_(k), x_(n+1-k)), 1-based, whose coverage
  // 1 - 2 P(B <= k-1) reaches 95%; the largest such k gives the narrowest interval.
  s.ci_low = s.min;
  s.ci_high = s.max;
  s.ci_coverage = 1 - 2 * binomial_half_cdf(s.n, 0);
  for (std::size_t k = 1; 2 * k <= s.n + 1; ++k) {
    const double coverage = 1 - 2 * binomial_half_cdf(s.n, k - 1);
    if (coverage < 0.95) break;
    s.ci_low = values[k - 1];
    s.ci_high = values[s.n - k];
    s.ci_coverage = coverage;
  }
  return s;
}

bool is_stable(const Summary& s, double max_rel_mad) {
  if (s.n < 3 || s.median == 0) return false;
  return s.mad / std::fabs(s.median) <= max_rel_mad;
}

}  // namespace ptbench::harness
