// As root: a workspace runs as its user's own account and no other uid can reach its socket.
// And one real Jupyter Notebook through the runtime.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

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
