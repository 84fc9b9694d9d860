#include "ipc/placement.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <thread>

namespace ptbench::ipc {
namespace {

TEST(Placement, NamesRoundTrip) {
  for (auto p : {Placement::kSameCpu, Placement::kCrossCpu, Placement::kUnpinned}) {
    auto parsed = parse_placement(to_string(p));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_FALSE(parse_placement("both-cpus").has_value());
}

TEST(Placement, FormatsCpuListsLikeTheKernel) {
  EXPECT_EQ(format_cpu_list({}), "");
  EXPECT_EQ(format_cpu_list({0}), "0");
  EXPECT_EQ(format_cpu_list({0, 1, 2, 3, 6}), "0-3,6");
  EXPECT_EQ(format_cpu_list({1, 3, 4}), "1,3-4");
}

TEST(Placement, CrossCpuRefusesOneCpuWithAReason) {
  auto r = cpus_for(Placement::kCrossCpu, {5});
  EXPECT_NE(r.error.find("two allowed CPUs"), std::string::npos) << r.error;
  auto ok = cpus_for(Placement::kCrossCpu, {2, 5, 7});
  EXPECT_TRUE(ok.error.empty());
  EXPECT_EQ(ok.cpus.first, 2);
  EXPECT_EQ(ok.cpus.second, 7);
}

TEST(Placement, SameCpuUsesOneAllowedCpuTwice) {
  auto r = cpus_for(Placement::kSameCpu, {3, 4});
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.cpus.first, 3);
  EXPECT_EQ(r.cpus.second, 3);
  EXPECT_FALSE(cpus_for(Placement::kSameCpu, {}).error.empty());
}

TEST(Placement, UnpinnedPinsNothing) {
  auto r = cpus_for(Placement::kUnpinned, {});
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.cpus.first, -1);
}

TEST(Placement, PinningAThreadTakesEffect) {
  auto cpus = allowed_cpus();
  ASSERT_FALSE(cpus.empty());
  int target = cpus.back();
  std::thread t([&] {
    EXPECT_EQ(pin_current_thread(target), "");
    EXPECT_EQ(sched_getcpu(), target);
    EXPECT_NE(pin_current_thread(CPU_SETSIZE + 10), "");  // not a CPU: an error, not a crash
  });
  t.join();
}

TEST(Placement, CpuListsParseBackAndBadOnesAreRefused) {
  EXPECT_EQ(parse_cpu_list("0-3,6\n"), (std::vector<int>{0, 1, 2, 3, 6}));
  EXPECT_EQ(parse_cpu_list("5"), (std::vector<int>{5}));
  const std::vector<int> some = {0, 1, 4, 7, 8, 9};
  EXPECT_EQ(parse_cpu_list(format_cpu_list(some)), some);
  for (const char* bad : {"", "unknown", "3-1", "0-", ",", "1,,2", "0-3x"}) {
    EXPECT_FALSE(parse_cpu_list(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace ptbench::ipc
