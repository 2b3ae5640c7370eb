// Users and groups. Group members live in group_members (one row per member), so "which groups
// is bob in" is an indexed query and a member list is never a string to parse.
#include <algorithm>
#include <map>

#include "store/sqlite/sqlite_tx.h"

namespace k4ds::sqlite {

namespace {

User read_user(const Stmt& st) {
  return User{.name = st.text_at(0),
              .display_name = st.text_at(1),
              .email = st.text_at(2),
              .provider = st.text_at(3),
              .password_hash = st.text_at(4),
              .admin = st.flag_at(5),
              .disabled = st.flag_at(6),
              .uid_number = st.int64_at(10),
              .gid_number = st.int64_at(11),
              .created_at = st.int64_at(7),
              .updated_at = st.int64_at(8),
              .version = st.int64_at(9)};
}

Status no_user(std::string_view name) { return not_found("no user named " + std::string(name)); }
Status no_group(std::string_view name) {
  return not_found("no group named " + std::string(name));
}

std::vector<std::string> normalized(std::vector<std::string> members) {
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  return members;
}

}  // namespace

Result<User> SqliteTx::create_user(const User& user) {
  K4DS_RETURN_IF_ERROR(check_writable());
  if (user.name.empty()) return invalid_argument("a user needs a name");
  auto existing = stored_version("SELECT version FROM users WHERE name = ?", {user.name});
  if (!existing) return existing.status();
  if (*existing) return already_exists("a user named " + user.name + " already exists");
  Result<int64_t> rev = record_change(RecordKind::user, ChangeOp::created, user.name, user.name);
  if (!rev) return rev.status();
  Stmt st(conn_,
          "INSERT INTO users (name, display_name, email, provider, password_hash, admin, "
          "disabled, created_at, updated_at, version, uid_number, gid_number) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.text(user.name).text(user.display_name).text(user.email).text(user.provider);
  st.text(user.password_hash).flag(user.admin).flag(user.disabled);
  st.int64(user.created_at).int64(user.updated_at).int64(*rev);
  st.int64(user.uid_number).int64(user.gid_number);
  K4DS_RETURN_IF_ERROR(st.run());
  User out = user;
  out.version = *rev;
  return out;
}

Result<User> SqliteTx::get_user(std::string_view name) {
  Stmt st(conn_, "SELECT name, display_name, email, provider, password_hash, admin, disabled, "
                 "created_at, updated_at, version, uid_number, gid_number FROM users "
                 "WHERE name = ?");
  st.text(name);
  Result<bool> row = st.step();
  if (!row) return row.status();
  if (!*row) return no_user(name);
  return read_user(st);
}

Result<std::vector<User>> SqliteTx::list_users() {
  Stmt st(conn_, "SELECT name, display_name, email, provider, password_hash, admin, disabled, "
                 "created_at, updated_at, version, uid_number, gid_number FROM users "
                 "ORDER BY name");
  std::vector<User> out;
  for (;;) {
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return out;
    out.push_back(read_user(st));
  }
}

Result<User> SqliteTx::update_user(const User& user) {
  K4DS_RETURN_IF_ERROR(check_writable());
  auto stored = stored_version("SELECT version FROM users WHERE name = ?", {user.name});
  if (!stored) return stored.status();
  if (!*stored) return no_user(user.name);
  K4DS_RETURN_IF_ERROR(check_version("user " + user.name, **stored, user.version));
  Result<int64_t> rev = record_change(RecordKind::user, ChangeOp::updated, user.name, user.name);
  if (!rev) return rev.status();
  Stmt st(conn_,
          "UPDATE users SET display_name = ?, email = ?, provider = ?, password_hash = ?, "
          "admin = ?, disabled = ?, created_at = ?, updated_at = ?, version = ?, "
          "uid_number = ?, gid_number = ? WHERE name = ? AND version = ?");
  st.text(user.display_name).text(user.email).text(user.provider).text(user.password_hash);
  st.flag(user.admin).flag(user.disabled).int64(user.created_at).int64(user.updated_at);
  st.int64(*rev).int64(user.uid_number).int64(user.gid_number).text(user.name);
  st.int64(user.version);
  K4DS_RETURN_IF_ERROR(st.run());
  User out = user;
  out.version = *rev;
  return out;
}

Status SqliteTx::delete_user(std::string_view name) {
  K4DS_RETURN_IF_ERROR(check_writable());
  Stmt st(conn_, "DELETE FROM users WHERE name = ?");
  st.text(name);
  K4DS_RETURN_IF_ERROR(st.run());
  if (st.changes() == 0) return no_user(name);
  return record_change(RecordKind::user, ChangeOp::deleted, name, name).status();
}

Result<std::vector<std::string>> SqliteTx::group_members(std::string_view name) {
  Stmt st(conn_, "SELECT member FROM group_members WHERE group_name = ? ORDER BY member");
  st.text(name);
  return st.text_column();
}

Status SqliteTx::write_group_members(const Group& group) {
  Stmt clear(conn_, "DELETE FROM group_members WHERE group_name = ?");
  clear.text(group.name);
  K4DS_RETURN_IF_ERROR(clear.run());
  for (const std::string& member : group.members) {
    Stmt st(conn_, "INSERT INTO group_members (group_name, member) VALUES (?, ?)");
    st.text(group.name).text(member);
    K4DS_RETURN_IF_ERROR(st.run());
  }
  return Status();
}

Result<Group> SqliteTx::create_group(const Group& group) {
  K4DS_RETURN_IF_ERROR(check_writable());
  if (group.name.empty()) return invalid_argument("a group needs a name");
  auto existing = stored_version("SELECT version FROM user_groups WHERE name = ?", {group.name});
  if (!existing) return existing.status();
  if (*existing) return already_exists("a group named " + group.name + " already exists");
  Result<int64_t> rev = record_change(RecordKind::group, ChangeOp::created, group.name, "");
  if (!rev) return rev.status();
  Stmt st(conn_,
          "INSERT INTO user_groups (name, description, created_at, updated_at, version, provider) "
          "VALUES (?, ?, ?, ?, ?, ?)");
  st.text(group.name).text(group.description).int64(group.created_at).int64(group.updated_at);
  st.int64(*rev).text(group.provider);
  K4DS_RETURN_IF_ERROR(st.run());
  Group out = group;
  out.members = normalized(group.members);
  out.version = *rev;
  K4DS_RETURN_IF_ERROR(write_group_members(out));
  return out;
}

Result<Group> SqliteTx::get_group(std::string_view name) {
  Stmt st(conn_, "SELECT name, description, created_at, updated_at, version, provider "
                 "FROM user_groups WHERE name = ?");
  st.text(name);
  Result<bool> row = st.step();
  if (!row) return row.status();
  if (!*row) return no_group(name);
  Group g{.name = st.text_at(0), .description = st.text_at(1), .provider = st.text_at(5),
          .created_at = st.int64_at(2), .updated_at = st.int64_at(3), .version = st.int64_at(4)};
  Result<std::vector<std::string>> members = group_members(name);
  if (!members) return members.status();
  g.members = std::move(*members);
  return g;
}

Result<std::vector<Group>> SqliteTx::list_groups() {
  std::vector<Group> out;
  {
    Stmt st(conn_, "SELECT name, description, created_at, updated_at, version, provider "
                   "FROM user_groups ORDER BY name");
    for (;;) {
      Result<bool> row = st.step();
      if (!row) return row.status();
      if (!*row) break;
      out.push_back(Group{.name = st.text_at(0), .description = st.text_at(1),
                          .provider = st.text_at(5), .created_at = st.int64_at(2),
                          .updated_at = st.int64_at(3), .version = st.int64_at(4)});
    }
  }
  // One pass over all members instead of one query per group.
  std::map<std::string, std::vector<std::string>, std::less<>> members;
  Stmt st(conn_, "SELECT group_name, member FROM group_members ORDER BY group_name, member");
  for (;;) {
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) break;
    members[st.text_at(0)].push_back(st.text_at(1));
  }
  for (Group& g : out) {
    auto it = members.find(g.name);
    if (it != members.end()) g.members = std::move(it->second);
  }
  return out;
}

Result<Group> SqliteTx::update_group(const Group& group) {
  K4DS_RETURN_IF_ERROR(check_writable());
  auto stored = stored_version("SELECT version FROM user_groups WHERE name = ?", {group.name});
  if (!stored) return stored.status();
  if (!*stored) return no_group(group.name);
  K4DS_RETURN_IF_ERROR(check_version("group " + group.name, **stored, group.version));
  Result<int64_t> rev = record_change(RecordKind::group, ChangeOp::updated, group.name, "");
  if (!rev) return rev.status();
  Stmt st(conn_,
          "UPDATE user_groups SET description = ?, created_at = ?, updated_at = ?, version = ?, "
          "provider = ? WHERE name = ? AND version = ?");
  st.text(group.description).int64(group.created_at).int64(group.updated_at).int64(*rev);
  st.text(group.provider).text(group.name).int64(group.version);
  K4DS_RETURN_IF_ERROR(st.run());
  Group out = group;
  out.members = normalized(group.members);
  out.version = *rev;
  K4DS_RETURN_IF_ERROR(write_group_members(out));
  return out;
}

Status SqliteTx::delete_group(std::string_view name) {
  K4DS_RETURN_IF_ERROR(check_writable());
  // group_members rows go with it (ON DELETE CASCADE); they are part of the group record.
  Stmt st(conn_, "DELETE FROM user_groups WHERE name = ?");
  st.text(name);
  K4DS_RETURN_IF_ERROR(st.run());
  if (st.changes() == 0) return no_group(name);
  return record_change(RecordKind::group, ChangeOp::deleted, name, "").status();
}

}  // namespace k4ds::sqlite
