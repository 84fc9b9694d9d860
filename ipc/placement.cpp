#include "ipc/placement.hpp"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace ptbench::ipc {

std::string_view to_string(Placement p) {
  switch (p) {
    case Placement::kSameCpu:
      return "same-cpu";
    case Placement::kCrossCpu:
      return "cross-cpu";
    case Placement::kUnpinned:
      return "unpinned";
  }
  return "unknown";
}

std::optional<Placement> parse_placement(std::string_view s) {
  for (auto p : {Placement::kSameCpu, Placement::kCrossCpu, Placement::kUnpinned}) {
    if (to_string(p) == s) return p;
  }
  return std::nullopt;
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

PlacementResult cpus_for(Placement p, const std::vector<int>& allowed) {
  PlacementResult r;
  switch (p) {
    case Placement::kUnpinned:
      return r;
    case Placement::kSameCpu:
      if (allowed.empty()) {
        r.error = "same-cpu needs one allowed CPU and sched_getaffinity reported none";
      } else {
        r.cpus = {allowed.front(), allowed.front()};
      }
      return r;
    case Placement::kCrossCpu:
      if (allowed.size() < 2) {
        r.error = fmt::format(
            "cross-cpu needs two allowed CPUs, this process may run on {} ({}); "
            "run without taskset/cpuset limits or on a machine with more CPUs",
            allowed.size(), format_cpu_list(allowed));
      } else {
        // The first and the last allowed CPU: on most hosts the farthest pair we may use.
        r.cpus = {allowed.front(), allowed.back()};
      }
      return r;
  }
  r.error = "unknown placement";
  return r;
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
