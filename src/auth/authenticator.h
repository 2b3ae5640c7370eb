// Identity for built-in users: logins, browser sessions and personal API tokens.
//
// Contract
// - Secrets never reach the store: a session cookie value and an API token secret are 32 random
//   bytes; only their SHA-256 (hex) is stored, so a leaked database opens no session.
// - One answer for an unknown user and a wrong password (Code::unauthenticated, "wrong user
//   name or password"), with the same argon2id cost spent on both. Too many failures give
//   Code::resource_exhausted with the wait (LoginLimiter).
// - authenticate_* refuse (Code::unauthenticated) an unknown, expired or revoked credential and
//   one whose user is disabled or deleted; an expired session is deleted when seen.
// - last_seen_at / last_used_at are written at most once per `touch_interval` per credential,
//   so authenticating is a read, not a write, on almost every request.
// - All methods block on the store and on argon2id: call them from worker threads.
// - Directory users (options.directories, see auth/directory_provider.h): login names are
//   lowercased; a name the store knows goes to the provider recorded on the user; an unknown
//   name is looked up in every directory and, on the first good login, provisioned (provider
//   recorded, attributes and directory groups synced; local groups are never touched). The
//   same 401 answers an unknown user and a wrong password there too; a directory that does not
//   answer gives Code::unavailable with its address. A name that belongs to another provider
//   (built-in `admin`, say) is refused with permission_denied once the directory confirmed the
//   password, never merged. Sessions live in the store, so they keep working while a
//   directory is down.
//
// Usage:
//   Authenticator auth(store, services, AuthenticatorOptions{.session_ttl = 12h});
//   std::chrono::seconds wait{};
//   Result<LoginResult> login = auth.login("alice", "pw", "10.0.0.7", &wait);
//   set_cookie(login->cookie_value);
//   Result<Principal> who = auth.authenticate_session(cookie_value);
//   Result<CreatedToken> token = auth.create_token("alice", "laptop", std::nullopt);
//   print(token->secret);  // shown once
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/directory_provider.h"
#include "auth/login_limiter.h"
#include "auth/passwords.h"
#include "common/result.h"
#include "common/services.h"
#include "model/model.h"
#include "store/store.h"

namespace k4ds {

inline constexpr std::string_view kTokenSecretPrefix = "k4ds_";
inline constexpr std::string_view kTokenIdPrefix = "tok_";
inline constexpr std::size_t kTokenDisplayPrefixLength = 12;
inline constexpr std::string_view kWrongCredentials = "wrong user name or password";

struct AuthenticatorOptions {
  std::chrono::seconds session_ttl = std::chrono::hours(12);
  LoginLimits login_limits;
  PasswordCost password_cost = PasswordCost::interactive();
  std::chrono::seconds touch_interval = std::chrono::minutes(1);
  // Directory identity providers, asked in this order about names the store does not know.
  std::vector<std::shared_ptr<DirectoryProvider>> directories;
};

enum class AuthMethod { session, token };

// Who is calling, and through which credential.
struct Principal {
  User user;
  AuthMethod method = AuthMethod::session;
  std::string session_id_hash;  // when method == session
  std::string token_id;         // when method == token
};

struct LoginResult {
  std::string cookie_value;  // the secret; goes into the k4ds_session cookie and nowhere else
  Session session;
  User user;
};

struct CreatedToken {
  ApiToken token;
  std::string secret;  // "k4ds_…"; shown once
};

class Authenticator {
 public:
  Authenticator(Store& store, Services services, AuthenticatorOptions options = {});

  // On Code::resource_exhausted, *retry_after (if given) is set to the wait.
  Result<LoginResult> login(std::string_view username, std::string_view password,
                            std::string_view client_address,
                            std::chrono::seconds* retry_after = nullptr);
  Result<Principal> authenticate_session(std::string_view cookie_value);
  // The same, for callers that derive the stored hash themselves (the gateway's host-bound
  // workspace cookies store sha256 of host + secret).
  Result<Principal> authenticate_session_hash(std::string_view id_hash);
  // Stores a session for an already authenticated user (e.g. after a one-time code exchange);
  // the caller keeps the secret and passes only its hash. Refuses a disabled or unknown user.
  Result<Session> create_session(std::string_view user, std::string_view id_hash,
                                 std::string_view client_address);
  // Revokes the session of cookie_value; ok if it was already gone.
  Status logout(std::string_view cookie_value);
  Status logout_session_hash(std::string_view id_hash);

  // expires_in: nullopt = never expires. The name is required (1-64 characters).
  Result<CreatedToken> create_token(std::string_view user, std::string_view name,
                                    std::optional<std::chrono::seconds> expires_in);
  Result<Principal> authenticate_token(std::string_view secret);
  Result<std::vector<ApiToken>> list_tokens(std::string_view user);
  // Revokes token `id`. When `owner` is set, a token of another user is reported as not found.
  Status revoke_token(std::string_view id, std::optional<std::string_view> owner);

  // Creates a local user; `password` empty = no password login. Validates the name.
  Result<User> create_user(User user, std::string_view password);
  // Replaces the user's password (hashing happens outside the transaction).
  Status set_password(std::string_view user, std::string_view password);
  // Creates `name` as an admin with `password` iff the store holds no admin yet; returns true
  // if it did. An existing user of that name is promoted (and given the password) instead.
  Result<bool> bootstrap_admin(std::string_view name, std::string_view password);

  // Directory users (directory_login.cc). Writes what the directory says about an existing
  // user of provider.name(): attributes and membership of that provider's groups; local
  // groups and other providers' groups are left alone. not_found if the user is gone.
  Status refresh_directory_user(const DirectoryProvider& provider, const DirectoryAccount& account);
  // Ends every way `user` is signed in: sessions and API tokens. Returns how many went.
  Result<int> revoke_credentials(std::string_view user);

  const PasswordHasher& hasher() const { return hasher_; }
  LoginLimiter& limiter() { return limiter_; }
  const AuthenticatorOptions& options() const { return options_; }

 private:
  Result<User> active_user(Tx& tx, std::string_view name);
  // A session for a user whose credentials were just verified.
  Result<LoginResult> start_session(User user, std::string_view client_address,
                                    std::optional<std::string> new_password_hash);
  // directory_login.cc
  Result<LoginResult> login_with_directory(const std::optional<User>& known,
                                           const std::string& username, std::string_view password,
                                           std::string_view client_address);
  Result<LoginResult> finish_directory_login(const DirectoryProvider& provider,
                                             const DirectoryAccount& account,
                                             const std::string& username,
                                             std::string_view client_address);
  // When `username`'s own provider refused the password: if another directory accepts it,
  // the refusal says that the name is taken (never merged). ok = no such collision.
  Status collision_check(const std::string& username, std::string_view password,
                         std::string_view owner_provider);
  DirectoryProvider* find_directory(std::string_view name) const;

  Store& store_;
  Services services_;
  AuthenticatorOptions options_;
  PasswordHasher hasher_;
  LoginLimiter limiter_;
};

// The message for a missing or refused credential, telling people how to log in.
inline constexpr std::string_view kLoginHint = "log in with `k4ds login` or POST /api/v1/login";

}  // namespace k4ds
