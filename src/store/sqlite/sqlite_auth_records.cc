// Browser sessions and API tokens. Their deletions go through the change feed like any record,
// because the gateway learns about revocations (logout, "revoke token", user disabled) there.
#include "store/sqlite/sqlite_tx.h"

namespace k4ds::sqlite {

namespace {

#define K4DS_SESSION_COLUMNS \
  "id_hash, user_name, created_at, expires_at, last_seen_at, client_address, version"
#define K4DS_TOKEN_COLUMNS                                                                   \
  "id, user_name, name, secret_hash, prefix, created_at, expires_at, last_used_at, version"

Session read_session(const Stmt& st) {
  return Session{.id_hash = st.text_at(0), .user = st.text_at(1), .created_at = st.int64_at(2),
                 .expires_at = st.int64_at(3), .last_seen_at = st.int64_at(4),
                 .client_address = st.text_at(5), .version = st.int64_at(6)};
}

ApiToken read_token(const Stmt& st) {
  return ApiToken{.id = st.text_at(0), .user = st.text_at(1), .name = st.text_at(2),
                  .secret_hash = st.text_at(3), .prefix = st.text_at(4),
                  .created_at = st.int64_at(5), .expires_at = st.int64_at(6),
                  .last_used_at = st.int64_at(7), .version = st.int64_at(8)};
}

// Session ids are secrets' hashes: messages never include them.
Status no_session() { return not_found("no such session; log in again"); }
Status no_token(std::string_view id) {
  return not_found("no API token with id " + std::string(id));
}

}  // namespace

Result<Session> SqliteTx::create_session(const Session& session) {
  K4DS_RETURN_IF_ERROR(check_writable());
  if (session.id_hash.empty()) return invalid_argument("a session needs an id hash");
  auto existing = stored_version("SELECT version FROM sessions WHERE id_hash = ?",
                                 {session.id_hash});
  if (!existing) return existing.status();
  if (*existing) return already_exists("a session with that id already exists");
  Result<int64_t> rev =
      record_change(RecordKind::session, ChangeOp::created, session.id_hash, session.user);
  if (!rev) return rev.status();
  Stmt st(conn_, "INSERT INTO sessions (" K4DS_SESSION_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?)");
  st.text(session.id_hash).text(session.user).int64(session.created_at);
  st.int64(session.expires_at).int64(session.last_seen_at).text(session.client_address);
  st.int64(*rev);
  K4DS_RETURN_IF_ERROR(st.run());
  Session out = session;
  out.version = *rev;
  return out;
}

Result<Session> SqliteTx::get_session(std::string_view id_hash) {
  Stmt st(conn_, "SELECT " K4DS_SESSION_COLUMNS " FROM sessions WHERE id_hash = ?");
  st.text(id_hash);
  Result<bool> row = st.step();
  if (!row) return row.status();
  if (!*row) return no_session();
  return read_session(st);
}

Result<Session> SqliteTx::update_session(const Session& session) {
  K4DS_RETURN_IF_ERROR(check_writable());
  auto stored = stored_version("SELECT version FROM sessions WHERE id_hash = ?",
                               {session.id_hash});
  if (!stored) return stored.status();
  if (!*stored) return no_session();
  K4DS_RETURN_IF_ERROR(
      check_version("the session of " + session.user, **stored, session.version));
  Result<int64_t> rev =
      record_change(RecordKind::session, ChangeOp::updated, session.id_hash, session.user);
  if (!rev) return rev.status();
  Stmt st(conn_,
          "UPDATE sessions SET user_name = ?, created_at = ?, expires_at = ?, last_seen_at = ?, "
          "client_address = ?, version = ? WHERE id_hash = ? AND version = ?");
  st.text(session.user).int64(session.created_at).int64(session.expires_at);
  st.int64(session.last_seen_at).text(session.client_address).int64(*rev);
  st.text(session.id_hash).int64(session.version);
  K4DS_RETURN_IF_ERROR(st.run());
  Session out = session;
  out.version = *rev;
  return out;
}

Status SqliteTx::delete_session(std::string_view id_hash) {
  K4DS_RETURN_IF_ERROR(check_writable());
  std::string user;
  {
    Stmt st(conn_, "SELECT user_name FROM sessions WHERE id_hash = ?");
    st.text(id_hash);
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return no_session();
    user = st.text_at(0);
  }
  Stmt st(conn_, "DELETE FROM sessions WHERE id_hash = ?");
  st.text(id_hash);
  K4DS_RETURN_IF_ERROR(st.run());
  return record_change(RecordKind::session, ChangeOp::deleted, id_hash, user).status();
}

// The first column of every row `st` returns (the ids to delete, collected before deleting).
static Result<std::vector<std::string>> collect_ids(Stmt& st) {
  std::vector<std::string> ids;
  for (;;) {
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return ids;
    ids.push_back(st.text_at(0));
  }
}

Result<int> SqliteTx::delete_sessions_of_user(std::string_view user) {
  K4DS_RETURN_IF_ERROR(check_writable());
  Result<std::vector<std::string>> ids = [&] {
    Stmt st(conn_, "SELECT id_hash FROM sessions WHERE user_name = ? ORDER BY id_hash");
    st.text(user);
    return collect_ids(st);
  }();
  if (!ids) return ids.status();
  for (const std::string& id : *ids) K4DS_RETURN_IF_ERROR(delete_session(id));
  return static_cast<int>(ids->size());
}

Result<int> SqliteTx::delete_expired_sessions(int64_t now_ms) {
  K4DS_RETURN_IF_ERROR(check_writable());
  Result<std::vector<std::string>> ids = [&] {
    Stmt st(conn_, "SELECT id_hash FROM sessions WHERE expires_at <= ? ORDER BY id_hash");
    st.int64(now_ms);
    return collect_ids(st);
  }();
  if (!ids) return ids.status();
  for (const std::string& id : *ids) K4DS_RETURN_IF_ERROR(delete_session(id));
  return static_cast<int>(ids->size());
}

Result<std::vector<std::string>> SqliteTx::list_signed_in_users(int64_t now_ms) {
  Stmt st(conn_,
          "SELECT user_name FROM sessions WHERE expires_at > ? UNION "
          "SELECT user_name FROM api_tokens WHERE expires_at = 0 OR expires_at > ? "
          "ORDER BY 1");
  st.int64(now_ms).int64(now_ms);
  return collect_ids(st);
}

Result<ApiToken> SqliteTx::create_token(const ApiToken& token) {
  K4DS_RETURN_IF_ERROR(check_writable());
  if (token.id.empty()) return invalid_argument("an API token needs an id");
  auto by_id = stored_version("SELECT version FROM api_tokens WHERE id = ?", {token.id});
  if (!by_id) return by_id.status();
  if (*by_id) return already_exists("an API token with id " + token.id + " already exists");
  auto by_hash =
      stored_version("SELECT version FROM api_tokens WHERE secret_hash = ?", {token.secret_hash});
  if (!by_hash) return by_hash.status();
  if (*by_hash) return already_exists("an API token with that secret already exists");
  Result<int64_t> rev = record_change(RecordKind::token, ChangeOp::created, token.id, token.user);
  if (!rev) return rev.status();
  Stmt st(conn_,
          "INSERT INTO api_tokens (" K4DS_TOKEN_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.text(token.id).text(token.user).text(token.name).text(token.secret_hash).text(token.prefix);
  st.int64(token.created_at).int64(token.expires_at).int64(token.last_used_at).int64(*rev);
  K4DS_RETURN_IF_ERROR(st.run());
  ApiToken out = token;
  out.version = *rev;
  return out;
}

Result<ApiToken> SqliteTx::get_token(std::string_view id) {
  Stmt st(conn_, "SELECT " K4DS_TOKEN_COLUMNS " FROM api_tokens WHERE id = ?");
  st.text(id);
  Result<bool> row = st.step();
  if (!row) return row.status();
  if (!*row) return no_token(id);
  return read_token(st);
}

Result<ApiToken> SqliteTx::find_token_by_hash(std::string_view secret_hash) {
  Stmt st(conn_, "SELECT " K4DS_TOKEN_COLUMNS " FROM api_tokens WHERE secret_hash = ?");
  st.text(secret_hash);
  Result<bool> row = st.step();
  if (!row) return row.status();
  if (!*row) return not_found("no API token matches; check the token or create a new one");
  return read_token(st);
}

Result<std::vector<ApiToken>> SqliteTx::list_tokens(std::string_view user) {
  Stmt st(conn_, "SELECT " K4DS_TOKEN_COLUMNS
                 " FROM api_tokens WHERE user_name = ? ORDER BY created_at, id");
  st.text(user);
  std::vector<ApiToken> out;
  for (;;) {
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return out;
    out.push_back(read_token(st));
  }
}

Result<ApiToken> SqliteTx::update_token(const ApiToken& token) {
  K4DS_RETURN_IF_ERROR(check_writable());
  auto stored = stored_version("SELECT version FROM api_tokens WHERE id = ?", {token.id});
  if (!stored) return stored.status();
  if (!*stored) return no_token(token.id);
  K4DS_RETURN_IF_ERROR(check_version("API token " + token.id, **stored, token.version));
  {
    Stmt st(conn_, "SELECT id FROM api_tokens WHERE secret_hash = ? AND id <> ?");
    st.text(token.secret_hash).text(token.id);
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (*row) return already_exists("an API token with that secret already exists");
  }
  Result<int64_t> rev = record_change(RecordKind::token, ChangeOp::updated, token.id, token.user);
  if (!rev) return rev.status();
  Stmt st(conn_,
          "UPDATE api_tokens SET user_name = ?, name = ?, secret_hash = ?, prefix = ?, "
          "created_at = ?, expires_at = ?, last_used_at = ?, version = ? "
          "WHERE id = ? AND version = ?");
  st.text(token.user).text(token.name).text(token.secret_hash).text(token.prefix);
  st.int64(token.created_at).int64(token.expires_at).int64(token.last_used_at).int64(*rev);
  st.text(token.id).int64(token.version);
  K4DS_RETURN_IF_ERROR(st.run());
  ApiToken out = token;
  out.version = *rev;
  return out;
}

Status SqliteTx::delete_token(std::string_view id) {
  K4DS_RETURN_IF_ERROR(check_writable());
  std::string user;
  {
    Stmt st(conn_, "SELECT user_name FROM api_tokens WHERE id = ?");
    st.text(id);
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return no_token(id);
    user = st.text_at(0);
  }
  Stmt st(conn_, "DELETE FROM api_tokens WHERE id = ?");
  st.text(id);
  K4DS_RETURN_IF_ERROR(st.run());
  return record_change(RecordKind::token, ChangeOp::deleted, id, user).status();
}

}  // namespace k4ds::sqlite
