#include "store/sqlite/sqlite_tx.h"

#include <optional>

namespace k4ds::sqlite {

namespace {

std::optional<RecordKind> parse_kind(std::string_view text) {
  for (RecordKind k : {RecordKind::user, RecordKind::group, RecordKind::workspace,
                       RecordKind::workspace_event, RecordKind::volume, RecordKind::share,
                       RecordKind::session, RecordKind::token, RecordKind::policy,
                       RecordKind::quota}) {
    if (text == record_kind_name(k)) return k;
  }
  return std::nullopt;
}

std::optional<ChangeOp> parse_op(std::string_view text) {
  for (ChangeOp op : {ChangeOp::created, ChangeOp::updated, ChangeOp::deleted}) {
    if (text == change_op_name(op)) return op;
  }
  return std::nullopt;
}

}  // namespace

const char* principal_kind_name(PrincipalKind kind) {
  return kind == PrincipalKind::user ? "user" : "group";
}

std::string share_key(std::string_view workspace_id, PrincipalKind kind,
                      std::string_view principal) {
  std::string key(workspace_id);
  key.append("/").append(principal_kind_name(kind)).append("/").append(principal);
  return key;
}

Status SqliteTx::check_writable() const {
  if (writable_) return Status();
  return internal_error("a write was attempted inside Store::read; use Store::write");
}

Result<int64_t> SqliteTx::record_change(RecordKind kind, ChangeOp op, std::string_view key,
                                        std::string_view user) {
  if (!revision_loaded_) {
    Stmt st(conn_, "SELECT revision FROM store_state WHERE id = 1");
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return internal_error("the store_state row is missing; the database is damaged");
    revision_ = st.int64_at(0);
    revision_loaded_ = true;
  }
  int64_t next = revision_ + 1;
  Stmt st(conn_,
          "INSERT INTO changes (revision, kind, op, record_key, user_name) VALUES (?, ?, ?, ?, ?)");
  st.int64(next).text(record_kind_name(kind)).text(change_op_name(op)).text(key).text(user);
  K4DS_RETURN_IF_ERROR(st.run());
  revision_ = next;
  changed_ = true;
  return next;
}

Status SqliteTx::finish() {
  if (!changed_) return Status();
  Stmt st(conn_, "UPDATE store_state SET revision = ? WHERE id = 1");
  st.int64(revision_);
  return st.run();
}

Result<std::optional<int64_t>> SqliteTx::stored_version(
    const char* sql, std::initializer_list<std::string_view> keys) {
  Stmt st(conn_, sql);
  for (std::string_view k : keys) st.text(k);
  Result<bool> row = st.step();
  if (!row) return row.status();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>(st.int64_at(0));
}

Status SqliteTx::check_version(std::string_view label, int64_t stored, int64_t given) {
  if (stored == given) return Status();
  return aborted(std::string(label) + " was changed by someone else (version " +
                 std::to_string(stored) + ", you had " + std::to_string(given) +
                 "); re-read and retry");
}

Result<std::vector<Change>> SqliteTx::list_changes(int64_t after, int limit) {
  if (limit <= 0) return std::vector<Change>();
  Stmt st(conn_,
          "SELECT revision, kind, op, record_key, user_name FROM changes "
          "WHERE revision > ? ORDER BY revision LIMIT ?");
  st.int64(after).int64(limit);
  std::vector<Change> out;
  for (;;) {
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) break;
    std::optional<RecordKind> kind = parse_kind(st.text_at(1));
    std::optional<ChangeOp> op = parse_op(st.text_at(2));
    if (!kind || !op) {
      return internal_error("change " + std::to_string(st.int64_at(0)) +
                            " has an unknown kind or op; the database was written by a newer k4ds");
    }
    out.push_back(Change{.revision = st.int64_at(0), .kind = *kind, .op = *op,
                         .key = st.text_at(3), .user = st.text_at(4)});
  }
  return out;
}

Result<int64_t> SqliteTx::revision() {
  if (revision_loaded_) return revision_;
  Stmt st(conn_, "SELECT revision FROM store_state WHERE id = 1");
  Result<bool> row = st.step();
  if (!row) return row.status();
  return *row ? st.int64_at(0) : int64_t{0};
}

}  // namespace k4ds::sqlite
