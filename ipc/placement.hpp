// Where the two ends of a measurement run, named by what they share on the machine's topology
// (ipc/topology.hpp): the CPUs come from the allowed set and hwloc, never hard-coded.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/topology.hpp"

namespace ptbench::ipc {

// A topology level (both ends pinned, to the pair that level's rule picks) or unpinned. The
// pinned values are the Level values, in the same order, so that the names live in one place.
enum class Placement {
  kSameCpu = static_cast<int>(Level::kSameCpu),  // one CPU: every hand-off is a context switch
  kSmt = static_cast<int>(Level::kSmt),
  kSameCache = static_cast<int>(Level::kSameCache),
  kCrossCache = static_cast<int>(Level::kCrossCache),
  kCrossNuma = static_cast<int>(Level::kCrossNuma),
  kCrossPackage = static_cast<int>(Level::kCrossPackage),
  kUnpinned,  // the scheduler decides
};

std::string_view to_string(Placement p);
std::optional<Placement> parse_placement(std::string_view s);
// The level a pinned placement stands for; nullopt for unpinned.
std::optional<Level> level_of(Placement p);
Placement placement_of(Level l);

// Every pinned placement across two CPUs (smt to cross-package), closest first: what a grid
// measures "across CPUs"; the ones a host cannot offer are skipped with the reason.
const std::vector<Placement>& cross_placements();

// The ones of them this process can use (cpus_for finds their pair), closest first. A grid
// measures these; host.csv says why the others are missing (placements_skipped).
std::vector<Placement> offered_cross_placements();

// Runs written before 2026-12-03 named the pair (first allowed CPU, last allowed CPU) "cross-cpu";
// their host.csv says which level that pair shared (kReferenceLevelKey) when it was recorded.
inline constexpr std::string_view kLegacyCrossCpu = "cross-cpu";
inline constexpr std::string_view kReferenceLevelKey = "cross_cpu_level";

// The level the first and the last allowed CPU share: the one placement a harness names when it
// needs a single "across CPUs" row (a gate's row list, a claim); nullopt with fewer than 2 CPUs.
std::optional<Placement> reference_placement(const Topology& t);

// The CPUs this process may run on (sched_getaffinity), in ascending order.
std::vector<int> allowed_cpus();

// "0-3,6" style list, the way the kernel prints cpu lists.
std::string format_cpu_list(const std::vector<int>& cpus);
// The CPUs of such a list, ascending; nullopt for anything that is not one.
std::optional<std::vector<int>> parse_cpu_list(std::string_view text);

// The CPUs for the two ends of a placement: {a, b}; -1 means "do not pin". Returns an error
// message instead when the placement needs more CPUs than are allowed.
struct CpuPair {
  int first = -1;
  int second = -1;
};
struct PlacementResult {
  CpuPair cpus;
  std::string error;  // empty on success
};
// By the level's rule (pick_pair) on `t`; same-cpu takes the lowest CPU twice.
PlacementResult cpus_for(Placement p, const Topology& t);
// The same on this process's CPUs (allowed_cpus) as hwloc sees them, loaded once; when hwloc
// cannot load the machine, every pinned placement but same-cpu fails with hwloc's reason.
PlacementResult cpus_for(Placement p);
// CPUs for a group of `n` tasks by the level's group rule (pick_group; task i runs on
// group_cpu(cpus, i, shape)); unpinned: no CPUs.
struct GroupResult {
  std::vector<int> cpus;
  std::string error;  // empty on success
};
GroupResult cpus_for_group(Placement p, std::size_t n, GroupShape shape, const Topology& t);
GroupResult cpus_for_group(Placement p, std::size_t n, GroupShape shape);
// This process's topology (loaded once), or the reason it could not be loaded.
const Topology& host_topology(std::string* error = nullptr);

// Pins the calling thread to one CPU (-1: leave it alone). Returns an error message or "".
std::string pin_current_thread(int cpu);

}  // namespace ptbench::ipc
