// A burst of launches starts at most the runtime's max_starting() at once, oldest first; the
// others wait as pending with a reason, and start as earlier ones become ready.
#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "auth/auth_test_support.h"
#include "controller/controller.h"

namespace k4ds {
namespace {

// Starts nothing for real: applied workspaces are "starting" until ready() says otherwise.
class CountingRuntime final : public Runtime {
 public:
  std::string name() const override { return "counting"; }
  std::string capabilities() const override { return ""; }
  int max_starting() const override { return 2; }
  Status apply(const LaunchSpec& spec) override {
    std::lock_guard lock(mutex_);
    started_.push_back(spec.name);
    state_[spec.workspace_id] = RunState::starting;
    return ok_status();
  }
  Status stop(std::string_view id) override {
    std::lock_guard lock(mutex_);
    state_[std::string(id)] = RunState::stopped;
    return ok_status();
  }
  Status remove(std::string_view id) override {
    std::lock_guard lock(mutex_);
    state_.erase(std::string(id));
    return ok_status();
  }
  Result<std::vector<ObservedWorkspace>> observe() override {
    std::lock_guard lock(mutex_);
    std::vector<ObservedWorkspace> out;
    for (const auto& [id, state] : state_) {
      out.push_back(ObservedWorkspace{.workspace_id = id, .state = state, .upstream = "127.0.0.1:1",
                                      .health_path = "/", .started_at_ms = to_unix_ms(Clock::now())});
    }
    return out;
  }
  Result<std::string> tail_logs(std::string_view, std::size_t) override { return std::string(); }
  Result<LogFollow> follow_logs(std::string_view, std::size_t) override {
    return failed_precondition("no logs");
  }
  void all_ready() {
    std::lock_guard lock(mutex_);
    for (auto& [id, state] : state_) state = RunState::running;
  }
  // Which were started (one batch runs in parallel, so as a set).
  std::set<std::string> started() {
    std::lock_guard lock(mutex_);
    return {started_.begin(), started_.end()};
  }

 private:
  using Clock = std::chrono::system_clock;
  std::mutex mutex_;
  std::map<std::string, RunState> state_;
  std::vector<std::string> started_;
};

TEST(StartLimitTest, ABurstStartsAFewAtATimeOldestFirst) {
  testing::TempStore store;
  auto catalog = std::make_shared<const Catalog>(Catalog{
      .environments = {Environment{.name = "jupyter-python", .health_path = "/"}},
      .sizes = {Size{.name = "small", .cpu_millis = 1000, .memory_bytes = 1 << 30}}});
  // Created newest-name-first, so the store's order (by name) is not the launch order.
  for (int i = 0; i < 5; ++i) {
    Workspace ws{.id = "id-" + std::to_string(i), .owner = "alice", .name = "w" + std::to_string(5 - i),
                 .environment = "jupyter-python", .size = "small", .volumes = {"v1"},
                 .phase = Phase::pending, .reason = "queued", .created_at = 1000 + i};
    ASSERT_TRUE(store->write([&](Tx& tx) { return tx.create_workspace(ws).status(); }).ok());
  }
  CountingRuntime runtime;
  Controller controller(*store, Services::system(), runtime, [catalog] { return catalog; });

  ASSERT_TRUE(controller.reconcile_once().ok());
  EXPECT_EQ(runtime.started(), (std::set<std::string>{"w5", "w4"})) << "the two oldest, and only two";
  auto listed = read_value(*store, [](Tx& tx) { return tx.list_workspaces({}); });
  ASSERT_TRUE(listed.ok());
  int waiting = 0;
  for (const auto& ws : *listed) {
    if (ws.phase != Phase::pending) continue;
    ++waiting;
    EXPECT_EQ(ws.reason, "waiting to start: at most 2 workspaces start at once on this server") << ws.name;
  }
  EXPECT_EQ(waiting, 3);
  // Nothing changes while those two are still starting (and the reason is not rewritten).
  ASSERT_TRUE(controller.reconcile_once().ok());
  EXPECT_EQ(runtime.started().size(), 2u);

  runtime.all_ready();
  ASSERT_TRUE(controller.reconcile_once().ok());
  EXPECT_EQ(runtime.started(), (std::set<std::string>{"w5", "w4", "w3", "w2"}));
  runtime.all_ready();
  ASSERT_TRUE(controller.reconcile_once().ok());
  EXPECT_EQ(runtime.started().size(), 5u);
}

}  // namespace
}  // namespace k4ds
