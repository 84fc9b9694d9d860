#include "harness/stats.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
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

namespace {

// counts[u] = number of arrangements of n1 a's and n2 b's with U_a = u (no ties).
std::vector<double> u_distribution(std::size_t n1, std::size_t n2) {
  // f[i][j][u] built incrementally over i and j; kept as a 2-D table of vectors.
  std::vector<std::vector<std::vector<double>>> f(n1 + 1, std::vector<std::vector<double>>(n2 + 1));
  for (std::size_t i = 0; i <= n1; ++i) {
    for (std::size_t j = 0; j <= n2; ++j) {
      auto& cur = f[i][j];
      cur.assign(i * j + 1, 0.0);
      if (i == 0 || j == 0) {
        cur[0] = 1;
        continue;
      }
      // The largest element is an a (it beats all j b's) or a b.
      for (std::size_t u = 0; u < f[i - 1][j].size(); ++u) cur[u + j] += f[i - 1][j][u];
      for (std::size_t u = 0; u < f[i][j - 1].size(); ++u) cur[u] += f[i][j - 1][u];
    }
  }
  return f[n1][n2];
}

}  // namespace

double mann_whitney_min_p(std::size_t n1, std::size_t n2) {
  if (n1 == 0 || n2 == 0) return 1;
  // 2 / C(n1 + n2, n1)
  double log_c = std::lgamma(static_cast<double>(n1 + n2) + 1) -
                 std::lgamma(static_cast<double>(n1) + 1) -
                 std::lgamma(static_cast<double>(n2) + 1);
  return std::min(1.0, 2 * std::exp(-log_c));
}

UTest mann_whitney(const std::vector<double>& a, const std::vector<double>& b) {
  UTest t;
  const std::size_t n1 = a.size(), n2 = b.size();
  if (n1 == 0 || n2 == 0) return t;
  // Ranks over the pooled sample, ties get their average rank.
  std::vector<std::pair<double, int>> pooled;
  for (double v : a) pooled.emplace_back(v, 0);
  for (double v : b) pooled.emplace_back(v, 1);
  std::sort(pooled.begin(), pooled.end());
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    while (j + 1 < pooled.size() && pooled[j + 1].first == pooled[i].first) ++j;
    const double avg = (static_cast<double>(i + j) + 2) / 2;  // ranks are 1-based
    const double count = static_cast<double>(j - i + 1);
    if (count > 1) ties = true;
    tie_term += count * count * count - count;
    for (std::size_t k = i; k <= j; ++k) {
      if (pooled[k].second == 0) rank_sum_a += avg;
    }
    i = j + 1;
  }
  const double d1 = static_cast<double>(n1), d2 = static_cast<double>(n2);
  t.u = rank_sum_a - d1 * (d1 + 1) / 2;
  const double mean = d1 * d2 / 2;
  if (!ties && n1 <= 30 && n2 <= 30) {
    const auto dist = u_distribution(n1, n2);
    const double total = std::accumulate(dist.begin(), dist.end(), 0.0);
    const auto u = static_cast<std::size_t>(std::llround(t.u));
    const std::size_t lo = std::min(u, n1 * n2 - u);
    double tail = 0;
    for (std::size_t k = 0; k <= lo; ++k) tail += dist[k];
    t.p = std::min(1.0, 2 * tail / total);
    t.exact = true;
    return t;
  }
  const double n = d1 + d2;
  const double var = d1 * d2 / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (var <= 0) return t;  // every value equal: no evidence of a difference
  const double z = (std::fabs(t.u - mean) - 0.5) / std::sqrt(var);
  boost::math::normal standard;
  t.p = std::min(1.0, 2 * boost::math::cdf(boost::math::complement(standard, std::max(z, 0.0))));
  return t;
}

std::optional<Interval> median_interval(std::vector<double> values, double coverage) {
  const std::size_t n = values.size();
  if (n == 0) return std::nullopt;
  std::sort(values.begin(), values.end());
  std::optional<Interval> best;
  for (std::size_t k = 1; 2 * k <= n + 1; ++k) {
    const double c = 1 - 2 * binomial_half_cdf(n, k - 1);
    if (c < coverage) break;
    best = Interval{values[k - 1], values[n - k], c};
  }
  return best;
}

namespace {

// counts[w] = number of the 2^n sign patterns of ranks 1..n whose positive ranks sum to w.
std::vector<double> signed_rank_distribution(std::size_t n) {
  std::vector<double> counts(n * (n + 1) / 2 + 1, 0.0);
  counts[0] = 1;
  std::size_t top = 0;
  for (std::size_t r = 1; r <= n; ++r) {
    top += r;
    for (std::size_t w = top; w >= r; --w) counts[w] += counts[w - r];
  }
  return counts;
}

}  // namespace

double wilcoxon_min_p(std::size_t n) {
  return std::min(1.0, 2 * std::pow(0.5, static_cast<double>(n)));
}

SignedRankTest wilcoxon_signed_rank(const std::vector<double>& differences) {
  SignedRankTest t;
  std::vector<std::pair<double, bool>> abs_sign;  // |d|, positive
  for (double d : differences) {
    if (d != 0 && !std::isnan(d)) abs_sign.emplace_back(std::fabs(d), d > 0);
  }
  std::sort(abs_sign.begin(), abs_sign.end());
  t.n = abs_sign.size();
  if (t.n == 0) return t;
  double tie_term = 0;
  for (std::size_t i = 0; i < t.n;) {
    std::size_t j = i;
    while (j + 1 < t.n && abs_sign[j + 1].first == abs_sign[i].first) ++j;
    const double avg = (static_cast<double>(i + j) + 2) / 2;
    const double count = static_cast<double>(j - i + 1);
    tie_term += count * count * count - count;
    for (std::size_t k = i; k <= j; ++k) {
      if (abs_sign[k].second) t.w_plus += avg;
    }
    i = j + 1;
  }
  const double n = static_cast<double>(t.n);
  const double mean = n * (n + 1) / 4;
  if (tie_term == 0 && t.n <= 50) {
    const auto dist = signed_rank_distribution(t.n);
    const auto w = static_cast<std::size_t>(std::llround(t.w_plus));
    const std::size_t lo = std::min(w, t.n * (t.n + 1) / 2 - w);
    double tail = 0;
    for (std::size_t k = 0; k <= lo; ++k) tail += dist[k];
    t.p = std::min(1.0, 2 * tail * std::pow(0.5, n));
    t.exact = true;
    return t;
  }
  const double var = n * (n + 1) * (2 * n + 1) / 24 - tie_term / 48;
  if (var <= 0) return t;
  const double z = (std::fabs(t.w_plus - mean) - 0.5) / std::sqrt(var);
  boost::math::normal standard;
  t.p = std::min(1.0, 2 * boost::math::cdf(boost::math::complement(standard, std::max(z, 0.0))));
  return t;
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return p[a] < p[b]; });
  std::vector<double> adjusted(m);
  double running = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const double a = std::min(1.0, static_cast<double>(m - i) * p[order[i]]);
    running = std::max(running, a);  // step-down: never below an earlier one
    adjusted[order[i]] = running;
  }
  return adjusted;
}

bool is_stable(const Summary& s, double max_rel_mad) {
  if (s.n < 3 || s.median == 0) return false;
  return s.mad / std::fabs(s.median) <= max_rel_mad;
}

}  // namespace ptbench::harness
