// LdapDirectory against a real slapd: both bind modes, wrong and empty passwords, injection
// strings, groups from every schema, disabled users, LDAPS and StartTLS with the right and a
// wrong CA, and the directory stopped, paused and restarted under a live provider.
#include "directory/ldap_directory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "directory/directory_test_support.h"
#include "directory/ldap_connection.h"

namespace k4ds {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Slapd;


class LdapDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override { K4DS_REQUIRE_SLAPD(slapd_); }
  Slapd slapd_;
};

TEST_F(LdapDirectoryTest, SearchThenBindLogsInWithAttributesAndGroups) {
  LdapDirectory corp(testing::search_config(slapd_));
  Result<DirectoryAccount> alice = corp.authenticate("alice", "alice-pw");
  ASSERT_TRUE(alice.ok()) << alice.status().to_string();
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->dn, "uid=alice,ou=people,dc=example,dc=org");
  EXPECT_EQ(alice->display_name, "Alice Liddell");
  EXPECT_EQ(alice->email, "alice@example.org");
  EXPECT_EQ(alice->uid_number, 10001);
  EXPECT_EQ(alice->gid_number, 10001);
  // groupOfNames, posixGroup (memberUid) and the group that contains analysts.
  EXPECT_THAT(alice->groups, ElementsAre("analysts", "data-scientists", "gpu-users"));
  EXPECT_FALSE(alice->disabled);

  Result<DirectoryAccount> bob = corp.authenticate("bob", "bob-pw");
  ASSERT_TRUE(bob.ok()) << bob.status().to_string();
  // groupOfUniqueNames too; bob has no uidNumber.
  EXPECT_THAT(bob->groups, ElementsAre("analysts", "data-scientists", "reviewers"));
  EXPECT_EQ(bob->uid_number, -1);
}

TEST_F(LdapDirectoryTest, DirectBindWithADnTemplateAndNoServiceAccount) {
  LdapDirectory corp(testing::direct_config(slapd_));
  Result<DirectoryAccount> alice = corp.authenticate("alice", "alice-pw");
  ASSERT_TRUE(alice.ok()) << alice.status().to_string();
  EXPECT_EQ(alice->display_name, "Alice Liddell");
  EXPECT_THAT(alice->groups, ElementsAre("analysts", "data-scientists", "gpu-users"));
  EXPECT_CODE(corp.authenticate("alice", "wrong"), Code::unauthenticated);
  // Without a service account nobody can be looked up between logins; that is said plainly.
  Result<DirectoryAccount> lookup = corp.lookup("alice");
  EXPECT_CODE(lookup, Code::failed_precondition);
  EXPECT_THAT(lookup.status().message(), HasSubstr("no bind_dn"));
}

TEST_F(LdapDirectoryTest, DirectBindWithAServiceAccountTellsUnknownUsersApart) {
  LdapProviderConfig config = testing::direct_config(slapd_);
  config.bind_dn = testing::kServiceDn;
  config.bind_password = testing::kServicePassword;
  LdapDirectory corp(config);
  EXPECT_TRUE(corp.authenticate("alice", "alice-pw").ok());
  EXPECT_CODE(corp.lookup("nobody"), Code::not_found);
  Result<DirectoryAccount> alice = corp.lookup("alice");
  ASSERT_TRUE(alice.ok()) << alice.status().to_string();
  EXPECT_EQ(alice->email, "alice@example.org");
}

TEST_F(LdapDirectoryTest, WrongPasswordAndUnknownUser) {
  LdapDirectory corp(testing::search_config(slapd_));
  Result<DirectoryAccount> wrong = corp.authenticate("alice", "not-her-password");
  EXPECT_CODE(wrong, Code::unauthenticated);
  EXPECT_CODE(corp.authenticate("nobody", "x"), Code::not_found);
}

TEST_F(LdapDirectoryTest, EmptyPasswordNeverBinds) {
  // This slapd accepts a DN with an empty password (an "unauthenticated bind"): ldapwhoami
  // shows it. k4ds must refuse before sending it, in both modes.
  testing::CommandResult anon = testing::run_command(
      {"/usr/bin/ldapwhoami", "-x", "-H", slapd_.ldap_url(), "-D",
       "uid=alice,ou=people,dc=example,dc=org", "-w", ""});
  ASSERT_EQ(anon.exit_code, 0) << "the server should accept the empty password:\n" << anon.output;
  for (const LdapProviderConfig& config : {testing::search_config(slapd_), testing::direct_config(slapd_)}) {
    LdapDirectory corp(config);
    Result<DirectoryAccount> empty = corp.authenticate("alice", "");
    EXPECT_CODE(empty, Code::unauthenticated);
    EXPECT_THAT(empty.status().message(), HasSubstr("never sent"));
  }
  // And the connection refuses on its own, before any network: here there is no server at all.
  auto conn = ldap::Connection::open({.url = "ldap://127.0.0.1:1"});
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ((*conn)->bind("uid=alice,ou=people,dc=example,dc=org", "").code(), Code::unauthenticated);
}

TEST_F(LdapDirectoryTest, InjectionStringsFindNothing) {
  LdapDirectory corp(testing::search_config(slapd_));
  const std::string hostile[] = {"*)(uid=*", "admin)(|(a=*", "*", "\\", std::string("alice\0", 6),
                                 std::string("al\0ice", 6), "alice)", "(uid=alice)", "alice*",
                                 "*)(objectClass=*))(|(uid=*"};
  for (const std::string& name : hostile) {
    Result<ldap::Entry> entry = corp.find_entry(name);
    EXPECT_EQ(entry.status().code(), Code::not_found)
        << "name " << ::testing::PrintToString(name) << ": " << entry.status().to_string();
    Result<DirectoryAccount> login = corp.authenticate(name, "alice-pw");
    EXPECT_EQ(login.status().code(), Code::not_found) << ::testing::PrintToString(name);
  }
  // Direct bind: the DN template gets DN escaping, so "alice,ou=people" is one odd uid value.
  LdapDirectory direct(testing::direct_config(slapd_));
  for (const std::string name : {"alice,ou=people", "*", "alice+cn=x", "\\"}) {
    EXPECT_CODE(direct.authenticate(name, "alice-pw"), Code::unauthenticated) << name;
  }
}

TEST_F(LdapDirectoryTest, TwoEntriesForOneNameAreRefused) {
  LdapProviderConfig config = testing::search_config(slapd_);
  config.user_base = "dc=example,dc=org";  // people and contractors both have a grace
  LdapDirectory corp(config);
  Result<DirectoryAccount> grace = corp.authenticate("grace", "grace-pw");
  EXPECT_CODE(grace, Code::permission_denied);
  EXPECT_THAT(grace.status().message(), HasSubstr("more than one entry for grace"));
}

TEST_F(LdapDirectoryTest, NamesAreLowercasedAndUnusableNamesRefusedClearly) {
  LdapDirectory corp(testing::search_config(slapd_));
  Result<DirectoryAccount> eve = corp.authenticate("eve", "Eve-pw");
  ASSERT_TRUE(eve.ok()) << eve.status().to_string();
  EXPECT_EQ(eve->name, "eve");
  EXPECT_THAT(eve->groups, ElementsAre("data-scientists"));
  // Mapping the user name to cn gives "alice liddell": not a k4ds name; said after the bind.
  LdapProviderConfig by_cn = testing::search_config(slapd_);
  by_cn.attributes.username = "cn";
  LdapDirectory odd(by_cn);
  Result<DirectoryAccount> alice = odd.authenticate("alice", "alice-pw");
  EXPECT_CODE(alice, Code::permission_denied);
  EXPECT_THAT(alice.status().message(), HasSubstr("\"Alice Liddell\" cannot be a k4ds user name"));
  EXPECT_CODE(odd.authenticate("alice", "wrong"), Code::unauthenticated) << "nothing said before the bind";
}

TEST_F(LdapDirectoryTest, GroupsFromMemberOf) {
  if (!slapd_.memberof()) GTEST_SKIP() << "slapd's memberof module is not installed; memberOf untested";
  LdapProviderConfig config = testing::search_config(slapd_);
  config.groups.from = LdapGroupSource::member_of;
  config.groups.nested = LdapNestedGroups::off;
  LdapDirectory corp(config);
  Result<DirectoryAccount> alice = corp.authenticate("alice", "alice-pw");
  ASSERT_TRUE(alice.ok()) << alice.status().to_string();
  // The overlay keeps memberOf for groupOfNames only, one level.
  EXPECT_THAT(alice->groups, ElementsAre("analysts"));
  config.groups.nested = LdapNestedGroups::search;
  LdapDirectory nested(config);
  alice = nested.authenticate("alice", "alice-pw");
  ASSERT_TRUE(alice.ok()) << alice.status().to_string();
  EXPECT_THAT(alice->groups, ElementsAre("analysts", "data-scientists"));
}

TEST_F(LdapDirectoryTest, GroupsOfOneKindOnlyAndNoNesting) {
  LdapProviderConfig config = testing::search_config(slapd_);
  config.groups.object_classes = {"posixGroup"};
  config.groups.nested = LdapNestedGroups::off;
  LdapDirectory posix(config);
  EXPECT_THAT(posix.authenticate("alice", "alice-pw")->groups, ElementsAre("gpu-users"));
  config.groups.object_classes = {"groupOfNames"};
  LdapDirectory names(config);
  EXPECT_THAT(names.authenticate("alice", "alice-pw")->groups, ElementsAre("analysts"));
  config.groups.from = LdapGroupSource::none;
  LdapDirectory none(config);
  EXPECT_TRUE(none.authenticate("alice", "alice-pw")->groups.empty());
}

TEST_F(LdapDirectoryTest, DisabledUserIsRefusedAfterTheBind) {
  LdapDirectory corp(testing::search_config(slapd_));
  Result<DirectoryAccount> carol = corp.authenticate("carol", "carol-pw");
  EXPECT_CODE(carol, Code::permission_denied);
  EXPECT_THAT(carol.status().message(), HasSubstr("disabled in the directory corp"));
  EXPECT_CODE(corp.authenticate("carol", "wrong"), Code::unauthenticated) << "no hint without the password";
  Result<DirectoryAccount> looked_up = corp.lookup("carol");
  ASSERT_TRUE(looked_up.ok()) << looked_up.status().to_string();
  EXPECT_TRUE(looked_up->disabled);
  // Disabling alice takes effect at once.
  ASSERT_EQ(slapd_.modify("dn: uid=alice,ou=people,dc=example,dc=org\nchangetype: modify\n"
                          "add: employeeType\nemployeeType: disabled\n").exit_code, 0);
  EXPECT_CODE(corp.authenticate("alice", "alice-pw"), Code::permission_denied);
}

TEST_F(LdapDirectoryTest, LdapsWithTheRightCaWorksAndAWrongCaFailsClearly) {
  LdapProviderConfig config = testing::search_config(slapd_);
  config.url = slapd_.ldaps_url();
  config.ca_file = slapd_.ca_file();
  LdapDirectory good(config);
  Result<DirectoryAccount> alice = good.authenticate("alice", "alice-pw");
  ASSERT_TRUE(alice.ok()) << alice.status().to_string();
  EXPECT_THAT(alice->groups, ElementsAre("analysts", "data-scientists", "gpu-users"));

  config.ca_file = slapd_.other_ca_file();
  LdapDirectory bad(config);
  Result<DirectoryAccount> refused = bad.authenticate("alice", "alice-pw");
  EXPECT_CODE(refused, Code::unavailable);
  EXPECT_THAT(refused.status().message(), HasSubstr("TLS handshake with the directory at " + slapd_.ldaps_url()));
  EXPECT_THAT(refused.status().message(), HasSubstr(slapd_.other_ca_file()));
  EXPECT_THAT(refused.status().message(), HasSubstr("check ca_file"));
}

TEST_F(LdapDirectoryTest, StartTlsWithTheRightCaWorksAndAWrongCaFailsClearly) {
  LdapProviderConfig config = testing::search_config(slapd_);
  config.start_tls = true;
  config.ca_file = slapd_.ca_file();
  LdapDirectory good(config);
  EXPECT_TRUE(good.authenticate("alice", "alice-pw").ok());
  config.ca_file = slapd_.other_ca_file();
  LdapDirectory bad(config);
  Result<DirectoryAccount> refused = bad.authenticate("alice", "alice-pw");
  EXPECT_CODE(refused, Code::unavailable);
  EXPECT_THAT(refused.status().message(), HasSubstr("TLS handshake"));
}

TEST_F(LdapDirectoryTest, WrongServicePasswordIsTheAdminsProblemAndSaysSo) {
  LdapProviderConfig config = testing::search_config(slapd_);
  config.bind_password = "not-the-service-password";
  LdapDirectory corp(config);
  Result<DirectoryAccount> alice = corp.authenticate("alice", "alice-pw");
  EXPECT_CODE(alice, Code::unavailable);
  EXPECT_THAT(alice.status().message(), HasSubstr("refused k4ds's service account " + std::string(testing::kServiceDn)));
}

TEST_F(LdapDirectoryTest, StoppedDirectoryIsUnavailableAndRecoversWithoutRestart) {
  LdapDirectory corp(testing::search_config(slapd_));
  ASSERT_TRUE(corp.authenticate("alice", "alice-pw").ok());  // the pools now hold live connections
  slapd_.stop();
  Result<DirectoryAccount> down = corp.authenticate("alice", "alice-pw");
  EXPECT_CODE(down, Code::unavailable);
  EXPECT_THAT(down.status().message(), HasSubstr("the directory at " + slapd_.ldap_url() + " did not answer"));
  EXPECT_THAT(down.status().message(), HasSubstr("try again in a minute or ask your admin"));
  ASSERT_TRUE(slapd_.start()) << slapd_.error();
  Result<DirectoryAccount> back = corp.authenticate("alice", "alice-pw");
  EXPECT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_TRUE(corp.lookup("bob").ok());
}

TEST_F(LdapDirectoryTest, PausedDirectoryTimesOut) {
  LdapProviderConfig config = testing::search_config(slapd_);
  config.timeout = std::chrono::milliseconds(700);
  LdapDirectory corp(config);
  ASSERT_TRUE(corp.authenticate("alice", "alice-pw").ok());
  slapd_.pause();
  using Steady = std::chrono::steady_clock;
  auto start = Steady::now();
  Result<DirectoryAccount> hung = corp.authenticate("alice", "alice-pw");
  auto took = Steady::now() - start;
  EXPECT_CODE(hung, Code::unavailable);
  EXPECT_THAT(hung.status().message(), HasSubstr("did not answer in time"));
  EXPECT_GE(took, std::chrono::milliseconds(600));
  EXPECT_LT(took, std::chrono::milliseconds(1500)) << "one timeout, not one per retry";
  // While it hangs, the next logins do not wait for it again: they are refused at once.
  start = Steady::now();
  EXPECT_CODE(corp.authenticate("bob", "bob-pw"), Code::unavailable);
  EXPECT_LT(Steady::now() - start, std::chrono::milliseconds(500)) << "well under the 700 ms timeout";
  slapd_.resume();
  // Back within about one timeout.
  Result<DirectoryAccount> back = unavailable("not tried");
  auto resumed = Steady::now();
  while (!back.ok() && Steady::now() - resumed < std::chrono::seconds(3)) {
    back = corp.authenticate("alice", "alice-pw");
    if (!back.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_LT(Steady::now() - resumed, std::chrono::milliseconds(1500));
}

TEST_F(LdapDirectoryTest, ConcurrentLoginsShareASmallPool) {
  LdapDirectory corp(testing::search_config(slapd_));  // pool_size 2
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  std::vector<std::string> failures(16);
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      const char* user = i % 2 ? "alice" : "bob";
      Result<DirectoryAccount> r = corp.authenticate(user, std::string(user) + "-pw");
      if (r.ok() && r->name == user) ++good;
      else failures[i] = r.status().to_string();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 16) << ::testing::PrintToString(failures);
}

TEST_F(LdapDirectoryTest, MissingUserBaseIsAConfigurationProblem) {
  LdapProviderConfig config = testing::search_config(slapd_);
  config.user_base = "ou=nowhere,dc=example,dc=org";
  LdapDirectory corp(config);
  Result<DirectoryAccount> alice = corp.authenticate("alice", "alice-pw");
  EXPECT_CODE(alice, Code::unavailable);
  EXPECT_THAT(alice.status().message(), HasSubstr("user_base ou=nowhere,dc=example,dc=org does not exist"));
}

}  // namespace
}  // namespace k4ds
