#include "ipc/placement.hpp"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace ptbench::ipc {

std::string_view to_string(Placement p) {
  if (auto l = level_of(p)) return to_string(*l);
  return p == Placement::kUnpinned ? "unpinned" : "unknown";
}

std::optional<Placement> parse_placement(std::string_view s) {
  if (s == to_string(Placement::kUnpinned)) return Placement::kUnpinned;
  if (auto l = parse_level(s)) return placement_of(*l);
  return std::nullopt;
}

std::optional<Level> level_of(Placement p) {
  if (p == Placement::kUnpinned) return std::nullopt;
  return static_cast<Level>(static_cast<int>(p));
}

Placement placement_of(Level l) {
  return static_cast<Placement>(static_cast<int>(l));
}

const std::vector<Placement>& cross_placements() {
  static const std::vector<Placement> cross = [] {
    std::vector<Placement> out;
    for (Level l : all_levels()) {
      if (l != Level::kSameCpu) out.push_back(placement_of(l));
    }
    return out;
  }();
  return cross;
}

std::vector<Placement> offered_cross_placements() {
  std::vector<Placement> out;
  for (Placement p : cross_placements()) {
    if (cpus_for(p).error.empty()) out.push_back(p);
  }
  return out;
}

std::optional<Placement> reference_placement(const Topology& t) {
  if (t.cpus.size() < 2) return std::nullopt;
  const auto l = level_between(t, t.cpus.front().os, t.cpus.back().os);
  if (!l) return std::nullopt;
  return placement_of(*l);
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? fmt::format("{}", cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]);
    i = j + 1;
  }
  return out;
}

std::optional<std::vector<int>> parse_cpu_list(std::string_view text) {
  std::vector<int> cpus;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  for (std::size_t start = 0; start <= text.size();) {
    const auto end = std::min(text.find(',', start), text.size());
    const std::string_view part = text.substr(start, end - start);
    const auto dash = part.find('-');
    int lo = 0, hi = 0;
    const auto read = [](std::string_view s, int* v) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
      return ec == std::errc() && p == s.data() + s.size() && !s.empty();
    };
    if (!read(part.substr(0, dash), &lo)) return std::nullopt;
    hi = lo;
    if (dash != std::string_view::npos && !read(part.substr(dash + 1), &hi)) return std::nullopt;
    if (hi < lo) return std::nullopt;
    for (int c = lo; c <= hi; ++c) cpus.push_back(c);
    start = end + 1;
  }
  std::sort(cpus.begin(), cpus.end());
  return cpus;
}

namespace {

// "smt: no SMT siblings here: ... (this process may run on 2 CPUs: 1 package, ...)".
std::string unavailable(Placement p, const std::string& why, const Topology& t) {
  return fmt::format("{}: {} (this process may run on {}: {})", to_string(p), why,
                     t.cpus.size() == 1 ? "1 CPU" : fmt::format("{} CPUs", t.cpus.size()),
                     t.summary());
}

// The host's topology, or why a pinned placement other than same-cpu cannot use it.
std::string unknown_topology(Placement p, const Topology** t) {
  std::string why;
  *t = &host_topology(&why);
  if (why.empty() || p == Placement::kSameCpu || p == Placement::kUnpinned) return {};
  return fmt::format("{}: the machine's topology is unknown ({})", to_string(p), why);
}

}  // namespace

PlacementResult cpus_for(Placement p, const Topology& t) {
  PlacementResult r;
  const auto level = level_of(p);
  if (!level) return r;  // unpinned
  const LevelPair pair = pick_pair(t, *level);
  if (!pair.error.empty()) {
    r.error = unavailable(p, pair.error, t);
  } else {
    r.cpus = {pair.first, pair.second};
  }
  return r;
}

GroupResult cpus_for_group(Placement p, std::size_t n, GroupShape shape, const Topology& t) {
  GroupResult r;
  const auto level = level_of(p);
  if (!level) return r;  // unpinned
  LevelGroup g = pick_group(t, *level, n, shape);
  if (!g.error.empty()) {
    r.error = unavailable(p, g.error, t);
  } else {
    r.cpus = std::move(g.cpus);
  }
  return r;
}

const Topology& host_topology(std::string* error) {
  static std::string why;
  static const Topology topology = [] {
    Topology t;
    const auto allowed = allowed_cpus();
    if (auto s = load_topology(allowed, &t); !s) {
      why = s.message();
      t = {};
      for (int c : allowed) t.cpus.push_back({c, c, -1, -1, -1});
      t.source = "allowed CPUs only (hwloc: " + why + ")";
    }
    return t;
  }();
  if (error != nullptr) *error = why;
  return topology;
}

PlacementResult cpus_for(Placement p) {
  const Topology* t = nullptr;
  if (auto why = unknown_topology(p, &t); !why.empty()) return {{}, why};
  return cpus_for(p, *t);
}

GroupResult cpus_for_group(Placement p, std::size_t n, GroupShape shape) {
  const Topology* t = nullptr;
  if (auto why = unknown_topology(p, &t); !why.empty()) return {{}, why};
  return cpus_for_group(p, n, shape, *t);
}

std::string pin_current_thread(int cpu) {
  if (cpu < 0) return {};
  if (cpu >= CPU_SETSIZE) return fmt::format("cannot pin to CPU {}: above CPU_SETSIZE", cpu);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    return fmt::format("cannot pin to CPU {}: {}", cpu, std::strerror(errno));
  }
  return {};
}

}  // namespace ptbench::ipc
