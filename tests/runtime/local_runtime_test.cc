#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "runtime/local/files.h"
#include "runtime/local/health.h"
#include "runtime_test_support.h"

namespace k4ds::testing {
namespace {

using namespace std::chrono_literals;

bool alive(int pid) { return local::same_process_alive(pid, local::process_start_time(pid)); }

int child_pid(LocalRuntime& runtime, const std::string& id) {
  auto text = local::read_file(runtime.state_dir(id) + "/child.pid");
  return text ? std::atoi(text->c_str()) : 0;
}

std::string state_value(LocalRuntime& runtime, const std::string& id, const std::string& key) {
  auto text = local::read_file(runtime.state_dir(id) + "/state");
  return text ? local::parse_key_values(*text)[key] : "";
}

TEST_F(LocalRuntimeTest, StartsOnceAnswersOnItsSocketAndStops) {
  ASSERT_TRUE(runtime_->apply(spec("life", fake_server_environment())).ok());
  auto running = wait_for("life", [](auto& o) { return is(o, RunState::running); });
  ASSERT_EQ(running.state, RunState::running);
  EXPECT_EQ(running.upstream, "unix:" + runtime_->run_dir("life") + "/ws.sock");
  EXPECT_EQ(running.health_path, "/health");

  struct stat st{};
  ASSERT_EQ(::stat(running.upstream.substr(5).c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(runtime_->run_dir("life").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(runtime_->volume_dir("vol-life").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  // Applying again is a no-op: same supervisor, same process.
  std::string supervisor = state_value(*runtime_, "life", "supervisor_pid");
  int child = child_pid(*runtime_, "life");
  ASSERT_TRUE(runtime_->apply(spec("life", fake_server_environment())).ok());
  EXPECT_EQ(state_value(*runtime_, "life", "supervisor_pid"), supervisor);
  EXPECT_EQ(child_pid(*runtime_, "life"), child);
  EXPECT_TRUE(alive(child));

  auto tail = runtime_->tail_logs("life", 1 << 20);
  ASSERT_TRUE(tail.ok());
  EXPECT_NE(tail->find("fake workspace listening"), std::string::npos);

  ASSERT_TRUE(runtime_->stop("life").ok());
  EXPECT_FALSE(alive(child));
  EXPECT_FALSE(alive(std::stoi(supervisor)));
  auto stopped = wait_for("life", [](auto& o) { return is(o, RunState::stopped); });
  EXPECT_EQ(stopped.state, RunState::stopped);
  EXPECT_TRUE(runtime_->stop("life").ok());  // idempotent
  // The volume survives a stop, and the output stays readable.
  EXPECT_EQ(::access(runtime_->volume_dir("vol-life").c_str(), F_OK), 0);
  EXPECT_TRUE(runtime_->tail_logs("life", 100).ok());
}

TEST_F(LocalRuntimeTest, CrashReportsExitCodeSignalAndLastOutput) {
  ASSERT_TRUE(runtime_->apply(spec("crash", python_environment(
      {"-c", "import sys; print('first line'); print('boom: disk on fire'); sys.exit(3)"}))).ok());
  auto exited = wait_for("crash", [](auto& o) { return is(o, RunState::exited); });
  EXPECT_EQ(exited.exit_code, 3);
  EXPECT_EQ(exited.signal, 0);
  EXPECT_FALSE(exited.out_of_memory);
  ASSERT_FALSE(exited.last_output.empty());
  EXPECT_EQ(exited.last_output.back(), "boom: disk on fire");

  ASSERT_TRUE(runtime_->apply(spec("segv", python_environment(
      {"-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"}))).ok());
  auto killed = wait_for("segv", [](auto& o) { return is(o, RunState::exited); });
  EXPECT_EQ(killed.signal, SIGSEGV);
  EXPECT_EQ(killed.exit_code, -1);
}

TEST_F(LocalRuntimeTest, MissingExecutableIsAPreconditionFailure) {
  Environment env{.name = "gone", .command = {"/nonexistent/rserver", "--www-port={port}"}, .port = 8787};
  Status s = runtime_->apply(spec("gone", env));
  EXPECT_EQ(s.code(), Code::failed_precondition) << s.to_string();
  Environment typo = python_environment({"-c", "pass", "{sock}"});
  s = runtime_->apply(spec("typo", typo));
  EXPECT_EQ(s.code(), Code::failed_precondition) << s.to_string();
  EXPECT_NE(s.message().find("{sock}"), std::string::npos) << s.message();
}

TEST_F(LocalRuntimeTest, LogsRotateWithinTheirBound) {
  runtime_.reset();
  struct Small : LocalRuntimeTest {};
  LocalRuntimeOptions o = options();
  o.log_max_bytes = 10000;
  runtime_ = std::make_unique<LocalRuntime>(o);
  ASSERT_TRUE(runtime_->apply(spec("logs", python_environment(
      {"-c", "for i in range(1000): print('line %04d ' % i + 'x' * 40)\nprint('the end')"}))).ok());
  wait_for("logs", [](auto& o) { return is(o, RunState::exited); });
  std::string log = runtime_->state_dir("logs") + "/output.log";
  struct stat st{};
  ASSERT_EQ(::stat((log + ".1").c_str(), &st), 0) << "the log should have rotated";
  EXPECT_LE(st.st_size, 10000);
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  EXPECT_LE(st.st_size, 10000);
  auto tail = runtime_->tail_logs("logs", 1 << 20);
  ASSERT_TRUE(tail.ok());
  EXPECT_LE(tail->size(), 20000u);
  EXPECT_TRUE(tail->ends_with("the end\n")) << tail->substr(tail->size() - 100);
  EXPECT_EQ(runtime_->tail_logs("logs", 8)->size(), 8u);

  // Following starts with the tail and ends once the workspace has ended.
  auto follow = runtime_->follow_logs("logs", 8);
  ASSERT_TRUE(follow.ok());
  EXPECT_EQ(follow->next(100ms), std::optional<std::string>("the end\n"));
  EXPECT_EQ(follow->next(100ms), std::nullopt);
  follow->close();
  EXPECT_EQ(runtime_->tail_logs("never-ran", 10).status().code(), Code::failed_precondition);
}

TEST_F(LocalRuntimeTest, FollowSeesNewOutput) {
  ASSERT_TRUE(runtime_->apply(spec("chatty", python_environment(
      {"-c", "import time\nfor i in range(100):\n    print('tick', i)\n    time.sleep(0.1)"}))).ok());
  wait_for("chatty", [&](auto&) { return runtime_->tail_logs("chatty", 100).ok(); });
  auto follow = runtime_->follow_logs("chatty", 0);
  ASSERT_TRUE(follow.ok());
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (seen.find("tick") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    auto chunk = follow->next(500ms);
    ASSERT_TRUE(chunk.has_value());
    seen += *chunk;
  }
  EXPECT_NE(seen.find("tick"), std::string::npos);
  follow->close();
}

TEST_F(LocalRuntimeTest, ReadoptsRunningWorkspacesAfterARestart) {
  ASSERT_TRUE(runtime_->apply(spec("adopt", fake_server_environment())).ok());
  auto before = wait_for("adopt", [](auto& o) { return is(o, RunState::running); });
  int child = child_pid(*runtime_, "adopt");
  runtime_.reset();  // k4ds goes away (its state in memory with it)
  EXPECT_TRUE(alive(child));
  runtime_ = make_runtime();
  auto after = wait_for("adopt", [](auto& o) { return is(o, RunState::running); });
  EXPECT_EQ(after.upstream, before.upstream);
  EXPECT_EQ(after.started_at_ms, before.started_at_ms);
  ASSERT_TRUE(runtime_->apply(spec("adopt", fake_server_environment())).ok());
  EXPECT_EQ(child_pid(*runtime_, "adopt"), child) << "re-applying must not start a second copy";
  ASSERT_TRUE(runtime_->stop("adopt").ok());
  EXPECT_FALSE(alive(child));
}

TEST_F(LocalRuntimeTest, StopEndsEverythingTheWorkspaceStarted) {
  // One helper in the workspace's process group, one in a session of its own (as Jupyter
  // starts kernels): stop must end both.
  std::string prelude =
      "import subprocess, os\n"
      "a = subprocess.Popen(['/bin/sleep', '1000'])\n"
      "b = subprocess.Popen(['/bin/sleep', '1001'], start_new_session=True)\n"
      "open('pids', 'w').write('%d %d' % (a.pid, b.pid))\n";
  ASSERT_TRUE(runtime_->apply(spec("group", fake_server_environment(prelude))).ok());
  wait_for("group", [](auto& o) { return is(o, RunState::running); });
  std::ifstream in(runtime_->volume_dir("vol-group") + "/pids");
  int a = 0, b = 0;
  in >> a >> b;
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  EXPECT_TRUE(alive(a));
  EXPECT_TRUE(alive(b));
  std::string groups = state_value(*runtime_, "group", "cgroups");
  ASSERT_TRUE(runtime_->stop("group").ok());
  EXPECT_FALSE(alive(a));
  EXPECT_FALSE(alive(b)) << "a process in its own session escaped the stop";
  if (!groups.empty()) {
    EXPECT_NE(::access(groups.substr(0, groups.find(';')).c_str(), F_OK), 0) << "cgroup left behind";
  }
}

// Stopped the moment it was started (a user who clicks start, then stop): the supervisor may not
// have written the child's pid yet, and the child may join its cgroup after stop first found the
// cgroup empty. Stop still ends it all, and every time.
TEST_F(LocalRuntimeTest, StopRightAfterStartEndsEverything) {
  LaunchSpec s = spec("quick", fake_server_environment());
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(runtime_->apply(s).ok()) << "round " << i;
    std::string groups = state_value(*runtime_, "quick", "cgroups");
    int supervisor = std::atoi(state_value(*runtime_, "quick", "supervisor_pid").c_str());
    Status stopped = runtime_->stop("quick");
    ASSERT_TRUE(stopped.ok()) << "round " << i << ": " << stopped.to_string();
    EXPECT_FALSE(supervisor > 0 && alive(supervisor)) << "round " << i;
    if (!groups.empty()) {
      EXPECT_NE(::access(groups.substr(0, groups.find(';')).c_str(), F_OK), 0) << "round " << i << ": cgroup left";
    }
  }
}

TEST_F(LocalRuntimeTest, OutOfMemoryIsDetected) {
  Cgroups cgroups = Cgroups::detect();
  if (cgroups.mode() == Cgroups::Mode::none) GTEST_SKIP() << cgroups.describe();
  EXPECT_NE(runtime_->capabilities().find("memory, CPU and process limits: cgroup"), std::string::npos)
      << runtime_->capabilities();
  ASSERT_TRUE(runtime_->apply(spec("oom", python_environment(
      {"-c", "print('allocating', flush=True)\ns = 'x' * (300 << 20)\nprint('survived')"}),
      int64_t{64} << 20)).ok());
  auto exited = wait_for("oom", [](auto& o) { return is(o, RunState::exited); }, 30s);
  EXPECT_TRUE(exited.out_of_memory);
  EXPECT_EQ(exited.signal, SIGKILL);
  EXPECT_EQ(exited.memory_limit_bytes, int64_t{64} << 20);
  auto tail = runtime_->tail_logs("oom", 1000);
  EXPECT_EQ(tail->find("survived"), std::string::npos);
}

TEST_F(LocalRuntimeTest, HealthProbeAcceptsAnswersBelow500) {
  EXPECT_EQ(local::http_probe("unix:" + data_dir_ + "/nothing.sock", "/", 200ms), std::nullopt);
  EXPECT_EQ(local::http_probe("127.0.0.1:1", "/", 200ms), std::nullopt);
}

}  // namespace
}  // namespace k4ds::testing
