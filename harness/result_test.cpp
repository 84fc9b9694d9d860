#include "harness/result.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace ptbench::harness {
namespace {

Result<int> half(int v) {
  if (v % 2) return fail("odd: " + std::to_string(v));
  return v / 2;
}

TEST(Result, HoldsAValueOrAnError) {
  auto ok = half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 4);
  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "odd: 3");
  EXPECT_EQ(bad.with_context("input.csv").message, "input.csv: odd: 3");
}

TEST(Result, MovesItsValueOut) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  std::unique_ptr<int> p = *std::move(r);
  EXPECT_EQ(*p, 7);
}

TEST(Result, VoidSaysOnlyWhetherItFailed) {
  Result<void> ok;
  EXPECT_TRUE(ok.ok());
  Result<void> bad = fail("cannot write");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), "cannot write");
}

}  // namespace
}  // namespace ptbench::harness
