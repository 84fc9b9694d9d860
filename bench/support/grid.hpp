// The contract between the benchmark programs and the harness, in one header both include:
// benchmark names on the grid (formatted by the programs, parsed by the harness), the context
// keys a program declares, and how a program's name becomes its suite id. Header-only and free of
// Google Benchmark, so the harness can use it without linking any benchmark code.
#pragma once

#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ptbench::grid {

// Context keys (benchmark::AddCustomContext) the harness reads.
inline constexpr const char* kContextBaseline =
    "ptbench_baseline_mechanism";                                  // the suite's baseline
inline constexpr const char* kContextFloor = "ptbench_floor";      // "<name template>:<metric>"
inline constexpr const char* kContextProfile = "ptbench_profile";  // smoke, quick or full
// Present when the program takes an iteration plan (kIterationPlanFlag=FILE); a build from
// before the plan lacks it, and the harness then lets Google Benchmark ramp in every round.
inline constexpr const char* kContextIterationPlan = "ptbench_iteration_plan";
inline constexpr std::string_view kIterationPlanFlag = "--ptbench_iterations=";

using Params = std::vector<std::pair<std::string, std::string>>;

// Each program declares, per question, the metric its rows are judged on (a gate's decision, a
// comparison, the report's headline, the history's series) and which way is better. The program
// prints them with this flag, one "<question>\t<metric>\t<direction>" line each.
inline constexpr const char* kListPrimaryFlag = "--ptbench_list_primary";
inline constexpr std::string_view kLowerIsBetter = "lower_is_better";
inline constexpr std::string_view kHigherIsBetter = "higher_is_better";

struct Primary {
  std::string metric;
  std::string direction;  // kLowerIsBetter or kHigherIsBetter
};

// BM_<question>/<mechanism>/<endpoint>/<placement>/<bytes>[/key=value...]. Params use '=' so
// they never clash with Google Benchmark's own "key:value" suffixes.
inline std::string format(std::string_view question, std::string_view mechanism,
                          std::string_view endpoint, std::string_view placement, std::size_t bytes,
                          const Params& params = {}) {
  std::string name = "BM_";
  name.append(question).append("/").append(mechanism).append("/").append(endpoint);
  name.append("/").append(placement).append("/").append(std::to_string(bytes));
  for (const auto& [k, v] : params) name.append("/").append(k).append("=").append(v);
  return name;
}

// A parsed name; Google Benchmark's suffixes (real_time, manual_time, min_time:..., repeats:...,
// iterations:..., threads:...) are dropped.
struct Name {
  std::string benchmark;  // the grid name without Google Benchmark's suffixes
  std::string question;   // "Create" for BM_Create
  std::string mechanism, endpoint, placement;
  double payload_bytes = 0;
  std::string params;  // "k=v;k=v", in the order of the name
};

namespace detail {

inline std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

inline bool is_gbench_suffix(std::string_view part) {
  for (std::string_view word : {"real_time", "manual_time", "process_time"}) {
    if (part == word) return true;
  }
  for (std::string_view prefix :
       {"min_time:", "min_warmup_time:", "repeats:", "iterations:", "threads:"}) {
    if (part.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

inline std::optional<double> number(std::string_view s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace detail

// Splits a name; nullopt when it is not on the grid (too few parts, no BM_ prefix, bytes not a
// number, a param without '=').
inline std::optional<Name> parse(std::string_view name) {
  auto parts = detail::split(name, '/');
  if (parts.size() < 5 || parts[0].substr(0, 3) != "BM_" || parts[0].size() == 3) {
    return std::nullopt;
  }
  Name g{"",
         std::string(parts[0].substr(3)),
         std::string(parts[1]),
         std::string(parts[2]),
         std::string(parts[3]),
         0,
         ""};
  auto bytes = detail::number(parts[4]);
  if (!bytes || g.mechanism.empty() || g.endpoint.empty() || g.placement.empty()) {
    return std::nullopt;
  }
  g.payload_bytes = *bytes;
  std::size_t kept = 5;
  for (std::size_t i = 5; i < parts.size(); ++i) {
    if (detail::is_gbench_suffix(parts[i])) continue;
    if (parts[i].find('=') == std::string_view::npos) return std::nullopt;
    if (!g.params.empty()) g.params += ';';
    g.params += parts[i];
    kept = i + 1;
  }
  for (std::size_t i = 0; i < kept; ++i) {
    if (detail::is_gbench_suffix(parts[i])) continue;
    if (i) g.benchmark += '/';
    g.benchmark += parts[i];
  }
  return g;
}

// The suite id of a benchmark program: its name without the _bench suffix (create_bench ->
// create).
inline std::string suite_of(std::string_view program) {
  constexpr std::string_view kSuffix = "_bench";
  if (program.size() > kSuffix.size() && program.ends_with(kSuffix)) {
    program.remove_suffix(kSuffix.size());
  }
  return std::string(program);
}

}  // namespace ptbench::grid
