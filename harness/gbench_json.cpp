#include "harness/gbench_json.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "harness/csv.hpp"

namespace ptbench::harness {

namespace {

std::optional<double> time_unit_to_ns(std::string_view unit) {
  if (unit == "ns") return 1.0;
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  return std::nullopt;
}

}  // namespace

namespace {

// Google Benchmark's own fields of a run; every other number is a user counter (and the two
// rates, which are counters that Google Benchmark names itself).
bool is_counter(const std::string& key) {
  static const std::set<std::string> kKnownFields = {"name",
                                                     "family_index",
                                                     "per_family_instance_index",
                                                     "run_name",
                                                     "run_type",
                                                     "repetitions",
                                                     "repetition_index",
                                                     "threads",
                                                     "iterations",
                                                     "real_time",
                                                     "cpu_time",
                                                     "time_unit",
                                                     "error_occurred",
                                                     "error_message",
                                                     "aggregate_name",
                                                     "aggregate_unit",
                                                     "label"};
  return !kKnownFields.count(key);
}

// The times and counters of a run that did not fail; the reason when they cannot be read.
Result<void> read_times(const nlohmann::json& b, GbenchRun* run) {
  auto scale = time_unit_to_ns(b.value("time_unit", "ns"));
  if (!scale) {
    return fail(
        fmt::format("benchmark '{}': unknown time unit '{}'", run->name, b.value("time_unit", "")));
  }
  if (!b.contains("real_time") || !b["real_time"].is_number())
    return fail(fmt::format("benchmark '{}' has no real_time", run->name));
  run->real_time_ns = b["real_time"].get<double>() * *scale;
  run->cpu_time_ns = b.value("cpu_time", 0.0) * *scale;
  for (const auto& [k, v] : b.items()) {
    if (v.is_number() && is_counter(k)) run->counters[k] = v.get<double>();
  }
  return {};
}

// One iteration run; the reason when it is not usable.
Result<void> read_run(const nlohmann::json& b, GbenchRun* run) {
  run->name = b["name"].get<std::string>();
  auto grid = parse_grid_name(run->name);
  if (!grid) {
    return fail(
        fmt::format("benchmark '{}' is not named on the ptbench grid "
                    "BM_<Question>/<mechanism>/<endpoint>/<placement>/<bytes>",
                    run->name));
  }
  run->grid = *grid;
  run->repetition_index = b.value("repetition_index", 0);
  run->iterations = b.value("iterations", 0.0);
  run->error = b.value("error_occurred", false);
  run->error_message = b.value("error_message", "");
  return run->error ? Result<void>() : read_times(b, run);
}

}  // namespace

Result<GbenchFile> parse_gbench_json(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail("not valid JSON");
  if (!doc.is_object() || !doc.contains("benchmarks") || !doc["benchmarks"].is_array())
    return fail("no \"benchmarks\" array: not Google Benchmark JSON output");
  GbenchFile out;
  if (doc.contains("context") && doc["context"].is_object()) {
    for (const auto& [k, v] : doc["context"].items()) {
      if (v.is_string()) out.context[k] = v.get<std::string>();
    }
  }
  for (const auto& b : doc["benchmarks"]) {
    if (!b.is_object() || !b.contains("name") || !b["name"].is_string())
      return fail("a benchmark entry without a name");
    if (b.value("run_type", "iteration") != "iteration") continue;
    GbenchRun run;
    if (auto read = read_run(b, &run); !read) return fail(read.error());
    out.runs.push_back(std::move(run));
  }
  return out;
}

}  // namespace ptbench::harness
