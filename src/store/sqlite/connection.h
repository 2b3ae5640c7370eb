// Connection and Stmt: a thin RAII layer over one sqlite3 handle and its prepared statements.
//
// Contract: a Connection is used by one thread at a time (the store's mutexes guarantee it).
// Statements are prepared once per connection and cached; a Stmt borrows a cached statement
// and resets it when destroyed. Values are always bound as parameters, never spliced into SQL.
// Every SQLite failure is mapped to a Status (busy/IO → unavailable, corruption → internal)
// and also remembered on the connection ("sticky"), so a write transaction whose fn ignored a
// storage error is still rolled back instead of committed half-done.
//
// Usage:
//   Stmt st(conn, "SELECT version FROM users WHERE name = ?");
//   st.text(name);
//   Result<bool> row = st.step();
//   if (!row) return row.status();
//   if (*row) int64_t v = st.int64(0);
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <string_view>
#include <unordered_map>

#include "common/result.h"

namespace k4ds::sqlite {

// Maps an SQLite result code to a Status a caller can act on. `what` names the operation.
Status sqlite_status(sqlite3* db, int rc, std::string_view what);

class Connection {
 public:
  // Opens (creating if allowed) the database and applies the per-connection pragmas:
  // WAL, synchronous=FULL, foreign keys, busy timeout. read_only sets query_only.
  static Result<std::unique_ptr<Connection>> open(const std::string& path, bool read_only);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }
  const std::string& path() const { return path_; }

  // Runs SQL without parameters (BEGIN, COMMIT, DDL).
  Status exec(const char* sql);

  // The first storage error since clear_error(), if any.
  const Status& sticky_error() const { return sticky_; }
  void clear_error() { sticky_ = Status(); }
  Status fail(int rc, std::string_view what);

 private:
  friend class Stmt;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, Cached> cache_;
  Status sticky_;
};

class Stmt {
 public:
  Stmt(Connection& conn, const char* sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Binds the next parameter (1, 2, ...). Distinct names so a literal never binds as a bool.
  Stmt& text(std::string_view value);
  Stmt& int64(int64_t value);
  Stmt& flag(bool value) { return int64(value ? 1 : 0); }

  // true = a row is available, false = done.
  Result<bool> step();
  // Steps to completion, for statements that return no rows.
  Status run();
  // Rows changed by the last run().
  int changes() const;

  std::string text_at(int col) const;
  // Steps to the end, collecting the first column of every row as text.
  Result<std::vector<std::string>> text_column();
  int64_t int64_at(int col) const;
  bool flag_at(int col) const { return int64_at(col) != 0; }

 private:
  Connection& conn_;
  sqlite3_stmt* stmt_ = nullptr;
  Connection::Cached* cached_ = nullptr;  // null: an uncached one-off to finalize
  Status prepare_error_;
  int next_param_ = 1;
};

}  // namespace k4ds::sqlite
