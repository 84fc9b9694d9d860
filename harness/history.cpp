#include "harness/history.hpp"

#include "harness/dashboard.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <numeric>
#include <ostream>
#include <sstream>

#include "harness/compare.hpp"
#include "harness/csv.hpp"
#include "harness/exit_codes.hpp"
#include "harness/paths.hpp"
#include "harness/results.hpp"
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

// FNV-1a, 64 bits, as 16 hex digits: stable across runs and builds.
std::string fnv1a(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace

std::string host_key(const KeyValues& host) {
  return fnv1a(fmt::format("{}|{}|{}|{}", fact(host, "cpu_model"),
                           cpu_count(fact(host, "cpus_online")), mem_gib(fact(host, "mem_total")),
                           kernel_major_minor(fact(host, "kernel"))));
}

std::string host_label(const KeyValues& host) {
  return fmt::format("{}, {} CPUs, {} GiB, Linux {}", fact(host, "cpu_model"),
                     cpu_count(fact(host, "cpus_online")), mem_gib(fact(host, "mem_total")),
                     kernel_major_minor(fact(host, "kernel")));
}

namespace {

// One prepared statement, finalized with its scope; bind(1, x), bind(2, y)..., then step().
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) s_ = nullptr;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return s_ != nullptr; }
  void bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, double v) {
    if (std::isnan(v)) {
      sqlite3_bind_null(s_, i);
    } else {
      sqlite3_bind_double(s_, i, v);
    }
  }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(s_); }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string text(int col) const {
    const auto* t = sqlite3_column_text(s_, col);
    return t == nullptr ? "" : reinterpret_cast<const char*>(t);
  }
  double real(int col) const {
    return sqlite3_column_type(s_, col) == SQLITE_NULL ? NAN : sqlite3_column_double(s_, col);
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(s_, col); }
  std::string error() const { return sqlite3_errmsg(db_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hosts(
  id INTEGER PRIMARY KEY, host_key TEXT NOT NULL UNIQUE, label TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, host INTEGER NOT NULL REFERENCES hosts(id),
  git_sha TEXT, profile TEXT, kernel TEXT, started_utc TEXT, imported_from TEXT);
CREATE TABLE IF NOT EXISTS host_facts(
  run INTEGER NOT NULL REFERENCES runs(id), key TEXT NOT NULL, value TEXT,
  PRIMARY KEY(run, key));
CREATE TABLE IF NOT EXISTS samples(
  run INTEGER NOT NULL REFERENCES runs(id), benchmark TEXT NOT NULL, metric TEXT NOT NULL,
  repetition INTEGER NOT NULL, value REAL, unit TEXT, direction TEXT, is_primary INTEGER,
  error TEXT);
CREATE TABLE IF NOT EXISTS summary(
  run INTEGER NOT NULL REFERENCES runs(id), suite TEXT, benchmark TEXT NOT NULL,
  metric TEXT NOT NULL, n INTEGER, median REAL, ci_low REAL, ci_high REAL, mad REAL, unit TEXT,
  direction TEXT, is_primary INTEGER, PRIMARY KEY(run, benchmark, metric));
CREATE INDEX IF NOT EXISTS summary_by_series ON summary(benchmark, metric, run);
CREATE INDEX IF NOT EXISTS runs_by_host ON runs(host, profile, started_utc);
)sql";

}  // namespace

struct HistoryDb::Impl {
  sqlite3* db = nullptr;
  fs::path path;
  ~Impl() { sqlite3_close(db); }

  Result<void> exec(const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) return {};
    std::string text = msg != nullptr ? msg : sqlite3_errmsg(db);
    sqlite3_free(msg);
    return fail(fmt::format("{}: {}", path.string(), text));
  }
  Error failed(const Stmt& s) const {
    return fail(fmt::format("{}: {}", path.string(), s.error()));
  }

  Result<void> check_version() {
    Stmt get(db, "SELECT max(version) FROM schema_version");
    if (!get.ok() || get.step() != SQLITE_ROW) return failed(get);
    if (get.text(0).empty()) {  // max() of no rows: a new database
      return exec(fmt::format("INSERT INTO schema_version VALUES({})", kSchemaVersion).c_str());
    }
    const auto version = get.integer(0);
    if (version > kSchemaVersion) {
      return fail(fmt::format("{} was written by a newer ptbench (schema {}; this one reads {})",
                              path.string(), version, kSchemaVersion));
    }
    return {};
  }

  Result<std::int64_t> host_id(const KeyValues& host) {
    Stmt put(db, "INSERT OR IGNORE INTO hosts(host_key, label) VALUES(?, ?)");
    put.bind(1, host_key(host));
    put.bind(2, host_label(host));
    if (!put.ok() || put.step() != SQLITE_DONE) return failed(put);
    Stmt get(db, "SELECT id FROM hosts WHERE host_key = ?");
    get.bind(1, host_key(host));
    if (!get.ok() || get.step() != SQLITE_ROW) return failed(get);
    return get.integer(0);
  }

  Result<std::int64_t> insert_run(const KeyValues& host, const fs::path& dir) {
    auto h = host_id(host);
    if (!h) return fail(h.error());
    Stmt put(db,
             "INSERT INTO runs(run_id, host, git_sha, profile, kernel, started_utc, imported_from)"
             " VALUES(?, ?, ?, ?, ?, ?, ?)");
    put.bind(1, fact(host, "run_id"));
    put.bind(2, *h);
    put.bind(3, fact(host, "git_sha"));
    put.bind(4, fact(host, "profile"));
    put.bind(5, fact(host, "kernel"));
    put.bind(6, fact(host, "started_utc"));
    put.bind(7, fs::absolute(dir).string());
    if (!put.ok() || put.step() != SQLITE_DONE) return failed(put);
    const std::int64_t run = sqlite3_last_insert_rowid(db);
    Stmt f(db, "INSERT INTO host_facts(run, key, value) VALUES(?, ?, ?)");
    for (const auto& [k, v] : host) {
      f.bind(1, run);
      f.bind(2, k);
      f.bind(3, v);
      if (!f.ok() || f.step() != SQLITE_DONE) return failed(f);
      f.reset();
    }
    return run;
  }

  Result<void> insert_samples(std::int64_t run, const std::vector<Sample>& samples) {
    Stmt s(db,
           "INSERT INTO samples(run, benchmark, metric, repetition, value, unit, direction,"
           " is_primary, error) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& x : samples) {
      s.bind(1, run);
      s.bind(2, x.benchmark);
      s.bind(3, x.metric);
      s.bind(4, std::int64_t{x.repetition});
      s.bind(5, x.value);
      s.bind(6, x.unit);
      s.bind(7, x.direction);
      s.bind(8, std::int64_t{x.primary});
      s.bind(9, x.error);
      if (!s.ok() || s.step() != SQLITE_DONE) return failed(s);
      s.reset();
    }
    return {};
  }

  Result<void> insert_summary(std::int64_t run, const std::vector<SummaryRow>& rows) {
    Stmt s(db,
           "INSERT INTO summary(run, suite, benchmark, metric, n, median, ci_low, ci_high, mad,"
           " unit, direction, is_primary) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& r : rows) {
      if (r.stats.n == 0) continue;  // nothing measured: no point in any series
      s.bind(1, run);
      s.bind(2, r.suite);
      s.bind(3, r.benchmark);
      s.bind(4, r.metric);
      s.bind(5, static_cast<std::int64_t>(r.stats.n));
      s.bind(6, r.stats.median);
      s.bind(7, r.stats.ci_low);
      s.bind(8, r.stats.ci_high);
      s.bind(9, r.stats.mad);
      s.bind(10, r.unit);
      s.bind(11, r.direction);
      s.bind(12, std::int64_t{r.primary});
      if (!s.ok() || s.step() != SQLITE_DONE) return failed(s);
      s.reset();
    }
    return {};
  }
};

HistoryDb::HistoryDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HistoryDb::~HistoryDb() = default;

Result<std::unique_ptr<HistoryDb>> HistoryDb::open(const fs::path& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  if (sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    return fail(fmt::format("cannot open {}: {}", path.string(),
                            impl->db ? sqlite3_errmsg(impl->db) : "out of memory"));
  }
  sqlite3_busy_timeout(impl->db, 10000);  // several writers: wait for the lock, then fail
  if (auto r = impl->exec("PRAGMA journal_mode=WAL"); !r) return fail(r.error());
  if (auto r = impl->exec(kSchema); !r) return fail(r.error());
  if (auto r = impl->check_version(); !r) return fail(r.error());
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
  Stmt seen(impl_->db, "SELECT 1 FROM runs WHERE run_id = ?");
  seen.bind(1, fact(*host, "run_id"));
  if (!seen.ok()) return impl_->failed(seen);
  if (seen.step() == SQLITE_ROW) return false;
  // One transaction: a run is imported whole or not at all.
  if (auto r = impl_->exec("BEGIN IMMEDIATE"); !r) return fail(r.error());
  auto run = impl_->insert_run(*host, dir);
  Result<void> rest = run ? impl_->insert_samples(*run, *samples) : Result<void>(fail(run.error()));
  if (rest) rest = impl_->insert_summary(*run, *summary);
  if (!rest) {
    (void)impl_->exec("ROLLBACK");
    return fail(rest.error());
  }
  if (auto r = impl_->exec("COMMIT"); !r) return fail(r.error());
  return true;
}

Result<std::vector<HistoryRun>> HistoryDb::runs() {
  Stmt q(impl_->db,
         "SELECT r.run_id, h.label, r.git_sha, r.profile, r.kernel, r.started_utc,"
         " (SELECT count(*) FROM summary s WHERE s.run = r.id)"
         " FROM runs r JOIN hosts h ON h.id = r.host ORDER BY r.started_utc, r.run_id");
  if (!q.ok()) return impl_->failed(q);
  std::vector<HistoryRun> out;
  while (q.step() == SQLITE_ROW) {
    out.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5),
                   static_cast<std::size_t>(q.integer(6))});
  }
  return out;
}

Result<std::vector<HistoryHost>> HistoryDb::hosts() {
  Stmt q(impl_->db,
         "SELECT h.host_key, h.label, count(r.id), min(r.started_utc), max(r.started_utc),"
         " (SELECT group_concat(k, ' ') FROM (SELECT DISTINCT r2.kernel AS k FROM runs r2"
         "   WHERE r2.host = h.id ORDER BY r2.kernel))"
         " FROM hosts h JOIN runs r ON r.host = h.id GROUP BY h.id ORDER BY h.label, h.host_key");
  if (!q.ok()) return impl_->failed(q);
  std::vector<HistoryHost> out;
  while (q.step() == SQLITE_ROW) {
    out.push_back({q.text(0), q.text(1), static_cast<std::size_t>(q.integer(2)), q.text(3),
                   q.text(4), q.text(5)});
  }
  return out;
}

Result<std::vector<HistoryPoint>> HistoryDb::trend(const std::string& benchmark,
                                                   const std::string& metric, std::string host,
                                                   std::string profile) {
  if (host.empty() || profile.empty()) {
    Stmt newest(impl_->db,
                "SELECT h.host_key, r.profile FROM summary s JOIN runs r ON r.id = s.run"
                " JOIN hosts h ON h.id = r.host WHERE s.benchmark = ? AND s.metric = ?"
                " ORDER BY r.started_utc DESC LIMIT 1");
    newest.bind(1, benchmark);
    newest.bind(2, metric);
    if (!newest.ok()) return impl_->failed(newest);
    if (newest.step() != SQLITE_ROW) return std::vector<HistoryPoint>{};
    if (host.empty()) host = newest.text(0);
    if (profile.empty()) profile = newest.text(1);
  }
  Stmt q(impl_->db,
         "SELECT r.run_id, r.git_sha, r.kernel, r.started_utc, s.median, s.ci_low, s.ci_high, s.n"
         " FROM summary s JOIN runs r ON r.id = s.run JOIN hosts h ON h.id = r.host"
         " WHERE s.benchmark = ? AND s.metric = ? AND h.host_key = ? AND r.profile = ?"
         " ORDER BY r.started_utc, r.run_id");
  q.bind(1, benchmark);
  q.bind(2, metric);
  q.bind(3, host);
  q.bind(4, profile);
  if (!q.ok()) return impl_->failed(q);
  std::vector<HistoryPoint> out;
  while (q.step() == SQLITE_ROW) {
    out.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.real(4), q.real(5), q.real(6),
                   static_cast<std::size_t>(q.integer(7))});
  }
  return out;
}

Result<std::vector<HistoryDb::Series>> HistoryDb::series(std::size_t min_points) {
  Stmt q(impl_->db,
         "SELECT h.host_key, r.profile, s.benchmark, s.metric, max(s.direction), count(*)"
         " FROM summary s JOIN runs r ON r.id = s.run JOIN hosts h ON h.id = r.host"
         " WHERE s.is_primary = 1 GROUP BY h.host_key, r.profile, s.benchmark, s.metric"
         " HAVING count(*) >= ? ORDER BY s.benchmark, s.metric");
  q.bind(1, static_cast<std::int64_t>(min_points));
  if (!q.ok()) return impl_->failed(q);
  std::vector<Series> out;
  while (q.step() == SQLITE_ROW)
    out.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.text(4)});
  return out;
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

// The points of a series, split where the kernel changed (a break, never a change point), with
// each piece's change points.
std::vector<std::pair<std::size_t, ChangePoint>> series_changes(
    const std::vector<HistoryPoint>& pts, const ChangeOptions& o) {
  std::vector<std::pair<std::size_t, ChangePoint>> out;
  for (std::size_t lo = 0; lo < pts.size();) {
    std::size_t hi = lo + 1;
    while (hi < pts.size() && pts[hi].kernel == pts[lo].kernel) ++hi;
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
                        "after", "change", "p", "status"});
  }
  std::size_t found = 0;
  for (const auto& s : *all) {
    auto pts = db.trend(s.benchmark, s.metric, s.host, s.profile);
    if (!pts) {
      err << "ptbench history changes: " << pts.error() << '\n';
      return kExitBadInput;
    }
    for (const auto& [i, c] : series_changes(*pts, o)) {
      ++found;
      const auto& at = (*pts)[i];
      const std::string status = c.pending ? "pending" : "new";
      if (csv) {
        write_csv_row(out, {s.host, s.profile, s.benchmark, s.metric, at.run_id, at.git_sha,
                            csv_number(c.before), csv_number(c.after), csv_number(c.change),
                            csv_number(c.p), status});
      } else {
        out << fmt::format("{} {}: {:+.1f}% at {} ({}), p {:.2g}, {}\n", s.benchmark, s.metric,
                           100 * c.change, at.git_sha, at.started_utc, c.p, status);
      }
    }
  }
  if (!csv) out << fmt::format("{} change point(s) in {} series\n", found, all->size());
  return kExitOk;
}

int show_trend(HistoryDb& db, const std::vector<std::string>& args, const std::string& metric,
               bool csv, std::ostream& out, std::ostream& err) {
  if (args.size() != 1) {
    err << "ptbench history trend: name one benchmark (its grid name)\n";
    return kExitBadInput;
  }
  auto pts = db.trend(args[0], metric.empty() ? "real_time" : metric);
  if (!pts) {
    err << "ptbench history trend: " << pts.error() << '\n';
    return kExitBadInput;
  }
  if (pts->empty()) {
    err << "ptbench history trend: no run has " << args[0] << '\n';
    return kExitBadInput;
  }
  if (csv)
    write_csv_row(out, {"run_id", "git_sha", "kernel", "started_utc", "median", "ci95_low",
                        "ci95_high", "n"});
  for (const auto& p : *pts) {
    if (csv) {
      write_csv_row(out, {p.run_id, p.git_sha, p.kernel, p.started_utc, csv_number(p.median),
                          csv_number(p.ci_low), csv_number(p.ci_high), std::to_string(p.n)});
    } else {
      out << fmt::format("{:<20} {:<14} {:>12.6g}  [{:.6g}, {:.6g}]  n={}\n", p.started_utc,
                         p.git_sha, p.median, p.ci_low, p.ci_high, p.n);
    }
  }
  return kExitOk;
}

}  // namespace

int history_command(const std::string& action, const std::vector<std::string>& args,
                    const fs::path& db_path, const std::string& metric, bool csv, std::ostream& out,
                    std::ostream& err) {
  if (action == "quality") return history_quality(args, csv, out, err);  // no database
  auto db = HistoryDb::open(db_path);
  if (!db) {
    err << "ptbench history: " << db.error() << '\n';
    return kExitBadInput;
  }
  if (action == "import") return import_dirs(**db, args, out, err);
  if (action == "list") return list_runs(**db, csv, out, err);
  if (action == "hosts") return list_hosts(**db, csv, out, err);
  if (action == "trend") return show_trend(**db, args, metric, csv, out, err);
  if (action == "changes") return list_changes(**db, csv, out, err);
  if (action == "html") return write_dashboard(**db, args, out, err);
  err << "ptbench history: unknown action '" << action
      << "' (import, list, hosts, trend, changes, html, quality)\n";
  return kExitBadInput;
}

}  // namespace ptbench::harness
