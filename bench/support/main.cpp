// The shared main of every benchmark program: takes --ptbench_profile, registers the program's
// benchmarks for it, and hands the remaining flags to Google Benchmark.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "bench/support/bench_support.hpp"
#include "bench/support/grid.hpp"
#include "bench/support/ipc_support.hpp"
#include "bench/support/plant.hpp"

int main(int argc, char** argv) {
  using ptbench::bench::Profile;
  Profile profile = Profile::kQuick;
  std::string_view profile_name = "quick";
  bool list_skipped = false, list_primary = false;
  std::vector<char*> rest;
  constexpr std::string_view kFlag = "--ptbench_profile=";
  constexpr std::string_view kPlan = ptbench::grid::kIterationPlanFlag;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, kPlan.size()) == kPlan) {
      if (std::string why; !ptbench::bench::load_iteration_plan(argv[i] + kPlan.size(), &why)) {
        std::fprintf(stderr, "%s: %s\n", argv[0], why.c_str());
        return 2;
      }
      continue;
    }
    if (arg == "--ptbench_list_skipped") {
      list_skipped = true;
      continue;
    }
    if (arg == ptbench::grid::kListPrimaryFlag) {
      list_primary = true;
      continue;
    }
    if (arg.substr(0, kFlag.size()) != kFlag) {
      rest.push_back(argv[i]);
      continue;
    }
    profile_name = arg.substr(kFlag.size());
    if (profile_name == "smoke") {
      profile = Profile::kSmoke;
    } else if (profile_name == "quick") {
      profile = Profile::kQuick;
    } else if (profile_name == "full") {
      profile = Profile::kFull;
    } else {
      std::fprintf(stderr, "%s: unknown profile '%s' (expected smoke, quick or full)\n", argv[0],
                   argv[i] + kFlag.size());
      return 2;
    }
  }
  if (std::string why; !ptbench::bench::plant_environment_ok(&why)) {
    std::fprintf(stderr, "%s: %s\n", argv[0], why.c_str());
    return 2;
  }
  ptbench::bench::register_benchmarks(profile);
  if (list_skipped) {
    // "<benchmark name>\t<reason>" per case that cannot run on this host.
    for (const auto& [name, reason] : ptbench::bench::skipped_benchmarks()) {
      std::printf("%s\t%s\n", name.c_str(), reason.c_str());
    }
    return 0;
  }
  if (list_primary) {
    for (const auto& [question, p] : ptbench::bench::declared_primaries()) {
      std::printf("%s\t%s\t%s\n", question.c_str(), p.metric.c_str(), p.direction.c_str());
    }
    return 0;
  }
  benchmark::AddCustomContext(ptbench::grid::kContextProfile, std::string(profile_name));
  benchmark::AddCustomContext(ptbench::grid::kContextIterationPlan, "1");
  int rest_argc = static_cast<int>(rest.size());
  rest.push_back(nullptr);
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
