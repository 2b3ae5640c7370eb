#include "store/sqlite/connection.h"

#include <string>

namespace k4ds::sqlite {

namespace {
constexpr int kBusyTimeoutMs = 5000;
}

Status sqlite_status(sqlite3* db, int rc, std::string_view what) {
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string context = std::string(what) + ": " + detail;
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return Status();
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return unavailable("the database is busy; retry (" + context + ")");
    case SQLITE_FULL:
      return unavailable("the disk holding the database is full (" + context +
                         "); free some space and retry");
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
    case SQLITE_PERM:
      return unavailable("the database cannot be used right now (" + context +
                         "); check the disk and permissions, then retry");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return internal_error("the database file is damaged (" + context +
                            "); restore it from a backup");
    case SQLITE_CONSTRAINT:
      return failed_precondition("the change conflicts with stored data (" + context + ")");
    default:
      return internal_error("database error (" + context + ")");
  }
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  // NOMUTEX: each connection is only ever used by one thread at a time (the store's locks).
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return unavailable("cannot open the database at " + path + ": " + msg +
                       "; check that the directory exists and is writable");
  }
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<Connection> conn(new Connection(db, path));
  sqlite3_busy_timeout(db, kBusyTimeoutMs);

  // journal_mode answers with the mode it got; anything but "wal" means no concurrent readers
  // and a different durability story, so refuse rather than run degraded.
  {
    Stmt st(*conn, "PRAGMA journal_mode=WAL");
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row || st.text_at(0) != "wal") {
      return unavailable("cannot switch the database at " + path +
                         " to write-ahead logging; put it on a local disk");
    }
  }
  // FULL: the WAL is synced on every commit, so a write that returned survives power loss,
  // not only a process crash (NORMAL+WAL may lose the last commits on power loss).
  K4DS_RETURN_IF_ERROR(conn->exec("PRAGMA synchronous=FULL"));
  K4DS_RETURN_IF_ERROR(conn->exec("PRAGMA foreign_keys=ON"));
  if (read_only) K4DS_RETURN_IF_ERROR(conn->exec("PRAGMA query_only=ON"));
  conn->clear_error();
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

Status Connection::fail(int rc, std::string_view what) {
  Status s = sqlite_status(db_, rc, what);
  if (sticky_.ok()) sticky_ = s;
  return s;
}

Status Connection::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return fail(rc, sql);
  return Status();
}

Stmt::Stmt(Connection& conn, const char* sql) : conn_(conn) {
  auto it = conn.cache_.find(sql);
  if (it != conn.cache_.end() && !it->second.in_use) {
    cached_ = &it->second;
    cached_->in_use = true;
    stmt_ = cached_->stmt;
    return;
  }
  bool cache = it == conn.cache_.end();
  int rc = sqlite3_prepare_v3(conn.db_, sql, -1, cache ? SQLITE_PREPARE_PERSISTENT : 0, &stmt_,
                              nullptr);
  if (rc != SQLITE_OK) {
    prepare_error_ = conn.fail(rc, sql);
    stmt_ = nullptr;
    return;
  }
  if (cache) {
    cached_ = &conn.cache_[sql];  // unordered_map nodes are stable
    cached_->stmt = stmt_;
    cached_->in_use = true;
  }
}

Stmt::~Stmt() {
  if (!stmt_) return;
  if (cached_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    cached_->in_use = false;
  } else {
    sqlite3_finalize(stmt_);
  }
}

Stmt& Stmt::text(std::string_view value) {
  if (stmt_) {
    sqlite3_bind_text(stmt_, next_param_, value.data(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
  }
  ++next_param_;
  return *this;
}

Stmt& Stmt::int64(int64_t value) {
  if (stmt_) sqlite3_bind_int64(stmt_, next_param_, value);
  ++next_param_;
  return *this;
}

Result<bool> Stmt::step() {
  if (!stmt_) return prepare_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn_.fail(rc, sqlite3_sql(stmt_));
}

Status Stmt::run() {
  for (;;) {
    Result<bool> row = step();
    if (!row) return row.status();
    if (!*row) return Status();
  }
}

int Stmt::changes() const { return sqlite3_changes(conn_.db_); }

std::string Stmt::text_at(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

Result<std::vector<std::string>> Stmt::text_column() {
  std::vector<std::string> out;
  for (;;) {
    Result<bool> row = step();
    if (!row) return row.status();
    if (!*row) return out;
    out.push_back(text_at(0));
  }
}

int64_t Stmt::int64_at(int col) const { return sqlite3_column_int64(stmt_, col); }

}  // namespace k4ds::sqlite
