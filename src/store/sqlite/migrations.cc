#include "store/sqlite/migrations.h"

#include <chrono>
#include <string>

namespace k4ds::sqlite {

namespace {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

// Never edit a migration that has shipped; add a new one.
constexpr Migration kMigrations[] = {
    {1, "users, groups, workspaces, events, volumes, shares, change feed", R"sql(
CREATE TABLE store_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  revision BIGINT NOT NULL
);
INSERT INTO store_state (id, revision) VALUES (1, 0);

CREATE TABLE changes (
  revision BIGINT PRIMARY KEY,
  kind TEXT NOT NULL,
  op TEXT NOT NULL,
  record_key TEXT NOT NULL,
  user_name TEXT NOT NULL
);

CREATE TABLE users (
  name TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  email TEXT NOT NULL,
  provider TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  admin INTEGER NOT NULL,
  disabled INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL
);

CREATE TABLE user_groups (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL
);

CREATE TABLE group_members (
  group_name TEXT NOT NULL REFERENCES user_groups (name) ON DELETE CASCADE,
  member TEXT NOT NULL,
  PRIMARY KEY (group_name, member)
);
CREATE INDEX group_members_by_member ON group_members (member);

CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  name TEXT NOT NULL,
  environment TEXT NOT NULL,
  size_name TEXT NOT NULL,
  desired TEXT NOT NULL,
  phase TEXT NOT NULL,
  reason TEXT NOT NULL,
  upstream TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_activity_at BIGINT NOT NULL,
  version BIGINT NOT NULL,
  UNIQUE (owner, name)
);

CREATE TABLE workspace_volumes (
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  volume_id TEXT NOT NULL,
  PRIMARY KEY (workspace_id, position)
);

CREATE TABLE workspace_events (
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  seq BIGINT NOT NULL,
  event_time BIGINT NOT NULL,
  warning INTEGER NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (workspace_id, seq)
);

CREATE TABLE volumes (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  version BIGINT NOT NULL
);
CREATE INDEX volumes_by_owner ON volumes (owner, name);

CREATE TABLE shares (
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  principal_kind TEXT NOT NULL,
  principal TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, principal_kind, principal)
);
CREATE INDEX shares_by_principal ON shares (principal_kind, principal);
)sql"},
    {2, "browser sessions and API tokens", R"sql(
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  client_address TEXT NOT NULL,
  version BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_name);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  last_used_at BIGINT NOT NULL,
  version BIGINT NOT NULL
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_name, created_at);
)sql"},
    {3, "access rules (seeded: everyone may launch everything)", R"sql(
CREATE TABLE access_policy (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  updated_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL
);
INSERT INTO access_policy (id, updated_by, updated_at, version) VALUES (1, 'k4ds', 0, 0);

-- Lists are newline-separated (names never contain one).
CREATE TABLE access_rules (
  position INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  effect TEXT NOT NULL,
  action TEXT NOT NULL,
  who TEXT NOT NULL,
  environments TEXT NOT NULL,
  sizes TEXT NOT NULL,
  owners TEXT NOT NULL,
  description TEXT NOT NULL
);
INSERT INTO access_rules (position, id, effect, action, who, environments, sizes, owners, description)
VALUES (1, 'r1', 'allow', 'launch', '*', '*', '*', '',
        'everyone may launch every environment in every size; put narrower rules before this one');
)sql"},
    {4, "directory: POSIX ids of users, the provider that owns a group", R"sql(
ALTER TABLE users ADD COLUMN uid_number BIGINT NOT NULL DEFAULT -1;
ALTER TABLE users ADD COLUMN gid_number BIGINT NOT NULL DEFAULT -1;
ALTER TABLE user_groups ADD COLUMN provider TEXT NOT NULL DEFAULT '';
)sql"},
    {5, "quotas per user, group and by default", R"sql(
-- A limit of -1 is not set (inherited, see model/quota.h).
CREATE TABLE quotas (
  subject TEXT PRIMARY KEY,
  workspaces BIGINT NOT NULL,
  cpu_millis BIGINT NOT NULL,
  memory_bytes BIGINT NOT NULL,
  gpus BIGINT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL
);
)sql"},
    {6, "the zone a volume's storage is in", R"sql(
ALTER TABLE volumes ADD COLUMN zone TEXT NOT NULL DEFAULT '';
)sql"},
};

static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kLatestSchemaVersion);

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Status too_new(const Connection& conn, int found) {
  return failed_precondition("the database at " + conn.path() + " has schema version " +
                             std::to_string(found) + " but this k4ds knows only up to " +
                             std::to_string(kLatestSchemaVersion) +
                             "; upgrade k4ds to a release that knows this schema");
}

Result<int> read_version(Connection& conn) {
  Stmt st(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  Result<bool> row = st.step();
  if (!row) return row.status();
  return static_cast<int>(*row ? st.int64_at(0) : 0);
}

Status apply_pending(Connection& conn, int target) {
  K4DS_RETURN_IF_ERROR(conn.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "  version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)"));
  Result<int> current = read_version(conn);
  if (!current) return current.status();
  if (*current > kLatestSchemaVersion) return too_new(conn, *current);
  for (const Migration& m : kMigrations) {
    if (m.version <= *current || m.version > target) continue;
    K4DS_RETURN_IF_ERROR(conn.exec(m.sql));
    Stmt st(conn,
            "INSERT INTO schema_migrations (version, description, applied_at) "
            "VALUES (?, ?, ?)");
    st.int64(m.version).text(m.description).int64(now_ms());
    K4DS_RETURN_IF_ERROR(st.run());
  }
  return Status();
}

}  // namespace

Result<int> schema_version(Connection& conn) {
  Stmt exists(conn,
              "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
              "name = 'schema_migrations'");
  Result<bool> row = exists.step();
  if (!row) return row.status();
  if (!*row || exists.int64_at(0) == 0) return 0;
  return read_version(conn);
}

Status migrate(Connection& conn, int target) {
  // IMMEDIATE takes the write lock up front, so two processes opening the same new database
  // cannot both decide to apply migration 1.
  K4DS_RETURN_IF_ERROR(conn.exec("BEGIN IMMEDIATE"));
  Status s = apply_pending(conn, target);
  if (s.ok()) s = conn.exec("COMMIT");
  if (!s.ok()) {
    (void)conn.exec("ROLLBACK");
    conn.clear_error();
  }
  return s;
}

}  // namespace k4ds::sqlite
