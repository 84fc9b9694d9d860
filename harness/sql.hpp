// The two databases the run history lives in, behind one small interface: SQLite (a file, the
// default) and PostgreSQL (a server that a fleet of runners writes at once). The SQL is shared:
// parameters are $1, $2... in the order a statement first uses them (SQLite reads "$1" as a named
// parameter and numbers named parameters in order of appearance; PostgreSQL numbers them itself),
// and both take INSERT ... ON CONFLICT and RETURNING. What differs is asked of the connection:
// the column types in the schema, how a write transaction begins, and bulk inserts (a prepared
// INSERT in SQLite, COPY in PostgreSQL).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "harness/result.hpp"

namespace ptbench::harness {

// NULL, an integer, a real or a text. A real that is NaN is stored as NULL and read back as NaN.
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;
using SqlRow = std::vector<SqlValue>;

std::string sql_text(const SqlValue& v);      // "" for NULL
double sql_real(const SqlValue& v);           // NaN for NULL
std::int64_t sql_integer(const SqlValue& v);  // 0 for NULL
bool sql_null(const SqlValue& v);

class SqlDb {
 public:
  virtual ~SqlDb() = default;
  // Statements without parameters, separated by ';'.
  virtual Result<void> exec(const std::string& sql) = 0;
  // One statement; `take` sees each row it returns (and may move values out of it).
  virtual Result<void> each(const std::string& sql, const std::vector<SqlValue>& params,
                            const std::function<void(SqlRow&)>& take) = 0;
  // One statement; every row it returns.
  Result<std::vector<SqlRow>> query(const std::string& sql,
                                    const std::vector<SqlValue>& params = {});
  // Rows into `table`'s `columns`, inside the caller's transaction.
  virtual Result<void> insert_rows(const std::string& table,
                                   const std::vector<std::string>& columns,
                                   const std::vector<SqlRow>& rows) = 0;
  // Begins a transaction that writes; `schema`: one that creates tables, which PostgreSQL
  // serializes with an advisory lock (CREATE TABLE IF NOT EXISTS races with itself there).
  virtual Result<void> begin_write(bool schema) = 0;
  // Whether the table is there (in the schemas the connection searches).
  virtual Result<bool> has_table(const std::string& name) = 0;
  // The schema's types: an auto-numbered key, a 64-bit integer, a double.
  virtual std::string id_column() const = 0;
  virtual std::string integer_type() const = 0;
  virtual std::string real_type() const = 0;
  // Where the data is, for messages: the file, or the server and database (no password).
  virtual std::string where() const = 0;
};

// "postgresql://..." or "postgres://...": a server; anything else names a SQLite file.
bool is_postgresql_url(const std::string& target);

// Opens the database `target` names. `unreachable` is set when the failure is the system's (a
// server that does not answer, a file that cannot be created), not the input's.
Result<std::unique_ptr<SqlDb>> open_sql(const std::string& target, bool* unreachable = nullptr);

}  // namespace ptbench::harness
