// Store: the source of truth for everything k4ds knows (users, groups, workspaces, volumes,
// shares, sessions, tokens), with optimistic concurrency and a change feed.
//
// Contract
// - All reads and writes happen inside a transaction: Store::write(fn) runs fn against a Tx and
//   commits iff fn returns ok (any error rolls back everything fn did). Store::read(fn) sees
//   one consistent snapshot and must not write.
// - Every write advances the store's revision by one per changed record; the record's
//   `version` becomes that revision. update_* must be given the version that was read: a stale
//   version is refused with Code::aborted ("re-read and retry"), never merged. create_* of an
//   existing key is Code::already_exists; get/update/delete of a missing key is Code::not_found.
// - Every write is recorded in the change feed (kind, key, op, revision). After commit the
//   store wakes every subscriber; a subscriber then reads list_changes(after) to catch up.
//   Subscribers are called on the committing thread and must only schedule work.
// - Implementations are thread-safe. Calls block (SQLite, PostgreSQL): call them from a worker
//   thread, never from an I/O thread.
// - Durability: once write() returns ok, the change survives kill -9 of the process.
//
// Usage:
//   Status s = store.write([&](Tx& tx) -> Status {
//     Result<Workspace> ws = tx.get_workspace(id);
//     if (!ws) return ws.status();
//     ws->desired = DesiredState::stopped;
//     return tx.update_workspace(*ws).status();
//   });
//   auto sub = store.subscribe([&](int64_t revision) { wake_up(); });
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "model/model.h"

namespace k4ds {

enum class RecordKind { user, group, workspace, workspace_event, volume, share, session, token, policy, quota };
const char* record_kind_name(RecordKind kind);

enum class ChangeOp { created, updated, deleted };
const char* change_op_name(ChangeOp op);

struct Change {
  int64_t revision = 0;
  RecordKind kind = RecordKind::user;
  ChangeOp op = ChangeOp::created;
  // The record's key: user/group name, workspace/volume id, "workspace_id/seq" for events,
  // "workspace_id/kind/principal" for shares, session id hash, token id, quota subject.
  std::string key;
  // The owning user where there is one (workspace owner, session user, ...), else empty.
  std::string user;
};

struct WorkspaceFilter {
  std::optional<std::string> owner;  // nullopt = every owner
};

class Tx {
 public:
  virtual ~Tx() = default;

  // Users, keyed by name.
  virtual Result<User> create_user(const User& user) = 0;
  virtual Result<User> get_user(std::string_view name) = 0;
  virtual Result<std::vector<User>> list_users() = 0;  // ordered by name
  virtual Result<User> update_user(const User& user) = 0;
  virtual Status delete_user(std::string_view name) = 0;

  // Groups, keyed by name.
  virtual Result<Group> create_group(const Group& group) = 0;
  virtual Result<Group> get_group(std::string_view name) = 0;
  virtual Result<std::vector<Group>> list_groups() = 0;  // ordered by name
  virtual Result<Group> update_group(const Group& group) = 0;
  virtual Status delete_group(std::string_view name) = 0;

  // Workspaces, keyed by id; (owner, name) is unique.
  virtual Result<Workspace> create_workspace(const Workspace& workspace) = 0;
  virtual Result<Workspace> get_workspace(std::string_view id) = 0;
  virtual Result<Workspace> find_workspace(std::string_view owner, std::string_view name) = 0;
  virtual Result<std::vector<Workspace>> list_workspaces(const WorkspaceFilter& filter) = 0;  // by owner, name
  // last_activity_at only ever moves forward: the stored time is the later of the two.
  virtual Result<Workspace> update_workspace(const Workspace& workspace) = 0;
  // The gateway's record of traffic: for each (workspace id, unix time), last_activity_at moves
  // forward to that time. Advisory and frequent, so it makes no new version and no change in the
  // feed (it never conflicts with spec or status updates); unknown ids are skipped.
  virtual Status record_activity(const std::vector<std::pair<std::string, int64_t>>& seen) = 0;
  // Deletes the workspace, its events and its shares. Never its volumes.
  virtual Status delete_workspace(std::string_view id) = 0;

  // Events: appended with the next seq for that workspace (event.seq is ignored on input).
  virtual Result<WorkspaceEvent> append_event(const WorkspaceEvent& event) = 0;
  virtual Result<std::vector<WorkspaceEvent>> list_events(std::string_view workspace_id,
                                                          int64_t after_seq, int limit) = 0;

  // Volumes, keyed by id. There is deliberately no cascade from anything else to volumes.
  virtual Result<Volume> create_volume(const Volume& volume) = 0;
  virtual Result<Volume> get_volume(std::string_view id) = 0;
  // Records the zone the runtime reported for the volume's storage (no change when it is the same).
  virtual Result<Volume> set_volume_zone(std::string_view id, std::string_view zone) = 0;
  virtual Result<std::vector<Volume>> list_volumes(std::optional<std::string_view> owner) = 0;

  // Shares, keyed by (workspace_id, kind, principal).
  virtual Result<Share> create_share(const Share& share) = 0;
  virtual Status delete_share(std::string_view workspace_id, PrincipalKind kind,
                              std::string_view principal) = 0;
  virtual Result<std::vector<Share>> list_shares(std::string_view workspace_id) = 0;
  // Shares naming this user or group, over every workspace.
  virtual Result<std::vector<Share>> list_shares_with(PrincipalKind kind, std::string_view principal) = 0;

  // The access rules: one ordered list, replaced as a whole. replace_policy refuses (aborted)
  // when policy.version is not the stored version, so two admins editing at once can't lose a
  // change. The change feed reports it as kind policy, key "rules".
  virtual Result<AccessPolicy> get_policy() = 0;
  virtual Result<AccessPolicy> replace_policy(const AccessPolicy& policy) = 0;

  // Quotas, keyed by subject ("default", "user:NAME", "group:NAME"; see model/quota.h).
  // put_quota creates (quota.version == 0, none stored) or replaces (quota.version == the
  // stored version); anything else is aborted, like update_*. Deleting a user or group does
  // not delete its quota: an admin sees it listed and removes it.
  virtual Result<std::vector<Quota>> list_quotas() = 0;  // ordered by subject
  virtual Result<Quota> get_quota(std::string_view subject) = 0;
  virtual Result<Quota> put_quota(const Quota& quota) = 0;
  virtual Status delete_quota(std::string_view subject) = 0;

  // Sessions, keyed by id_hash.
  virtual Result<Session> create_session(const Session& session) = 0;
  virtual Result<Session> get_session(std::string_view id_hash) = 0;
  virtual Result<Session> update_session(const Session& session) = 0;
  virtual Status delete_session(std::string_view id_hash) = 0;
  virtual Result<int> delete_sessions_of_user(std::string_view user) = 0;
  virtual Result<int> delete_expired_sessions(int64_t now_ms) = 0;
  // Users who can still get in without a password: an unexpired session or API token. Sorted,
  // unique. The directory re-check asks the directory about these users only.
  virtual Result<std::vector<std::string>> list_signed_in_users(int64_t now_ms) = 0;

  // API tokens, keyed by id; secret_hash is unique.
  virtual Result<ApiToken> create_token(const ApiToken& token) = 0;
  virtual Result<ApiToken> get_token(std::string_view id) = 0;
  virtual Result<ApiToken> find_token_by_hash(std::string_view secret_hash) = 0;
  virtual Result<std::vector<ApiToken>> list_tokens(std::string_view user) = 0;
  virtual Result<ApiToken> update_token(const ApiToken& token) = 0;
  virtual Status delete_token(std::string_view id) = 0;

  // The change feed: changes with revision > after, oldest first, at most limit.
  virtual Result<std::vector<Change>> list_changes(int64_t after, int limit) = 0;
  // The revision of the newest committed change (0 for an empty store).
  virtual Result<int64_t> revision() = 0;
};

// RAII handle for a change subscription; unsubscribes when destroyed.
class Subscription {
 public:
  Subscription() = default;
  explicit Subscription(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  Subscription(Subscription&& other) noexcept : cancel_(std::move(other.cancel_)) { other.cancel_ = nullptr; }
  Subscription& operator=(Subscription&& other) noexcept {
    if (this != &other) {
      reset();
      cancel_ = std::move(other.cancel_);
      other.cancel_ = nullptr;
    }
    return *this;
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription() { reset(); }
  void reset() {
    if (cancel_) std::exchange(cancel_, nullptr)();
  }

 private:
  std::function<void()> cancel_;
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs fn in one write transaction; commits iff fn returns ok. Returns fn's status, or the
  // store's own error (e.g. Code::unavailable when the database is locked for too long).
  virtual Status write(const std::function<Status(Tx&)>& fn) = 0;
  // Runs fn against a consistent read-only snapshot.
  virtual Status read(const std::function<Status(Tx&)>& fn) = 0;

  // on_commit(revision) is called after every committed write that changed something.
  virtual Subscription subscribe(std::function<void(int64_t revision)> on_commit) = 0;
  // Blocks until the revision exceeds `after` or the timeout passes; returns the revision.
  virtual int64_t wait_for_change(int64_t after, std::chrono::milliseconds timeout) = 0;
};

// Runs fn (Tx& → Result<T>) in one read transaction and returns its result: the common case of
// reading one value out of the store.
//   Result<Workspace> ws = read_value(store, [&](Tx& tx) { return tx.get_workspace(id); });
template <class F>
auto read_value(Store& store, F&& fn) -> decltype(fn(std::declval<Tx&>())) {
  std::optional<decltype(fn(std::declval<Tx&>()))> out;
  Status s = store.read([&](Tx& tx) -> Status {
    out.emplace(fn(tx));
    return out->status();
  });
  if (!s.ok()) return s;
  return std::move(*out);
}

// Names of the groups `user` is a member of, sorted (for access rules and quotas).
Result<std::vector<std::string>> groups_of(Tx& tx, std::string_view user);

// Opens (creating if needed) the SQLite store at path and applies pending migrations.
// Errors are Code::unavailable (cannot open), Code::failed_precondition (schema newer than
// this binary).
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);

}  // namespace k4ds
