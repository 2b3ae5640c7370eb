// SqliteStore: Store over SQLite in WAL mode. One writer connection behind a mutex (writes are
// serialized and start with BEGIN IMMEDIATE, so they never deadlock on lock upgrades); a pool
// of reader connections so reads see a snapshot and never wait for a writer.
#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <utility>
#include <vector>

#include "store/sqlite/change_hub.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_tx.h"

namespace k4ds::sqlite {

namespace {

constexpr size_t kMaxIdleReaders = 8;

// The store whose write() is running on this thread: a nested write would wait for itself.
thread_local const void* tls_writing = nullptr;

// Ends whatever transaction is open on conn, ignoring "no transaction" (SQLite rolls back by
// itself on some errors, e.g. a full disk).
void end_transaction(Connection& conn) {
  if (!sqlite3_get_autocommit(conn.db())) (void)conn.exec("ROLLBACK");
  conn.clear_error();
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, std::unique_ptr<Connection> writer, int64_t revision)
      : path_(std::move(path)),
        writer_(std::move(writer)),
        hub_(std::make_shared<ChangeHub>(revision)) {}

  Status write(const std::function<Status(Tx&)>& fn) override {
    if (tls_writing == this) {
      return internal_error("Store::write was called inside a write transaction; "
                            "use the Tx you were given");
    }
    int64_t committed = 0;
    {
      std::lock_guard lock(write_mu_);
      Connection& conn = *writer_;
      conn.clear_error();
      Status begun = conn.exec("BEGIN IMMEDIATE");
      if (!begun.ok()) {
        end_transaction(conn);
        return begun;
      }
      SqliteTx tx(conn, /*writable=*/true);
      Status result;
      // Restored, not cleared: fn may be running inside another store's write.
      const void* outer = std::exchange(tls_writing, this);
      try {
        result = fn(tx);
      } catch (...) {
        tls_writing = outer;
        end_transaction(conn);
        throw;
      }
      tls_writing = outer;
      // fn may have swallowed a storage error; committing the rest would be a half-done write.
      if (result.ok()) result = conn.sticky_error();
      if (result.ok()) result = tx.finish();
      if (result.ok()) result = conn.exec("COMMIT");
      if (!result.ok()) {
        end_transaction(conn);
        return result;
      }
      committed = tx.written_revision();
    }
    if (committed > 0) hub_->publish(committed);
    return Status();
  }

  Status read(const std::function<Status(Tx&)>& fn) override {
    Result<std::unique_ptr<Connection>> acquired = acquire_reader();
    if (!acquired) return acquired.status();
    std::unique_ptr<Connection> conn = std::move(*acquired);
    conn->clear_error();
    Status result = conn->exec("BEGIN");
    if (result.ok()) {
      SqliteTx tx(*conn, /*writable=*/false);
      try {
        result = fn(tx);
      } catch (...) {
        end_transaction(*conn);
        release_reader(std::move(conn));
        throw;
      }
    }
    end_transaction(*conn);
    release_reader(std::move(conn));
    return result;
  }

  Subscription subscribe(std::function<void(int64_t revision)> on_commit) override {
    return ChangeHub::subscribe(hub_, std::move(on_commit));
  }

  int64_t wait_for_change(int64_t after, std::chrono::milliseconds timeout) override {
    return hub_->wait_for_change(after, timeout);
  }

 private:
  Result<std::unique_ptr<Connection>> acquire_reader() {
    {
      std::lock_guard lock(pool_mu_);
      if (!readers_.empty()) {
        std::unique_ptr<Connection> conn = std::move(readers_.back());
        readers_.pop_back();
        return conn;
      }
    }
    return Connection::open(path_, /*read_only=*/true);
  }

  void release_reader(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(pool_mu_);
    if (readers_.size() < kMaxIdleReaders) readers_.push_back(std::move(conn));
  }

  const std::string path_;
  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_;  // guarded by write_mu_
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Connection>> readers_;  // idle readers, guarded by pool_mu_
  std::shared_ptr<ChangeHub> hub_;
};

Result<int64_t> stored_revision(Connection& conn) {
  Stmt st(conn, "SELECT revision FROM store_state WHERE id = 1");
  Result<bool> row = st.step();
  if (!row) return row.status();
  return *row ? st.int64_at(0) : int64_t{0};
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store_at_version(const std::string& path, int version) {
  if (version < 1 || version > kLatestSchemaVersion) {
    return invalid_argument("schema version " + std::to_string(version) +
                            " is not between 1 and " + std::to_string(kLatestSchemaVersion));
  }
  // The database holds password and token hashes: only this server's user may read it, whatever
  // the umask and whoever else can traverse the data dir. SQLite gives the -wal and -shm files
  // the database file's mode.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::fchmod(fd, 0600);
    ::close(fd);
  }
  for (const char* suffix : {"-wal", "-shm"}) ::chmod((path + suffix).c_str(), 0600);
  Result<std::unique_ptr<Connection>> writer = Connection::open(path, /*read_only=*/false);
  if (!writer) return writer.status();
  K4DS_RETURN_IF_ERROR(migrate(**writer, version));
  Result<int64_t> revision = stored_revision(**writer);
  if (!revision) return revision.status();
  (*writer)->clear_error();
  return std::unique_ptr<Store>(new SqliteStore(path, std::move(*writer), *revision));
}

Result<int> sqlite_schema_version(const std::string& path) {
  Result<std::unique_ptr<Connection>> conn = Connection::open(path, /*read_only=*/true);
  if (!conn) return conn.status();
  return schema_version(**conn);
}

}  // namespace k4ds::sqlite

namespace k4ds {

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path) {
  return sqlite::open_sqlite_store_at_version(path, sqlite::kLatestSchemaVersion);
}

}  // namespace k4ds
