// Workspaces of directory users run under the directory's uid and gid (issue 5): the account
// k4ds creates carries them, an account the host already has with that uid is used as it is,
// and conflicts are refused with what to do.
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <random>

#include "runtime/local/host.h"

namespace k4ds::local {
namespace {

class DirectoryIdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create accounts";
    std::random_device random;
    suffix_ = std::to_string(random() % 100000);
    uid_ = 60000 + static_cast<int64_t>(random() % 4000);  // free ids in Debian's user range
    while (::getpwuid(static_cast<uid_t>(uid_)) || ::getgrgid(static_cast<gid_t>(uid_))) ++uid_;
  }
  void TearDown() override {
    for (const auto& name : made_) {
      run_quietly({find_executable("userdel"), name});
      run_quietly({find_executable("groupdel"), name});
    }
  }
  std::string user(const std::string& base) {
    std::string name = base + suffix_;
    made_.push_back(account_name(name));
    return name;
  }
  std::string suffix_;
  int64_t uid_ = 0;
  std::vector<std::string> made_;
};

TEST_F(DirectoryIdsTest, TheAccountCarriesTheDirectorysUidAndGid) {
  const std::string alice = user("dirids");
  Result<Account> made = ensure_account(alice, "/nonexistent", uid_, uid_);
  ASSERT_TRUE(made.ok()) << made.status().to_string();
  EXPECT_EQ(made->name, account_name(alice));
  EXPECT_EQ(made->uid, static_cast<uid_t>(uid_));
  EXPECT_EQ(made->gid, static_cast<gid_t>(uid_));
  struct group* g = ::getgrgid(static_cast<gid_t>(uid_));
  ASSERT_NE(g, nullptr) << "the group with the directory's gid was not created";
  // Asked again: the same account.
  Result<Account> again = ensure_account(alice, "/nonexistent", uid_, uid_);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->uid, made->uid);

  // Another directory user whose uid the host already knows runs as that account.
  Result<Account> adopted = ensure_account(user("other"), "/nonexistent", uid_, -1);
  ASSERT_TRUE(adopted.ok()) << adopted.status().to_string();
  EXPECT_EQ(adopted->name, account_name(alice));
  EXPECT_EQ(adopted->uid, static_cast<uid_t>(uid_));

  // The directory changed alice's uid: refused, saying how to move her files.
  Result<Account> moved = ensure_account(alice, "/nonexistent", uid_ + 1, uid_);
  ASSERT_EQ(moved.status().code(), Code::failed_precondition);
  EXPECT_NE(moved.status().message().find("userdel " + account_name(alice)), std::string::npos)
      << moved.status().message();
  EXPECT_NE(moved.status().message().find("chown"), std::string::npos) << moved.status().message();
}

TEST_F(DirectoryIdsTest, RootAndSystemUidsAreRefused) {
  Result<Account> root = ensure_account(user("root"), "/nonexistent", 0, 0);
  ASSERT_EQ(root.status().code(), Code::failed_precondition);
  EXPECT_NE(root.status().message().find("never run as root"), std::string::npos) << root.status().message();
  // uid 1 is daemon on Debian: a system account is never borrowed.
  ASSERT_NE(::getpwuid(1), nullptr);
  Result<Account> daemon = ensure_account(user("sys"), "/nonexistent", 1, 1);
  ASSERT_EQ(daemon.status().code(), Code::failed_precondition);
  EXPECT_NE(daemon.status().message().find("system account"), std::string::npos) << daemon.status().message();
}

TEST_F(DirectoryIdsTest, WithoutIdsTheAccountGetsItsOwn) {
  const std::string bob = user("noids");
  Result<Account> made = ensure_account(bob, "/nonexistent");
  ASSERT_TRUE(made.ok()) << made.status().to_string();
  EXPECT_NE(made->uid, 0u);
  struct group* g = ::getgrgid(made->gid);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(std::string(g->gr_name), account_name(bob)) << "its own user group";
}

}  // namespace
}  // namespace k4ds::local
