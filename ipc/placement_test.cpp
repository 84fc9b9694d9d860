#include "ipc/placement.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <thread>

#include "ipc/status_testing.hpp"
#include "ipc/topology_testing.hpp"

namespace ptbench::ipc {
namespace {

TEST(Placement, NamesRoundTripAndAreTheLevels) {
  for (Level l : all_levels()) {
    const Placement p = placement_of(l);
    EXPECT_EQ(to_string(p), to_string(l));
    EXPECT_EQ(parse_placement(to_string(p)), p);
    EXPECT_EQ(level_of(p), l);
  }
  EXPECT_EQ(parse_placement("unpinned"), Placement::kUnpinned);
  EXPECT_FALSE(level_of(Placement::kUnpinned).has_value());
  // The old name is no placement: runs that used it are read through the harness's mapping.
  EXPECT_FALSE(parse_placement(kLegacyCrossCpu).has_value());
  EXPECT_FALSE(parse_placement("both-cpus").has_value());
  EXPECT_EQ(cross_placements().size(), all_levels().size() - 1);
  EXPECT_EQ(cross_placements().front(), Placement::kSmt);
}

TEST(Placement, FormatsCpuListsLikeTheKernel) {
  EXPECT_EQ(format_cpu_list({}), "");
  EXPECT_EQ(format_cpu_list({0}), "0");
  EXPECT_EQ(format_cpu_list({0, 1, 2, 3, 6}), "0-3,6");
  EXPECT_EQ(format_cpu_list({1, 3, 4}), "1,3-4");
}

// Each placement on four machines: this VM's shape, a 2-package SMT-2 server, an AMD-style
// socket with several LLC domains, and a cgroup that leaves a server 3 CPUs.
TEST(Placement, EachLevelPicksItsPairOrSaysWhyNot) {
  const Topology vm = synthetic("pack:1 l3:1 core:2 pu:1");
  EXPECT_EQ(cpus_for(Placement::kSameCache, vm).cpus.second, 1);
  EXPECT_NE(cpus_for(Placement::kSmt, vm).error.find("no SMT siblings"), std::string::npos);
  EXPECT_NE(cpus_for(Placement::kCrossPackage, vm).error.find("one package"), std::string::npos)
      << cpus_for(Placement::kCrossPackage, vm).error;
  EXPECT_EQ(reference_placement(vm), Placement::kSameCache);

  // Two packages of 8 cores, SMT-2: PUs 0,1 one core; 16 PUs per package.
  const Topology server = synthetic("pack:2 l3:1 core:8 pu:2");
  EXPECT_EQ(cpus_for(Placement::kSmt, server).cpus.second, 1);
  EXPECT_EQ(cpus_for(Placement::kSameCache, server).cpus.second, 2);
  EXPECT_EQ(cpus_for(Placement::kCrossPackage, server).cpus.second, 16);
  EXPECT_EQ(reference_placement(server), Placement::kCrossPackage);

  // One socket of 4 LLC domains (core complexes) of 4 cores, no SMT.
  const Topology amd = synthetic("pack:1 l3:4 core:4 pu:1");
  EXPECT_EQ(cpus_for(Placement::kCrossCache, amd).cpus.second, 4);
  EXPECT_EQ(reference_placement(amd), Placement::kCrossCache);

  // A cgroup that allows CPUs 2, 3 and 17 of the server: 2 and 3 are one core.
  const Topology cg = restrict_topology(server, {2, 3, 17});
  EXPECT_EQ(cpus_for(Placement::kSameCpu, cg).cpus.first, 2);
  EXPECT_EQ(cpus_for(Placement::kSmt, cg).cpus.second, 3);
  EXPECT_EQ(cpus_for(Placement::kCrossPackage, cg).cpus.second, 17);
  EXPECT_FALSE(cpus_for(Placement::kSameCache, cg).error.empty());
}

TEST(Placement, OneCpuOffersSameCpuOnly) {
  const Topology one = restrict_topology(synthetic("pack:1 l3:1 core:2 pu:1"), {1});
  EXPECT_EQ(cpus_for(Placement::kSameCpu, one).cpus.first, 1);
  for (Placement p : cross_placements()) EXPECT_FALSE(cpus_for(p, one).error.empty());
  EXPECT_FALSE(reference_placement(one).has_value());
  EXPECT_FALSE(cpus_for(Placement::kSameCpu, Topology{}).error.empty());
}

TEST(Placement, UnpinnedPinsNothing) {
  auto r = cpus_for(Placement::kUnpinned);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.cpus.first, -1);
}

// On the machine the test runs on: same-cpu always has a CPU; the host's level its pair.
TEST(Placement, ThisHostHasSameCpuAndItsReferenceLevel) {
  EXPECT_TRUE(cpus_for(Placement::kSameCpu).error.empty());
  const auto ref = reference_placement(host_topology());
  if (allowed_cpus().size() >= 2) {
    ASSERT_TRUE(ref.has_value());
    EXPECT_TRUE(cpus_for(*ref).error.empty());
  }
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
