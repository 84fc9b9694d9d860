// Where the two ends of a measurement run: the CPUs come from the allowed set, never hard-coded.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptbench::ipc {

enum class Placement {
  kSameCpu,   // both ends on one CPU: every hand-off is a context switch
  kCrossCpu,  // two CPUs: a hand-off is a wake-up across cores
  kUnpinned,  // the scheduler decides
};

std::string_view to_string(Placement p);
std::optional<Placement> parse_placement(std::string_view s);

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
PlacementResult cpus_for(Placement p, const std::vector<int>& allowed);

// Pins the calling thread to one CPU (-1: leave it alone). Returns an error message or "".
std::string pin_current_thread(int cpu);

}  // namespace ptbench::ipc
