// The tidy long-format results: samples (one row per instance x repetition x metric)
// and their summary (one row per instance x metric), with each row's ratio to its baseline.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/support/grid.hpp"
#include "harness/gbench_json.hpp"
#include "harness/result.hpp"
#include "harness/stats.hpp"

namespace ptbench::harness {

struct MetricInfo {
  std::string unit;       // ns, 1/s, B/s, 1/op, MiB, count
  std::string direction;  // lower_is_better | higher_is_better
};

// Unit and direction from the metric's name: real_time/cpu_time and *_ns are ns; *_per_op are
// counts per operation; bytes_per_second and *_bytes_per_s are B/s; other rates 1/s.
MetricInfo metric_info(const std::string& metric);

struct Sample {
  std::string run_id, suite, benchmark, mechanism, endpoint, placement;
  double payload_bytes = 0;
  std::string params;
  int repetition = 0;
  std::string metric;
  double value = 0;  // NaN when the repetition failed
  std::string unit, direction, error;
  bool primary = false;  // the metric this benchmark is judged on (its program declares it)
};

// Marks the samples of `metric` as the benchmark's primary ones, in the declared direction.
void mark_primary(std::vector<Sample>& samples, const grid::Primary& primary);

// The samples of one Google Benchmark run: real_time, cpu_time and every user counter; an errored
// benchmark gives one real_time row with the error and no value.
std::vector<Sample> samples_from_run(const std::string& run_id, const std::string& suite,
                                     const GbenchRun& run, int repetition);

// A row that says a repetition produced nothing (the program crashed, timed out, wrote bad JSON).
Sample failed_sample(const std::string& run_id, const std::string& suite, const GridName& grid,
                     int repetition, const std::string& error);

struct SummaryRow {
  std::string suite, benchmark, mechanism, endpoint, placement;
  double payload_bytes = 0;
  std::string params, metric, unit, direction;
  bool primary = false;  // the metric the benchmark is judged on
  Summary stats;
  bool stable = false;
  std::string baseline;          // the benchmark the ratio is taken against ("" if none)
  double ratio_to_baseline = 0;  // median / baseline median; NaN when there is no baseline
  std::string floor;             // the hardware floor ratio_to_floor is taken against ("" if none)
  double ratio_to_floor = 0;     // median / floor median; NaN when there is no floor
  bool skipped = false;          // cannot run on this host; `error` says why
  std::size_t errors = 0;        // repetitions that failed
  std::string error;             // the first failure's message
};

// A suite's floor: "BM_Floor/cacheline/{endpoint}/cross-cpu/64:real_time" names the floor
// benchmark ({endpoint}, {placement} and {bytes} are taken from each row) and the metric that
// is compared with it; "A|B:metric" takes the first of A and B that the run measured.
struct FloorSpec {
  std::string benchmark_template;
  std::string metric;
};
std::optional<FloorSpec> parse_floor_spec(const std::string& text);

// Rows that say a benchmark could not run here, with the reason.
Sample skipped_sample(const std::string& run_id, const std::string& suite, const GridName& grid,
                      const std::string& reason);
inline constexpr std::string_view kSkippedPrefix = "skipped: ";

// Summaries per benchmark x metric, in first-seen order. `baselines` maps a suite to its baseline
// mechanism; time and rate metrics get ratio_to_baseline against the baseline row with the same
// placement and payload whose params are a subset of the row's (the most shared params win,
// then the same endpoint). `floors` maps a suite to its floor, from any suite of the run.
std::vector<SummaryRow> summarize_samples(const std::vector<Sample>& samples,
                                          const std::map<std::string, std::string>& baselines,
                                          const std::map<std::string, FloorSpec>& floors = {});

extern const std::vector<std::string> kSampleColumns;
extern const std::vector<std::string> kSummaryColumns;

void write_samples_csv(std::ostream& out, const std::vector<Sample>& samples);

// The suite id a row has today. Runs written before 2026-12-02 called the course notes' questions
// one suite, "notes", and counted BM_InFlight in "open_loop"; each question is a program of its
// own now (cow_write, speedup, zombie, footprint, time_slice, shared_data, fiber; in_flight), and
// reading an old run gives its rows the new ids, so old runs compare and report with new ones.
std::string current_suite(const std::string& suite, const std::string& benchmark);

// Placements are named by topology level (same-cpu, smt, same-cache, cross-cache, cross-numa,
// cross-package: ipc/placement.hpp). Runs from before 2026-12-03 named the pair (first allowed
// CPU, last allowed CPU) "cross-cpu"; runs from 2026-12-02 on recorded in host.csv
// (cross_cpu_level) which level that pair shares. The harness names "the run's one row across
// CPUs" (a claim's, a gate's) with the placeholder kCrossRef, read at the run's reference level.
inline constexpr std::string_view kCrossRef = "{cross}";
// The level host.csv recorded when it names one; else "cross-cpu": a run from before the level
// was recorded keeps its rows' old name, because which level they measured is not known.
std::string reference_level(std::string_view recorded);
// `name` with kCrossRef, and a "cross-cpu" placement, replaced by `level`.
std::string at_level(std::string_view name, std::string_view level);
// Every row of a run read back at its reference level (names, placements, baselines, floors).
void map_legacy_placements(std::vector<Sample>& samples, std::string_view level);
void map_legacy_placements(std::vector<SummaryRow>& rows, std::string_view level);

// Reads a samples.csv back; a failure says what and where. A file from before the primary column
// existed gets the legacy rule (legacy_primary); old suite ids are mapped (current_suite).
Result<std::vector<Sample>> parse_samples_csv(std::string_view text);

// summary.csv read back into typed rows (the inverse of write_summary_csv); an empty statistic
// is NaN. A file from before the skipped column existed is read too.
Result<std::vector<SummaryRow>> parse_summary_csv(std::string_view text);
void write_summary_csv(std::ostream& out, const std::vector<SummaryRow>& rows);

// "48.7 µs"-style text for a value in the metric's unit.
std::string human_value(double value, const std::string& unit);

// The table a person reads at a glance: per suite, each benchmark's median time, its spread,
// its ratio to the baseline, and a mark on unstable rows with a hint that names the fix.
void print_summary_table(std::ostream& out, const std::vector<SummaryRow>& rows,
                         const std::map<std::string, std::string>& baselines);

}  // namespace ptbench::harness
