// The Authenticator with a real directory: provisioning on the first login, groups synced
// (local groups left alone), one answer for unknown users and wrong passwords, names that
// collide refused, the limiter in front, a directory that goes down and comes back, and the
// re-check that revokes sessions of users removed or disabled in the directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "auth/auth_test_support.h"
#include "auth/authenticator.h"
#include "directory/directory_test_support.h"
#include "directory/ldap_directory.h"
#include "directory/recheck.h"

namespace k4ds {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::FakeClock;
using testing::Slapd;
using testing::TempStore;

constexpr const char* kBuiltinAdminPassword = "builtin-admin-pw";

class DirectoryLoginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    K4DS_REQUIRE_SLAPD(slapd_);
    corp_ = std::make_shared<LdapDirectory>(testing::search_config(slapd_));
    auth_ = make_auth({corp_});
    K4DS_ASSERT_OK(auth_->create_user(User{.name = "admin", .admin = true}, kBuiltinAdminPassword));
  }

  std::unique_ptr<Authenticator> make_auth(std::vector<std::shared_ptr<DirectoryProvider>> dirs) {
    return std::make_unique<Authenticator>(
        *store_, services_,
        AuthenticatorOptions{.login_limits = {.per_user = 3, .per_address = 50},
                             .password_cost = PasswordCost::minimum(),
                             .directories = std::move(dirs)});
  }

  Result<User> user(std::string_view name) {
    return read_value(*store_, [&](Tx& tx) { return tx.get_user(name); });
  }
  Result<Group> group(std::string_view name) {
    return read_value(*store_, [&](Tx& tx) { return tx.get_group(name); });
  }
  // The groups `name` is a member of, as whoami shows them.
  std::vector<std::string> groups_of(std::string_view name) {
    std::vector<std::string> out;
    auto all = read_value(*store_, [&](Tx& tx) { return tx.list_groups(); });
    for (const Group& g : *all)
      if (std::find(g.members.begin(), g.members.end(), name) != g.members.end()) out.push_back(g.name);
    return out;
  }
  std::string login_ok(const std::string& name, const std::string& password) {
    Result<LoginResult> r = auth_->login(name, password, "10.0.0.1");
    EXPECT_TRUE(r.ok()) << name << ": " << r.status().to_string();
    return r ? r->cookie_value : "";
  }

  Slapd slapd_;
  TempStore store_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  Services services_{clock_, Services::system().random};
  std::shared_ptr<LdapDirectory> corp_;
  std::unique_ptr<Authenticator> auth_;
};

TEST_F(DirectoryLoginTest, FirstLoginProvisionsTheUserWithGroups) {
  K4DS_EXPECT_CODE(user("alice"), Code::not_found);
  Result<LoginResult> login = auth_->login("alice", "alice-pw", "10.0.0.1");
  ASSERT_TRUE(login.ok()) << login.status().to_string();
  EXPECT_EQ(login->user.name, "alice");
  Result<User> alice = user("alice");
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->provider, "corp");
  EXPECT_EQ(alice->display_name, "Alice Liddell");
  EXPECT_EQ(alice->email, "alice@example.org");
  EXPECT_EQ(alice->uid_number, 10001);
  EXPECT_EQ(alice->gid_number, 10001);
  EXPECT_TRUE(alice->password_hash.empty()) << "the directory keeps the password";
  EXPECT_THAT(groups_of("alice"), ElementsAre("analysts", "data-scientists", "gpu-users"));
  EXPECT_EQ(group("analysts")->provider, "corp");
  EXPECT_EQ(group("analysts")->description, "from the directory corp");
  Result<std::vector<Volume>> volumes = read_value(*store_, [](Tx& tx) { return tx.list_volumes(std::string_view("alice")); });
  ASSERT_TRUE(volumes.ok());
  ASSERT_EQ(volumes->size(), 1u) << "the home volume comes with the account";
  EXPECT_EQ((*volumes)[0].name, "home");
  // A second login provisions nothing more.
  ASSERT_TRUE(auth_->login("alice", "alice-pw", "10.0.0.1").ok());
  EXPECT_EQ(read_value(*store_, [](Tx& tx) { return tx.list_volumes(std::string_view("alice")); })->size(), 1u);
  // The session works like any other.
  Result<Principal> who = auth_->authenticate_session(login->cookie_value);
  ASSERT_TRUE(who.ok()) << who.status().to_string();
  EXPECT_EQ(who->user.provider, "corp");
}

TEST_F(DirectoryLoginTest, LoginNamesAreCaseInsensitive) {
  login_ok("Alice", "alice-pw");
  login_ok("EVE", "Eve-pw");
  EXPECT_TRUE(user("alice").ok());
  EXPECT_TRUE(user("eve").ok());
  K4DS_EXPECT_CODE(user("Alice"), Code::not_found);
}

TEST_F(DirectoryLoginTest, GroupChangesInTheDirectoryFollowAtTheNextLogin) {
  login_ok("bob", "bob-pw");
  EXPECT_THAT(groups_of("bob"), ElementsAre("analysts", "data-scientists", "reviewers"));
  ASSERT_EQ(slapd_.modify("dn: cn=analysts,ou=groups,dc=example,dc=org\nchangetype: modify\n"
                          "delete: member\nmember: uid=bob,ou=people,dc=example,dc=org\n").exit_code, 0);
  login_ok("bob", "bob-pw");
  EXPECT_THAT(groups_of("bob"), ElementsAre("reviewers"));
  login_ok("alice", "alice-pw");
  EXPECT_THAT(group("analysts")->members, ElementsAre("alice"));
}

TEST_F(DirectoryLoginTest, LocalGroupsAreLeftAlone) {
  // A local group with the name of a directory group, and a local group alice is put in.
  K4DS_ASSERT_OK(store_->write([&](Tx& tx) -> Status {
    K4DS_RETURN_IF_ERROR(tx.create_group(Group{.name = "analysts", .description = "local", .members = {"admin"}}).status());
    return ok_status();
  }));
  login_ok("alice", "alice-pw");
  EXPECT_THAT(group("analysts")->members, ElementsAre("admin")) << "the local group is not joined";
  EXPECT_EQ(group("analysts")->provider, "");
  K4DS_ASSERT_OK(store_->write([&](Tx& tx) -> Status {
    return tx.create_group(Group{.name = "staff", .members = {"alice"}}).status();
  }));
  login_ok("alice", "alice-pw");
  EXPECT_THAT(groups_of("alice"), ElementsAre("data-scientists", "gpu-users", "staff"));
}

TEST_F(DirectoryLoginTest, UnknownUserAndWrongPasswordGetTheSameAnswer) {
  login_ok("alice", "alice-pw");  // known to the store
  auto wrong = auth_->login("alice", "wrong", "10.0.0.2");
  auto unknown = auth_->login("nobody", "wrong", "10.0.0.3");
  auto never_seen = auth_->login("bob", "wrong", "10.0.0.4");  // in the directory, not the store
  auto invalid = auth_->login("*)(uid=*", "alice-pw", "10.0.0.5");
  auto empty = auth_->login("alice", "", "10.0.0.6");
  for (const auto* r : {&wrong, &unknown, &never_seen, &invalid, &empty}) {
    EXPECT_EQ(r->status().code(), Code::unauthenticated) << r->status().to_string();
    EXPECT_EQ(r->status().message(), "wrong user name or password");
  }
  K4DS_EXPECT_CODE(user("bob"), Code::not_found);  // a failed login provisions nobody
}

TEST_F(DirectoryLoginTest, DisabledUserIsRefusedAndNotProvisioned) {
  auto carol = auth_->login("carol", "carol-pw", "10.0.0.1");
  K4DS_EXPECT_CODE(carol, Code::permission_denied);
  EXPECT_THAT(carol.status().message(), HasSubstr("carol is disabled in the directory corp; ask your admin"));
  K4DS_EXPECT_CODE(user("carol"), Code::not_found);
}

TEST_F(DirectoryLoginTest, ANameOfABuiltinUserIsRefusedNotMerged) {
  // The directory has an "admin" (password admin-pw) and so does k4ds.
  auto dir_admin = auth_->login("admin", "admin-pw", "10.0.0.1");
  K4DS_EXPECT_CODE(dir_admin, Code::permission_denied);
  EXPECT_THAT(dir_admin.status().message(),
              HasSubstr("the user name admin belongs to a built-in k4ds account, so the account of "
                        "the same name in the directory corp cannot log in under it"));
  Result<User> admin = user("admin");
  EXPECT_EQ(admin->provider, "local");
  EXPECT_TRUE(admin->admin);
  EXPECT_THAT(groups_of("admin"), IsEmpty());
  login_ok("admin", kBuiltinAdminPassword);
  // A wrong password for both is just a wrong password.
  K4DS_EXPECT_CODE(auth_->login("admin", "neither", "10.0.0.1"), Code::unauthenticated);
}

TEST_F(DirectoryLoginTest, ANameInTwoDirectoriesIsRefused) {
  LdapProviderConfig second = testing::search_config(slapd_);
  second.name = "partners";
  auth_ = make_auth({corp_, std::make_shared<LdapDirectory>(second)});
  auto alice = auth_->login("alice", "alice-pw", "10.0.0.1");
  K4DS_EXPECT_CODE(alice, Code::permission_denied);
  EXPECT_THAT(alice.status().message(), HasSubstr("exists in the directories corp and partners"));
  K4DS_EXPECT_CODE(user("alice"), Code::not_found);
}

TEST_F(DirectoryLoginTest, AUserOfAProviderThatIsGoneCannotLogIn) {
  login_ok("alice", "alice-pw");
  auth_ = make_auth({});
  K4DS_EXPECT_CODE(auth_->login("alice", "alice-pw", "10.0.0.1"), Code::unauthenticated);
}

TEST_F(DirectoryLoginTest, TheLimiterComesBeforeTheDirectory) {
  for (int i = 0; i < 3; ++i) K4DS_EXPECT_CODE(auth_->login("alice", "wrong", "10.0.0.1"), Code::unauthenticated);
  slapd_.stop();  // were the directory asked, the answer would be "unavailable"
  std::chrono::seconds retry_after{0};
  auto limited = auth_->login("alice", "alice-pw", "10.0.0.1", &retry_after);
  K4DS_EXPECT_CODE(limited, Code::resource_exhausted);
  EXPECT_GT(retry_after.count(), 0);
}

TEST_F(DirectoryLoginTest, DirectoryDownSessionsKeepWorkingAndLoginRecovers) {
  std::string cookie = login_ok("alice", "alice-pw");
  slapd_.stop();
  auto down = auth_->login("alice", "alice-pw", "10.0.0.1");
  K4DS_EXPECT_CODE(down, Code::unavailable);
  EXPECT_THAT(down.status().message(), HasSubstr("the directory at " + slapd_.ldap_url() +
                                                 " did not answer"));
  EXPECT_THAT(down.status().message(), HasSubstr("try again in a minute or ask your admin"));
  K4DS_EXPECT_CODE(auth_->login("bob", "bob-pw", "10.0.0.1"), Code::unavailable);  // first logins too
  EXPECT_TRUE(auth_->authenticate_session(cookie).ok()) << "existing sessions keep working";
  // Down is not a failed password: the limiter has not counted these.
  for (int i = 0; i < 3; ++i) K4DS_EXPECT_CODE(auth_->login("alice", "alice-pw", "10.0.0.1"), Code::unavailable);
  ASSERT_TRUE(slapd_.start()) << slapd_.error();
  login_ok("alice", "alice-pw");
  login_ok("bob", "bob-pw");
}

TEST_F(DirectoryLoginTest, RecheckRevokesUsersRemovedOrDisabledInTheDirectory) {
  std::string alice = login_ok("alice", "alice-pw");
  std::string bob = login_ok("bob", "bob-pw");
  std::string frank = login_ok("frank", "frank-pw");
  Result<CreatedToken> token = auth_->create_token("frank", "laptop", std::nullopt);
  ASSERT_TRUE(token.ok());
  std::string admin = login_ok("admin", kBuiltinAdminPassword);
  ASSERT_EQ(slapd_.remove("uid=frank,ou=people,dc=example,dc=org").exit_code, 0);
  ASSERT_EQ(slapd_.modify("dn: uid=bob,ou=people,dc=example,dc=org\nchangetype: modify\n"
                          "add: employeeType\nemployeeType: disabled\n").exit_code, 0);
  ASSERT_EQ(slapd_.modify("dn: cn=gpu-users,ou=groups,dc=example,dc=org\nchangetype: modify\n"
                          "delete: memberUid\nmemberUid: alice\n").exit_code, 0);
  DirectoryRecheck recheck(*store_, *auth_, services_, {corp_});
  RecheckReport report = recheck.run_once(*corp_);
  EXPECT_EQ(report.checked, 3);
  EXPECT_EQ(report.revoked_users, 2);
  EXPECT_EQ(report.revoked_credentials, 3);  // bob's session, frank's session and token
  EXPECT_FALSE(report.directory_trouble);
  K4DS_EXPECT_CODE(auth_->authenticate_session(frank), Code::unauthenticated);
  K4DS_EXPECT_CODE(auth_->authenticate_token(token->secret), Code::unauthenticated);
  K4DS_EXPECT_CODE(auth_->authenticate_session(bob), Code::unauthenticated);
  EXPECT_TRUE(auth_->authenticate_session(alice).ok());
  EXPECT_TRUE(auth_->authenticate_session(admin).ok()) << "built-in users are not the directory's";
  EXPECT_THAT(groups_of("alice"), ElementsAre("analysts", "data-scientists")) << "groups refreshed";
  // And they are refused at their next login.
  K4DS_EXPECT_CODE(auth_->login("frank", "frank-pw", "10.0.0.1"), Code::unauthenticated);
  K4DS_EXPECT_CODE(auth_->login("bob", "bob-pw", "10.0.0.1"), Code::permission_denied);
}

TEST_F(DirectoryLoginTest, RecheckChangesNothingWhileTheDirectoryIsDown) {
  std::string alice = login_ok("alice", "alice-pw");
  slapd_.stop();
  DirectoryRecheck recheck(*store_, *auth_, services_, {corp_});
  RecheckReport report = recheck.run_once(*corp_);
  EXPECT_TRUE(report.directory_trouble);
  EXPECT_EQ(report.revoked_users, 0);
  EXPECT_TRUE(auth_->authenticate_session(alice).ok());
  EXPECT_THAT(groups_of("alice"), ElementsAre("analysts", "data-scientists", "gpu-users"));
}

TEST_F(DirectoryLoginTest, BackgroundRecheckRevokesWithinTheInterval) {
  LdapProviderConfig config = testing::search_config(slapd_);
  config.recheck_interval = std::chrono::seconds(1);
  auto corp = std::make_shared<LdapDirectory>(config);
  auth_ = make_auth({corp});
  std::string frank = login_ok("frank", "frank-pw");
  DirectoryRecheck recheck(*store_, *auth_, services_, {corp});
  recheck.start();
  auto removed = std::chrono::steady_clock::now();
  ASSERT_EQ(slapd_.remove("uid=frank,ou=people,dc=example,dc=org").exit_code, 0);
  bool revoked = false;
  while (!revoked && std::chrono::steady_clock::now() - removed < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    revoked = !auth_->authenticate_session(frank).ok();
  }
  auto took = std::chrono::steady_clock::now() - removed;
  recheck.stop();
  EXPECT_TRUE(revoked) << "frank's session outlived the 1 s re-check by 5 s";
  EXPECT_LT(took, std::chrono::milliseconds(2500));
  std::cout << "[ measure  ] session revoked "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
            << " ms after the user was deleted (interval 1 s)\n";
}

}  // namespace
}  // namespace k4ds
