#include "auth/authenticator.h"

#include <algorithm>
#include <cctype>

#include "model/validation.h"

namespace k4ds {
namespace {

std::string not_logged_in(std::string_view why) {
  return std::string(why) + "; " + std::string(kLoginHint);
}

Status validate_token_name(std::string_view name) {
  if (name.empty()) return invalid_argument("the token needs a name, e.g. \"laptop\"");
  if (name.size() > 64) return invalid_argument("the token name is longer than 64 characters");
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return invalid_argument("the token name may not contain control characters");
    }
  }
  return ok_status();
}

}  // namespace

Authenticator::Authenticator(Store& store, Services services, AuthenticatorOptions options)
    : store_(store),
      services_(std::move(services)),
      options_(options),
      hasher_(options.password_cost),
      limiter_(services_.clock, options.login_limits) {}

Result<LoginResult> Authenticator::login(std::string_view username_in, std::string_view password,
                                         std::string_view client_address,
                                         std::chrono::seconds* retry_after) {
  // Directories match names without regard to case; one spelling per person keeps the
  // limiter and the store from seeing "Alice" and "alice" as two accounts.
  std::string username(username_in);
  for (char& c : username) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto limited = limiter_.check(username, client_address)) {
    if (retry_after) *retry_after = limited->retry_after;
    return resource_exhausted(limited->message());
  }
  if (!validate_user_name(username).ok()) {
    // No account can have this name, and it never reaches a store query or a directory filter.
    hasher_.verify_dummy(password);
    limiter_.record_failure(username, client_address);
    return unauthenticated(std::string(kWrongCredentials));
  }
  std::optional<User> user;
  Status read = store_.read([&](Tx& tx) -> Status {
    Result<User> found = tx.get_user(username);
    if (found) user = std::move(found).value();
    else if (found.status().code() != Code::not_found) return found.status();
    return ok_status();
  });
  if (!read.ok()) return read;
  if ((user && user->provider != kBuiltinProvider) || (!user && !options_.directories.empty())) {
    return login_with_directory(user, username, password, client_address);
  }

  bool good = false;
  if (user && !user->password_hash.empty()) {
    good = hasher_.verify(user->password_hash, password);
  } else {
    hasher_.verify_dummy(password);  // same cost as a real verify: no timing oracle
  }
  if (!good) {
    limiter_.record_failure(username, client_address);
    if (user) K4DS_RETURN_IF_ERROR(collision_check(username, password, kBuiltinProvider));
    return unauthenticated(std::string(kWrongCredentials));
  }
  limiter_.record_success(username);
  if (user->disabled) {
    return permission_denied("the account " + user->name + " is disabled; ask your admin");
  }

  std::optional<std::string> new_hash;
  if (hasher_.needs_rehash(user->password_hash)) {
    if (auto h = hasher_.hash(password)) new_hash = std::move(h).value();
  }
  return start_session(std::move(*user), client_address, std::move(new_hash));
}

Result<LoginResult> Authenticator::start_session(User user, std::string_view client_address,
                                                 std::optional<std::string> new_hash) {
  TimePoint now = services_.clock->now();
  LoginResult result;
  result.cookie_value = random_token(*services_.random, 32);
  result.session = Session{.id_hash = sha256_hex(result.cookie_value),
                           .user = user.name,
                           .created_at = to_unix_ms(now),
                           .expires_at = to_unix_ms(now + options_.session_ttl),
                           .last_seen_at = to_unix_ms(now),
                           .client_address = std::string(client_address)};
  Status written = store_.write([&](Tx& tx) -> Status {
    // Logins are rare enough to pay for keeping the session table small.
    if (auto swept = tx.delete_expired_sessions(to_unix_ms(now)); !swept) return swept.status();
    Result<Session> created = tx.create_session(result.session);
    if (!created) return created.status();
    result.session = std::move(created).value();
    if (new_hash) {
      User upgraded = user;
      upgraded.password_hash = *new_hash;
      upgraded.updated_at = to_unix_ms(now);
      if (auto updated = tx.update_user(upgraded)) user = std::move(updated).value();
      // A concurrent edit of the user wins; the rehash happens at the next login.
    }
    return ok_status();
  });
  if (!written.ok()) return written;
  result.user = std::move(user);
  return result;
}

Result<User> Authenticator::active_user(Tx& tx, std::string_view name) {
  Result<User> user = tx.get_user(name);
  if (!user) {
    if (user.status().code() == Code::not_found) {
      return unauthenticated(not_logged_in("the account " + std::string(name) + " no longer exists"));
    }
    return user.status();
  }
  if (user->disabled) {
    return unauthenticated("the account " + user->name + " is disabled; ask your admin");
  }
  return user;
}

Result<Principal> Authenticator::authenticate_session(std::string_view cookie_value) {
  if (cookie_value.empty()) return unauthenticated(not_logged_in("you are not logged in"));
  return authenticate_session_hash(sha256_hex(cookie_value));
}

Result<Session> Authenticator::create_session(std::string_view user, std::string_view id_hash,
                                              std::string_view client_address) {
  TimePoint now = services_.clock->now();
  Session session{.id_hash = std::string(id_hash),
                  .user = std::string(user),
                  .created_at = to_unix_ms(now),
                  .expires_at = to_unix_ms(now + options_.session_ttl),
                  .last_seen_at = to_unix_ms(now),
                  .client_address = std::string(client_address)};
  Status written = store_.write([&](Tx& tx) -> Status {
    Result<User> active = active_user(tx, user);
    if (!active) return active.status();
    Result<Session> created = tx.create_session(session);
    if (!created) return created.status();
    session = std::move(created).value();
    return ok_status();
  });
  if (!written.ok()) return written;
  return session;
}

Result<Principal> Authenticator::authenticate_session_hash(std::string_view id_hash_view) {
  std::string id_hash(id_hash_view);
  TimePoint now = services_.clock->now();
  int64_t now_ms = to_unix_ms(now);
  Session session;
  Principal principal;
  bool expired = false;
  Status read = store_.read([&](Tx& tx) -> Status {
    Result<Session> found = tx.get_session(id_hash);
    if (!found) {
      if (found.status().code() == Code::not_found) {
        return unauthenticated(not_logged_in("your session has expired or was revoked"));
      }
      return found.status();
    }
    session = std::move(found).value();
    if (session.expires_at <= now_ms) {
      expired = true;
      return ok_status();
    }
    Result<User> user = active_user(tx, session.user);
    if (!user) return user.status();
    principal.user = std::move(user).value();
    return ok_status();
  });
  if (expired) {
    (void)logout_session_hash(id_hash);
    return unauthenticated(not_logged_in("your session has expired"));
  }
  if (!read.ok()) return read;
  principal.method = AuthMethod::session;
  principal.session_id_hash = id_hash;

  if (now_ms - session.last_seen_at >= std::chrono::duration_cast<std::chrono::milliseconds>(options_.touch_interval).count()) {
    // Best effort: a lost race or a busy store must not fail the request.
    (void)store_.write([&](Tx& tx) -> Status {
      Result<Session> current = tx.get_session(id_hash);
      if (!current) return current.status();
      current->last_seen_at = now_ms;
      return tx.update_session(*current).status();
    });
  }
  return principal;
}

Status Authenticator::logout(std::string_view cookie_value) {
  if (cookie_value.empty()) return ok_status();
  return logout_session_hash(sha256_hex(cookie_value));
}

Status Authenticator::logout_session_hash(std::string_view id_hash) {
  return store_.write([&](Tx& tx) -> Status {
    Status s = tx.delete_session(id_hash);
    return s.code() == Code::not_found ? ok_status() : s;
  });
}

Result<CreatedToken> Authenticator::create_token(std::string_view user, std::string_view name,
                                                 std::optional<std::chrono::seconds> expires_in) {
  K4DS_RETURN_IF_ERROR(validate_token_name(name));
  if (expires_in && expires_in->count() <= 0) {
    return invalid_argument("a token's lifetime must be positive; omit it for no expiry");
  }
  TimePoint now = services_.clock->now();
  CreatedToken created;
  created.secret = std::string(kTokenSecretPrefix) + random_token(*services_.random, 32);
  ApiToken token{.id = std::string(kTokenIdPrefix) + random_token(*services_.random, 12),
                 .user = std::string(user),
                 .name = std::string(name),
                 .secret_hash = sha256_hex(created.secret),
                 .prefix = created.secret.substr(0, kTokenDisplayPrefixLength),
                 .created_at = to_unix_ms(now),
                 .expires_at = expires_in ? to_unix_ms(now + *expires_in) : 0};
  Status s = store_.write([&](Tx& tx) -> Status {
    Result<User> owner = tx.get_user(user);
    if (!owner) return owner.status();
    Result<ApiToken> stored = tx.create_token(token);
    if (!stored) return stored.status();
    created.token = std::move(stored).value();
    return ok_status();
  });
  if (!s.ok()) return s;
  return created;
}

Result<Principal> Authenticator::authenticate_token(std::string_view secret) {
  if (!secret.starts_with(kTokenSecretPrefix)) {
    return unauthenticated(not_logged_in("that is not a k4ds API token (they start with k4ds_)"));
  }
  std::string hash = sha256_hex(secret);
  int64_t now_ms = to_unix_ms(services_.clock->now());
  ApiToken token;
  Principal principal;
  Status read = store_.read([&](Tx& tx) -> Status {
    Result<ApiToken> found = tx.find_token_by_hash(hash);
    if (!found) {
      if (found.status().code() == Code::not_found) {
        return unauthenticated(not_logged_in("this API token is unknown or was revoked"));
      }
      return found.status();
    }
    token = std::move(found).value();
    if (token.expires_at != 0 && token.expires_at <= now_ms) {
      return unauthenticated(not_logged_in("this API token expired; create a new one"));
    }
    Result<User> user = active_user(tx, token.user);
    if (!user) return user.status();
    principal.user = std::move(user).value();
    return ok_status();
  });
  if (!read.ok()) return read;
  principal.method = AuthMethod::token;
  principal.token_id = token.id;

  int64_t interval_ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.touch_interval).count();
  if (token.last_used_at == 0 || now_ms - token.last_used_at >= interval_ms) {
    (void)store_.write([&](Tx& tx) -> Status {
      Result<ApiToken> current = tx.get_token(token.id);
      if (!current) return current.status();
      current->last_used_at = now_ms;
      return tx.update_token(*current).status();
    });
  }
  return principal;
}

Result<std::vector<ApiToken>> Authenticator::list_tokens(std::string_view user) {
  std::vector<ApiToken> tokens;
  Status s = store_.read([&](Tx& tx) -> Status {
    Result<std::vector<ApiToken>> listed = tx.list_tokens(user);
    if (!listed) return listed.status();
    tokens = std::move(listed).value();
    return ok_status();
  });
  if (!s.ok()) return s;
  return tokens;
}

Status Authenticator::revoke_token(std::string_view id, std::optional<std::string_view> owner) {
  return store_.write([&](Tx& tx) -> Status {
    Result<ApiToken> token = tx.get_token(id);
    if (!token || (owner && token->user != *owner)) {
      if (token || token.status().code() == Code::not_found) {
        return not_found("there is no token with id " + std::string(id) +
                         "; list yours with GET /api/v1/tokens");
      }
      return token.status();
    }
    return tx.delete_token(id);
  });
}

Result<User> Authenticator::create_user(User user, std::string_view password) {
  K4DS_RETURN_IF_ERROR(validate_user_name(user.name));
  if (!password.empty()) {
    Result<std::string> hash = hasher_.hash(password);
    if (!hash) return hash.status();
    user.password_hash = std::move(hash).value();
  }
  if (user.provider.empty()) user.provider = "local";
  int64_t now_ms = to_unix_ms(services_.clock->now());
  user.created_at = user.updated_at = now_ms;
  Result<User> created = user;
  Status s = store_.write([&](Tx& tx) -> Status {
    created = tx.create_user(user);
    return created.status();
  });
  if (s.code() == Code::already_exists) {
    return already_exists("a user named " + user.name + " already exists; choose another name");
  }
  if (!s.ok()) return s;
  return created;
}

Status Authenticator::set_password(std::string_view name, std::string_view password) {
  Result<std::string> hash = hasher_.hash(password);
  if (!hash) return hash.status();
  int64_t now_ms = to_unix_ms(services_.clock->now());
  return store_.write([&](Tx& tx) -> Status {
    Result<User> user = tx.get_user(name);
    if (!user) return user.status();
    user->password_hash = *hash;
    user->updated_at = now_ms;
    return tx.update_user(*user).status();
  });
}

Result<bool> Authenticator::bootstrap_admin(std::string_view name, std::string_view password) {
  K4DS_RETURN_IF_ERROR(validate_user_name(name));
  Result<std::string> hash = hasher_.hash(password);
  if (!hash) return hash.status();
  int64_t now_ms = to_unix_ms(services_.clock->now());
  bool created = false;
  Status s = store_.write([&](Tx& tx) -> Status {
    Result<std::vector<User>> users = tx.list_users();
    if (!users) return users.status();
    if (std::any_of(users->begin(), users->end(), [](const User& u) { return u.admin; })) {
      return ok_status();
    }
    created = true;
    Result<User> existing = tx.get_user(name);
    if (existing) {
      existing->admin = true;
      existing->disabled = false;
      existing->password_hash = *hash;
      existing->updated_at = now_ms;
      return tx.update_user(*existing).status();
    }
    if (existing.status().code() != Code::not_found) return existing.status();
    User admin{.name = std::string(name), .display_name = std::string(name),
               .password_hash = *hash, .admin = true, .created_at = now_ms,
               .updated_at = now_ms};
    return tx.create_user(admin).status();
  });
  if (!s.ok()) return s;
  return created;
}

}  // namespace k4ds
