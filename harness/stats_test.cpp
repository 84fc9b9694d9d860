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
