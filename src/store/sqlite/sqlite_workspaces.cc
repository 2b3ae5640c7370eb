// Workspaces and what hangs off them: mounted volume ids (workspace_volumes, ordered), events
// and shares. Volumes themselves are independent records: nothing here ever deletes one.
#include <map>

#include "store/sqlite/sqlite_tx.h"

namespace k4ds::sqlite {

namespace {

#define K4DS_WORKSPACE_COLUMNS                                                               \
  "id, owner, name, environment, size_name, desired, phase, reason, upstream, created_at, " \
  "updated_at, last_activity_at, version"

Result<Workspace> read_workspace(const Stmt& st) {
  std::optional<DesiredState> desired = parse_desired_state(st.text_at(5));
  std::optional<Phase> phase = parse_phase(st.text_at(6));
  if (!desired || !phase) {
    return internal_error("workspace " + st.text_at(0) +
                          " has an unknown state; the database was written by a newer k4ds");
  }
  return Workspace{.id = st.text_at(0),
                   .owner = st.text_at(1),
                   .name = st.text_at(2),
                   .environment = st.text_at(3),
                   .size = st.text_at(4),
                   .desired = *desired,
                   .phase = *phase,
                   .reason = st.text_at(7),
                   .upstream = st.text_at(8),
                   .created_at = st.int64_at(9),
                   .updated_at = st.int64_at(10),
                   .last_activity_at = st.int64_at(11),
                   .version = st.int64_at(12)};
}

Status no_workspace_id(std::string_view id) {
  return not_found("no workspace with id " + std::string(id));
}

struct WorkspaceRef {
  std::string owner;
  std::string name;
  std::string label() const { return owner + "/" + name; }
};

}  // namespace

Result<std::vector<std::string>> SqliteTx::workspace_volumes(std::string_view id) {
  Stmt st(conn_,
          "SELECT volume_id FROM workspace_volumes WHERE workspace_id = ? ORDER BY position");
  st.text(id);
  return st.text_column();
}

Status SqliteTx::write_workspace_volumes(const Workspace& workspace) {
  Stmt clear(conn_, "DELETE FROM workspace_volumes WHERE workspace_id = ?");
  clear.text(workspace.id);
  K4DS_RETURN_IF_ERROR(clear.run());
  int64_t position = 0;
  for (const std::string& volume : workspace.volumes) {
    Stmt st(conn_,
            "INSERT INTO workspace_volumes (workspace_id, position, volume_id) VALUES (?, ?, ?)");
    st.text(workspace.id).int64(position++).text(volume);
    K4DS_RETURN_IF_ERROR(st.run());
  }
  return Status();
}

Result<std::vector<Workspace>> SqliteTx::query_workspaces(
    const char* sql, std::initializer_list<std::string_view> keys) {
  std::vector<Workspace> out;
  {
    Stmt st(conn_, sql);
    for (std::string_view k : keys) st.text(k);
    for (;;) {
      Result<bool> row = st.step();
      if (!row) return row.status();
      if (!*row) break;
      Result<Workspace> ws = read_workspace(st);
      if (!ws) return ws.status();
      out.push_back(std::move(*ws));
    }
  }
  for (Workspace& ws : out) {
    Result<std::vector<std::string>> volumes = workspace_volumes(ws.id);
    if (!volumes) return volumes.status();
    ws.volumes = std::move(*volumes);
  }
  return out;
}

Result<Workspace> SqliteTx::create_workspace(const Workspace& workspace) {
  K4DS_RETURN_IF_ERROR(check_writable());
  if (workspace.id.empty()) return invalid_argument("a workspace needs an id");
  auto by_id = stored_version("SELECT version FROM workspaces WHERE id = ?", {workspace.id});
  if (!by_id) return by_id.status();
  if (*by_id) return already_exists("a workspace with id " + workspace.id + " already exists");
  auto by_name = stored_version("SELECT version FROM workspaces WHERE owner = ? AND name = ?",
                                {workspace.owner, workspace.name});
  if (!by_name) return by_name.status();
  if (*by_name) {
    return already_exists("a workspace named " + workspace.owner + "/" + workspace.name +
                          " already exists");
  }
  Result<int64_t> rev =
      record_change(RecordKind::workspace, ChangeOp::created, workspace.id, workspace.owner);
  if (!rev) return rev.status();
  Stmt st(conn_, "INSERT INTO workspaces (" K4DS_WORKSPACE_COLUMNS
                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.text(workspace.id).text(workspace.owner).text(workspace.name).text(workspace.environment);
  st.text(workspace.size).text(desired_state_name(workspace.desired));
  st.text(phase_name(workspace.phase)).text(workspace.reason).text(workspace.upstream);
  st.int64(workspace.created_at).int64(workspace.updated_at).int64(workspace.last_activity_at);
  st.int64(*rev);
  K4DS_RETURN_IF_ERROR(st.run());
  K4DS_RETURN_IF_ERROR(write_workspace_volumes(workspace));
  Workspace out = workspace;
  out.version = *rev;
  return out;
}

Result<Workspace> SqliteTx::get_workspace(std::string_view id) {
  auto found = query_workspaces("SELECT " K4DS_WORKSPACE_COLUMNS " FROM workspaces WHERE id = ?",
                                {id});
  if (!found) return found.status();
  if (found->empty()) return no_workspace_id(id);
  return std::move(found->front());
}

Result<Workspace> SqliteTx::find_workspace(std::string_view owner, std::string_view name) {
  auto found = query_workspaces(
      "SELECT " K4DS_WORKSPACE_COLUMNS " FROM workspaces WHERE owner = ? AND name = ?",
      {owner, name});
  if (!found) return found.status();
  if (found->empty()) {
    return not_found("no workspace " + std::string(owner) + "/" + std::string(name));
  }
  return std::move(found->front());
}

Result<std::vector<Workspace>> SqliteTx::list_workspaces(const WorkspaceFilter& filter) {
  if (filter.owner) {
    return query_workspaces("SELECT " K4DS_WORKSPACE_COLUMNS
                            " FROM workspaces WHERE owner = ? ORDER BY owner, name",
                            {*filter.owner});
  }
  return query_workspaces("SELECT " K4DS_WORKSPACE_COLUMNS " FROM workspaces ORDER BY owner, name",
                          {});
}

Result<Workspace> SqliteTx::update_workspace(const Workspace& workspace) {
  K4DS_RETURN_IF_ERROR(check_writable());
  auto stored = stored_version("SELECT version FROM workspaces WHERE id = ?", {workspace.id});
  if (!stored) return stored.status();
  if (!*stored) return no_workspace_id(workspace.id);
  std::string label = "workspace " + workspace.owner + "/" + workspace.name;
  K4DS_RETURN_IF_ERROR(check_version(label, **stored, workspace.version));
  {
    // A rename must not take another workspace's (owner, name).
    Stmt st(conn_, "SELECT id FROM workspaces WHERE owner = ? AND name = ? AND id <> ?");
    st.text(workspace.owner).text(workspace.name).text(workspace.id);
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (*row) {
      return already_exists("a workspace named " + workspace.owner + "/" + workspace.name +
                            " already exists");
    }
  }
  Result<int64_t> rev =
      record_change(RecordKind::workspace, ChangeOp::updated, workspace.id, workspace.owner);
  if (!rev) return rev.status();
  Stmt st(conn_,
          "UPDATE workspaces SET owner = ?, name = ?, environment = ?, size_name = ?, "
          "desired = ?, phase = ?, reason = ?, upstream = ?, created_at = ?, updated_at = ?, "
          "last_activity_at = MAX(last_activity_at, ?), version = ? WHERE id = ? AND version = ?");
  st.text(workspace.owner).text(workspace.name).text(workspace.environment).text(workspace.size);
  st.text(desired_state_name(workspace.desired)).text(phase_name(workspace.phase));
  st.text(workspace.reason).text(workspace.upstream).int64(workspace.created_at);
  st.int64(workspace.updated_at).int64(workspace.last_activity_at).int64(*rev);
  st.text(workspace.id).int64(workspace.version);
  K4DS_RETURN_IF_ERROR(st.run());
  K4DS_RETURN_IF_ERROR(write_workspace_volumes(workspace));
  Workspace out = workspace;
  out.version = *rev;
  return out;
}

Status SqliteTx::record_activity(const std::vector<std::pair<std::string, int64_t>>& seen) {
  K4DS_RETURN_IF_ERROR(check_writable());
  for (const auto& [id, time] : seen) {
    Stmt st(conn_, "UPDATE workspaces SET last_activity_at = ? WHERE id = ? AND last_activity_at < ?");
    st.int64(time).text(id).int64(time);
    K4DS_RETURN_IF_ERROR(st.run());
  }
  return ok_status();
}

Status SqliteTx::delete_workspace(std::string_view id) {
  K4DS_RETURN_IF_ERROR(check_writable());
  std::string owner;
  {
    Stmt st(conn_, "SELECT owner FROM workspaces WHERE id = ?");
    st.text(id);
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return no_workspace_id(id);
    owner = st.text_at(0);
  }
  // Shares first: revoking access is what the gateway must see soonest.
  Result<std::vector<Share>> shares = list_shares(id);
  if (!shares) return shares.status();
  for (const Share& share : *shares) {
    K4DS_RETURN_IF_ERROR(delete_share(id, share.kind, share.principal));
  }
  std::vector<int64_t> seqs;
  {
    Stmt st(conn_, "SELECT seq FROM workspace_events WHERE workspace_id = ? ORDER BY seq");
    st.text(id);
    for (;;) {
      Result<bool> row = st.step();
      if (!row) return row.status();
      if (!*row) break;
      seqs.push_back(st.int64_at(0));
    }
  }
  {
    Stmt st(conn_, "DELETE FROM workspace_events WHERE workspace_id = ?");
    st.text(id);
    K4DS_RETURN_IF_ERROR(st.run());
  }
  for (int64_t seq : seqs) {
    std::string key = std::string(id) + "/" + std::to_string(seq);
    K4DS_RETURN_IF_ERROR(
        record_change(RecordKind::workspace_event, ChangeOp::deleted, key, owner).status());
  }
  Stmt st(conn_, "DELETE FROM workspaces WHERE id = ?");  // workspace_volumes rows cascade
  st.text(id);
  K4DS_RETURN_IF_ERROR(st.run());
  return record_change(RecordKind::workspace, ChangeOp::deleted, id, owner).status();
}

Result<WorkspaceEvent> SqliteTx::append_event(const WorkspaceEvent& event) {
  K4DS_RETURN_IF_ERROR(check_writable());
  std::string owner;
  int64_t seq = 0;
  {
    Stmt st(conn_,
            "SELECT w.owner, (SELECT COALESCE(MAX(e.seq), 0) FROM workspace_events e "
            "WHERE e.workspace_id = w.id) FROM workspaces w WHERE w.id = ?");
    st.text(event.workspace_id);
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return no_workspace_id(event.workspace_id);
    owner = st.text_at(0);
    seq = st.int64_at(1) + 1;
  }
  std::string key = event.workspace_id + "/" + std::to_string(seq);
  K4DS_RETURN_IF_ERROR(
      record_change(RecordKind::workspace_event, ChangeOp::created, key, owner).status());
  Stmt st(conn_,
          "INSERT INTO workspace_events (workspace_id, seq, event_time, warning, message) "
          "VALUES (?, ?, ?, ?, ?)");
  st.text(event.workspace_id).int64(seq).int64(event.time).flag(event.warning).text(event.message);
  K4DS_RETURN_IF_ERROR(st.run());
  WorkspaceEvent out = event;
  out.seq = seq;
  return out;
}

Result<std::vector<WorkspaceEvent>> SqliteTx::list_events(std::string_view workspace_id,
                                                          int64_t after_seq, int limit) {
  std::vector<WorkspaceEvent> out;
  if (limit <= 0) return out;
  Stmt st(conn_,
          "SELECT workspace_id, seq, event_time, warning, message FROM workspace_events "
          "WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?");
  st.text(workspace_id).int64(after_seq).int64(limit);
  for (;;) {
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return out;
    out.push_back(WorkspaceEvent{.workspace_id = st.text_at(0), .seq = st.int64_at(1),
                                 .time = st.int64_at(2), .warning = st.flag_at(3),
                                 .message = st.text_at(4)});
  }
}

}  // namespace k4ds::sqlite
