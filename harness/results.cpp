#include "harness/results.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <limits>
#include <ostream>
#include <set>
#include <sstream>

#include "harness/csv.hpp"
#include "harness/profiles.hpp"
#include "ipc/placement.hpp"

namespace ptbench::harness {

namespace {

std::set<std::string> split_params(const std::string& params) {
  std::set<std::string> out;
  std::istringstream in(params);
  std::string item;
  while (std::getline(in, item, ';')) {
    if (!item.empty()) out.insert(item);
  }
  return out;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

const std::vector<std::string> kSampleColumns = {
    "run_id",    "suite",         "benchmark", "mechanism",  "endpoint",
    "placement", "payload_bytes", "params",    "repetition", "metric",
    "value",     "unit",          "direction", "error",      "primary"};

const std::vector<std::string> kSummaryColumns = {"suite",       "benchmark",
                                                  "mechanism",   "endpoint",
                                                  "placement",   "payload_bytes",
                                                  "params",      "metric",
                                                  "unit",        "direction",
                                                  "n",           "median",
                                                  "p25",         "p75",
                                                  "mad",         "cv",
                                                  "min",         "max",
                                                  "ci95_low",    "ci95_high",
                                                  "ci_coverage", "ratio_to_baseline",
                                                  "baseline",    "ratio_to_floor",
                                                  "floor",       "stable",
                                                  "skipped",     "errors",
                                                  "error",       "primary"};

MetricInfo metric_info(const std::string& metric) {
  if (metric == "real_time" || metric == "cpu_time" || metric.ends_with("_ns")) {
    return {"ns", "lower_is_better"};
  }
  if (metric == "bytes_per_second" || metric.ends_with("_bytes_per_s")) {
    return {"B/s", "higher_is_better"};
  }
  if (metric == "items_per_second" || metric.ends_with("_per_s")) {
    return {"1/s", "higher_is_better"};
  }
  if (metric.ends_with("_per_op")) return {"1/op", "lower_is_better"};
  if (metric.ends_with("_s_per_gb")) return {"s/GB", "lower_is_better"};
  if (metric == "samples") return {"count", "higher_is_better"};
  if (metric.ends_with("_mib")) return {"MiB", "lower_is_better"};
  return {"count", "lower_is_better"};
}

std::vector<Sample> samples_from_run(const std::string& run_id, const std::string& suite,
                                     const GbenchRun& run, int repetition) {
  std::vector<Sample> out;
  auto add = [&](const std::string& metric, double value, const std::string& error) {
    const auto info = metric_info(metric);
    out.push_back({run_id, suite, run.grid.benchmark, run.grid.mechanism, run.grid.endpoint,
                   run.grid.placement, run.grid.payload_bytes, run.grid.params, repetition, metric,
                   value, info.unit, info.direction, error});
  };
  if (run.error) {
    add("real_time", kNaN, run.error_message.empty() ? "error" : run.error_message);
    return out;
  }
  add("real_time", run.real_time_ns, "");
  add("cpu_time", run.cpu_time_ns, "");
  for (const auto& [name, value] : run.counters) add(name, value, "");
  return out;
}

Sample failed_sample(const std::string& run_id, const std::string& suite, const GridName& grid,
                     int repetition, const std::string& error) {
  const auto info = metric_info("real_time");
  return {run_id,
          suite,
          grid.benchmark,
          grid.mechanism,
          grid.endpoint,
          grid.placement,
          grid.payload_bytes,
          grid.params,
          repetition,
          "real_time",
          kNaN,
          info.unit,
          info.direction,
          error};
}

std::string current_suite(const std::string& suite, const std::string& benchmark) {
  if (suite != "notes" && suite != "open_loop") return suite;
  const auto name = grid::parse(benchmark);
  if (!name) return suite;
  if (suite == "open_loop") return name->question == "InFlight" ? "in_flight" : suite;
  std::string snake;  // CowWrite -> cow_write: the program's name without _bench
  for (char c : name->question) {
    if (std::isupper(static_cast<unsigned char>(c)) && !snake.empty()) snake += '_';
    snake += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return snake;
}

void mark_primary(std::vector<Sample>& samples, const grid::Primary& primary) {
  for (auto& s : samples) {
    if (s.metric != primary.metric) continue;
    s.primary = true;
    s.direction = primary.direction;
  }
}

std::optional<FloorSpec> parse_floor_spec(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return std::nullopt;
  return FloorSpec{text.substr(0, colon), text.substr(colon + 1)};
}

Sample skipped_sample(const std::string& run_id, const std::string& suite, const GridName& grid,
                      const std::string& reason) {
  Sample s = failed_sample(run_id, suite, grid, 0, std::string(kSkippedPrefix) + reason);
  return s;
}

namespace {
std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}
}  // namespace

std::string reference_level(std::string_view recorded) {
  const auto p = ipc::parse_placement(recorded);
  if (p && *p != ipc::Placement::kUnpinned) return std::string(recorded);
  return std::string(ipc::kLegacyCrossCpu);
}

std::string at_level(std::string_view name, std::string_view level) {
  std::string out = replace_all(std::string(name), std::string(kCrossRef), std::string(level));
  if (level == ipc::kLegacyCrossCpu) return out;
  const std::string legacy = fmt::format("/{}/", ipc::kLegacyCrossCpu);
  // The placement is the fourth part of a grid name: BM_Q/mechanism/endpoint/placement/bytes.
  std::size_t at = 0;
  for (int part = 0; part < 3 && at != std::string::npos; ++part) at = out.find('/', at + 1);
  if (at != std::string::npos && out.compare(at, legacy.size(), legacy) == 0) {
    out.replace(at + 1, ipc::kLegacyCrossCpu.size(), level);
  }
  return out;
}

namespace {
void map_placement(std::string& placement, std::string_view level) {
  if (placement == ipc::kLegacyCrossCpu) placement = level;
}
}  // namespace

void map_legacy_placements(std::vector<Sample>& samples, std::string_view level) {
  if (level == ipc::kLegacyCrossCpu) return;
  for (auto& s : samples) {
    s.benchmark = at_level(s.benchmark, level);
    map_placement(s.placement, level);
  }
}

void map_legacy_placements(std::vector<SummaryRow>& rows, std::string_view level) {
  if (level == ipc::kLegacyCrossCpu) return;
  for (auto& r : rows) {
    r.benchmark = at_level(r.benchmark, level);
    r.baseline = at_level(r.baseline, level);
    r.floor = at_level(r.floor, level);
    map_placement(r.placement, level);
  }
}

namespace {

SummaryRow row_of(const Sample& s) {
  SummaryRow r;
  r.suite = s.suite;
  r.benchmark = s.benchmark;
  r.mechanism = s.mechanism;
  r.endpoint = s.endpoint;
  r.placement = s.placement;
  r.payload_bytes = s.payload_bytes;
  r.params = s.params;
  r.metric = s.metric;
  r.unit = s.unit;
  r.direction = s.direction;
  r.primary = s.primary;
  r.ratio_to_baseline = kNaN;
  r.ratio_to_floor = kNaN;
  return r;
}

// One row per benchmark x metric, in the samples' order, with its statistics.
std::vector<SummaryRow> group_rows(const std::vector<Sample>& samples) {
  std::vector<SummaryRow> rows;
  std::map<std::pair<std::string, std::string>, std::size_t> index;  // (benchmark, metric)
  std::vector<std::vector<double>> values;
  for (const auto& s : samples) {
    auto key = std::make_pair(s.suite + "\x1f" + s.benchmark, s.metric);
    auto [it, inserted] = index.emplace(key, rows.size());
    if (inserted) {
      rows.push_back(row_of(s));
      values.emplace_back();
    }
    auto& row = rows[it->second];
    if (s.error.rfind(kSkippedPrefix, 0) == 0) {
      row.skipped = true;
      row.error = s.error;
    } else if (!s.error.empty() || std::isnan(s.value)) {
      if (row.errors++ == 0) row.error = s.error;
    } else {
      values[it->second].push_back(s.value);
    }
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].stats = summarize(values[i]);
    rows[i].stable = is_stable(rows[i].stats);
  }
  return rows;
}

// Each row's ratio to its suite's floor, measured in the same run.
void add_floor_ratios(std::vector<SummaryRow>& rows,
                      const std::map<std::string, FloorSpec>& floors) {
  std::map<std::pair<std::string, std::string>, const SummaryRow*> by_name;
  for (const auto& r : rows) by_name[{r.benchmark, r.metric}] = &r;
  for (auto& row : rows) {
    auto f = floors.find(row.suite);
    if (f == floors.end() || f->second.metric != row.metric || row.stats.n == 0) continue;
    std::stringstream choices(f->second.benchmark_template);
    for (std::string name; std::getline(choices, name, '|');) {
      name = replace_all(name, "{endpoint}", row.endpoint);
      name = replace_all(name, "{placement}", row.placement);
      name = replace_all(name, "{bytes}", csv_number(row.payload_bytes));
      auto floor = by_name.find({name, row.metric});
      if (floor == by_name.end() || floor->second->stats.n == 0 ||
          floor->second->stats.median == 0) {
        continue;
      }
      row.floor = name;
      row.ratio_to_floor = row.stats.median / floor->second->stats.median;
      break;
    }
  }
}

// The baseline row for `row`: the suite's baseline mechanism at the same metric, placement and
// size, whose params are a subset of the row's (the most of them, then the same endpoint).
const SummaryRow* baseline_for(const SummaryRow& row, const std::string& mechanism,
                               const std::vector<SummaryRow>& rows) {
  const auto mine = split_params(row.params);
  const SummaryRow* best = nullptr;
  int best_score = -1;
  for (const auto& cand : rows) {
    if (cand.suite != row.suite || cand.mechanism != mechanism || cand.metric != row.metric ||
        cand.placement != row.placement || cand.payload_bytes != row.payload_bytes ||
        cand.stats.n == 0 || cand.stats.median <= 0) {
      continue;
    }
    const auto theirs = split_params(cand.params);
    bool subset = true;
    for (const auto& p : theirs) subset = subset && mine.count(p);
    if (!subset) continue;
    const int score = static_cast<int>(theirs.size()) * 2 + (cand.endpoint == row.endpoint);
    if (score > best_score) {
      best_score = score;
      best = &cand;
    }
  }
  return best;
}

void add_baseline_ratios(std::vector<SummaryRow>& rows,
                         const std::map<std::string, std::string>& baselines) {
  for (auto& row : rows) {
    if ((row.unit != "ns" && row.unit != "B/s" && row.unit != "1/s") || row.stats.n == 0) continue;
    auto b = baselines.find(row.suite);
    if (b == baselines.end()) continue;
    if (const SummaryRow* best = baseline_for(row, b->second, rows)) {
      row.baseline = best->benchmark;
      row.ratio_to_baseline = row.stats.median / best->stats.median;
    }
  }
}

}  // namespace

std::vector<SummaryRow> summarize_samples(const std::vector<Sample>& samples,
                                          const std::map<std::string, std::string>& baselines,
                                          const std::map<std::string, FloorSpec>& floors) {
  auto rows = group_rows(samples);
  add_floor_ratios(rows, floors);
  add_baseline_ratios(rows, baselines);
  return rows;
}

void write_samples_csv(std::ostream& out, const std::vector<Sample>& samples) {
  write_csv_row(out, kSampleColumns);
  for (const auto& s : samples) {
    write_csv_row(
        out, {s.run_id, s.suite, s.benchmark, s.mechanism, s.endpoint, s.placement,
              csv_number(s.payload_bytes), s.params, std::to_string(s.repetition), s.metric,
              csv_number(s.value), s.unit, s.direction, s.error, s.primary ? "true" : "false"});
  }
}

Result<std::vector<Sample>> parse_samples_csv(std::string_view text) {
  std::vector<std::string> required = kSampleColumns;
  std::erase(required, "primary");
  auto parsed = parse_csv(text, required);
  if (!parsed) return fail(parsed.error());
  const auto& t = *parsed;
  const auto c_primary = t.column("primary");
  auto col = [&](const char* name) { return *t.column(name); };
  const std::size_t c_run = col("run_id"), c_suite = col("suite"), c_bench = col("benchmark"),
                    c_mech = col("mechanism"), c_end = col("endpoint"), c_place = col("placement"),
                    c_bytes = col("payload_bytes"), c_params = col("params"),
                    c_rep = col("repetition"), c_metric = col("metric"), c_value = col("value"),
                    c_unit = col("unit"), c_dir = col("direction"), c_err = col("error");
  std::vector<Sample> out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    Sample s;
    s.run_id = row[c_run];
    s.benchmark = row[c_bench];
    s.suite = current_suite(row[c_suite], s.benchmark);
    s.mechanism = row[c_mech];
    s.endpoint = row[c_end];
    s.placement = row[c_place];
    s.params = row[c_params];
    s.metric = row[c_metric];
    s.unit = row[c_unit];
    s.direction = row[c_dir];
    s.error = row[c_err];
    auto bytes = parse_number(row[c_bytes]);
    auto rep = parse_number(row[c_rep]);
    auto value = row[c_value].empty() ? std::optional<double>(kNaN) : parse_number(row[c_value]);
    if (!bytes || !rep || !value || s.benchmark.empty() || s.metric.empty() ||
        (s.direction != "lower_is_better" && s.direction != "higher_is_better") ||
        (std::isnan(*value) && s.error.empty())) {
      return fail(
          fmt::format("record {}: not a valid sample ({})", r + 2,
                      !value           ? "value is not a number"
                      : !bytes || !rep ? "payload_bytes or repetition is not a number"
                      : s.direction != "lower_is_better" && s.direction != "higher_is_better"
                          ? "direction must be lower_is_better or higher_is_better"
                          : "a value or an error is required"));
    }
    s.payload_bytes = *bytes;
    s.repetition = static_cast<int>(*rep);
    s.value = *value;
    s.primary = c_primary ? row[*c_primary] == "true" : s.metric == legacy_primary(s.suite).metric;
    out.push_back(std::move(s));
  }
  return out;
}

void write_summary_csv(std::ostream& out, const std::vector<SummaryRow>& rows) {
  write_csv_row(out, kSummaryColumns);
  for (const auto& r : rows) {
    const auto& st = r.stats;
    const bool any = st.n > 0;
    auto num = [&](double v) { return any ? csv_number(v) : std::string(); };
    write_csv_row(out, {r.suite,
                        r.benchmark,
                        r.mechanism,
                        r.endpoint,
                        r.placement,
                        csv_number(r.payload_bytes),
                        r.params,
                        r.metric,
                        r.unit,
                        r.direction,
                        std::to_string(st.n),
                        num(st.median),
                        num(st.p25),
                        num(st.p75),
                        num(st.mad),
                        num(st.cv),
                        num(st.min),
                        num(st.max),
                        num(st.ci_low),
                        num(st.ci_high),
                        num(st.ci_coverage),
                        csv_number(r.ratio_to_baseline),
                        r.baseline,
                        csv_number(r.ratio_to_floor),
                        r.floor,
                        r.stable ? "true" : "false",
                        r.skipped ? "true" : "false",
                        std::to_string(r.errors),
                        r.error,
                        r.primary ? "true" : "false"});
  }
}

namespace {

double cell_number(const std::string& cell) {
  auto v = parse_number(cell);
  return v ? *v : kNaN;
}

// One summary.csv record as a typed row; an empty statistic reads as NaN.
SummaryRow summary_row(const CsvTable& t, const std::vector<std::string>& rec) {
  auto col = [&](const char* name) -> const std::string& {
    static const std::string empty;
    auto i = t.column(name);
    return i ? rec[*i] : empty;
  };
  auto num = [&](const char* name) { return cell_number(col(name)); };
  SummaryRow r;
  r.benchmark = col("benchmark");
  r.suite = current_suite(col("suite"), r.benchmark);
  r.mechanism = col("mechanism");
  r.endpoint = col("endpoint");
  r.placement = col("placement");
  r.payload_bytes = num("payload_bytes");
  r.params = col("params");
  r.metric = col("metric");
  r.unit = col("unit");
  r.direction = col("direction");
  r.stats = {static_cast<std::size_t>(std::max(0.0, num("n"))),
             num("median"),
             num("p25"),
             num("p75"),
             num("mad"),
             num("cv"),
             num("min"),
             num("max"),
             num("ci95_low"),
             num("ci95_high"),
             num("ci_coverage")};
  r.ratio_to_baseline = num("ratio_to_baseline");
  r.baseline = col("baseline");
  r.ratio_to_floor = num("ratio_to_floor");
  r.floor = col("floor");
  r.stable = col("stable") == "true";
  r.errors = static_cast<std::size_t>(std::max(0.0, num("errors")));
  r.error = col("error");
  // Runs written before summary.csv had a skipped column said so in the error.
  r.skipped = t.column("skipped") ? col("skipped") == "true" : r.error.starts_with(kSkippedPrefix);
  // And before the primary column, the legacy rule says which metric a row is judged on.
  r.primary =
      t.column("primary") ? col("primary") == "true" : r.metric == legacy_primary(r.suite).metric;
  return r;
}

}  // namespace

Result<std::vector<SummaryRow>> parse_summary_csv(std::string_view text) {
  std::vector<std::string> required;
  for (const auto& c : kSummaryColumns) {
    if (c != "skipped" && c != "primary") required.push_back(c);
  }
  auto parsed = parse_csv(text, required);
  if (!parsed) return fail(parsed.error());
  std::vector<SummaryRow> rows;
  for (const auto& rec : parsed->rows) rows.push_back(summary_row(*parsed, rec));
  return rows;
}

std::string human_value(double value, const std::string& unit) {
  if (std::isnan(value)) return "-";
  if (unit == "ns") {
    const double a = std::fabs(value);
    // Switch units where three significant digits would round up to 1000.
    if (a >= 999.5e6) return fmt::format("{:.3g} s", value / 1e9);
    if (a >= 999.5e3) return fmt::format("{:.3g} ms", value / 1e6);
    if (a >= 999.5) return fmt::format("{:.3g} µs", value / 1e3);
    return fmt::format("{:.3g} ns", value);
  }
  if (unit == "B/s") {
    const double a = std::fabs(value);
    if (a >= 999.5e6) return fmt::format("{:.3g} GB/s", value / 1e9);
    if (a >= 999.5e3) return fmt::format("{:.3g} MB/s", value / 1e6);
    return fmt::format("{:.3g} kB/s", value / 1e3);
  }
  if (unit == "1/s") {  // items per second: requests, messages
    const double a = std::fabs(value);
    if (a >= 999.5e6) return fmt::format("{:.3g} G/s", value / 1e9);
    if (a >= 999.5e3) return fmt::format("{:.3g} M/s", value / 1e6);
    if (a >= 999.5) return fmt::format("{:.3g} k/s", value / 1e3);
    return fmt::format("{:.3g}/s", value);
  }
  return fmt::format("{:.3g} {}", value, unit);
}

void print_summary_table(std::ostream& out, const std::vector<SummaryRow>& rows,
                         const std::map<std::string, std::string>& baselines) {
  std::string suite;
  bool any_unstable = false, any_error = false;
  // A benchmark that reports bytes_per_second is shown by its rate, the others by their time.
  std::set<std::string> rate_benchmarks, has_floor;
  for (const auto& r : rows) {
    if (r.metric == "bytes_per_second" && r.stats.n > 0) rate_benchmarks.insert(r.benchmark);
    if (!r.floor.empty()) has_floor.insert(r.suite);
  }
  for (const auto& r : rows) {
    const bool rate = rate_benchmarks.count(r.benchmark) > 0;
    if (r.metric != (rate ? "bytes_per_second" : "real_time") &&
        !(r.skipped && r.metric == "real_time")) {
      continue;
    }
    if (r.suite != suite) {
      suite = r.suite;
      auto b = baselines.find(suite);
      const std::string ratio_head = b == baselines.end() ? "ratio" : "× " + b->second;
      out << fmt::format("\n{}\n{:<52} {:>10} {:>9} {:>3} {:>10}{}\n", suite, "benchmark", "median",
                         "spread", "n", ratio_head,
                         has_floor.count(suite) ? fmt::format(" {:>9}", "× floor") : "");
    }
    std::string label = fmt::format("{}/{}", r.mechanism, r.endpoint);
    if (r.placement != "unpinned") label += " " + r.placement;
    if (r.payload_bytes != 0) label += fmt::format(" {}B", r.payload_bytes);
    if (!r.params.empty()) label += " " + r.params;
    const std::string spread =
        r.stats.n > 0 && r.stats.median != 0
            ? fmt::format("±{:.1f}%", 100 * r.stats.mad / std::fabs(r.stats.median))
            : "-";
    const std::string ratio =
        std::isnan(r.ratio_to_baseline) ? "-" : fmt::format("{:.2f}", r.ratio_to_baseline);
    const std::string floor_col = !has_floor.count(suite) ? ""
                                  : std::isnan(r.ratio_to_floor)
                                      ? fmt::format(" {:>9}", "-")
                                      : fmt::format(" {:>9.3g}", r.ratio_to_floor);
    std::string mark;
    if (r.skipped) {
      mark = "  " + r.error;
    } else if (r.errors > 0) {
      mark = fmt::format("  FAILED {}x: {}", r.errors, r.error);
      any_error = true;
    } else if (!r.stable && r.stats.n > 0) {
      mark = "  unstable";
      any_unstable = true;
    }
    out << fmt::format("{:<52} {:>10} {:>9} {:>3} {:>10}{}{}\n", label,
                       r.stats.n ? human_value(r.stats.median, r.unit) : "-", spread, r.stats.n,
                       ratio, floor_col, mark);
  }
  out << "\nmedian of the repetitions; spread = median absolute deviation / median\n";
  if (any_unstable) {
    out << "unstable: fewer than 3 repetitions or spread above 10% — close other work, "
           "raise --repetitions, or pin (taskset) before trusting these rows\n";
  }
  if (any_error) out << "FAILED rows: see the error column of samples.csv and raw/*.log\n";
}

}  // namespace ptbench::harness
