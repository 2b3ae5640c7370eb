// As root: a workspace runs as its user's own account and no other uid can reach its socket.
// And one real Jupyter Notebook through the runtime.
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include "common/netns.h"
#include "runtime/local/files.h"
#include "runtime/local/health.h"
#include "runtime/local/host.h"
#include "runtime_test_support.h"

namespace k4ds::testing {
namespace {

using namespace std::chrono_literals;

// connect() to a Unix socket as uid/gid in a forked child; returns the child's errno (0 = ok).
int connect_as(const std::string& path, uid_t uid, gid_t gid) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(100);
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::_exit(rc == 0 ? 0 : errno);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class AccountRuntimeTest : public LocalRuntimeTest {
 protected:
  LocalRuntimeOptions options() override {
    auto o = LocalRuntimeTest::options();
    o.user_accounts = true;
    return o;
  }
  void TearDown() override {
    LocalRuntimeTest::TearDown();
    // The account is created by the test; remove it so the host is left as found.
    if (created_account_) local::run_quietly({"/usr/sbin/userdel", local::account_name("rttest")});
  }
  bool created_account_ = false;
};

TEST_F(AccountRuntimeTest, AnotherUidCannotConnectToTheWorkspace) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch uids";
  created_account_ = ::getpwnam(local::account_name("rttest").c_str()) == nullptr;
  ASSERT_TRUE(runtime_->apply(spec("iso", fake_server_environment())).ok());
  auto running = wait_for("iso", [](auto& o) { return is(o, RunState::running); });
  ASSERT_EQ(running.state, RunState::running);
  struct passwd* account = ::getpwnam(local::account_name("rttest").c_str());
  ASSERT_NE(account, nullptr);

  // The workspace process runs as the account, not as root.
  auto pid_text = local::read_file(runtime_->state_dir("iso") + "/child.pid");
  ASSERT_TRUE(pid_text);
  auto status = local::read_file("/proc/" + std::to_string(std::atoi(pid_text->c_str())) + "/status");
  ASSERT_TRUE(status);
  EXPECT_NE(status->find("Uid:\t" + std::to_string(account->pw_uid) + "\t"), std::string::npos);
  struct stat st{};
  ASSERT_EQ(::stat(runtime_->volume_dir("vol-iso").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, account->pw_uid);

  std::string socket = running.upstream.substr(5);
  EXPECT_EQ(connect_as(socket, 65534, 65534), EACCES) << "nobody reached the workspace directly";
  EXPECT_EQ(connect_as(socket, account->pw_uid, account->pw_gid), 0);
  EXPECT_EQ(connect_as(socket, 0, 0), 0) << "the gateway (root) must reach it";
}

// connect() to 127.0.0.1:port (or `address`) from a forked child: as uid/gid when uid >= 0, and
// inside the network namespace of process `netns_pid` when > 0. Returns its errno (0 = ok).
int connect_tcp(uint16_t port, int uid = -1, int netns_pid = 0, const char* address = "127.0.0.1") {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (netns_pid > 0) {
      int ns = ::open(("/proc/" + std::to_string(netns_pid) + "/ns/net").c_str(), O_RDONLY);
      if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) ::_exit(101);
    }
    if (uid >= 0 && (::setgroups(0, nullptr) != 0 || ::setgid(uid) != 0 || ::setuid(uid) != 0)) ::_exit(100);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, address, &addr.sin_addr);
    timeval limit{.tv_sec = 3, .tv_usec = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::_exit(rc == 0 ? 0 : errno);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// How many slirp4netns processes serve the network of process `pid`.
int helpers_for(int pid) {
  int found = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    auto cmdline = local::read_file(entry.path().string() + "/cmdline");
    if (!cmdline || !cmdline->starts_with("slirp4netns")) continue;
    std::string args = *cmdline;
    std::replace(args.begin(), args.end(), '\0', ' ');
    if (args.find(" " + std::to_string(pid) + " ") != std::string::npos) ++found;
  }
  return found;
}

// Issue 4, isolation of environments with a TCP port (RStudio, Shiny, code-server): as root the
// workspace listens inside a private network; nobody on the host, not even root, reaches the
// port directly, while the gateway's way in (a socket made in that network) works. The
// workspace cannot reach the host's loopback services either.
TEST_F(AccountRuntimeTest, APortWorkspaceIsReachableOnlyThroughItsPrivateNetwork) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a private network";
  created_account_ = ::getpwnam(local::account_name("rttest").c_str()) == nullptr;
  Environment web{.name = "web",
                  .command = {"/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", "{port}"},
                  .port = 8000,
                  .health_path = "/"};
  ASSERT_TRUE(runtime_->apply(spec("net", web)).ok());
  auto running = wait_for("net", [](auto& o) { return is(o, RunState::running) || is(o, RunState::exited); }, 30s);
  ASSERT_EQ(running.state, RunState::running) << (runtime_->tail_logs("net", 4000).ok() ? *runtime_->tail_logs("net", 4000) : "");
  std::optional<NetnsAddress> target = parse_netns_upstream(running.upstream);
  ASSERT_TRUE(target) << "not in a private network: " << running.upstream;
  const auto port = static_cast<uint16_t>(std::stoi(target->address.substr(target->address.rfind(':') + 1)));

  EXPECT_EQ(connect_tcp(port, 65534), ECONNREFUSED) << "nobody reached the workspace's port";
  EXPECT_EQ(connect_tcp(port), ECONNREFUSED) << "not even root on the host's network";
  EXPECT_EQ(connect_tcp(port, -1, target->pid), 0) << "inside its network the port answers";
  auto response = local::http_get(running.upstream, "/", 5s);  // how the health check and gateway get in
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->rfind("HTTP/1.0 200", 0), 0u) << *response;

  // A service on the host's loopback is out of the workspace's reach.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{.sin_family = AF_INET};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t host_port = ntohs(addr.sin_port);
  EXPECT_EQ(connect_tcp(host_port), 0) << "the host itself reaches its service";
  EXPECT_NE(connect_tcp(host_port, -1, target->pid), 0) << "127.0.0.1 in the workspace is its own";
  if (!local::find_executable("slirp4netns").empty()) {
    // slirp4netns's gateway address would lead to the host's loopback; it is disabled.
    EXPECT_NE(connect_tcp(host_port, -1, target->pid, "10.0.2.2"), 0);
  }
  ::close(listener);

  // The outbound helper lives as long as the workspace, and no longer.
  const bool outbound = !local::find_executable("slirp4netns").empty();
  EXPECT_EQ(helpers_for(target->pid), outbound ? 1 : 0);
  ASSERT_TRUE(runtime_->stop("net").ok());
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (helpers_for(target->pid) > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(helpers_for(target->pid), 0) << "slirp4netns outlived the workspace";
}

// As root the notebook runs under the user's account (Jupyter itself refuses to run as root).
TEST_F(AccountRuntimeTest, RealJupyterNotebookAnswersOverItsSocket) {
  if (local::run_quietly({"/usr/bin/python3", "-c", "import notebook"}) != 0) {
    GTEST_SKIP() << "python3-notebook is not installed";
  }
  created_account_ = ::getpwnam(local::account_name("rttest").c_str()) == nullptr;
  Environment jupyter{
      .name = "jupyter-python",
      .command = {"/usr/bin/python3", "-m", "notebook", "--no-browser", "--sock={socket}",
                  "--notebook-dir={home}", "--NotebookApp.token=", "--NotebookApp.password=",
                  "--NotebookApp.allow_remote_access=True"},
      .port = 0,
      .health_path = "/api"};
  EXPECT_EQ(local::environment_unavailable_reason(jupyter), "");
  ASSERT_TRUE(runtime_->apply(spec("jupyter", jupyter, int64_t{1} << 30)).ok());
  auto running = wait_for("jupyter", [](auto& o) { return is(o, RunState::running) || is(o, RunState::exited); }, 60s);
  ASSERT_EQ(running.state, RunState::running) << (runtime_->tail_logs("jupyter", 4000).ok() ? *runtime_->tail_logs("jupyter", 4000) : "");
  struct stat st{};
  ASSERT_EQ(::stat(running.upstream.substr(5).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto response = local::http_get(running.upstream, "/api/contents", 5s);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->rfind("HTTP/1.1 200", 0), 0u) << *response;
  EXPECT_NE(response->find("application/json"), std::string::npos) << *response;
  EXPECT_NE(response->find("\"type\": \"directory\""), std::string::npos) << *response;
  ASSERT_TRUE(runtime_->stop("jupyter").ok());
}

TEST(EnvironmentDetectionTest, MarksWhatThisHostLacks) {
  Catalog catalog;
  catalog.environments = {
      Environment{.name = "missing-binary", .command = {"/nonexistent/rserver"}},
      Environment{.name = "missing-module", .command = {"/usr/bin/python3", "-m", "k4ds_no_such_module"}},
      Environment{.name = "missing-kernel",
                  .command = {"/usr/bin/python3", "-c", "pass",
                              "--MultiKernelManager.default_kernel_name=k4ds-no-such-kernel"}},
      Environment{.name = "fine", .command = {"/usr/bin/python3", "-c", "pass"}},
      Environment{.name = "image-only", .image = "jupyter/base-notebook"},
  };
  local::mark_unavailable_environments(catalog);
  EXPECT_FALSE(catalog.environments[0].available);
  EXPECT_NE(catalog.environments[0].unavailable_reason.find("/nonexistent/rserver is not installed"), std::string::npos);
  EXPECT_FALSE(catalog.environments[1].available);
  EXPECT_NE(catalog.environments[1].unavailable_reason.find("k4ds_no_such_module"), std::string::npos);
  EXPECT_FALSE(catalog.environments[2].available);
  EXPECT_NE(catalog.environments[2].unavailable_reason.find("k4ds-no-such-kernel"), std::string::npos);
  EXPECT_TRUE(catalog.environments[3].available);
  EXPECT_TRUE(catalog.environments[4].available);
}

TEST(TemplateTest, UnknownPlaceholdersAreRefused) {
  auto ok = local::expand_template(std::vector<std::string>{"--sock={socket}", "{home}/x"},
                                   {{"socket", "/s"}, {"home", "/h"}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (std::vector<std::string>{"--sock=/s", "/h/x"}));
  auto bad = local::expand_template(std::vector<std::string>{"--sock={sock}"}, {{"socket", "/s"}});
  EXPECT_EQ(bad.status().code(), Code::invalid_argument);
}

}  // namespace
}  // namespace k4ds::testing
