// End-to-end: the real k4ds binary as a server (`k4ds up`) and as the CLI, as a user runs them.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "support/process.h"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using k4ds::testing::Env;
using k4ds::testing::kAdminPassword;
using k4ds::testing::Outcome;
using k4ds::testing::run_k4ds;
using k4ds::testing::Server;

class CliEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/k4ds_cli_e2e_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    server_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
    else std::cerr << "kept " << dir_ << " for inspection (server.log)\n";
  }
  // The environment of one CLI user: their own HOME and config file.
  Env user_env(const std::string& user) const {
    fs::create_directories(dir_ / user);
    return {{"HOME", (dir_ / user).string()},
            {"K4DS_CONFIG", (dir_ / user / "cli.yaml").string()}};
  }
  fs::path dir_;
  std::unique_ptr<Server> server_;
};

json::value parse_json(const Outcome& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.out, ec);
  EXPECT_FALSE(ec) << "not JSON: " << r;
  return v;
}

TEST_F(CliEndToEnd, UserJourneyAgainstARealServer) {
  server_ = std::make_unique<Server>(dir_);
  ASSERT_FALSE(server_->url().empty()) << "k4ds up did not report its URL; it printed:\n"
                                       << server_->startup_output();
  const std::string url = server_->url();
  const Env admin = user_env("admin"), alice = user_env("alice"), bob = user_env("bob");

  // Login with a wrong password: authentication failed (3); then the real one.
  Outcome r = run_k4ds({"login", url, "--username", "admin", "--password-stdin"}, admin, "wrong\n");
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r;
  r = run_k4ds({"login", url, "--username", "admin", "--password-stdin"}, admin,
               std::string(kAdminPassword) + "\n");
  ASSERT_EQ(r.exit_code, 0) << r;
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "admin" / "cli.yaml").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  YAML::Node saved = YAML::LoadFile((dir_ / "admin" / "cli.yaml").string());
  EXPECT_EQ(saved["server"].as<std::string>(), url);
  EXPECT_EQ(saved["user"].as<std::string>(), "admin");
  EXPECT_EQ(saved["token"].as<std::string>().rfind("k4ds_", 0), 0u);

  // Logging in again replaces the saved token and revokes the old one.
  const std::string first_token = saved["token"].as<std::string>();
  r = run_k4ds({"login", url, "--username", "admin", "--password-stdin"}, admin,
               std::string(kAdminPassword) + "\n");
  ASSERT_EQ(r.exit_code, 0) << r;
  r = run_k4ds({"whoami"}, Env{{"HOME", (dir_ / "script").string()}, {"K4DS_URL", url},
                               {"K4DS_TOKEN", first_token}});
  EXPECT_EQ(r.exit_code, 3) << "the replaced token is revoked: " << r;

  r = run_k4ds({"whoami", "-o", "json"}, admin);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(parse_json(r).at("name"), "admin");
  EXPECT_EQ(parse_json(r).at("auth"), "token");

  r = run_k4ds({"env", "ls"}, admin);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.rfind("NAME", 0), 0u) << r;
  r = run_k4ds({"env", "ls", "-o", "json"}, admin);
  ASSERT_EQ(r.exit_code, 0) << r;
  const json::array envs = parse_json(r).at("items").as_array();
  ASSERT_FALSE(envs.empty()) << "k4ds up has no environments to launch";
  const std::string env_name(envs[0].at("name").as_string());
  r = run_k4ds({"size", "ls"}, admin);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("MEMORY"), std::string::npos) << r;

  // Accounts.
  r = run_k4ds({"admin", "user", "add", "alice", "--display-name", "Alice L", "--password-stdin"},
               admin, "alice-Passw0rd!\n");
  ASSERT_EQ(r.exit_code, 0) << r;
  r = run_k4ds({"admin", "user", "add", "bob", "--password-stdin"}, admin, "bob-Passw0rd!\n");
  ASSERT_EQ(r.exit_code, 0) << r;
  r = run_k4ds({"admin", "user", "add", "bob", "--password-stdin"}, admin, "bob-Passw0rd!\n");
  EXPECT_EQ(r.exit_code, 6) << "a second bob is a conflict: " << r;
  r = run_k4ds({"admin", "user", "ls", "-o", "yaml"}, admin);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(YAML::Load(r.out)["items"].size(), 3u) << r;

  r = run_k4ds({"login", url, "-u", "alice", "--password-stdin"}, alice, "alice-Passw0rd!\n");
  ASSERT_EQ(r.exit_code, 0) << r;
  r = run_k4ds({"login", url, "-u", "bob", "--password-stdin"}, bob, "bob-Passw0rd!\n");
  ASSERT_EQ(r.exit_code, 0) << r;
  r = run_k4ds({"admin", "user", "ls"}, alice);
  EXPECT_EQ(r.exit_code, 4) << "a non-admin is refused admin verbs: " << r;

  // Alice's volumes and workspace: a volume of hers mounted besides home.
  r = run_k4ds({"volume", "create", "data"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("--volume data"), std::string::npos) << r;
  r = run_k4ds({"volume", "create", "data"}, alice);
  EXPECT_EQ(r.exit_code, 6) << "a second volume named data is a conflict: " << r;
  r = run_k4ds({"launch", env_name, "--name", "analysis", "--volume", "nothing"}, alice);
  EXPECT_EQ(r.exit_code, 9) << "an unknown volume is bad input: " << r;
  EXPECT_NE(r.err.find("you have no volume named nothing"), std::string::npos) << r;
  r = run_k4ds({"launch", env_name, "--name", "analysis", "--volume", "data"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("alice/analysis"), std::string::npos) << r;
  r = run_k4ds({"volume", "ls", "-o", "json"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(parse_json(r).at("items").as_array().size(), 2u) << "home (made at the launch) and data: " << r;
  r = run_k4ds({"volume", "ls"}, bob);
  EXPECT_NE(r.out.find("No volumes yet"), std::string::npos) << "bob sees only his own: " << r;
  r = run_k4ds({"launch", env_name, "--name", "analysis"}, alice);
  EXPECT_EQ(r.exit_code, 6) << "same name twice: " << r;
  r = run_k4ds({"ls"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.rfind("NAME  ", 0), 0u) << r;
  for (const char* col : {"ENVIRONMENT", "SIZE", "STATE", "URL", "AGE"})
    EXPECT_NE(r.out.find(col), std::string::npos) << col << "\n" << r;
  EXPECT_NE(r.out.find("\nanalysis  "), std::string::npos) << r;
  r = run_k4ds({"ls", "-o", "json"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  json::array items = parse_json(r).at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << r;
  EXPECT_EQ(items[0].at("owner"), "alice");
  EXPECT_EQ(items[0].at("volumes").as_array().size(), 2u) << "home, then data: " << r;
  EXPECT_EQ(items[0].at("name"), "analysis");
  EXPECT_EQ(items[0].at("environment"), env_name.c_str());

  r = run_k4ds({"status", "analysis"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("alice/analysis"), std::string::npos) << r;
  r = run_k4ds({"stop", "analysis"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  r = run_k4ds({"status", "analysis", "-o", "json"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(parse_json(r).at("desired"), "stopped") << r;
  r = run_k4ds({"start", "analysis"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  r = run_k4ds({"status", "alice/analysis", "-o", "json"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(parse_json(r).at("desired"), "running") << r;
  r = run_k4ds({"open", "analysis", "--print"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.rfind("http", 0), 0u) << r;

  // Bob cannot see it (not even that it exists); the admin can.
  r = run_k4ds({"status", "alice/analysis"}, bob);
  EXPECT_EQ(r.exit_code, 5) << r;
  r = run_k4ds({"stop", "alice/analysis"}, bob);
  EXPECT_EQ(r.exit_code, 5) << r;
  r = run_k4ds({"ls", "--all", "-o", "json"}, admin);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(parse_json(r).at("items").as_array().size(), 1u) << r;

  // Tokens: the secret works until it is revoked.
  r = run_k4ds({"token", "create", "ci", "--expires-in-days", "7"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string secret = r.out.substr(0, r.out.find('\n'));
  EXPECT_NE(r.err.find("will not be shown again"), std::string::npos) << r;
  r = run_k4ds({"token", "ls", "-o", "json"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string ci_id;
  const json::value tokens = parse_json(r);
  for (const auto& t : tokens.at("items").as_array())
    if (t.at("name") == "ci") ci_id = std::string(t.at("id").as_string());
  ASSERT_FALSE(ci_id.empty()) << r;
  EXPECT_EQ(r.out.find(secret), std::string::npos) << "token ls must not show secrets";
  Env script{{"HOME", (dir_ / "script").string()}, {"K4DS_URL", url}, {"K4DS_TOKEN", secret}};
  r = run_k4ds({"whoami"}, script);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.rfind("alice", 0), 0u) << r;
  r = run_k4ds({"token", "revoke", ci_id}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  r = run_k4ds({"whoami"}, script);
  EXPECT_EQ(r.exit_code, 3) << "revoked token: " << r;

  // Watching follows the workspace live until it is deleted (by another command meanwhile).
  Outcome removed;
  std::thread remover([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    removed = run_k4ds({"rm", "analysis"}, alice);
  });
  r = run_k4ds({"status", "analysis", "--watch"}, alice);
  remover.join();
  ASSERT_EQ(removed.exit_code, 0) << removed;
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("  state: "), std::string::npos) << r;
  EXPECT_NE(r.out.find("alice/analysis was deleted"), std::string::npos) << r;
  r = run_k4ds({"status", "analysis"}, alice);
  EXPECT_EQ(r.exit_code, 5) << r;

  // Logout revokes the saved token and forgets it.
  std::string alice_token = YAML::LoadFile((dir_ / "alice" / "cli.yaml").string())["token"]
                                .as<std::string>();
  r = run_k4ds({"logout"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  r = run_k4ds({"whoami"}, alice);
  EXPECT_EQ(r.exit_code, 3) << r;
  r = run_k4ds({"whoami"}, Env{{"HOME", (dir_ / "script").string()}, {"K4DS_URL", url},
                               {"K4DS_TOKEN", alice_token}});
  EXPECT_EQ(r.exit_code, 3) << "logout revokes the token on the server: " << r;
}

TEST(CliWithoutServer, UnreachableServerExits7WithAHint) {
  Outcome r = run_k4ds({"ls"}, {{"HOME", "/nonexistent"}, {"K4DS_URL", "http://127.0.0.1:1"},
                            {"K4DS_TOKEN", "k4ds_x"}});
  EXPECT_EQ(r.exit_code, 7) << r;
  EXPECT_EQ(r.err,
            "error: cannot reach the k4ds server at http://127.0.0.1:1 (connection refused); is "
            "it running? start it with k4ds up\n");
}

TEST(CliWithoutServer, NotLoggedInExits3) {
  Outcome r =
      run_k4ds({"ls"}, {{"HOME", "/nonexistent"}, {"K4DS_CONFIG", "/nonexistent/cli.yaml"}});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_EQ(r.err, "error: not logged in; run k4ds login URL\n");
}

TEST(CliWithoutServer, UsageErrorsExit2AndBadInputExits9) {
  Env env{{"HOME", "/nonexistent"}, {"K4DS_URL", "http://127.0.0.1:1"}, {"K4DS_TOKEN", "x"}};
  EXPECT_EQ(run_k4ds({"launch"}, env).exit_code, 2);
  EXPECT_EQ(run_k4ds({"ls", "-o", "xml"}, env).exit_code, 2);
  Outcome r = run_k4ds({"status", "a/b/c"}, env);
  EXPECT_EQ(r.exit_code, 9) << r;
  r = run_k4ds({"login", "ftp://x", "-u", "a", "--password-stdin"}, env, "pw\n");
  EXPECT_EQ(r.exit_code, 9) << r;
}

TEST(CliWithoutServer, LoginWithoutATerminalSaysWhichFlagToUse) {
  Outcome r = run_k4ds({"login", "http://127.0.0.1:1"}, {{"HOME", "/nonexistent"}});
  EXPECT_EQ(r.exit_code, 9) << r;
  EXPECT_NE(r.err.find("--username"), std::string::npos) << r;
}

TEST(CliWithoutServer, EveryVerbHasHelp) {
  for (std::vector<std::string> verb :
       {std::vector<std::string>{"login"}, {"logout"}, {"whoami"}, {"env", "ls"}, {"size", "ls"},
        {"launch"}, {"ls"}, {"status"}, {"stop"}, {"start"}, {"rm"}, {"open"}, {"logs"},
        {"token", "create"}, {"token", "ls"}, {"token", "revoke"}, {"admin", "user", "add"},
        {"admin", "user", "ls"}, {"admin", "user", "rm"}, {"admin", "user", "passwd"},
        {"admin", "group", "add"}, {"admin", "group", "ls"}, {"admin", "group", "rm"},
        {"admin", "group", "members"}, {"admin", "group", "add-member"},
        {"admin", "group", "rm-member"}, {"volume", "ls"}, {"volume", "create"}}) {
    verb.push_back("--help");
    Outcome r = run_k4ds(verb, {{"HOME", "/nonexistent"}});
    EXPECT_EQ(r.exit_code, 0) << verb[0] << " " << r;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << verb[0] << " " << r;
  }
}

}  // namespace
