// The machine as placement sees it: each CPU this process may use, with the core, the last-level
// cache domain, the NUMA node and the package it belongs to (from hwloc), and the rule that picks
// two CPUs for each level of sharing. Loaded from the running machine, an hwloc XML file or a
// synthetic description, so the rule can be tested on machines we do not have.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ipc/status.hpp"

namespace ptbench::ipc {

// One processing unit (a hardware thread): its OS index and the ids of what it belongs to; ids
// compare equal exactly when two CPUs share the object (-1: the topology has no such object).
struct TopoCpu {
  int os = -1;
  int core = -1;
  int llc = -1;      // the last-level cache (the deepest data cache above the PU)
  int numa = -1;     // the first NUMA node local to it
  int package = -1;  // the socket
};

struct Topology {
  std::vector<TopoCpu> cpus;  // ascending OS index
  std::string source;         // "this machine", "synthetic: ...", "xml: FILE"
  std::string synthetic;      // hwloc's synthetic description of the whole machine, if any
  std::string xml;            // hwloc's XML of the whole machine (saved with a run)

  const TopoCpu* find(int os) const;
  // "1 package, 1 NUMA node, 2 LLC domains, 2 cores, 2 CPUs (no SMT)": what these CPUs span.
  std::string summary() const;
};

// The machine this process runs on; `allowed` (OS indexes, e.g. allowed_cpus()) keeps those only.
Status load_topology(const std::vector<int>& allowed, Topology* out);
// A synthetic machine ("pack:2 node:1 l3:2 core:8 pu:2", hwloc's syntax), all of it allowed.
Status load_synthetic_topology(const std::string& description, Topology* out);
// A machine saved as hwloc XML.
Status load_xml_topology(const std::string& path, Topology* out);

// The same topology with only the CPUs in `allowed` (a cpuset or a cgroup smaller than the
// machine).
Topology restrict_topology(const Topology& t, const std::vector<int>& allowed);

// What the two ends of a measurement share, from the most to the least.
enum class Level {
  kSameCpu,       // one CPU: every hand-off is a context switch
  kSmt,           // two hardware threads of one core
  kSameCache,     // two cores sharing the last-level cache
  kCrossCache,    // two cores of one package in different last-level cache domains
  kCrossNuma,     // two NUMA nodes of one package (sub-NUMA clusters)
  kCrossPackage,  // two packages (sockets)
};

std::string_view to_string(Level l);
std::optional<Level> parse_level(std::string_view s);
const std::vector<Level>& all_levels();

// Two CPUs for a level, by one rule: the first end is the lowest allowed CPU; the second is the
// lowest allowed CPU that shares with it exactly what the level says (the same core for smt, a
// different core of the same LLC for same-cache, the same package and another LLC for
// cross-cache, the same package and another NUMA node for cross-numa, another package for
// cross-package). `error` says why this host has none ("no SMT siblings here").
struct LevelPair {
  int first = -1, second = -1;
  std::string error;
};
LevelPair pick_pair(const Topology& t, Level l);

// CPUs for a group of tasks (a pipeline's stages, a fan's hub and spokes) at one level, by the
// pair's rule extended: the first CPU is the pair's first; each next one is the lowest allowed
// CPU not taken yet that shares exactly the level with the one it links to, the CPU before it
// (kChain: every link of a pipeline at the level) or the first one (kStar: every spoke at the
// level from the hub). The list stops at `n` CPUs or when no CPU qualifies (a chain is also
// shortened until its last CPU links to its first at the level, as its tasks wrap around);
// group_cpu then gives the tasks beyond it the same CPUs again in turn. same-cpu is one CPU.
enum class GroupShape { kChain, kStar };
struct LevelGroup {
  std::vector<int> cpus;
  std::string error;  // why there is not even a pair (pick_pair's reason)
};
LevelGroup pick_group(const Topology& t, Level l, std::size_t n, GroupShape shape);
// Task `task`'s CPU (task 0: the chain's head or the star's hub), -1 for an empty group.
int group_cpu(const std::vector<int>& cpus, std::size_t task, GroupShape shape);

// The level two CPUs share (the closest one): what "cross-cpu" means between them on this host.
std::optional<Level> level_between(const Topology& t, int a, int b);

// The pairs of CPUs a core-to-core matrix measures, each with the level its two CPUs share.
// Rule: every unordered pair of allowed CPUs (lower CPU first), grouped by level; a level with
// more than `per_level` pairs keeps `per_level` of them, evenly spaced in (first, second) order,
// so that a large machine measures at most per_level x 5 pairs and still every level it has.
// Sorted by (first, second).
struct LevelledPair {
  int first = -1, second = -1;
  Level level = Level::kSameCpu;
};
std::vector<LevelledPair> matrix_pairs(const Topology& t, std::size_t per_level);

}  // namespace ptbench::ipc
