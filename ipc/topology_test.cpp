// Placement by topology on machines we do not have: hwloc builds them from synthetic descriptions
// (PUs numbered depth-first), and each level's pair is checked, or the reason it is missing.
#include "ipc/topology.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "ipc/placement.hpp"
#include "ipc/status_testing.hpp"
#include "ipc/topology_testing.hpp"

namespace ptbench::ipc {
namespace {

void expect_pair(const Topology& t, Level l, int a, int b) {
  const LevelPair p = pick_pair(t, l);
  EXPECT_TRUE(p.error.empty()) << to_string(l) << ": " << p.error;
  EXPECT_EQ(p.first, a) << to_string(l);
  EXPECT_EQ(p.second, b) << to_string(l);
}

void expect_missing(const Topology& t, Level l, const std::string& why) {
  const LevelPair p = pick_pair(t, l);
  EXPECT_EQ(p.second, -1) << to_string(l);
  EXPECT_NE(p.error.find(why), std::string::npos) << to_string(l) << ": " << p.error;
}

// The development VM's shape: two vCPUs, one core each, one last-level cache.
TEST(Topology, TwoCoresOneCache) {
  const Topology t = synthetic("pack:1 l3:1 core:2 pu:1");
  ASSERT_EQ(t.cpus.size(), 2u);
  expect_pair(t, Level::kSameCpu, 0, 0);
  expect_missing(t, Level::kSmt, "no SMT siblings");
  expect_pair(t, Level::kSameCache, 0, 1);
  expect_missing(t, Level::kCrossCache, "one last-level cache domain per package");
  expect_missing(t, Level::kCrossNuma, "one NUMA node");
  expect_missing(t, Level::kCrossPackage, "one package");
  EXPECT_EQ(level_between(t, 0, 1), Level::kSameCache);
  EXPECT_EQ(t.summary(), "1 package, 1 NUMA node, 1 LLC domain, 2 cores, 2 CPUs (no SMT)");
}

// A two-socket server with SMT-2: 2 packages x 8 cores x 2 threads.
TEST(Topology, TwoPackageSmtServer) {
  const Topology t = synthetic("pack:2 node:1 l3:1 core:8 pu:2");
  ASSERT_EQ(t.cpus.size(), 32u);
  expect_pair(t, Level::kSmt, 0, 1);
  expect_pair(t, Level::kSameCache, 0, 2);
  expect_missing(t, Level::kCrossCache, "one last-level cache domain per package");
  expect_missing(t, Level::kCrossNuma, "one NUMA node per package");
  expect_pair(t, Level::kCrossPackage, 0, 16);
  // Today's "cross-cpu" (the first and the last allowed CPU) is a hand-off across sockets here.
  EXPECT_EQ(level_between(t, 0, 31), Level::kCrossPackage);
  EXPECT_EQ(t.summary(), "2 packages, 2 NUMA nodes, 2 LLC domains, 16 cores, 32 CPUs");
}

// An AMD-style socket: four core complexes, each with its own L3.
TEST(Topology, OneSocketManyLastLevelCaches) {
  const Topology t = synthetic("pack:1 node:1 l3:4 core:8 pu:2");
  ASSERT_EQ(t.cpus.size(), 64u);
  expect_pair(t, Level::kSmt, 0, 1);
  expect_pair(t, Level::kSameCache, 0, 2);
  expect_pair(t, Level::kCrossCache, 0, 16);
  expect_missing(t, Level::kCrossNuma, "one NUMA node per package");
  expect_missing(t, Level::kCrossPackage, "one package");
  EXPECT_EQ(level_between(t, 0, 63), Level::kCrossCache);
}

// Sub-NUMA clusters: two NUMA nodes per package, each with its own L3.
TEST(Topology, SubNumaClusters) {
  const Topology t = synthetic("pack:2 node:2 l3:1 core:4 pu:2");
  ASSERT_EQ(t.cpus.size(), 32u);
  expect_pair(t, Level::kSameCache, 0, 2);
  expect_pair(t, Level::kCrossNuma, 0, 8);
  expect_pair(t, Level::kCrossPackage, 0, 16);
}

// A cgroup cpuset smaller than the machine: the rule works within it, and says what is missing.
TEST(Topology, ACpusetSmallerThanTheMachine) {
  const Topology all = synthetic("pack:2 node:1 l3:1 core:8 pu:2");
  const Topology t = restrict_topology(all, {3, 5, 17});
  ASSERT_EQ(t.cpus.size(), 3u);
  expect_pair(t, Level::kSameCpu, 3, 3);
  expect_missing(t, Level::kSmt, "no SMT siblings");  // 2, 3's sibling, is not allowed
  expect_pair(t, Level::kSameCache, 3, 5);
  expect_pair(t, Level::kCrossPackage, 3, 17);
  const Topology one = restrict_topology(all, {4});
  expect_missing(one, Level::kSameCache, "one CPU only");
  EXPECT_EQ(level_between(one, 4, 5), std::nullopt);  // 5 is not in it
}

using Cpus = std::vector<int>;

Cpus group(const Topology& t, Level l, std::size_t n, GroupShape shape) {
  const LevelGroup g = pick_group(t, l, n, shape);
  EXPECT_TRUE(g.error.empty()) << to_string(l) << ": " << g.error;
  return g.cpus;
}

// Each of `n` tasks' CPU.
Cpus tasks(const Cpus& cpus, std::size_t n, GroupShape shape) {
  Cpus out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(group_cpu(cpus, i, shape));
  return out;
}

// Groups beyond a pair: a pipeline's stages on CPUs of their own, on cores of their own, where
// the machine has them; a fan's spokes all at the level from its hub.
TEST(Topology, GroupsPutEachTaskOnACoreOfItsOwn) {
  const Topology server = synthetic("pack:2 node:1 l3:1 core:8 pu:2");
  EXPECT_EQ(group(server, Level::kCrossPackage, 4, GroupShape::kChain), (Cpus{0, 16, 2, 18}));
  EXPECT_EQ(group(server, Level::kSameCache, 4, GroupShape::kChain), (Cpus{0, 2, 4, 6}));
  EXPECT_EQ(group(server, Level::kCrossPackage, 4, GroupShape::kStar), (Cpus{0, 16, 18, 20}));
  EXPECT_EQ(group(server, Level::kSmt, 4, GroupShape::kChain), (Cpus{0, 1}));
  const Topology amd = synthetic("pack:1 node:1 l3:4 core:8 pu:2");
  EXPECT_EQ(group(amd, Level::kCrossCache, 3, GroupShape::kChain), (Cpus{0, 16, 2}));
  EXPECT_EQ(group(amd, Level::kCrossCache, 3, GroupShape::kStar), (Cpus{0, 16, 18}));
}

// Whatever the machine and the size, every link of a chain (the wrap-around included) and
// every spoke of a star is at the level asked for.
TEST(Topology, EveryLinkOfAGroupIsAtItsLevel) {
  const Topology all = synthetic("pack:2 node:1 l3:1 core:8 pu:2");
  const std::vector<Topology> machines = {
      synthetic("pack:1 l3:1 core:2 pu:1"), all, synthetic("pack:1 node:1 l3:4 core:8 pu:2"),
      synthetic("pack:2 node:2 l3:1 core:4 pu:2"), restrict_topology(all, {3, 5, 17})};
  int checked = 0;
  for (const auto& t : machines) {
    for (Level l : all_levels()) {
      for (std::size_t n : {2, 3, 4, 7, 40}) {
        for (GroupShape shape : {GroupShape::kChain, GroupShape::kStar}) {
          const LevelGroup g = pick_group(t, l, n, shape);
          if (!g.error.empty()) continue;
          const Cpus cpu = tasks(g.cpus, n, shape);
          for (std::size_t i = 1; i < n; ++i) {
            const int link = shape == GroupShape::kChain ? cpu[i - 1] : cpu[0];
            EXPECT_EQ(level_between(t, link, cpu[i]), l)
                << t.summary() << " " << to_string(l) << " n=" << n << " task " << i;
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 500);
}

// On this VM's shape a group is the pair, and the tasks take its two CPUs in turn.
TEST(Topology, GroupsOnTwoCpusAlternate) {
  const Topology vm = synthetic("pack:1 l3:1 core:2 pu:1");
  const Cpus chain = group(vm, Level::kSameCache, 4, GroupShape::kChain);
  EXPECT_EQ(tasks(chain, 4, GroupShape::kChain), (Cpus{0, 1, 0, 1}));
  const Cpus star = group(vm, Level::kSameCache, 5, GroupShape::kStar);
  EXPECT_EQ(tasks(star, 5, GroupShape::kStar), (Cpus{0, 1, 1, 1, 1}));
  const Cpus one = group(vm, Level::kSameCpu, 3, GroupShape::kChain);
  EXPECT_EQ(tasks(one, 3, GroupShape::kChain), (Cpus{0, 0, 0}));
  EXPECT_NE(pick_group(vm, Level::kCrossPackage, 4, GroupShape::kChain).error.find("one package"),
            std::string::npos);
}

// A chain whose last CPU cannot link back to its first at the level is cut until it can: the
// tasks beyond it wrap around.
TEST(Topology, AChainThatCannotWrapAroundIsCut) {
  const Topology t = restrict_topology(synthetic("pack:2 core:2 pu:1"), {0, 1, 3});
  EXPECT_EQ(group(t, Level::kCrossPackage, 4, GroupShape::kChain), (Cpus{0, 3}));
  EXPECT_EQ(group(t, Level::kCrossPackage, 3, GroupShape::kChain), (Cpus{0, 3, 1}));
}

// How many pairs of each level a matrix keeps.
std::map<Level, int> count_levels(const std::vector<LevelledPair>& pairs) {
  std::map<Level, int> n;
  for (const auto& p : pairs) ++n[p.level];
  return n;
}

// The core-to-core matrix: every pair on small machines, a bounded sample of every level on
// large ones, each pair at the level its CPUs share.
TEST(MatrixPairs, EveryPairOnSmallMachinesASampleOfEachLevelOnLargeOnes) {
  const auto vm = matrix_pairs(synthetic("pack:1 l3:2 core:1 pu:1"), 8);
  ASSERT_EQ(vm.size(), 1u);
  EXPECT_EQ(vm[0].first, 0);
  EXPECT_EQ(vm[0].second, 1);
  EXPECT_EQ(vm[0].level, Level::kCrossCache);

  const Topology server = synthetic("pack:2 node:1 l3:1 core:8 pu:2");
  EXPECT_EQ(matrix_pairs(server, 1000).size(), 32u * 31 / 2);
  const auto sampled = matrix_pairs(server, 8);
  EXPECT_EQ(
      count_levels(sampled),
      (std::map<Level, int>{{Level::kSmt, 8}, {Level::kSameCache, 8}, {Level::kCrossPackage, 8}}));
  for (const auto& p : sampled) {
    EXPECT_LT(p.first, p.second);
    EXPECT_EQ(level_between(server, p.first, p.second), p.level);
  }
  for (std::size_t i = 1; i < sampled.size(); ++i) {
    EXPECT_LT(std::pair(sampled[i - 1].first, sampled[i - 1].second),
              std::pair(sampled[i].first, sampled[i].second));
  }
  // An AMD-style socket: the cross-cache level is there, and a 64-CPU machine stays bounded.
  const auto amd = matrix_pairs(synthetic("pack:1 node:1 l3:4 core:8 pu:2"), 4);
  EXPECT_EQ(
      count_levels(amd),
      (std::map<Level, int>{{Level::kSmt, 4}, {Level::kSameCache, 4}, {Level::kCrossCache, 4}}));
  // A cpuset of three CPUs: three pairs, at the levels the cpuset leaves.
  const auto few = matrix_pairs(restrict_topology(server, {3, 5, 17}), 8);
  EXPECT_EQ(count_levels(few),
            (std::map<Level, int>{{Level::kSameCache, 1}, {Level::kCrossPackage, 2}}));
  EXPECT_TRUE(matrix_pairs(restrict_topology(server, {4}), 8).empty());
}

TEST(Topology, XmlRoundTripsAndBadInputIsRefused) {
  const Topology t = synthetic("pack:2 node:1 l3:2 core:2 pu:2");
  ASSERT_FALSE(t.xml.empty());
  const auto path = std::filesystem::temp_directory_path() /
                    ("ptbench-topo-" + std::to_string(getpid()) + ".xml");
  std::ofstream(path) << t.xml;
  Topology back;
  ASSERT_TRUE(IsOk(load_xml_topology(path.string(), &back)));
  std::filesystem::remove(path);
  ASSERT_EQ(back.cpus.size(), t.cpus.size());
  for (std::size_t i = 0; i < t.cpus.size(); ++i) {
    EXPECT_EQ(level_between(back, back.cpus[0].os, back.cpus[i].os),
              level_between(t, t.cpus[0].os, t.cpus[i].os));
  }
  Topology bad;
  EXPECT_EQ(load_synthetic_topology("pack:two", &bad).code(), Errc::kRefused);
  EXPECT_FALSE(IsOk(load_xml_topology("/nonexistent/ptbench.xml", &bad)));
}

TEST(Topology, ThisMachineHasEveryAllowedCpu) {
  Topology t;
  ASSERT_TRUE(IsOk(load_topology(allowed_cpus(), &t)));
  EXPECT_EQ(t.cpus.size(), allowed_cpus().size());
  expect_pair(t, Level::kSameCpu, allowed_cpus().front(), allowed_cpus().front());
  EXPECT_FALSE(t.summary().empty());
}

TEST(Topology, LevelNamesRoundTrip) {
  for (Level l : all_levels()) EXPECT_EQ(parse_level(to_string(l)), l);
  EXPECT_FALSE(parse_level("cross-cpu").has_value());
}

}  // namespace
}  // namespace ptbench::ipc
