// Volumes (independent records: there is no delete here and no cascade from anything to them)
// and shares (children of a workspace, removed with it).
#include "store/sqlite/sqlite_tx.h"

namespace k4ds::sqlite {

namespace {

Volume read_volume(const Stmt& st) {
  return Volume{.id = st.text_at(0), .owner = st.text_at(1), .name = st.text_at(2),
                .created_at = st.int64_at(3), .zone = st.text_at(5), .version = st.int64_at(4)};
}

std::string principal_label(PrincipalKind kind, std::string_view principal) {
  return std::string(principal_kind_name(kind)) + " " + std::string(principal);
}

Result<std::vector<Share>> read_shares(Stmt& st) {
  std::vector<Share> out;
  for (;;) {
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return out;
    std::string kind = st.text_at(1);
    if (kind != "user" && kind != "group") {
      return internal_error("a share of workspace " + st.text_at(0) +
                            " has an unknown principal kind '" + kind + "'");
    }
    out.push_back(Share{.workspace_id = st.text_at(0),
                        .kind = kind == "user" ? PrincipalKind::user : PrincipalKind::group,
                        .principal = st.text_at(2), .created_by = st.text_at(3),
                        .created_at = st.int64_at(4), .version = st.int64_at(5)});
  }
}

}  // namespace

Result<Volume> SqliteTx::create_volume(const Volume& volume) {
  K4DS_RETURN_IF_ERROR(check_writable());
  if (volume.id.empty()) return invalid_argument("a volume needs an id");
  auto existing = stored_version("SELECT version FROM volumes WHERE id = ?", {volume.id});
  if (!existing) return existing.status();
  if (*existing) return already_exists("a volume with id " + volume.id + " already exists");
  Result<int64_t> rev =
      record_change(RecordKind::volume, ChangeOp::created, volume.id, volume.owner);
  if (!rev) return rev.status();
  Stmt st(conn_,
          "INSERT INTO volumes (id, owner, name, created_at, version, zone) VALUES (?, ?, ?, ?, ?, ?)");
  st.text(volume.id).text(volume.owner).text(volume.name).int64(volume.created_at).int64(*rev).text(volume.zone);
  K4DS_RETURN_IF_ERROR(st.run());
  Volume out = volume;
  out.version = *rev;
  return out;
}

Result<Volume> SqliteTx::get_volume(std::string_view id) {
  Stmt st(conn_, "SELECT id, owner, name, created_at, version, zone FROM volumes WHERE id = ?");
  st.text(id);
  Result<bool> row = st.step();
  if (!row) return row.status();
  if (!*row) return not_found("no volume with id " + std::string(id));
  return read_volume(st);
}

Result<Volume> SqliteTx::set_volume_zone(std::string_view id, std::string_view zone) {
  K4DS_RETURN_IF_ERROR(check_writable());
  Result<Volume> volume = get_volume(id);
  if (!volume) return volume.status();
  if (volume->zone == zone) return volume;
  Result<int64_t> rev = record_change(RecordKind::volume, ChangeOp::updated, volume->id, volume->owner);
  if (!rev) return rev.status();
  Stmt st(conn_, "UPDATE volumes SET zone = ?, version = ? WHERE id = ?");
  st.text(zone).int64(*rev).text(id);
  K4DS_RETURN_IF_ERROR(st.run());
  volume->zone = std::string(zone);
  volume->version = *rev;
  return volume;
}

Result<std::vector<Volume>> SqliteTx::list_volumes(std::optional<std::string_view> owner) {
  const char* sql = owner ? "SELECT id, owner, name, created_at, version, zone FROM volumes "
                            "WHERE owner = ? ORDER BY owner, name, id"
                          : "SELECT id, owner, name, created_at, version, zone FROM volumes "
                            "ORDER BY owner, name, id";
  Stmt st(conn_, sql);
  if (owner) st.text(*owner);
  std::vector<Volume> out;
  for (;;) {
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return out;
    out.push_back(read_volume(st));
  }
}

Result<Share> SqliteTx::create_share(const Share& share) {
  K4DS_RETURN_IF_ERROR(check_writable());
  std::string owner, label;
  {
    Stmt st(conn_, "SELECT owner, name FROM workspaces WHERE id = ?");
    st.text(share.workspace_id);
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return not_found("no workspace with id " + share.workspace_id);
    owner = st.text_at(0);
    label = owner + "/" + st.text_at(1);
  }
  const char* kind = principal_kind_name(share.kind);
  auto existing = stored_version(
      "SELECT version FROM shares WHERE workspace_id = ? AND principal_kind = ? AND principal = ?",
      {share.workspace_id, kind, share.principal});
  if (!existing) return existing.status();
  if (*existing) {
    return already_exists("workspace " + label + " is already shared with " +
                          principal_label(share.kind, share.principal));
  }
  Result<int64_t> rev =
      record_change(RecordKind::share, ChangeOp::created,
                    share_key(share.workspace_id, share.kind, share.principal), owner);
  if (!rev) return rev.status();
  Stmt st(conn_,
          "INSERT INTO shares (workspace_id, principal_kind, principal, created_by, created_at, "
          "version) VALUES (?, ?, ?, ?, ?, ?)");
  st.text(share.workspace_id).text(kind).text(share.principal).text(share.created_by);
  st.int64(share.created_at).int64(*rev);
  K4DS_RETURN_IF_ERROR(st.run());
  Share out = share;
  out.version = *rev;
  return out;
}

Status SqliteTx::delete_share(std::string_view workspace_id, PrincipalKind kind,
                              std::string_view principal) {
  K4DS_RETURN_IF_ERROR(check_writable());
  std::string owner, label;
  {
    Stmt st(conn_, "SELECT owner, name FROM workspaces WHERE id = ?");
    st.text(workspace_id);
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return not_found("no workspace with id " + std::string(workspace_id));
    owner = st.text_at(0);
    label = owner + "/" + st.text_at(1);
  }
  Stmt st(conn_,
          "DELETE FROM shares WHERE workspace_id = ? AND principal_kind = ? AND principal = ?");
  st.text(workspace_id).text(principal_kind_name(kind)).text(principal);
  K4DS_RETURN_IF_ERROR(st.run());
  if (st.changes() == 0) {
    return not_found("workspace " + label + " is not shared with " +
                     principal_label(kind, principal));
  }
  return record_change(RecordKind::share, ChangeOp::deleted,
                       share_key(workspace_id, kind, principal), owner)
      .status();
}

Result<std::vector<Share>> SqliteTx::list_shares(std::string_view workspace_id) {
  Stmt st(conn_,
          "SELECT workspace_id, principal_kind, principal, created_by, created_at, version "
          "FROM shares WHERE workspace_id = ? ORDER BY principal_kind, principal");
  st.text(workspace_id);
  return read_shares(st);
}

Result<std::vector<Share>> SqliteTx::list_shares_with(PrincipalKind kind, std::string_view principal) {
  Stmt st(conn_,
          "SELECT workspace_id, principal_kind, principal, created_by, created_at, version "
          "FROM shares WHERE principal_kind = ? AND principal = ? ORDER BY workspace_id");
  st.text(principal_kind_name(kind)).text(principal);
  return read_shares(st);
}

}  // namespace k4ds::sqlite
