#include "harness/stats.hpp"

#include <gtest/gtest.h>

namespace ptbench::harness {
namespace {

// Expected values computed by hand (and agreeing with R's quantile(type = 7) and mad(constant=1)).
TEST(Stats, FiveValues) {
  auto s = summarize({5, 1, 4, 2, 3});
  EXPECT_EQ(s.n, 5u);
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.p25, 2);
  EXPECT_DOUBLE_EQ(s.p75, 4);
  EXPECT_DOUBLE_EQ(s.mad, 1);  // deviations 2,1,0,1,2 -> median 1
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 5);
  // mean 3, sample sd sqrt(10/4) = 1.5811..., cv = 0.52705
  EXPECT_NEAR(s.cv, 0.527046, 1e-6);
  // n = 5 cannot reach 95%: [min, max] covers 1 - 2/32 = 93.75%.
  EXPECT_DOUBLE_EQ(s.ci_low, 1);
  EXPECT_DOUBLE_EQ(s.ci_high, 5);
  EXPECT_DOUBLE_EQ(s.ci_coverage, 0.9375);
}

TEST(Stats, EvenCountInterpolates) {
  auto s = summarize({10, 20, 30, 40});
  EXPECT_DOUBLE_EQ(s.median, 25);
  EXPECT_DOUBLE_EQ(s.p25, 17.5);  // h = 0.75: 10 + 0.75 * 10
  EXPECT_DOUBLE_EQ(s.p75, 32.5);
  EXPECT_DOUBLE_EQ(s.mad, 10);  // deviations 15,5,5,15
}

TEST(Stats, ConfidenceIntervalUsesOrderStatistics) {
  // n = 11: the 2nd and 10th order statistics give 98.8%; the 3rd and 9th only 93.5%.
  std::vector<double> v;
  for (int i = 1; i <= 11; ++i) v.push_back(i * 10.0);
  auto s = summarize(v);
  EXPECT_DOUBLE_EQ(s.ci_low, 20);
  EXPECT_DOUBLE_EQ(s.ci_high, 100);
  EXPECT_NEAR(s.ci_coverage, 1 - 2.0 * 12 / 2048, 1e-12);
  // n = 6: x(1), x(6) at 96.9%.
  auto six = summarize({6, 5, 4, 3, 2, 1});
  EXPECT_DOUBLE_EQ(six.ci_low, 1);
  EXPECT_DOUBLE_EQ(six.ci_high, 6);
  EXPECT_NEAR(six.ci_coverage, 1 - 2.0 / 64, 1e-12);
}

TEST(Stats, OneAndNoValues) {
  auto one = summarize({7});
  EXPECT_EQ(one.n, 1u);
  EXPECT_DOUBLE_EQ(one.median, 7);
  EXPECT_DOUBLE_EQ(one.cv, 0);
  EXPECT_DOUBLE_EQ(one.ci_coverage, 0);
  EXPECT_EQ(summarize({}).n, 0u);
}

TEST(Stats, StabilityNeedsThreeValuesAndANarrowSpread) {
  EXPECT_TRUE(is_stable(summarize({100, 101, 99, 100})));
  EXPECT_FALSE(is_stable(summarize({100, 101})));                // too few
  EXPECT_FALSE(is_stable(summarize({100, 150, 60, 100, 140})));  // MAD 40%
  EXPECT_FALSE(is_stable(summarize({0, 0, 0})));                 // no scale to judge against
}

}  // namespace
}  // namespace ptbench::harness

namespace ptbench::harness {
namespace {

// Exact values: with 3 vs 3 fully separated samples there is 1 arrangement in C(6,3) = 20 on
// each side, so p = 2/20; R's wilcox.test(c(1,2,3), c(4,5,6)) gives 0.1.
TEST(MannWhitney, ExactSmallSamples) {
  auto t = mann_whitney({1, 2, 3}, {4, 5, 6});
  EXPECT_TRUE(t.exact);
  EXPECT_DOUBLE_EQ(t.u, 0);
  EXPECT_NEAR(t.p, 0.1, 1e-12);
  EXPECT_NEAR(mann_whitney_min_p(3, 3), 0.1, 1e-12);
  // U = 6 (pairs with a > b: 0 + 1 + 2 + 3). Arrangements with U <= 6 are the partitions of
  // 0..6 that fit a 4 x 5 box: 1 + 1 + 2 + 3 + 5 + 6 + 8 = 26 of C(9, 4) = 126, so
  // p = 2 * 26 / 126.
  auto u = mann_whitney({1, 3, 5, 7}, {2, 4, 6, 8, 9});
  EXPECT_DOUBLE_EQ(u.u, 6);
  EXPECT_NEAR(u.p, 52.0 / 126, 1e-12);
}

TEST(MannWhitney, IdenticalSamplesAreNotDifferent) {
  auto t = mann_whitney({5, 5, 5, 5}, {5, 5, 5, 5});
  EXPECT_DOUBLE_EQ(t.p, 1);
}

TEST(MannWhitney, ElevenAgainstElevenSeparatedIsSignificant) {
  std::vector<double> a, b;
  for (int i = 0; i < 11; ++i) {
    a.push_back(100 + i);
    b.push_back(200 + i);
  }
  auto t = mann_whitney(a, b);
  EXPECT_LT(t.p, 1e-5);
  EXPECT_NEAR(t.p, mann_whitney_min_p(11, 11), 1e-15);
}

TEST(MannWhitney, TiesUseTheNormalApproximation) {
  auto t = mann_whitney({1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
                        {2, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22});
  EXPECT_FALSE(t.exact);
  EXPECT_LT(t.p, 0.001);
}

// R's paired example (Hollander & Wolfe's depression scores): V = 40, p = 0.03906.
TEST(Wilcoxon, MatchesRsExactPairedTest) {
  const std::vector<double> x = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
  const std::vector<double> y = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
  std::vector<double> d;
  for (std::size_t i = 0; i < x.size(); ++i) d.push_back(x[i] - y[i]);
  auto t = wilcoxon_signed_rank(d);
  EXPECT_TRUE(t.exact);
  EXPECT_EQ(t.n, 9u);
  EXPECT_DOUBLE_EQ(t.w_plus, 40);
  EXPECT_NEAR(t.p, 0.0390625, 1e-12);
}

TEST(Wilcoxon, AllOneSignGivesTheSmallestPAndZerosAreDropped) {
  auto t = wilcoxon_signed_rank({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0});
  EXPECT_EQ(t.n, 6u);
  EXPECT_DOUBLE_EQ(t.p, wilcoxon_min_p(6));
  EXPECT_DOUBLE_EQ(wilcoxon_min_p(6), 2.0 / 64);
  EXPECT_DOUBLE_EQ(wilcoxon_signed_rank({0, 0, 0}).p, 1);
  EXPECT_DOUBLE_EQ(wilcoxon_signed_rank({}).p, 1);
}

TEST(Wilcoxon, SymmetricDifferencesAreNotSignificant) {
  auto t = wilcoxon_signed_rank({-3, -2, -1, 1, 2, 3, -5, 5.5});
  EXPECT_GT(t.p, 0.5);
}

TEST(Wilcoxon, TiesUseTheNormalApproximation) {
  std::vector<double> d(20, 1.0);
  d[0] = -1;
  auto t = wilcoxon_signed_rank(d);
  EXPECT_FALSE(t.exact);
  EXPECT_LT(t.p, 0.001);
}

TEST(Holm, StepDownAdjustmentInInputOrder) {
  auto a = holm_adjust({0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(a.size(), 4u);
  EXPECT_NEAR(a[0], 0.03, 1e-12);
  EXPECT_NEAR(a[1], 0.06, 1e-12);
  EXPECT_NEAR(a[2], 0.06, 1e-12);
  EXPECT_NEAR(a[3], 0.02, 1e-12);
  EXPECT_DOUBLE_EQ(holm_adjust({0.9, 0.8})[0], 1.0);  // capped
}

TEST(MedianInterval, ReachesTheAskedCoverageOrSaysItCannot) {
  std::vector<double> v;
  for (int i = 1; i <= 20; ++i) v.push_back(i);
  auto i95 = median_interval(v, 0.95);
  ASSERT_TRUE(i95);
  EXPECT_GE(i95->coverage, 0.95);
  EXPECT_DOUBLE_EQ(i95->low, 6);  // x_(6), x_(15): coverage 0.9586
  EXPECT_DOUBLE_EQ(i95->high, 15);
  auto i999 = median_interval(v, 0.999);
  ASSERT_TRUE(i999);
  EXPECT_LT(i999->low, i95->low);
  EXPECT_FALSE(median_interval({1, 2, 3, 4, 5}, 0.99));  // [min, max] covers only 0.9375
}

}  // namespace
}  // namespace ptbench::harness
