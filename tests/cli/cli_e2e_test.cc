// End-to-end: the real k4ds binary as a server (`k4ds up`) and as the CLI, as a user runs them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Env = std::map<std::string, std::string>;
using Clock = std::chrono::steady_clock;

constexpr const char* kAdminPassword = "admin-e2e-Passw0rd!";

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::ostream& operator<<(std::ostream& os, const Outcome& r) {
  return os << "exit " << r.exit_code << "\nstdout:\n" << r.out << "stderr:\n" << r.err;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// A minimal environment, so the developer's own login (HOME, K4DS_*) can't leak into a test.
std::vector<std::string> child_env(const Env& env) {
  std::vector<std::string> out;
  const char* path = std::getenv("PATH");
  out.push_back(std::string("PATH=") + (path ? path : "/usr/bin:/bin"));
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

// Runs the k4ds binary with args, feeding `input` on stdin; gives up after 60 s.
Outcome run_k4ds(std::vector<std::string> args, const Env& env, const std::string& input = "") {
  args.insert(args.begin(), K4DS_BINARY);
  std::vector<std::string> envs = child_env(env);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();  // no controlling terminal: prompts must fail, not hang the test
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    auto argv = c_strings(args);
    auto envp = c_strings(envs);
    ::execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  Outcome r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (open_fds > 0 && Clock::now() < deadline) {
    if (::poll(fds, 2, 1000) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  if (open_fds > 0) ::kill(pid, SIGKILL);
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// `k4ds up` on a free port with a fresh data directory, stopped by SIGTERM at the end.
class Server {
 public:
  explicit Server(const fs::path& dir) {
    fs::create_directories(dir / "data");
    std::vector<std::string> args{K4DS_BINARY, "up", "--listen", "127.0.0.1:0", "--data-dir",
                                  (dir / "data").string()};
    std::vector<std::string> envs = child_env(
        {{"HOME", dir.string()}, {"K4DS_ADMIN_PASSWORD", kAdminPassword}});
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    std::string log = (dir / "server.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a crashed test must not leave a server behind
      ::dup2(out[1], 1);
      int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (log_fd >= 0) ::dup2(log_fd, 2);
      auto argv = c_strings(args);
      auto envp = c_strings(envs);
      ::execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    ::close(out[1]);
    out_fd_ = out[0];
    // Wait for "k4ds: serving on URL", then keep draining stdout so the server never blocks on it.
    std::string text;
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      pollfd p{out_fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[1024];
      ssize_t n = ::read(out_fd_, buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      const std::string marker = "k4ds: serving on ";
      if (auto at = text.find(marker); at != std::string::npos) {
        auto eol = text.find('\n', at);
        if (eol == std::string::npos) continue;
        url_ = text.substr(at + marker.size(), eol - at - marker.size());
        break;
      }
    }
    startup_output_ = text;
    drain_ = std::thread([fd = out_fd_] {
      char buf[1024];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
    });
  }
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (::waitpid(pid_, &status, WNOHANG) == 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
    }
    if (drain_.joinable()) drain_.join();
    if (out_fd_ >= 0) ::close(out_fd_);
  }
  const std::string& url() const { return url_; }
  const std::string& startup_output() const { return startup_output_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string url_;
  std::string startup_output_;
  std::thread drain_;
};

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

  // Alice's workspace.
  r = run_k4ds({"launch", env_name, "--name", "analysis"}, alice);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("alice/analysis"), std::string::npos) << r;
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
        {"admin", "group", "rm-member"}}) {
    verb.push_back("--help");
    Outcome r = run_k4ds(verb, {{"HOME", "/nonexistent"}});
    EXPECT_EQ(r.exit_code, 0) << verb[0] << " " << r;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << verb[0] << " " << r;
  }
}

}  // namespace
