// SQLite-specific: how storage failures reach callers — a missing directory, a damaged file, a
// database locked by another process, a storage error that fn ignored, a nested write.
#include <sqlite3.h>

#include <chrono>
#include <fstream>

#include "store/sqlite/sqlite_store.h"
#include "store_test_support.h"

namespace k4ds::testing {
namespace {

TEST(SqliteErrorsTest, MissingDirectoryIsUnavailable) {
  Result<std::unique_ptr<Store>> store = open_sqlite_store("/nonexistent-k4ds-dir/x/k4ds.db");
  EXPECT_CODE(store, Code::unavailable);
  EXPECT_THAT(store.status().message(), ::testing::HasSubstr("/nonexistent-k4ds-dir/x/k4ds.db"));
}

TEST(SqliteErrorsTest, FileThatIsNotADatabaseIsInternal) {
  TempDir dir;
  std::string path = dir.file("k4ds.db");
  std::ofstream(path) << std::string(8192, 'x');
  Result<std::unique_ptr<Store>> store = open_sqlite_store(path);
  EXPECT_CODE(store, Code::internal);
  EXPECT_THAT(store.status().message(), ::testing::HasSubstr("backup"));
}

// Another process holds the write lock longer than the busy timeout.
TEST(SqliteErrorsTest, LockedDatabaseIsUnavailableAndReadsStillWork) {
  TempDir dir;
  std::string path = dir.file("k4ds.db");
  Result<std::unique_ptr<Store>> opened = open_sqlite_store(path);
  ASSERT_STATUS_OK(opened);
  Store& store = **opened;
  ASSERT_STATUS_OK(write_tx(store, [](Tx& tx) { return tx.create_user(make_user("alice")); }));

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  auto t0 = std::chrono::steady_clock::now();
  Status s = store.write([](Tx& tx) { return tx.create_user(make_user("bob")).status(); });
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_CODE(s, Code::unavailable);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("the database is busy; retry"));
  EXPECT_GE(waited, std::chrono::seconds(1));  // it waited for the lock before giving up
  EXPECT_STATUS_OK(read_tx(store, [](Tx& tx) { return tx.get_user("alice"); }));

  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  // Once the lock is gone the store works again; nothing of the refused write leaked.
  EXPECT_CODE(read_tx(store, [](Tx& tx) { return tx.get_user("bob"); }), Code::not_found);
  ASSERT_STATUS_OK(write_tx(store, [](Tx& tx) { return tx.create_user(make_user("bob")); }));
}

TEST(SqliteErrorsTest, StorageErrorIgnoredByFnStillRollsBackTheWrite) {
  TempDir dir;
  Result<std::unique_ptr<Store>> opened = open_sqlite_store(dir.file("a.db"));
  ASSERT_STATUS_OK(opened);
  Store& store = **opened;
  // Without its table, create_session fails inside SQLite.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("a.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "DROP TABLE sessions", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  Status s = store.write([](Tx& tx) -> Status {
    K4DS_RETURN_IF_ERROR(tx.create_user(make_user("alice")).status());
    (void)tx.create_session({.id_hash = "s", .user = "alice"});  // error ignored
    return Status();
  });
  EXPECT_FALSE(s.ok());
  EXPECT_CODE(read_tx(store, [](Tx& tx) { return tx.get_user("alice"); }), Code::not_found);
  EXPECT_EQ(*read_tx(store, [](Tx& tx) { return tx.revision(); }), 0);
  // The connection is clean for the next write.
  ASSERT_STATUS_OK(write_tx(store, [](Tx& tx) { return tx.create_user(make_user("alice")); }));
}

TEST(SqliteErrorsTest, NestedWriteIsRefusedInsteadOfDeadlocking) {
  TempDir dir;
  Result<std::unique_ptr<Store>> opened = open_sqlite_store(dir.file("a.db"));
  ASSERT_STATUS_OK(opened);
  Store& store = **opened;
  Status inner;
  Status outer = store.write([&](Tx& tx) -> Status {
    inner = store.write([](Tx& t) { return t.create_user(make_user("b")).status(); });
    return tx.create_user(make_user("a")).status();
  });
  EXPECT_STATUS_OK(outer);
  EXPECT_CODE(inner, Code::internal);
  EXPECT_CODE(read_tx(store, [](Tx& tx) { return tx.get_user("b"); }), Code::not_found);
}

TEST(SqliteErrorsTest, CallbackThatWritesDoesNotDeadlock) {
  TempDir dir;
  Result<std::unique_ptr<Store>> opened = open_sqlite_store(dir.file("a.db"));
  ASSERT_STATUS_OK(opened);
  Store& store = **opened;
  std::vector<int64_t> seen;
  Subscription sub = store.subscribe([&](int64_t rev) {
    seen.push_back(rev);
    if (rev == 1) {
      EXPECT_STATUS_OK(write_tx(store, [](Tx& tx) { return tx.create_user(make_user("b")); }));
    }
  });
  ASSERT_STATUS_OK(write_tx(store, [](Tx& tx) { return tx.create_user(make_user("a")); }));
  EXPECT_THAT(seen, ::testing::ElementsAre(1, 2));
}

}  // namespace
}  // namespace k4ds::testing
