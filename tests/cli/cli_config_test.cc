#include "cli/cli_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace k4ds::cli {
namespace {

namespace fs = std::filesystem;

class CliConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/k4ds_cli_config_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  static unsigned mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
  }
  fs::path dir_;
};

TEST_F(CliConfigTest, RoundTripsAndIsPrivate) {
  std::string path = (dir_ / "a" / "b" / "cli.yaml").string();
  CliConfig in{.server = "http://localhost:8080", .user = "alice", .token = "k4ds_s3cr3t: yes",
               .token_id = "tok_1"};
  ASSERT_TRUE(save_cli_config(path, in).ok());
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(mode_of(dir_ / "a"), 0700u);
  EXPECT_EQ(mode_of(dir_ / "a" / "b"), 0700u);
  Result<CliConfig> out = load_cli_config(path);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out->server, in.server);
  EXPECT_EQ(out->user, in.user);
  EXPECT_EQ(out->token, in.token);
  EXPECT_EQ(out->token_id, in.token_id);
}

TEST_F(CliConfigTest, TightensALooserExistingFileAndReplacesItsContent) {
  fs::path path = dir_ / "cli.yaml";
  {
    std::ofstream f(path);
    f << "server: http://old\ntoken: old-and-much-longer-than-the-new-one\nextra: x\n";
  }
  ::chmod(path.c_str(), 0644);
  ASSERT_TRUE(save_cli_config(path.string(), CliConfig{.server = "http://new", .token = "t"}).ok());
  EXPECT_EQ(mode_of(path), 0600u);
  Result<CliConfig> out = load_cli_config(path.string());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->server, "http://new");
  EXPECT_EQ(out->token, "t");
}

TEST_F(CliConfigTest, MissingFileIsNotLoggedIn) {
  Result<CliConfig> out = load_cli_config((dir_ / "nope.yaml").string());
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->token.empty());
}

TEST_F(CliConfigTest, BrokenFileSaysWhatToDo) {
  fs::path path = dir_ / "cli.yaml";
  std::ofstream(path) << "server: [unclosed\n";
  Result<CliConfig> out = load_cli_config(path.string());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Code::failed_precondition);
  EXPECT_NE(out.status().message().find("k4ds login"), std::string::npos);
}

TEST_F(CliConfigTest, PathFollowsTheEnvironment) {
  const char* saved_cfg = std::getenv("K4DS_CONFIG");
  const char* saved_xdg = std::getenv("XDG_CONFIG_HOME");
  const char* saved_home = std::getenv("HOME");
  std::string keep_cfg = saved_cfg ? saved_cfg : "", keep_xdg = saved_xdg ? saved_xdg : "",
              keep_home = saved_home ? saved_home : "";
  ::setenv("K4DS_CONFIG", "/x/cfg.yaml", 1);
  ::setenv("XDG_CONFIG_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(cli_config_path(), "/x/cfg.yaml");
  ::unsetenv("K4DS_CONFIG");
  EXPECT_EQ(cli_config_path(), "/xdg/k4ds/cli.yaml");
  ::unsetenv("XDG_CONFIG_HOME");
  EXPECT_EQ(cli_config_path(), "/home/u/.config/k4ds/cli.yaml");
  auto restore = [](const char* name, const char* was, const std::string& value) {
    if (was) ::setenv(name, value.c_str(), 1); else ::unsetenv(name);
  };
  restore("K4DS_CONFIG", saved_cfg, keep_cfg);
  restore("XDG_CONFIG_HOME", saved_xdg, keep_xdg);
  restore("HOME", saved_home, keep_home);
}

}  // namespace
}  // namespace k4ds::cli
