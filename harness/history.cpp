#include "harness/history.hpp"

#include "harness/dashboard.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <iterator>
#include <map>
#include <numeric>
#include <ostream>
#include <sstream>

#include "harness/compare.hpp"
#include "harness/csv.hpp"
#include "harness/exit_codes.hpp"
#include "harness/paths.hpp"
#include "harness/results.hpp"
#include "harness/runner.hpp"
#include "harness/sql.hpp"
#include "harness/stats.hpp"
#include "ipc/placement.hpp"

namespace ptbench::harness {

namespace fs = std::filesystem;

fs::path default_history_db() {
  if (const char* env = std::getenv("PTBENCH_DB"); env != nullptr && *env != '\0') return env;
  return default_runs_dir().parent_path() / "history.sqlite";
}

namespace {

std::string fact(const KeyValues& host, const std::string& key) {
  for (const auto& [k, v] : host) {
    if (k == key) return v;
  }
  return "unknown";
}

// "6.18.44-fc" -> "6.18".
std::string kernel_major_minor(const std::string& kernel) {
  const auto first = kernel.find('.');
  const auto second = first == std::string::npos ? first : kernel.find('.', first + 1);
  return kernel.substr(0, std::min(second, kernel.find('-')));
}

// "24684084 kB" -> 24 (GiB, rounded): memory reported a few MiB differently after a reboot keeps
// its key.
long mem_gib(const std::string& mem_total) {
  const auto kb = parse_number(mem_total.substr(0, mem_total.find(' ')));
  return kb ? std::lround(*kb / (1024.0 * 1024.0)) : -1;
}

std::size_t cpu_count(const std::string& list) {
  const auto cpus = ipc::parse_cpu_list(list);
  return cpus ? cpus->size() : 0;
}

}  // namespace

std::string host_key(const KeyValues& host) {
  return fnv1a_hex(
      fmt::format("{}|{}|{}|{}", fact(host, "cpu_model"), cpu_count(fact(host, "cpus_online")),
                  mem_gib(fact(host, "mem_total")), kernel_major_minor(fact(host, "kernel"))));
}

std::string host_label(const KeyValues& host) {
  return fmt::format("{}, {} CPUs, {} GiB, Linux {}", fact(host, "cpu_model"),
                     cpu_count(fact(host, "cpus_online")), mem_gib(fact(host, "mem_total")),
                     kernel_major_minor(fact(host, "kernel")));
}

namespace {

// The schema, in both databases: {id}, {int} and {real} are the connection's types.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS schema_version(version {int} NOT NULL);
CREATE TABLE IF NOT EXISTS hosts(
  id {id}, host_key TEXT NOT NULL UNIQUE, label TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
  id {id}, run_id TEXT NOT NULL UNIQUE, host {int} NOT NULL REFERENCES hosts(id),
  git_sha TEXT, profile TEXT, kernel TEXT, started_utc TEXT, imported_from TEXT);
CREATE TABLE IF NOT EXISTS host_facts(
  run {int} NOT NULL REFERENCES runs(id), key TEXT NOT NULL, value TEXT,
  PRIMARY KEY(run, key));
CREATE TABLE IF NOT EXISTS samples(
  run {int} NOT NULL REFERENCES runs(id), benchmark TEXT NOT NULL, metric TEXT NOT NULL,
  repetition {int} NOT NULL, value {real}, unit TEXT, direction TEXT, is_primary {int},
  error TEXT);
CREATE TABLE IF NOT EXISTS summary(
  run {int} NOT NULL REFERENCES runs(id), suite TEXT, benchmark TEXT NOT NULL,
  metric TEXT NOT NULL, n {int}, median {real}, ci_low {real}, ci_high {real}, mad {real},
  unit TEXT, direction TEXT, is_primary {int}, PRIMARY KEY(run, benchmark, metric));
CREATE INDEX IF NOT EXISTS summary_by_series ON summary(benchmark, metric, run);
CREATE INDEX IF NOT EXISTS runs_by_host ON runs(host, profile, started_utc);
)sql";

// Schema 2: each summary row carries its run's host, profile and start time, so that a series is
// one range of one index, read in order (no join to find it, no sort): a trend of 100,000 runs
// took 340-410 ms through the join (2026-12-03, scripts/history_scale).
constexpr const char* kSchema2 = R"sql(
ALTER TABLE summary ADD COLUMN host {int};
ALTER TABLE summary ADD COLUMN profile TEXT;
ALTER TABLE summary ADD COLUMN started_utc TEXT;
UPDATE summary SET host = r.host, profile = r.profile, started_utc = r.started_utc
  FROM runs r WHERE r.id = summary.run;
CREATE INDEX summary_by_trend ON summary(benchmark, metric, host, profile, started_utc, run);
)sql";

// Schema 3: what `ptbench history confirm` decided about a change point, kept.
constexpr const char* kSchema3 = R"sql(
CREATE TABLE change_status(
  host_key TEXT NOT NULL, profile TEXT NOT NULL, benchmark TEXT NOT NULL, metric TEXT NOT NULL,
  run_id TEXT NOT NULL, status TEXT NOT NULL, decided_utc TEXT, detail TEXT,
  PRIMARY KEY(host_key, profile, benchmark, metric, run_id));
)sql";

// Schema 4: each run's cache-line floor (host.csv's cacheline_floor_before_ns) beside it, where
// the series reads it to break at a change of the machine's mode. Filled from host_facts.
constexpr const char* kSchema4 = R"sql(
ALTER TABLE runs ADD COLUMN floor_ns {real};
)sql";

// Schema 5: placements named by topology level. Rows imported under the old name "cross-cpu"
// take the level their run recorded (rename_legacy_placements; runs that recorded none keep it),
// so that a series continues across the renaming. No DDL.
constexpr const char* kSchema5 = "";

// Schema 6: each run's count of summary rows beside it; `history list` counted them run by run:
// 0.81-0.84 s for 100,000 runs, 0.34-0.39 s with the count kept (SQLite, 2026-12-03).
constexpr const char* kSchema6 = R"sql(
ALTER TABLE runs ADD COLUMN summary_rows {int};
UPDATE runs SET summary_rows = (SELECT count(*) FROM summary s WHERE s.run = runs.id);
)sql";

std::string schema_for(const SqlDb& db, const char* sql) {
  return fmt::format(fmt::runtime(sql), fmt::arg("id", db.id_column()),
                     fmt::arg("int", db.integer_type()), fmt::arg("real", db.real_type()));
}

using Rows = std::vector<SqlRow>;

}  // namespace

struct HistoryDb::Impl {
  std::unique_ptr<SqlDb> db;

  // The tables at the current schema version, in one transaction: created when there are none,
  // brought up from an older version step by step. Nothing is created when the tables are
  // there: in PostgreSQL even CREATE INDEX IF NOT EXISTS locks its table, and a writer that
  // opens the database while others import would deadlock with them.
  Result<void> create_schema() {
    if (auto r = db->begin_write(true); !r) return r;
    auto there = db->has_table("schema_version");
    Result<void> r = there ? Result<void>() : Result<void>(fail(there.error()));
    if (r && !*there) r = db->exec(schema_for(*db, kSchema));
    if (r) r = upgrade();
    if (!r) {
      (void)db->exec("ROLLBACK");
      return r;
    }
    return db->exec("COMMIT");
  }

  Result<void> upgrade() {
    auto got = db->query("SELECT max(version) FROM schema_version");
    if (!got) return fail(got.error());
    const auto& v = got->at(0).at(0);
    const std::int64_t version = sql_null(v) ? 1 : sql_integer(v);  // a new database: schema 1
    if (version > kSchemaVersion) {
      return fail(fmt::format("{} was written by a newer ptbench (schema {}; this one reads {})",
                              db->where(), version, kSchemaVersion));
    }
    if (!sql_null(v) && version == kSchemaVersion) return {};
    // The steps from each version to the next: steps[v - 1] takes version v to v + 1, its SQL
    // and then what SQL alone cannot do.
    struct Step {
      const char* sql;
      Result<void> (Impl::*then)();
    };
    static constexpr Step steps[] = {{kSchema2, nullptr},
                                     {kSchema3, nullptr},
                                     {kSchema4, &Impl::fill_floors},
                                     {kSchema5, &Impl::rename_legacy_placements},
                                     {kSchema6, nullptr}};
    static_assert(std::size(steps) + 1 == kSchemaVersion, "a step for every version");
    for (auto at = version; at < kSchemaVersion; ++at) {
      const Step& step = steps[at - 1];
      if (*step.sql != '\0') {
        if (auto r = db->exec(schema_for(*db, step.sql)); !r) return r;
      }
      if (step.then == nullptr) continue;
      if (auto r = (this->*step.then)(); !r) return r;
    }
    auto put = db->query("DELETE FROM schema_version");
    if (put)
      put = db->query("INSERT INTO schema_version VALUES($1)", {std::int64_t{kSchemaVersion}});
    return put ? Result<void>() : Result<void>(fail(put.error()));
  }

  // Schema 5: each recorded level (one statement per level and table, whatever the run count).
  Result<void> rename_legacy_placements() {
    auto levels = db->query("SELECT DISTINCT value FROM host_facts WHERE key = $1",
                            {std::string(ipc::kReferenceLevelKey)});
    if (!levels) return fail(levels.error());
    const std::string legacy = fmt::format("%/{}/%", ipc::kLegacyCrossCpu);
    for (const auto& row : *levels) {
      const std::string recorded = sql_text(row[0]);
      const std::string level = reference_level(recorded);
      if (level == ipc::kLegacyCrossCpu) continue;
      for (const char* table : {"summary", "samples"}) {
        auto put =
            db->query(fmt::format("UPDATE {} SET benchmark = replace(benchmark, $1, $2)"
                                  " WHERE benchmark LIKE $3 AND run IN"
                                  " (SELECT run FROM host_facts WHERE key = $4 AND value = $5)",
                                  table),
                      {fmt::format("/{}/", ipc::kLegacyCrossCpu), fmt::format("/{}/", level),
                       legacy, std::string(ipc::kReferenceLevelKey), recorded});
        if (!put) return fail(put.error());
      }
    }
    return {};
  }

  // Schema 4's floor_ns from the facts each run recorded (parsed here: the text may be empty).
  Result<void> fill_floors() {
    auto facts =
        db->query("SELECT run, value FROM host_facts WHERE key = 'cacheline_floor_before_ns'");
    if (!facts) return fail(facts.error());
    for (const auto& f : *facts) {
      const auto ns = parse_number(sql_text(f[1]));
      if (!ns) continue;
      auto put = db->query("UPDATE runs SET floor_ns = $1 WHERE id = $2", {*ns, f[0]});
      if (!put) return fail(put.error());
    }
    return {};
  }

  Result<std::int64_t> host_id(const KeyValues& host) {
    auto put = db->query("INSERT INTO hosts(host_key, label) VALUES($1, $2) ON CONFLICT DO NOTHING",
                         {host_key(host), host_label(host)});
    if (!put) return fail(put.error());
    auto get = db->query("SELECT id FROM hosts WHERE host_key = $1", {host_key(host)});
    if (!get) return fail(get.error());
    if (get->empty()) return fail(fmt::format("{}: host {} vanished", db->where(), host_key(host)));
    return sql_integer(get->front().front());
  }

  // The run's row, or 0 when a run with its id is there already (another writer's, perhaps).
  Result<std::int64_t> insert_run(const KeyValues& host, std::int64_t h, const fs::path& dir) {
    auto put = db->query(
        "INSERT INTO runs(run_id, host, git_sha, profile, kernel, started_utc, imported_from,"
        " floor_ns) VALUES($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT(run_id) DO NOTHING"
        " RETURNING id",
        {fact(host, "run_id"), h, fact(host, "git_sha"), fact(host, "profile"),
         fact(host, "kernel"), fact(host, "started_utc"), fs::absolute(dir).string(),
         parse_number(fact(host, "cacheline_floor_before_ns")).value_or(NAN)});
    if (!put) return fail(put.error());
    if (put->empty()) return std::int64_t{0};
    const std::int64_t run = sql_integer(put->front().front());
    Rows facts;
    for (const auto& [k, v] : host) facts.push_back({run, k, v});
    if (auto r = db->insert_rows("host_facts", {"run", "key", "value"}, facts); !r)
      return fail(r.error());
    return run;
  }

  Result<void> insert_samples(std::int64_t run, const std::vector<Sample>& samples) {
    Rows rows;
    rows.reserve(samples.size());
    for (const auto& x : samples) {
      rows.push_back({run, x.benchmark, x.metric, std::int64_t{x.repetition}, x.value, x.unit,
                      x.direction, std::int64_t{x.primary}, x.error});
    }
    return db->insert_rows("samples",
                           {"run", "benchmark", "metric", "repetition", "value", "unit",
                            "direction", "is_primary", "error"},
                           rows);
  }

  Result<void> insert_summary(std::int64_t run, std::int64_t h, const KeyValues& host,
                              const std::vector<SummaryRow>& summary) {
    Rows rows;
    for (const auto& r : summary) {
      if (r.stats.n == 0) continue;  // nothing measured: no point in any series
      rows.push_back({run, r.suite, r.benchmark, r.metric, static_cast<std::int64_t>(r.stats.n),
                      r.stats.median, r.stats.ci_low, r.stats.ci_high, r.stats.mad, r.unit,
                      r.direction, std::int64_t{r.primary}, h, fact(host, "profile"),
                      fact(host, "started_utc")});
    }
    auto put = db->insert_rows(
        "summary",
        {"run", "suite", "benchmark", "metric", "n", "median", "ci_low", "ci_high", "mad", "unit",
         "direction", "is_primary", "host", "profile", "started_utc"},
        rows);
    if (!put) return put;
    auto count = db->query("UPDATE runs SET summary_rows = $1 WHERE id = $2",
                           {static_cast<std::int64_t>(rows.size()), run});
    return count ? Result<void>() : Result<void>(fail(count.error()));
  }

  // The whole run in one transaction: true when written, false when it was there already.
  Result<bool> write_run(const KeyValues& host, const fs::path& dir,
                         const std::vector<Sample>& samples,
                         const std::vector<SummaryRow>& summary) {
    if (auto r = db->begin_write(false); !r) return fail(r.error());
    auto h = host_id(host);
    auto run = h ? insert_run(host, *h, dir) : Result<std::int64_t>(fail(h.error()));
    Result<void> rest = run ? Result<void>() : Result<void>(fail(run.error()));
    if (rest && *run != 0) rest = insert_samples(*run, samples);
    if (rest && *run != 0) rest = insert_summary(*run, *h, host, summary);
    if (!rest || *run == 0) {
      (void)db->exec("ROLLBACK");
      if (!rest) return fail(rest.error());
      return false;
    }
    if (auto r = db->exec("COMMIT"); !r) return fail(r.error());
    return true;
  }
};

std::string HistoryDb::first_schema(const SqlDb& db) {
  return schema_for(db, kSchema);
}

HistoryDb::HistoryDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HistoryDb::~HistoryDb() = default;

Result<std::unique_ptr<HistoryDb>> HistoryDb::open(const fs::path& target, bool* unreachable) {
  auto db = open_sql(target.string(), unreachable);
  if (!db) return fail(db.error());
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  if (auto r = impl->create_schema(); !r) return fail(r.error());
  return std::unique_ptr<HistoryDb>(new HistoryDb(std::move(impl)));
}

Result<bool> HistoryDb::import_run(const fs::path& dir) {
  auto host_text = read_text_file(dir / "host.csv");
  if (!host_text) return fail(fmt::format("{}: no host.csv", dir.string()));
  auto host = parse_host_csv(*host_text);
  if (!host) return host.with_context((dir / "host.csv").string());
  if (fact(*host, "run_id") == "unknown")
    return fail(fmt::format("{}: host.csv has no run_id", dir.string()));
  auto samples = load_samples(dir);
  if (!samples) return fail(samples.error());
  auto summary_text = read_text_file(dir / "summary.csv");
  if (!summary_text) return fail(fmt::format("{}: no summary.csv", dir.string()));
  auto summary = parse_summary_csv(*summary_text);
  if (!summary) return summary.with_context((dir / "summary.csv").string());
  map_legacy_placements(*summary, run_reference_level(*host));
  auto seen = impl_->db->query("SELECT 1 FROM runs WHERE run_id = $1", {fact(*host, "run_id")});
  if (!seen) return fail(seen.error());
  if (!seen->empty()) return false;
  return impl_->write_run(*host, dir, *samples, *summary);
}

Result<std::vector<HistoryRun>> HistoryDb::runs() {
  auto q = impl_->db->query(
      "SELECT r.run_id, h.label, r.git_sha, r.profile, r.kernel, r.started_utc, r.summary_rows"
      " FROM runs r JOIN hosts h ON h.id = r.host ORDER BY r.started_utc, r.run_id");
  if (!q) return fail(q.error());
  std::vector<HistoryRun> out;
  for (const auto& r : *q) {
    out.push_back({sql_text(r[0]), sql_text(r[1]), sql_text(r[2]), sql_text(r[3]), sql_text(r[4]),
                   sql_text(r[5]), static_cast<std::size_t>(sql_integer(r[6]))});
  }
  return out;
}

Result<std::vector<HistoryHost>> HistoryDb::hosts() {
  // One row per host and kernel, joined here (group_concat and string_agg are not in both).
  auto q = impl_->db->query(
      "SELECT h.host_key, h.label, r.kernel, count(r.id), min(r.started_utc), max(r.started_utc)"
      " FROM hosts h JOIN runs r ON r.host = h.id GROUP BY h.host_key, h.label, r.kernel"
      " ORDER BY h.label, h.host_key, r.kernel");
  if (!q) return fail(q.error());
  std::vector<HistoryHost> out;
  for (const auto& r : *q) {
    if (out.empty() || out.back().key != sql_text(r[0])) {
      out.push_back({sql_text(r[0]), sql_text(r[1]), 0, sql_text(r[4]), sql_text(r[5]), ""});
    }
    auto& h = out.back();
    h.runs += static_cast<std::size_t>(sql_integer(r[3]));
    h.first_utc = std::min(h.first_utc, sql_text(r[4]));
    h.last_utc = std::max(h.last_utc, sql_text(r[5]));
    if (!h.kernels.empty()) h.kernels += ' ';
    h.kernels += sql_text(r[2]);
  }
  return out;
}

Result<std::vector<HistoryPoint>> HistoryDb::trend(const std::string& benchmark,
                                                   const std::string& metric, std::string host,
                                                   std::string profile, std::size_t last) {
  SqlValue host_id;
  if (!host.empty()) {
    auto id = impl_->db->query("SELECT id FROM hosts WHERE host_key = $1", {host});
    if (!id) return fail(id.error());
    if (id->empty()) return std::vector<HistoryPoint>{};
    host_id = id->front().front();
  }
  if (host.empty() || profile.empty()) {  // the last recorded run's: runs read backwards
    auto newest = impl_->db->query(
        "SELECT r.host, r.profile FROM runs r WHERE EXISTS (SELECT 1 FROM summary s"
        " WHERE s.run = r.id AND s.benchmark = $1 AND s.metric = $2) ORDER BY r.id DESC LIMIT 1",
        {benchmark, metric});
    if (!newest) return fail(newest.error());
    if (newest->empty()) return std::vector<HistoryPoint>{};
    if (host.empty()) host_id = newest->front()[0];
    if (profile.empty()) profile = sql_text(newest->front()[1]);
  }
  // One range of summary_by_trend, in its order; the run's id, commit and kernel by its key.
  std::vector<HistoryPoint> out;
  const std::string order = last > 0 ? " ORDER BY s.started_utc DESC, s.run DESC LIMIT $5"
                                     : " ORDER BY s.started_utc, s.run";
  std::vector<SqlValue> params = {benchmark, metric, host_id, profile};
  if (last > 0) params.emplace_back(static_cast<std::int64_t>(last));
  auto q = impl_->db->each(
      "SELECT r.run_id, r.git_sha, r.kernel, s.started_utc, s.median, s.ci_low, s.ci_high, s.n,"
      " r.floor_ns FROM summary s JOIN runs r ON r.id = s.run"
      " WHERE s.benchmark = $1 AND s.metric = $2 AND s.host = $3 AND s.profile = $4" +
          order,
      params, [&](const SqlRow& r) {
        out.push_back({sql_text(r[0]), sql_text(r[1]), sql_text(r[2]), sql_text(r[3]),
                       sql_real(r[4]), sql_real(r[5]), sql_real(r[6]),
                       static_cast<std::size_t>(sql_integer(r[7])), sql_real(r[8])});
      });
  if (!q) return fail(q.error());
  if (last > 0) std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<HistoryDb::Series>> HistoryDb::series(std::size_t min_points) {
  auto q = impl_->db->query(
      "SELECT h.host_key, r.profile, s.benchmark, s.metric, max(s.direction), count(*)"
      " FROM summary s JOIN runs r ON r.id = s.run JOIN hosts h ON h.id = r.host"
      " WHERE s.is_primary = 1 GROUP BY h.host_key, r.profile, s.benchmark, s.metric"
      " HAVING count(*) >= $1 ORDER BY s.benchmark, s.metric",
      {static_cast<std::int64_t>(min_points)});
  if (!q) return fail(q.error());
  std::vector<Series> out;
  for (const auto& r : *q)
    out.push_back({sql_text(r[0]), sql_text(r[1]), sql_text(r[2]), sql_text(r[3]), sql_text(r[4])});
  return out;
}

Result<void> HistoryDb::set_status(const Series& s, const std::string& run_id,
                                   const std::string& status, const std::string& detail) {
  auto r = impl_->db->query(
      "INSERT INTO change_status(host_key, profile, benchmark, metric, run_id, status,"
      " decided_utc, detail) VALUES($1, $2, $3, $4, $5, $6, $7, $8)"
      " ON CONFLICT(host_key, profile, benchmark, metric, run_id)"
      " DO UPDATE SET status = excluded.status, decided_utc = excluded.decided_utc,"
      " detail = excluded.detail",
      {s.host, s.profile, s.benchmark, s.metric, run_id, status,
       utc_stamp(std::time(nullptr), "%Y-%m-%dT%H:%M:%SZ"), detail});
  return r ? Result<void>() : Result<void>(fail(r.error()));
}

Result<std::string> HistoryDb::same_programs(const std::string& run_a, const std::string& run_b) {
  auto q = impl_->db->query(
      "SELECT r.run_id, f.value FROM host_facts f JOIN runs r ON r.id = f.run"
      " WHERE f.key = 'binary_hash' AND (r.run_id = $1 OR r.run_id = $2)",
      {run_a, run_b});
  if (!q) return fail(q.error());
  if (q->size() != 2) return std::string("unknown");
  return std::string(sql_text((*q)[0][1]) == sql_text((*q)[1][1]) ? "same" : "changed");
}

Result<std::map<std::string, std::string>> HistoryDb::statuses(const Series& s) {
  auto q = impl_->db->query(
      "SELECT run_id, status FROM change_status WHERE host_key = $1 AND profile = $2"
      " AND benchmark = $3 AND metric = $4",
      {s.host, s.profile, s.benchmark, s.metric});
  if (!q) return fail(q.error());
  std::map<std::string, std::string> out;
  for (const auto& r : *q) out[sql_text(r[0])] = sql_text(r[1]);
  return out;
}

SqlDb& HistoryDb::sql() {
  return *impl_->db;
}

namespace {

double median_of(const std::vector<double>& v, std::size_t lo, std::size_t hi) {
  return summarize(std::vector<double>(v.begin() + static_cast<long>(lo),
                                       v.begin() + static_cast<long>(hi)))
      .median;
}

// The best split of x[lo, hi), recursively; appends the change points found. The split is where a
// step fits best (least squares on the logs: the largest n1 n2 / n (mean1 - mean2)^2, the
// classical binary-segmentation statistic); it is kept when the runs either side differ
// (two-sided Mann-Whitney, p < alpha) and their medians by at least min_change.
void segment(const std::vector<double>& x, std::size_t lo, std::size_t hi, const ChangeOptions& o,
             std::vector<ChangePoint>* out) {
  if (hi - lo < 2 * o.min_segment) return;
  std::vector<double> logs;
  for (std::size_t i = lo; i < hi; ++i) logs.push_back(std::log(std::max(x[i], 1e-300)));
  const double total = std::accumulate(logs.begin(), logs.end(), 0.0);
  const double n = static_cast<double>(logs.size());
  double left = 0, best_fit = -1;
  std::size_t at = 0;
  for (std::size_t k = 1; k < logs.size(); ++k) {
    left += logs[k - 1];
    if (k < o.min_segment || logs.size() - k < o.min_segment) continue;
    const double n1 = static_cast<double>(k), n2 = n - n1;
    const double gap = left / n1 - (total - left) / n2;
    const double fit = n1 * n2 / n * gap * gap;
    if (fit > best_fit) {
      best_fit = fit;
      at = lo + k;
    }
  }
  if (at == 0) return;
  const double before = median_of(x, lo, at), after = median_of(x, at, hi);
  const std::vector<double> a(x.begin() + static_cast<long>(lo), x.begin() + static_cast<long>(at));
  const std::vector<double> b(x.begin() + static_cast<long>(at), x.begin() + static_cast<long>(hi));
  const double p = mann_whitney(a, b).p;
  if (before <= 0 || p >= o.alpha || std::fabs(after / before - 1) < o.min_change) return;
  const ChangePoint cp{at, before, after, after / before - 1, p, x.size() - at < o.confirm_runs};
  segment(x, lo, at, o, out);
  out->push_back(cp);
  segment(x, at, hi, o, out);
}

}  // namespace

std::vector<ChangePoint> change_points(const std::vector<double>& medians,
                                       const ChangeOptions& opt) {
  std::vector<ChangePoint> out;
  segment(medians, 0, medians.size(), opt, &out);
  return out;
}

namespace {

// Why the series breaks between `was` and `now`, given the floors of the piece so far (at most
// kFloorWindow, newest last).
std::string break_between(const HistoryPoint& was, const HistoryPoint& now,
                          std::vector<double> floors) {
  if (now.kernel != was.kernel) return "the kernel changed: " + was.kernel + " to " + now.kernel;
  if (floors.empty() || !std::isfinite(now.floor_ns) || now.floor_ns <= 0) return "";
  std::nth_element(floors.begin(), floors.begin() + static_cast<long>(floors.size() / 2),
                   floors.end());
  const double piece = floors[floors.size() / 2];
  if (now.floor_ns <= piece * kFloorBreak && now.floor_ns >= piece / kFloorBreak) return "";
  return fmt::format(
      "the cache-line floor moved from {:.0f} ns to {:.0f} ns (another mode of "
      "the machine)",
      piece, now.floor_ns);
}

}  // namespace

std::vector<std::string> series_breaks(const std::vector<HistoryPoint>& pts) {
  std::vector<std::string> out(pts.size());
  std::vector<double> floors;  // the current piece's newest floors
  for (std::size_t i = 0; i < pts.size(); ++i) {
    if (i > 0) out[i] = break_between(pts[i - 1], pts[i], floors);
    if (!out[i].empty()) floors.clear();
    if (std::isfinite(pts[i].floor_ns) && pts[i].floor_ns > 0) floors.push_back(pts[i].floor_ns);
    if (floors.size() > kFloorWindow) floors.erase(floors.begin());
  }
  return out;
}

// The points of a series, split where the machine changed (series_break: never a change point),
// with each piece's change points.
std::vector<std::pair<std::size_t, ChangePoint>> series_changes(
    const std::vector<HistoryPoint>& pts, const ChangeOptions& o) {
  std::vector<std::pair<std::size_t, ChangePoint>> out;
  const auto breaks = series_breaks(pts);
  for (std::size_t lo = 0; lo < pts.size();) {
    std::size_t hi = lo + 1;
    while (hi < pts.size() && breaks[hi].empty()) ++hi;
    std::vector<double> medians;
    for (std::size_t i = lo; i < hi; ++i) medians.push_back(pts[i].median);
    for (auto c : change_points(medians, o)) {
      c.pending = hi - (lo + c.index) < o.confirm_runs;
      out.emplace_back(lo + c.index, c);
    }
    lo = hi;
  }
  return out;
}

namespace {

int import_dirs(HistoryDb& db, const std::vector<std::string>& dirs, std::ostream& out,
                std::ostream& err) {
  if (dirs.empty()) {
    err << "ptbench history import: name one or more run directories\n";
    return kExitBadInput;
  }
  std::size_t added = 0, known = 0;
  for (const auto& d : dirs) {
    auto r = db.import_run(d);
    if (!r) {
      err << "ptbench history import: " << r.error() << '\n';
      return kExitBadInput;
    }
    (*r ? added : known) += 1;
  }
  out << fmt::format("imported {} run(s), {} already there\n", added, known);
  return kExitOk;
}

int list_hosts(HistoryDb& db, bool csv, std::ostream& out, std::ostream& err) {
  auto hosts = db.hosts();
  if (!hosts) {
    err << "ptbench history hosts: " << hosts.error() << '\n';
    return kExitBadInput;
  }
  if (csv) write_csv_row(out, {"host_key", "label", "runs", "first_utc", "last_utc", "kernels"});
  for (const auto& h : *hosts) {
    if (csv) {
      write_csv_row(out,
                    {h.key, h.label, std::to_string(h.runs), h.first_utc, h.last_utc, h.kernels});
    } else {
      out << fmt::format("{:<16} {:>5} runs  {} .. {}  kernels {}  {}\n", h.key, h.runs,
                         h.first_utc, h.last_utc, h.kernels, h.label);
    }
  }
  return kExitOk;
}

int list_runs(HistoryDb& db, bool csv, std::ostream& out, std::ostream& err) {
  auto runs = db.runs();
  if (!runs) {
    err << "ptbench history list: " << runs.error() << '\n';
    return kExitBadInput;
  }
  if (csv)
    write_csv_row(out, {"run_id", "host", "git_sha", "profile", "kernel", "started_utc", "rows"});
  for (const auto& r : *runs) {
    if (csv) {
      write_csv_row(out, {r.run_id, r.host_label, r.git_sha, r.profile, r.kernel, r.started_utc,
                          std::to_string(r.rows)});
    } else {
      out << fmt::format("{:<20} {:<14} {:<6} {:>6} rows  {}\n", r.started_utc, r.git_sha,
                         r.profile, r.rows, r.host_label);
    }
  }
  return kExitOk;
}

int list_changes(HistoryDb& db, bool csv, std::ostream& out, std::ostream& err) {
  const ChangeOptions o;
  auto all = db.series(2 * o.min_segment);
  if (!all) {
    err << "ptbench history changes: " << all.error() << '\n';
    return kExitBadInput;
  }
  if (csv) {
    write_csv_row(out, {"host", "profile", "benchmark", "metric", "run_id", "git_sha", "before",
                        "after", "change", "p", "programs", "status"});
  }
  std::size_t found = 0;
  for (const auto& s : *all) {
    auto pts = db.trend(s.benchmark, s.metric, s.host, s.profile);
    if (!pts) {
      err << "ptbench history changes: " << pts.error() << '\n';
      return kExitBadInput;
    }
    auto kept = db.statuses(s);
    if (!kept) {
      err << "ptbench history changes: " << kept.error() << '\n';
      return kExitBadInput;
    }
    const auto changes = series_changes(*pts, o);
    for (std::size_t k = 0; k < changes.size(); ++k) {
      const auto& [i, c] = changes[k];
      ++found;
      const auto& at = (*pts)[i];
      const std::string status = change_status(changes, k, *kept, at.run_id, o);
      auto programs = db.same_programs((*pts)[i - 1].run_id, at.run_id);
      if (!programs) {
        err << "ptbench history changes: " << programs.error() << '\n';
        return kExitBadInput;
      }
      if (csv) {
        write_csv_row(out, {s.host, s.profile, s.benchmark, s.metric, at.run_id, at.git_sha,
                            csv_number(c.before), csv_number(c.after), csv_number(c.change),
                            csv_number(c.p), *programs, status});
      } else {
        out << fmt::format("{} {}: {:+.1f}% at {} ({}), p {:.2g}, {}{}\n", s.benchmark, s.metric,
                           100 * c.change, at.git_sha, at.started_utc, c.p, status,
                           *programs == "same" ? " (the same benchmark programs ran either side: "
                                                 "the host changed, not the code)"
                                               : "");
      }
    }
  }
  if (!csv) out << fmt::format("{} change point(s) in {} series\n", found, all->size());
  return kExitOk;
}

int show_trend(HistoryDb& db, const std::vector<std::string>& args, const HistoryArgs& opt,
               std::ostream& out, std::ostream& err) {
  const bool csv = opt.csv;
  if (args.size() != 1) {
    err << "ptbench history trend: name one benchmark (its grid name)\n";
    return kExitBadInput;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto pts = db.trend(args[0], opt.metric.empty() ? "real_time" : opt.metric, "", "", opt.last);
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - t0;
  if (!pts) {
    err << "ptbench history trend: " << pts.error() << '\n';
    return kExitBadInput;
  }
  if (pts->empty()) {
    err << "ptbench history trend: no run has " << args[0] << '\n';
    return kExitBadInput;
  }
  // The derived view: the median and its interval in units of the run's own cache-line floor
  // (the floor's noise not included). For reading across modes of a machine; never gated on.
  if (csv)
    write_csv_row(
        out, {"run_id", "git_sha", "kernel", "started_utc", "median", "ci95_low", "ci95_high", "n",
              "floor_ns", "x_floor", "x_floor_low", "x_floor_high", "break"});
  const auto breaks = series_breaks(*pts);
  for (std::size_t i = 0; i < pts->size(); ++i) {
    const auto& p = (*pts)[i];
    const std::string& why = breaks[i];
    if (csv) {
      write_csv_row(out,
                    {p.run_id, p.git_sha, p.kernel, p.started_utc, csv_number(p.median),
                     csv_number(p.ci_low), csv_number(p.ci_high), std::to_string(p.n),
                     csv_number(p.floor_ns), csv_number(p.median / p.floor_ns),
                     csv_number(p.ci_low / p.floor_ns), csv_number(p.ci_high / p.floor_ns), why});
    } else {
      if (!why.empty()) out << "-- break: " << why << '\n';
      out << fmt::format("{:<20} {:<14} {:>12.6g}  [{:.6g}, {:.6g}]  n={}  floor {:.0f} ns\n",
                         p.started_utc, p.git_sha, p.median, p.ci_low, p.ci_high, p.n, p.floor_ns);
    }
  }
  // How long the database took (the query and reading its rows), as psql's \timing says it.
  if (!csv) out << fmt::format("{} points; query {:.1f} ms\n", pts->size(), took.count());
  return kExitOk;
}

}  // namespace

int history_command(const std::string& action, const std::vector<std::string>& args,
                    const fs::path& db_path, const HistoryArgs& opt, std::ostream& out,
                    std::ostream& err) {
  const bool csv = opt.csv;
  if (action == "quality") return history_quality(args, csv, out, err);  // no database
  bool unreachable = false;
  auto db = HistoryDb::open(db_path, &unreachable);
  if (!db) {
    err << "ptbench history: " << db.error() << '\n';
    return unreachable ? kExitSystem : kExitBadInput;
  }
  if (action == "import") return import_dirs(**db, args, out, err);
  if (action == "list") return list_runs(**db, csv, out, err);
  if (action == "hosts") return list_hosts(**db, csv, out, err);
  if (action == "trend") return show_trend(**db, args, opt, out, err);
  if (action == "changes") return list_changes(**db, csv, out, err);
  if (action == "confirm") return history_confirm(**db, args, opt, out, err);
  if (action == "html") return write_dashboard(**db, args, out, err, opt.last);
  err << "ptbench history: unknown action '" << action
      << "' (import, list, hosts, trend, changes, confirm, html, quality)\n";
  return kExitBadInput;
}

}  // namespace ptbench::harness
