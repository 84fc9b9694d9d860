// A slowdown planted on purpose, so that the regression gate can be validated on real rows as CI
// runs it (scripts/validate_gate): PTBENCH_PLANT="REGEX:NS" makes every benchmark whose name
// matches REGEX spin NS more nanoseconds inside each operation it times; "REGEX:NS;REGEX:NS"
// plants in several rows at once (a row that two entries match gets both). Read once, at
// start-up; unset (always, outside validation) it costs one test of a zero per operation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/support/bench_support.hpp"

namespace ptbench::bench {

struct PlantSpec {
  std::string pattern;  // an ECMAScript regex on the benchmark's name
  std::int64_t ns = 0;  // added to each timed operation of the matching rows
};

// Parses "REGEX:NS" (the last colon splits; NS a whole number > 0); nullopt with *why set when it
// is not one.
std::optional<PlantSpec> parse_plant(const std::string& text, std::string* why);

// Parses the whole variable: one or more "REGEX:NS" separated by ';' (so no pattern holds one).
std::optional<std::vector<PlantSpec>> parse_plants(const std::string& text, std::string* why);

// Checks PTBENCH_PLANT once; false (with the reason) when it is set but malformed.
bool plant_environment_ok(std::string* why);

// The nanoseconds `specs` add to each operation of the benchmark `name`: the sum over the entries
// whose pattern it matches.
std::int64_t planted_ns(const std::vector<PlantSpec>& specs, const std::string& name);

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
