#include "harness/sql.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <cmath>
#include <string_view>

namespace ptbench::harness {

namespace fs = std::filesystem;

std::string sql_text(const SqlValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  return "";
}

double sql_real(const SqlValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&v)) return std::strtod(s->c_str(), nullptr);
  return NAN;
}

std::int64_t sql_integer(const SqlValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return std::strtoll(s->c_str(), nullptr, 10);
  return 0;
}

bool sql_null(const SqlValue& v) {
  return std::holds_alternative<std::monostate>(v) ||
         (std::holds_alternative<double>(v) && std::isnan(std::get<double>(v)));
}

Result<std::vector<SqlRow>> SqlDb::query(const std::string& sql,
                                         const std::vector<SqlValue>& params) {
  std::vector<SqlRow> rows;
  auto r = each(sql, params, [&](SqlRow& row) { rows.push_back(row); });
  if (!r) return fail(r.error());
  return rows;
}

bool is_postgresql_url(const std::string& target) {
  return target.rfind("postgresql://", 0) == 0 || target.rfind("postgres://", 0) == 0;
}

namespace {

std::string column_list(const std::vector<std::string>& columns) {
  return fmt::format("{}", fmt::join(columns, ", "));
}

std::string insert_statement(const std::string& table, const std::vector<std::string>& columns) {
  std::vector<std::string> params;
  for (std::size_t i = 0; i < columns.size(); ++i) params.push_back(fmt::format("${}", i + 1));
  return fmt::format("INSERT INTO {}({}) VALUES({})", table, column_list(columns),
                     column_list(params));
}

// ---- SQLite -----------------------------------------------------------------------------------

class SqliteDb final : public SqlDb {
 public:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteDb() override { sqlite3_close(db_); }
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Result<void> exec(const std::string& sql) override {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) == SQLITE_OK) return {};
    std::string text = msg != nullptr ? msg : sqlite3_errmsg(db_);
    sqlite3_free(msg);
    return fail(fmt::format("{}: {}", path_, text));
  }

  Result<void> each(const std::string& sql, const std::vector<SqlValue>& params,
                    const std::function<void(SqlRow&)>& take) override {
    Stmt s(db_, sql);
    if (s.s == nullptr) return failed();
    if (auto r = bind(s.s, params); !r) return r;
    SqlRow row;  // one row, refilled: its texts keep their buffers
    int rc = 0;
    while ((rc = sqlite3_step(s.s)) == SQLITE_ROW) {
      fill(s.s, &row);
      take(row);
    }
    if (rc != SQLITE_DONE) return failed();
    return {};
  }

  Result<void> insert_rows(const std::string& table, const std::vector<std::string>& columns,
                           const std::vector<SqlRow>& rows) override {
    Stmt s(db_, insert_statement(table, columns));
    if (s.s == nullptr) return failed();
    for (const auto& r : rows) {
      if (auto b = bind(s.s, r); !b) return b;
      if (sqlite3_step(s.s) != SQLITE_DONE) return failed();
      sqlite3_reset(s.s);
    }
    return {};
  }

  Result<void> begin_write(bool /*schema*/) override { return exec("BEGIN IMMEDIATE"); }
  Result<bool> has_table(const std::string& name) override {
    auto q = query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", {name});
    if (!q) return fail(q.error());
    return !q->empty();
  }
  std::string id_column() const override { return "INTEGER PRIMARY KEY"; }
  std::string integer_type() const override { return "INTEGER"; }
  std::string real_type() const override { return "REAL"; }
  std::string where() const override { return path_; }

 private:
  struct Stmt {
    Stmt(sqlite3* db, const std::string& sql) {
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) s = nullptr;
    }
    ~Stmt() { sqlite3_finalize(s); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    sqlite3_stmt* s = nullptr;
  };

  Error failed() const { return fail(fmt::format("{}: {}", path_, sqlite3_errmsg(db_))); }

  // Parameter i is $i+1, found by name: the order a statement uses them in does not matter.
  Result<void> bind(sqlite3_stmt* s, const std::vector<SqlValue>& params) const {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int at = sqlite3_bind_parameter_index(s, fmt::format("${}", i + 1).c_str());
      if (at == 0) return fail(fmt::format("{}: a statement without ${}", path_, i + 1));
      const auto& v = params[i];
      if (sql_null(v)) {
        sqlite3_bind_null(s, at);
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        sqlite3_bind_int64(s, at, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        sqlite3_bind_double(s, at, *d);
      } else {
        const auto& t = std::get<std::string>(v);
        sqlite3_bind_text(s, at, t.c_str(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
      }
    }
    return {};
  }

  static void fill(sqlite3_stmt* s, SqlRow* r) {
    r->resize(static_cast<std::size_t>(sqlite3_column_count(s)));
    for (std::size_t c = 0; c < r->size(); ++c) {
      const int col = static_cast<int>(c);
      auto& v = (*r)[c];
      switch (sqlite3_column_type(s, col)) {
        case SQLITE_NULL:
          v = std::monostate{};
          break;
        case SQLITE_INTEGER:
          v = std::int64_t{sqlite3_column_int64(s, col)};
          break;
        case SQLITE_FLOAT:
          v = sqlite3_column_double(s, col);
          break;
        default: {
          const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
          const auto n = static_cast<std::size_t>(sqlite3_column_bytes(s, col));
          if (auto* held = std::get_if<std::string>(&v)) {
            held->assign(t, n);
          } else {
            v = std::string(t, n);
          }
        }
      }
    }
  }

  sqlite3* db_;
  std::string path_;
};

constexpr int kSqliteBusyMs = 10000;

// Switches the database to write-ahead logging. Connections that open a new database at once can
// each hold its shared lock and want the exclusive one to switch: SQLite then answers SQLITE_BUSY
// at once instead of calling the busy handler (waiting could deadlock), so the switch is tried
// again, a millisecond apart, until the busy timeout has passed.
Result<void> use_wal(sqlite3* raw) {
  for (int waited_ms = 0;; ++waited_ms) {
    const int rc = sqlite3_exec(raw, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return {};
    if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= kSqliteBusyMs) {
      return fail(fmt::format("PRAGMA journal_mode=WAL: {}", sqlite3_errmsg(raw)));
    }
    sqlite3_sleep(1);
  }
}

Result<std::unique_ptr<SqlDb>> open_sqlite(const fs::path& path, bool* unreachable) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string why = raw != nullptr ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    if (unreachable != nullptr) *unreachable = true;
    return fail(fmt::format("cannot open {}: {}", path.string(), why));
  }
  auto db = std::make_unique<SqliteDb>(raw, path.string());
  sqlite3_busy_timeout(raw, kSqliteBusyMs);  // several writers: wait for the lock, then fail
  if (auto r = use_wal(raw); !r) return fail(fmt::format("{}: {}", path.string(), r.error()));
  return std::unique_ptr<SqlDb>(std::move(db));
}

// ---- PostgreSQL -------------------------------------------------------------------------------

// The URL without its password, for messages.
std::string without_password(std::string url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon != std::string::npos && colon < at) url.replace(colon + 1, at - colon - 1, "***");
  return url;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// One field for COPY's text format: \N for NULL; backslash, tab, newline and CR escaped.
void append_copy_field(std::string* line, const SqlValue& v) {
  if (sql_null(v)) {
    *line += "\\N";
    return;
  }
  for (char c : sql_text(v)) {
    switch (c) {
      case '\\':
        *line += "\\\\";
        break;
      case '\t':
        *line += "\\t";
        break;
      case '\n':
        *line += "\\n";
        break;
      case '\r':
        *line += "\\r";
        break;
      default:
        *line += c;
    }
  }
}

class PostgresDb final : public SqlDb {
 public:
  PostgresDb(PGconn* c, std::string url) : c_(c), url_(std::move(url)) {}
  ~PostgresDb() override { PQfinish(c_); }
  PostgresDb(const PostgresDb&) = delete;
  PostgresDb& operator=(const PostgresDb&) = delete;

  Result<void> exec(const std::string& sql) override {
    Res r(PQexec(c_, sql.c_str()));
    return ok(r.r) ? Result<void>() : Result<void>(failed(r.r));
  }

  Result<void> each(const std::string& sql, const std::vector<SqlValue>& params,
                    const std::function<void(SqlRow&)>& take) override {
    std::vector<std::string> text;
    std::vector<const char*> values;
    text.reserve(params.size());
    for (const auto& p : params) {
      text.push_back(sql_text(p));
      values.push_back(sql_null(p) ? nullptr : text.back().c_str());
    }
    Res r(PQexecParams(c_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                       nullptr, nullptr, 0));
    if (!ok(r.r)) return failed(r.r);
    for (int i = 0; i < PQntuples(r.r); ++i) {
      auto one = row(r.r, i);
      take(one);
    }
    return {};
  }

  Result<void> insert_rows(const std::string& table, const std::vector<std::string>& columns,
                           const std::vector<SqlRow>& rows) override {
    Res start(
        PQexec(c_, fmt::format("COPY {}({}) FROM STDIN", table, column_list(columns)).c_str()));
    if (PQresultStatus(start.r) != PGRES_COPY_IN) return failed(start.r);
    std::string buf;
    bool sent = true;
    for (const auto& r : rows) {
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (i > 0) buf += '\t';
        append_copy_field(&buf, r[i]);
      }
      buf += '\n';
      if (buf.size() > (1u << 20)) sent = sent && send(&buf);
    }
    sent = sent && send(&buf);
    const bool ended = PQputCopyEnd(c_, sent ? nullptr : "ptbench: sending failed") == 1;
    Res done(PQgetResult(c_));
    while (PGresult* extra = PQgetResult(c_)) PQclear(extra);
    if (!ended || !ok(done.r)) return failed(done.r);
    return {};
  }

  Result<void> begin_write(bool schema) override {
    // One lock key for ptbench's schema: "PTBH" as a number.
    return exec(schema ? "BEGIN; SELECT pg_advisory_xact_lock(1347699272)" : "BEGIN");
  }
  Result<bool> has_table(const std::string& name) override {
    auto q = query("SELECT to_regclass($1) IS NOT NULL", {name});
    if (!q) return fail(q.error());
    return sql_text(q->at(0).at(0)) == "t";
  }
  std::string id_column() const override {
    return "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
  }
  std::string integer_type() const override { return "BIGINT"; }
  std::string real_type() const override { return "DOUBLE PRECISION"; }
  std::string where() const override { return without_password(url_); }

 private:
  struct Res {
    explicit Res(PGresult* p) : r(p) {}
    ~Res() { PQclear(r); }
    Res(const Res&) = delete;
    Res& operator=(const Res&) = delete;
    PGresult* r;
  };

  static bool ok(PGresult* r) {
    const auto s = PQresultStatus(r);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
  }
  Error failed(PGresult* r) const {
    const char* msg = r != nullptr ? PQresultErrorMessage(r) : "";
    if (msg == nullptr || *msg == '\0') msg = PQerrorMessage(c_);
    return fail(fmt::format("{}: {}", where(), trimmed(msg)));
  }
  bool send(std::string* buf) {
    const bool ok =
        buf->empty() || PQputCopyData(c_, buf->data(), static_cast<int>(buf->size())) == 1;
    buf->clear();
    return ok;
  }

  static SqlRow row(PGresult* r, int i) {
    SqlRow out;
    for (int c = 0; c < PQnfields(r); ++c) {
      if (PQgetisnull(r, i, c)) {
        out.emplace_back(std::monostate{});
        continue;
      }
      const char* v = PQgetvalue(r, i, c);
      switch (PQftype(r, c)) {
        case 20:
        case 21:
        case 23:  // int8, int2, int4
          out.emplace_back(std::int64_t{std::strtoll(v, nullptr, 10)});
          break;
        case 700:
        case 701:
        case 1700:  // float4, float8, numeric
          out.emplace_back(std::strtod(v, nullptr));
          break;
        default:
          out.emplace_back(std::string(v));
      }
    }
    return out;
  }

  PGconn* c_;
  std::string url_;
};

void ignore_notice(void* /*arg*/, const char* /*message*/) {}

Result<std::unique_ptr<SqlDb>> open_postgresql(const std::string& url, bool* unreachable) {
  // connect_timeout first: a timeout in the URL overrides it.
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {"5", url.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (c == nullptr || PQstatus(c) != CONNECTION_OK) {
    std::string why = c != nullptr ? trimmed(PQerrorMessage(c)) : "out of memory";
    PQfinish(c);
    if (unreachable != nullptr) *unreachable = true;
    return fail(fmt::format("cannot connect to {}: {}", without_password(url), why));
  }
  PQsetNoticeProcessor(c, ignore_notice, nullptr);  // "already exists, skipping" and the like
  return std::unique_ptr<SqlDb>(std::make_unique<PostgresDb>(c, url));
}

}  // namespace

Result<std::unique_ptr<SqlDb>> open_sql(const std::string& target, bool* unreachable) {
  if (is_postgresql_url(target)) return open_postgresql(target, unreachable);
  return open_sqlite(target, unreachable);
}

}  // namespace ptbench::harness
