// SQLite-specific: schema migrations — from nothing, from the previous version with data in
// it, a failed migration leaving the old version intact, and a newer database refused.
#include <sqlite3.h>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "store_test_support.h"

namespace k4ds::testing {
namespace {

using sqlite::kLatestSchemaVersion;
using sqlite::open_sqlite_store_at_version;
using sqlite::sqlite_schema_version;

// Runs raw SQL against the database file, as an operator with the sqlite3 shell would.
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

bool table_exists(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name=?", -1,
                     &st, nullptr);
  sqlite3_bind_text(st, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  bool exists = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return exists;
}

TEST(SqliteMigrationsTest, NewDatabaseGetsTheLatestSchema) {
  TempDir dir;
  std::string path = dir.file("k4ds.db");
  ASSERT_STATUS_OK(open_sqlite_store(path));
  Result<int> version = sqlite_schema_version(path);
  ASSERT_STATUS_OK(version);
  EXPECT_EQ(*version, kLatestSchemaVersion);
  EXPECT_GE(kLatestSchemaVersion, 2);
  // Opening again applies nothing and keeps the version.
  ASSERT_STATUS_OK(open_sqlite_store(path));
  EXPECT_EQ(*sqlite_schema_version(path), kLatestSchemaVersion);
}

TEST(SqliteMigrationsTest, PreviousSchemaWithDataIsMigratedAndKeepsTheData) {
  TempDir dir;
  std::string path = dir.file("k4ds.db");
  {
    // Schema 1, with rows as a k4ds of that version wrote them. (Raw SQL: today's statements
    // name columns that later migrations added.)
    Result<std::unique_ptr<Store>> old = open_sqlite_store_at_version(path, 1);
    ASSERT_STATUS_OK(old);
    // The old schema has no sessions table: the store reports it instead of crashing.
    Status no_sessions = (*old)->write(
        [](Tx& tx) { return tx.create_session({.id_hash = "s", .user = "alice"}).status(); });
    EXPECT_FALSE(no_sessions.ok());
    EXPECT_EQ(*sqlite_schema_version(path), 1);
    EXPECT_FALSE(table_exists(path, "sessions"));
  }
  raw_exec(path, R"sql(
INSERT INTO users VALUES ('alice', 'Alice', '', 'local', '', 0, 0, 0, 0, 1);
INSERT INTO user_groups VALUES ('team', '', 0, 0, 2);
INSERT INTO group_members VALUES ('team', 'alice');
INSERT INTO volumes VALUES ('vol-1', 'alice', 'home', 0, 3);
INSERT INTO workspaces VALUES ('w1', 'alice', 'analysis', 'jupyter-python', 'small', 'running',
                               'pending', '', '', 0, 0, 0, 4);
INSERT INTO workspace_volumes VALUES ('w1', 0, 'vol-1');
INSERT INTO workspace_events VALUES ('w1', 1, 0, 0, 'created');
UPDATE store_state SET revision = 5;
)sql");

  Result<std::unique_ptr<Store>> current = open_sqlite_store(path);
  ASSERT_STATUS_OK(current);
  Store& store = **current;
  EXPECT_EQ(*sqlite_schema_version(path), kLatestSchemaVersion);
  EXPECT_EQ(*read_tx(store, [](Tx& tx) { return tx.revision(); }), 5);
  Result<Workspace> w = read_tx(store, [](Tx& tx) { return tx.find_workspace("alice", "analysis"); });
  ASSERT_STATUS_OK(w);
  EXPECT_THAT(w->volumes, ::testing::ElementsAre("vol-1"));
  EXPECT_EQ(read_tx(store, [](Tx& tx) { return tx.get_group("team"); })->members.size(), 1u);
  EXPECT_EQ(read_tx(store, [](Tx& tx) { return tx.list_events("w1", 0, 10); })->size(), 1u);
  // Columns added later have their "not known" defaults.
  Result<User> alice = read_tx(store, [](Tx& tx) { return tx.get_user("alice"); });
  ASSERT_STATUS_OK(alice);
  EXPECT_EQ(alice->display_name, "Alice");
  EXPECT_EQ(alice->uid_number, -1);
  EXPECT_EQ(read_tx(store, [](Tx& tx) { return tx.get_group("team"); })->provider, "");
  // The new tables work and revisions continue where they were.
  Result<Session> s = write_tx(store, [](Tx& tx) {
    return tx.create_session({.id_hash = "s", .user = "alice"});
  });
  ASSERT_STATUS_OK(s);
  EXPECT_EQ(s->version, 6);
}

TEST(SqliteMigrationsTest, FailedMigrationLeavesThePreviousVersionIntact) {
  TempDir dir;
  std::string path = dir.file("k4ds.db");
  ASSERT_STATUS_OK(open_sqlite_store_at_version(path, 1));
  // Someone created a table the next migration needs: migration 2 must fail as a whole.
  raw_exec(path, "CREATE TABLE api_tokens (x TEXT)");
  Result<std::unique_ptr<Store>> store = open_sqlite_store(path);
  EXPECT_FALSE(store.ok());
  EXPECT_EQ(*sqlite_schema_version(path), 1);
  EXPECT_FALSE(table_exists(path, "sessions"));  // created earlier in the same migration
}

TEST(SqliteMigrationsTest, DatabaseFromANewerK4dsIsRefused) {
  TempDir dir;
  std::string path = dir.file("k4ds.db");
  ASSERT_STATUS_OK(open_sqlite_store(path));
  raw_exec(path, "INSERT INTO schema_migrations (version, description, applied_at) "
                 "VALUES (" + std::to_string(kLatestSchemaVersion + 1) + ", 'future', 0)");
  Result<std::unique_ptr<Store>> store = open_sqlite_store(path);
  EXPECT_CODE(store, Code::failed_precondition);
  EXPECT_THAT(store.status().message(), ::testing::HasSubstr("upgrade k4ds"));
  EXPECT_THAT(store.status().message(),
              ::testing::HasSubstr("schema version " + std::to_string(kLatestSchemaVersion + 1)));
}

TEST(SqliteMigrationsTest, VersionOutOfRangeIsInvalid) {
  TempDir dir;
  EXPECT_CODE(open_sqlite_store_at_version(dir.file("a.db"), 0), Code::invalid_argument);
  EXPECT_CODE(open_sqlite_store_at_version(dir.file("a.db"), kLatestSchemaVersion + 1),
              Code::invalid_argument);
}

}  // namespace
}  // namespace k4ds::testing
