#include "auth/authenticator.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "auth/auth_test_support.h"

namespace k4ds {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::FakeClock;
using testing::TempStore;

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    K4DS_ASSERT_OK(auth_.create_user(User{.name = "alice"}, "alice-pw"));
    K4DS_ASSERT_OK(auth_.create_user(User{.name = "bob"}, "bob-pw"));
  }

  Result<User> user(std::string_view name) {
    Result<User> out = not_found("unset");
    (void)store_->read([&](Tx& tx) {
      out = tx.get_user(name);
      return ok_status();
    });
    return out;
  }
  void update_user(std::string_view name, const std::function<void(User&)>& change) {
    K4DS_ASSERT_OK(store_->write([&](Tx& tx) -> Status {
      Result<User> u = tx.get_user(name);
      if (!u) return u.status();
      change(*u);
      return tx.update_user(*u).status();
    }));
  }
  Result<ApiToken> stored_token(std::string_view id) {
    Result<ApiToken> out = not_found("unset");
    (void)store_->read([&](Tx& tx) {
      out = tx.get_token(id);
      return ok_status();
    });
    return out;
  }

  TempStore store_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  Services services_{clock_, Services::system().random};
  Authenticator auth_{*store_, services_,
                      AuthenticatorOptions{.session_ttl = hours(12),
                                           .login_limits = {.per_user = 3, .per_address = 10},
                                           .password_cost = PasswordCost::minimum()}};
};

TEST_F(AuthenticatorTest, LoginCreatesASessionStoredOnlyAsAHash) {
  auto login = auth_.login("alice", "alice-pw", "10.0.0.1");
  ASSERT_TRUE(login.ok()) << login.status().to_string();
  EXPECT_EQ(login->user.name, "alice");
  EXPECT_GE(login->cookie_value.size(), 43u);  // 32 random bytes, base64url
  EXPECT_EQ(login->session.id_hash, sha256_hex(login->cookie_value));
  EXPECT_EQ(login->session.expires_at - login->session.created_at, 12 * 3600 * 1000);
  EXPECT_EQ(login->session.client_address, "10.0.0.1");

  auto who = auth_.authenticate_session(login->cookie_value);
  ASSERT_TRUE(who.ok()) << who.status().to_string();
  EXPECT_EQ(who->user.name, "alice");
  EXPECT_EQ(who->method, AuthMethod::session);
  // The hash is not a credential.
  K4DS_EXPECT_CODE(auth_.authenticate_session(login->session.id_hash), Code::unauthenticated);
}

TEST_F(AuthenticatorTest, UnknownUserAndWrongPasswordGetTheSameAnswer) {
  auto unknown = auth_.login("mallory", "x", "a");
  auto wrong = auth_.login("alice", "x", "b");
  ASSERT_FALSE(unknown.ok());
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(unknown.status().code(), Code::unauthenticated);
  EXPECT_EQ(wrong.status().code(), Code::unauthenticated);
  EXPECT_EQ(unknown.status().message(), wrong.status().message());
  EXPECT_EQ(wrong.status().message(), "wrong user name or password");
}

TEST_F(AuthenticatorTest, UserWithoutPasswordCannotLogIn) {
  K4DS_ASSERT_OK(auth_.create_user(User{.name = "ldapuser"}, ""));
  K4DS_EXPECT_CODE(auth_.login("ldapuser", "", "a"), Code::unauthenticated);
}

TEST_F(AuthenticatorTest, LoginIsRateLimitedWithRetryAfter) {
  for (int i = 0; i < 3; ++i) K4DS_EXPECT_CODE(auth_.login("alice", "nope", "a"), Code::unauthenticated);
  seconds retry_after{0};
  auto limited = auth_.login("alice", "alice-pw", "a", &retry_after);  // right password, still no
  K4DS_EXPECT_CODE(limited, Code::resource_exhausted);
  EXPECT_EQ(limited.status().message(),
            "too many failed logins for this account; try again in 5 minutes");
  EXPECT_EQ(retry_after, minutes(5));
  clock_->advance(minutes(5));
  EXPECT_TRUE(auth_.login("alice", "alice-pw", "a").ok());
}

TEST_F(AuthenticatorTest, SessionExpiresAndIsDeleted) {
  auto login = auth_.login("alice", "alice-pw", "a");
  ASSERT_TRUE(login.ok());
  clock_->advance(hours(12) - seconds(1));
  EXPECT_TRUE(auth_.authenticate_session(login->cookie_value).ok());
  clock_->advance(seconds(1));
  auto expired = auth_.authenticate_session(login->cookie_value);
  K4DS_EXPECT_CODE(expired, Code::unauthenticated);
  EXPECT_NE(expired.status().message().find("k4ds login"), std::string::npos);
  bool gone = false;
  (void)store_->read([&](Tx& tx) {
    gone = tx.get_session(login->session.id_hash).status().code() == Code::not_found;
    return ok_status();
  });
  EXPECT_TRUE(gone);
}

TEST_F(AuthenticatorTest, LogoutRevokesTheSession) {
  auto login = auth_.login("alice", "alice-pw", "a");
  ASSERT_TRUE(login.ok());
  K4DS_ASSERT_OK(auth_.logout(login->cookie_value));
  K4DS_EXPECT_CODE(auth_.authenticate_session(login->cookie_value), Code::unauthenticated);
  K4DS_EXPECT_CODE(auth_.logout(login->cookie_value), Code::ok);  // idempotent
}

TEST_F(AuthenticatorTest, DisabledUserIsRefusedEverywhere) {
  auto login = auth_.login("alice", "alice-pw", "a");
  auto token = auth_.create_token("alice", "laptop", std::nullopt);
  ASSERT_TRUE(login.ok() && token.ok());
  update_user("alice", [](User& u) { u.disabled = true; });
  K4DS_EXPECT_CODE(auth_.authenticate_session(login->cookie_value), Code::unauthenticated);
  K4DS_EXPECT_CODE(auth_.authenticate_token(token->secret), Code::unauthenticated);
  auto again = auth_.login("alice", "alice-pw", "a");
  K4DS_EXPECT_CODE(again, Code::permission_denied);
  EXPECT_NE(again.status().message().find("disabled"), std::string::npos);
  // A wrong password does not learn that the account is disabled.
  EXPECT_EQ(auth_.login("alice", "bad", "a").status().message(), "wrong user name or password");
}

TEST_F(AuthenticatorTest, DeletedUserIsRefused) {
  auto login = auth_.login("bob", "bob-pw", "a");
  auto token = auth_.create_token("bob", "ci", std::nullopt);
  ASSERT_TRUE(login.ok() && token.ok());
  K4DS_ASSERT_OK(store_->write([](Tx& tx) { return tx.delete_user("bob"); }));
  K4DS_EXPECT_CODE(auth_.authenticate_session(login->cookie_value), Code::unauthenticated);
  K4DS_EXPECT_CODE(auth_.authenticate_token(token->secret), Code::unauthenticated);
}

TEST_F(AuthenticatorTest, TokenSecretIsShownOnceAndStoredHashed) {
  auto created = auth_.create_token("alice", "laptop", std::nullopt);
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  EXPECT_TRUE(created->secret.starts_with("k4ds_"));
  EXPECT_TRUE(created->token.id.starts_with("tok_"));
  EXPECT_EQ(created->token.prefix, created->secret.substr(0, 12));
  EXPECT_EQ(created->token.secret_hash, sha256_hex(created->secret));
  EXPECT_EQ(created->token.expires_at, 0);

  auto listed = auth_.list_tokens("alice");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, created->token.id);

  // The secret appears nowhere in the database files.
  for (const auto& entry : std::filesystem::directory_iterator(store_.dir())) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    EXPECT_EQ(content.str().find(created->secret.substr(5)), std::string::npos) << entry.path();
  }

  auto who = auth_.authenticate_token(created->secret);
  ASSERT_TRUE(who.ok()) << who.status().to_string();
  EXPECT_EQ(who->user.name, "alice");
  EXPECT_EQ(who->method, AuthMethod::token);
  EXPECT_EQ(who->token_id, created->token.id);
}

TEST_F(AuthenticatorTest, MalformedAndUnknownTokensAreRefused) {
  for (std::string_view secret : {"", "abc", "k4ds_", "k4ds_notarealtoken"}) {
    K4DS_EXPECT_CODE(auth_.authenticate_token(secret), Code::unauthenticated);
  }
}

TEST_F(AuthenticatorTest, RevokedTokenIsRefusedAndOnlyTheOwnerMayRevoke) {
  auto created = auth_.create_token("alice", "laptop", std::nullopt);
  ASSERT_TRUE(created.ok());
  K4DS_EXPECT_CODE(auth_.revoke_token(created->token.id, std::string_view("bob")), Code::not_found);
  EXPECT_TRUE(auth_.authenticate_token(created->secret).ok());
  K4DS_ASSERT_OK(auth_.revoke_token(created->token.id, std::string_view("alice")));
  K4DS_EXPECT_CODE(auth_.authenticate_token(created->secret), Code::unauthenticated);
  K4DS_EXPECT_CODE(auth_.revoke_token(created->token.id, std::nullopt), Code::not_found);
}

TEST_F(AuthenticatorTest, TokenExpires) {
  auto created = auth_.create_token("alice", "short", hours(24));
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->token.expires_at, created->token.created_at + 24 * 3600 * 1000);
  clock_->advance(hours(24) - seconds(1));
  EXPECT_TRUE(auth_.authenticate_token(created->secret).ok());
  clock_->advance(seconds(1));
  auto expired = auth_.authenticate_token(created->secret);
  K4DS_EXPECT_CODE(expired, Code::unauthenticated);
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
}

TEST_F(AuthenticatorTest, TokenNameAndLifetimeAreValidated) {
  K4DS_EXPECT_CODE(auth_.create_token("alice", "", std::nullopt), Code::invalid_argument);
  K4DS_EXPECT_CODE(auth_.create_token("alice", std::string(65, 'x'), std::nullopt),
                   Code::invalid_argument);
  K4DS_EXPECT_CODE(auth_.create_token("alice", "x", seconds(0)), Code::invalid_argument);
  K4DS_EXPECT_CODE(auth_.create_token("nobody", "x", std::nullopt), Code::not_found);
}

TEST_F(AuthenticatorTest, LastUsedIsWrittenAtMostOncePerMinute) {
  auto created = auth_.create_token("alice", "laptop", std::nullopt);
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(auth_.authenticate_token(created->secret).ok());
  auto first = stored_token(created->token.id);
  ASSERT_TRUE(first.ok());
  int64_t t0 = to_unix_ms(clock_->now());
  EXPECT_EQ(first->last_used_at, t0);

  clock_->advance(seconds(59));
  ASSERT_TRUE(auth_.authenticate_token(created->secret).ok());
  auto second = stored_token(created->token.id);
  EXPECT_EQ(second->last_used_at, t0);
  EXPECT_EQ(second->version, first->version);  // no write at all

  clock_->advance(seconds(1));
  ASSERT_TRUE(auth_.authenticate_token(created->secret).ok());
  EXPECT_EQ(stored_token(created->token.id)->last_used_at, t0 + 60'000);
}

TEST_F(AuthenticatorTest, CreateUserValidatesAndHashes) {
  K4DS_EXPECT_CODE(auth_.create_user(User{.name = "Bad_Name"}, "pw"), Code::invalid_argument);
  auto dup = auth_.create_user(User{.name = "alice"}, "pw");
  K4DS_EXPECT_CODE(dup, Code::already_exists);
  auto stored = user("alice");
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->password_hash.starts_with("$argon2id$"));
  EXPECT_EQ(stored->provider, "local");
}

TEST_F(AuthenticatorTest, SetPasswordReplacesTheOldOne) {
  K4DS_ASSERT_OK(auth_.set_password("alice", "new-pw"));
  K4DS_EXPECT_CODE(auth_.login("alice", "alice-pw", "a"), Code::unauthenticated);
  EXPECT_TRUE(auth_.login("alice", "new-pw", "a").ok());
}

TEST_F(AuthenticatorTest, LoginUpgradesAWeakerHash) {
  Authenticator stronger(*store_, services_,
                         AuthenticatorOptions{.password_cost = PasswordCost::interactive()});
  auto before = user("alice");
  ASSERT_TRUE(stronger.hasher().needs_rehash(before->password_hash));
  ASSERT_TRUE(stronger.login("alice", "alice-pw", "a").ok());
  auto after = user("alice");
  EXPECT_NE(after->password_hash, before->password_hash);
  EXPECT_FALSE(stronger.hasher().needs_rehash(after->password_hash));
  EXPECT_TRUE(stronger.login("alice", "alice-pw", "a").ok());
}

TEST_F(AuthenticatorTest, BootstrapAdminOnlyWhenThereIsNone) {
  auto first = auth_.bootstrap_admin("admin", "admin-pw");
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_TRUE(*first);
  EXPECT_TRUE(user("admin")->admin);
  EXPECT_TRUE(auth_.login("admin", "admin-pw", "a").ok());
  auto second = auth_.bootstrap_admin("carol", "x");
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_FALSE(*second);
  K4DS_EXPECT_CODE(user("carol"), Code::not_found);
}

}  // namespace
}  // namespace k4ds

namespace k4ds {
namespace {

TEST_F(AuthenticatorTest, SessionsCreatedFromAHashAuthenticateByThatHash) {
  std::string hash = sha256_hex("host-bound secret");
  auto session = auth_.create_session("alice", hash, "10.0.0.3");
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  EXPECT_EQ(session->expires_at - session->created_at, 12 * 3600 * 1000);
  auto who = auth_.authenticate_session_hash(hash);
  ASSERT_TRUE(who.ok()) << who.status().to_string();
  EXPECT_EQ(who->user.name, "alice");
  K4DS_EXPECT_CODE(auth_.create_session("nobody", sha256_hex("x"), "a"), Code::unauthenticated);
  update_user("bob", [](User& u) { u.disabled = true; });
  K4DS_EXPECT_CODE(auth_.create_session("bob", sha256_hex("y"), "a"), Code::unauthenticated);
}

}  // namespace
}  // namespace k4ds
