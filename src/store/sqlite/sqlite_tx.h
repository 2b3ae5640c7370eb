// SqliteTx: the Tx contract (store/store.h) over one SQLite connection inside an open
// transaction. The store begins and ends the transaction; this class only runs statements.
//
// Contract (beyond store.h): every change allocates the next revision from store_state, writes
// one row to `changes` and stamps the record's version with it; finish() persists the counter
// before commit. Domain errors (not_found, already_exists, aborted) are found by explicit
// checks so their messages name the record; storage errors also mark the connection (see
// Connection::sticky_error) so the store rolls back even if fn ignored them.
// Implementation is split by record kind: sqlite_tx.cc (change feed, helpers),
// sqlite_users.cc (users, groups), sqlite_workspaces.cc (workspaces, events, volumes, shares),
// sqlite_auth_records.cc (sessions, tokens), sqlite_policy.cc (access rules, quotas).
#pragma once

#include <string>

#include "store/sqlite/connection.h"
#include "store/store.h"

namespace k4ds::sqlite {

class SqliteTx final : public Tx {
 public:
  SqliteTx(Connection& conn, bool writable) : conn_(conn), writable_(writable) {}

  Result<User> create_user(const User& user) override;
  Result<User> get_user(std::string_view name) override;
  Result<std::vector<User>> list_users() override;
  Result<User> update_user(const User& user) override;
  Status delete_user(std::string_view name) override;

  Result<Group> create_group(const Group& group) override;
  Result<Group> get_group(std::string_view name) override;
  Result<std::vector<Group>> list_groups() override;
  Result<Group> update_group(const Group& group) override;
  Status delete_group(std::string_view name) override;

  Result<Workspace> create_workspace(const Workspace& workspace) override;
  Result<Workspace> get_workspace(std::string_view id) override;
  Result<Workspace> find_workspace(std::string_view owner, std::string_view name) override;
  Result<std::vector<Workspace>> list_workspaces(const WorkspaceFilter& filter) override;
  Result<Workspace> update_workspace(const Workspace& workspace) override;
  Status record_activity(const std::vector<std::pair<std::string, int64_t>>& seen) override;
  Status delete_workspace(std::string_view id) override;

  Result<WorkspaceEvent> append_event(const WorkspaceEvent& event) override;
  Result<std::vector<WorkspaceEvent>> list_events(std::string_view workspace_id,
                                                  int64_t after_seq, int limit) override;

  Result<Volume> create_volume(const Volume& volume) override;
  Result<Volume> get_volume(std::string_view id) override;
  Result<Volume> set_volume_zone(std::string_view id, std::string_view zone) override;
  Result<std::vector<Volume>> list_volumes(std::optional<std::string_view> owner) override;

  Result<Share> create_share(const Share& share) override;
  Status delete_share(std::string_view workspace_id, PrincipalKind kind,
                      std::string_view principal) override;
  Result<std::vector<Share>> list_shares(std::string_view workspace_id) override;
  Result<std::vector<Share>> list_shares_with(PrincipalKind kind, std::string_view principal) override;

  Result<AccessPolicy> get_policy() override;
  Result<AccessPolicy> replace_policy(const AccessPolicy& policy) override;

  Result<std::vector<Quota>> list_quotas() override;
  Result<Quota> get_quota(std::string_view subject) override;
  Result<Quota> put_quota(const Quota& quota) override;
  Status delete_quota(std::string_view subject) override;

  Result<Session> create_session(const Session& session) override;
  Result<Session> get_session(std::string_view id_hash) override;
  Result<Session> update_session(const Session& session) override;
  Status delete_session(std::string_view id_hash) override;
  Result<int> delete_sessions_of_user(std::string_view user) override;
  Result<int> delete_expired_sessions(int64_t now_ms) override;
  Result<std::vector<std::string>> list_signed_in_users(int64_t now_ms) override;

  Result<ApiToken> create_token(const ApiToken& token) override;
  Result<ApiToken> get_token(std::string_view id) override;
  Result<ApiToken> find_token_by_hash(std::string_view secret_hash) override;
  Result<std::vector<ApiToken>> list_tokens(std::string_view user) override;
  Result<ApiToken> update_token(const ApiToken& token) override;
  Status delete_token(std::string_view id) override;

  Result<std::vector<Change>> list_changes(int64_t after, int limit) override;
  Result<int64_t> revision() override;

  // Store-facing: persists the revision counter. Call before COMMIT.
  Status finish();
  // The newest revision this transaction wrote, or 0 when it changed nothing.
  int64_t written_revision() const { return changed_ ? revision_ : 0; }

 private:
  Status check_writable() const;
  // Allocates the next revision and appends the change row; returns the revision.
  Result<int64_t> record_change(RecordKind kind, ChangeOp op, std::string_view key,
                                std::string_view user);
  // nullopt: no such row. Runs `sql` (one key parameter per element of keys) for `version`.
  Result<std::optional<int64_t>> stored_version(const char* sql,
                                                std::initializer_list<std::string_view> keys);
  // aborted unless `given` matches `stored` ("<label> was changed by someone else ...").
  static Status check_version(std::string_view label, int64_t stored, int64_t given);

  Result<std::vector<std::string>> workspace_volumes(std::string_view id);
  Result<std::vector<Workspace>> query_workspaces(const char* sql,
                                                  std::initializer_list<std::string_view> keys);
  Status write_workspace_volumes(const Workspace& workspace);
  Result<std::vector<std::string>> group_members(std::string_view name);
  Status write_group_members(const Group& group);

  Connection& conn_;
  bool writable_;
  bool revision_loaded_ = false;
  bool changed_ = false;
  int64_t revision_ = 0;
};

// Change-feed key of a share: "workspace_id/kind/principal".
std::string share_key(std::string_view workspace_id, PrincipalKind kind,
                      std::string_view principal);
const char* principal_kind_name(PrincipalKind kind);

}  // namespace k4ds::sqlite
