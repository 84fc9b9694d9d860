// A slowdown planted on purpose, so that the regression gate can be validated on real rows as CI
// runs it (scripts/validate_gate): PTBENCH_PLANT="REGEX:NS" makes every benchmark whose name
// matches REGEX spin NS more nanoseconds inside each operation it times. Read once, at start-up;
// unset (always, outside validation) it costs one test of a zero per operation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bench/support/bench_support.hpp"

namespace ptbench::bench {

struct PlantSpec {
  std::string pattern;  // an ECMAScript regex on the benchmark's name
  std::int64_t ns = 0;  // added to each timed operation of the matching rows
};

// Parses "REGEX:NS" (the last colon splits; NS a whole number > 0); nullopt with *why set when it
// is not one.
std::optional<PlantSpec> parse_plant(const std::string& text, std::string* why);

// Checks PTBENCH_PLANT once; false (with the reason) when it is set but malformed.
bool plant_environment_ok(std::string* why);

// The nanoseconds to add to each operation of the benchmark `name` (its grid name, as
// registered): 0 unless PTBENCH_PLANT names it.
std::int64_t planted_ns(const std::string& name);

// Spins for `ns` nanoseconds on the clock (nothing when 0).
inline void plant_spin(std::int64_t ns) {
  if (ns <= 0) return;
  for (const std::int64_t end = now_ns() + ns; now_ns() < end;) {
  }
}

}  // namespace ptbench::bench
