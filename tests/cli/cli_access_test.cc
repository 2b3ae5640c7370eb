// End-to-end: sharing and access rules with the real CLI against `k4ds up`.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/process.h"

namespace {

namespace fs = std::filesystem;
using k4ds::testing::Env;
using k4ds::testing::kAdminPassword;
using k4ds::testing::Outcome;
using k4ds::testing::run_k4ds;
using k4ds::testing::Server;

class CliAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/k4ds_cli_access_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    server_ = std::make_unique<Server>(dir_);
    ASSERT_FALSE(server_->url().empty()) << server_->startup_output();
    for (const char* user : {"admin", "alice", "bob"}) {
      fs::create_directories(dir_ / user);
      env_[user] = {{"HOME", (dir_ / user).string()}, {"K4DS_CONFIG", (dir_ / user / "cli.yaml").string()}};
    }
    login("admin", kAdminPassword);
    for (const char* user : {"alice", "bob"}) {
      Outcome r = k4ds("admin", {"admin", "user", "add", user, "--password-stdin"}, std::string(user) + "-Passw0rd!\n");
      ASSERT_EQ(r.exit_code, 0) << r;
      login(user, std::string(user) + "-Passw0rd!");
    }
  }
  void TearDown() override {
    server_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }
  void login(const std::string& user, const std::string& password) {
    Outcome r = k4ds(user, {"login", server_->url(), "-u", user, "--password-stdin"}, password + "\n");
    ASSERT_EQ(r.exit_code, 0) << r;
  }
  Outcome k4ds(const std::string& who, std::vector<std::string> args, const std::string& input = "") {
    return run_k4ds(std::move(args), env_.at(who), input);
  }
  fs::path dir_;
  std::unique_ptr<Server> server_;
  std::map<std::string, Env> env_;
};

TEST_F(CliAccess, ShareUnshareAndSeeWhatIsShared) {
  Outcome r = k4ds("alice", {"launch", "jupyter-python", "--name", "nb"});
  ASSERT_EQ(r.exit_code, 0) << r;
  r = k4ds("alice", {"share", "nb"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("is not shared"), std::string::npos) << r;
  r = k4ds("admin", {"admin", "group", "add", "analysts"});
  ASSERT_EQ(r.exit_code, 0) << r;

  r = k4ds("alice", {"share", "nb", "user:bob", "group:analysts"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("user:bob"), std::string::npos) << r;
  EXPECT_NE(r.out.find("group:analysts"), std::string::npos) << r;

  r = k4ds("bob", {"ls", "--shared"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("alice"), std::string::npos) << r;
  EXPECT_NE(r.out.find("nb"), std::string::npos) << r;

  r = k4ds("alice", {"share", "nb", "user:nobody"});
  EXPECT_EQ(r.exit_code, 9) << r;
  EXPECT_NE(r.err.find("there is no user named nobody"), std::string::npos) << r;
  r = k4ds("bob", {"share", "alice/nb", "user:bob"});
  EXPECT_EQ(r.exit_code, 5) << r << " (bob may not share alice's workspace)";

  r = k4ds("alice", {"unshare", "nb", "user:bob"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("Stopped sharing alice/nb with user:bob"), std::string::npos) << r;
  r = k4ds("bob", {"ls", "--shared"});
  EXPECT_NE(r.out.find("No one has shared"), std::string::npos) << r;
}

TEST_F(CliAccess, PolicyRulesAreObeyedAndExplained) {
  Outcome r = k4ds("admin", {"policy", "ls"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("r1"), std::string::npos) << r;

  r = k4ds("admin", {"policy", "add", "deny", "launch", "user:bob", "--size", "small", "--at", "1",
                     "-d", "bob uses large only"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("Added rule 1 (r2): deny user:bob to launch any environment in size small"),
            std::string::npos) << r;

  r = k4ds("bob", {"launch", "jupyter-python", "--size", "small"});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_NE(r.err.find("rule 1 (r2"), std::string::npos) << r;

  r = k4ds("admin", {"policy", "check", "bob", "env:jupyter-python", "size:small"});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_NE(r.out.find("denied: rule 1 (r2"), std::string::npos) << r;
  r = k4ds("admin", {"policy", "check", "alice", "size:small"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("allowed: rule 2 (r1"), std::string::npos) << r;
  r = k4ds("admin", {"policy", "check", "bob", "admin"});
  EXPECT_EQ(r.exit_code, 4) << r;
  r = k4ds("admin", {"policy", "check", "bob", "nonsense"});
  EXPECT_EQ(r.exit_code, 9) << r;

  r = k4ds("alice", {"policy", "add", "allow", "admin", "user:alice"});
  EXPECT_EQ(r.exit_code, 4) << r << " (only admins edit rules)";

  r = k4ds("admin", {"policy", "rm", "r2"});
  EXPECT_EQ(r.exit_code, 0) << r;
  r = k4ds("bob", {"launch", "jupyter-python", "--size", "small"});
  EXPECT_EQ(r.exit_code, 0) << r;
}

TEST_F(CliAccess, QuotasAreSetShownAndRefuseALaunchWithTheReason) {
  Outcome r = k4ds("admin", {"admin", "quota", "ls"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("nobody is limited"), std::string::npos) << r;
  r = k4ds("admin", {"admin", "quota", "set", "default", "--workspaces", "1", "--memory", "8Gi"});
  ASSERT_EQ(r.exit_code, 0) << r;
  // Setting one limit keeps the others.
  r = k4ds("admin", {"admin", "quota", "set", "default", "--gpus", "0"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("workspaces=1 cpu=- memory=8Gi gpus=0"), std::string::npos) << r;
  r = k4ds("alice", {"admin", "quota", "set", "default", "--workspaces", "9"});
  EXPECT_EQ(r.exit_code, 4) << r << " (only admins set quotas)";
  r = k4ds("admin", {"admin", "quota", "set", "user:nobody", "--workspaces", "2"});
  EXPECT_EQ(r.exit_code, 9) << r;
  EXPECT_NE(r.err.find("there is no user named nobody"), std::string::npos) << r;
  r = k4ds("admin", {"admin", "quota", "set", "default", "--workspaces", "many"});
  EXPECT_EQ(r.exit_code, 9) << r;

  r = k4ds("alice", {"launch", "jupyter-python", "--name", "one"});
  ASSERT_EQ(r.exit_code, 0) << r;
  r = k4ds("alice", {"launch", "jupyter-python", "--name", "two"});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_NE(r.err.find("2 active workspaces would be in use, the limit is 1 active workspace "
                       "(the default for everyone)"),
            std::string::npos) << r;
  EXPECT_NE(r.err.find("Stop one of your active workspaces (one)"), std::string::npos) << r;

  r = k4ds("alice", {"quota"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("the default for everyone"), std::string::npos) << r;
  EXPECT_NE(r.out.find("Sizes you can launch now: none"), std::string::npos) << r;
  r = k4ds("alice", {"quota", "-o", "json"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("\"used\": 1"), std::string::npos) << r;

  // Stopping frees the quota.
  r = k4ds("alice", {"stop", "one"});
  ASSERT_EQ(r.exit_code, 0) << r;
  r = k4ds("alice", {"quota"});
  for (int i = 0; i < 100 && r.out.find("Sizes you can launch now: none") != std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // until the workspace has stopped
    r = k4ds("alice", {"quota"});
  }
  EXPECT_EQ(r.out.find("Sizes you can launch now: none"), std::string::npos) << r;
  r = k4ds("admin", {"admin", "quota", "rm", "default"});
  EXPECT_EQ(r.exit_code, 0) << r;
  r = k4ds("admin", {"admin", "quota", "rm", "default"});
  EXPECT_EQ(r.exit_code, 5) << r;
}

TEST_F(CliAccess, QuotasFromTheConfigFileAreSeededAndAnAdminsChangeIsKept) {
  const fs::path config = dir_ / "k4ds.yaml";
  std::ofstream(config) << "quotas:\n  default: {workspaces: 1, memory: 16Gi}\n  group:gpu: {gpus: 2}\n";
  auto restart = [&] {
    server_.reset();
    server_ = std::make_unique<Server>(dir_, "quotas.log", std::vector<std::string>{"-c", config.string()});
    ASSERT_FALSE(server_->url().empty()) << server_->startup_output();
    login("admin", kAdminPassword);
  };
  Outcome r = k4ds("admin", {"admin", "group", "add", "gpu"});
  ASSERT_EQ(r.exit_code, 0) << r;
  ASSERT_NO_FATAL_FAILURE(restart());
  r = k4ds("admin", {"admin", "quota", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("config file"), std::string::npos) << r;
  EXPECT_NE(r.out.find("16Gi"), std::string::npos) << r;
  EXPECT_NE(r.out.find("group:gpu"), std::string::npos) << r;

  // An admin's change through the API outlives a restart with the same file.
  r = k4ds("admin", {"admin", "quota", "set", "default", "--workspaces", "4"});
  ASSERT_EQ(r.exit_code, 0) << r;
  ASSERT_NO_FATAL_FAILURE(restart());
  r = k4ds("admin", {"admin", "quota", "ls", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("\"workspaces\": 4"), std::string::npos) << r;
  EXPECT_NE(r.out.find("\"updated_by\": \"admin\""), std::string::npos) << r;
}

}  // namespace
