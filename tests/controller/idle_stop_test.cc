// Idle stopping: a running workspace with no gateway activity for the server's idle limit is
// stopped, with a reason in plain words that stays through stopping and stopped; recent activity
// (or a recent start) keeps a workspace running; no limit means never.
#include <gtest/gtest.h>

#include "auth/auth_test_support.h"
#include "controller/controller.h"
#include "controller/planner.h"
#include "counting_runtime.h"

namespace k4ds {
namespace {

using namespace std::chrono_literals;
using testing::CountingRuntime;
using testing::FakeClock;

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kMinute = 60'000;

TEST(IdleTest, DurationsInPlainWords) {
  EXPECT_EQ(describe_duration(45'000), "45 seconds");
  EXPECT_EQ(describe_duration(1'000), "1 second");
  EXPECT_EQ(describe_duration(2 * kMinute), "2 min");
  EXPECT_EQ(describe_duration(2 * kHour), "2 h");
  EXPECT_EQ(describe_duration(kHour + 30 * kMinute), "1 h 30 min");
  EXPECT_EQ(describe_duration(72 * kHour), "3 days");
}

TEST(IdleTest, IdleCountsFromTheLastActivityOrTheStart) {
  const int64_t now = 100 * kHour;
  Workspace ws{.desired = DesiredState::running, .phase = Phase::running, .updated_at = now - 3 * kHour};
  EXPECT_TRUE(is_idle(ws, now, 2 * kHour)) << "never used since it started 3 h ago";
  ws.last_activity_at = now - kHour;
  EXPECT_FALSE(is_idle(ws, now, 2 * kHour));
  ws.last_activity_at = now - 2 * kHour;
  EXPECT_TRUE(is_idle(ws, now, 2 * kHour)) << "exactly the limit";
  EXPECT_FALSE(is_idle(ws, now, 0)) << "no limit";
  ws.phase = Phase::starting;
  EXPECT_FALSE(is_idle(ws, now, 2 * kHour)) << "only running workspaces";
  ws.phase = Phase::running;
  ws.desired = DesiredState::stopped;
  EXPECT_FALSE(is_idle(ws, now, 2 * kHour)) << "already being stopped";
  ws.desired = DesiredState::running;
  ws.updated_at = now - 30 * kMinute;  // started again half an hour ago
  EXPECT_FALSE(is_idle(ws, now, 2 * kHour));
}

TEST(IdleTest, ThePlannerKeepsTheIdleReason) {
  const std::string reason = idle_stop_reason(2 * kHour);
  EXPECT_EQ(reason, "stopped after 2 h without activity (this server's idle limit); start it again when you need it");
  EXPECT_TRUE(is_idle_stop_reason(reason));
  EXPECT_FALSE(is_idle_stop_reason("stopped on request"));
  Workspace ws{.id = "w", .desired = DesiredState::stopped, .phase = Phase::running, .reason = reason};
  ObservedWorkspace running{.workspace_id = "w", .state = RunState::running};
  Plan plan = plan_workspace(PlanInput{.workspace = &ws, .observed = &running});
  EXPECT_EQ(plan.action, RuntimeAction::stop);
  ASSERT_TRUE(plan.status);
  EXPECT_EQ(plan.status->phase, Phase::stopping);
  EXPECT_EQ(plan.status->reason, reason);
  ws.reason = "something else";
  plan = plan_workspace(PlanInput{.workspace = &ws, .observed = &running});
  ASSERT_TRUE(plan.status);
  EXPECT_EQ(plan.status->reason, "stopping on request");
}

class IdleStopTest : public ::testing::Test {
 protected:
  void add(const std::string& id, int64_t updated_at, int64_t last_activity_at) {
    Workspace ws{.id = id, .owner = "alice", .name = id, .environment = "jupyter-python", .size = "small",
                 .volumes = {"v1"}, .desired = DesiredState::running, .phase = Phase::running,
                 .reason = "ready", .upstream = "127.0.0.1:1", .created_at = updated_at,
                 .updated_at = updated_at, .last_activity_at = last_activity_at};
    ASSERT_TRUE(store->write([&](Tx& tx) { return tx.create_workspace(ws).status(); }).ok());
    runtime.mark_running(id);
  }
  Workspace get(const std::string& id) {
    auto ws = read_value(*store, [&](Tx& tx) { return tx.get_workspace(id); });
    EXPECT_TRUE(ws.ok()) << ws.status().to_string();
    return ws.ok() ? *ws : Workspace{};
  }
  int64_t now() const { return to_unix_ms(clock->now()); }

  testing::TempStore store;
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  std::shared_ptr<const Catalog> catalog = std::make_shared<const Catalog>(
      Catalog{.environments = {Environment{.name = "jupyter-python", .health_path = "/"}},
              .sizes = {Size{.name = "small", .cpu_millis = 1000, .memory_bytes = 1 << 30}}});
  CountingRuntime runtime;
};

TEST_F(IdleStopTest, AnIdleWorkspaceIsStoppedWithTheReasonAndActivityKeepsOthersRunning) {
  add("idle", now() - 3 * kHour, now() - 2 * kHour);
  add("busy", now() - 3 * kHour, now() - 40 * kMinute);
  add("fresh", now() - 30 * kMinute, 0);  // started half an hour ago, not opened yet
  Controller controller(*store, Services{.clock = clock, .random = Services::system().random}, runtime,
                        [this] { return catalog; }, ControllerOptions{.idle_stop_after = 1h});
  ASSERT_TRUE(controller.reconcile_once().ok());
  EXPECT_EQ(runtime.stopped(), (std::set<std::string>{"idle"}));
  Workspace idle = get("idle");
  EXPECT_EQ(idle.desired, DesiredState::stopped) << "it stays stopped until its owner starts it";
  EXPECT_EQ(idle.phase, Phase::stopping);
  const std::string reason =
      "stopped after 1 h without activity (this server's idle limit); start it again when you need it";
  EXPECT_EQ(idle.reason, reason);
  ASSERT_TRUE(controller.reconcile_once().ok());
  idle = get("idle");
  EXPECT_EQ(idle.phase, Phase::stopped);
  EXPECT_EQ(idle.reason, reason);
  auto events = read_value(*store, [](Tx& tx) { return tx.list_events("idle", 0, 100); });
  ASSERT_TRUE(events.ok());
  bool told = false;
  for (const auto& e : *events) told = told || e.message == reason;
  EXPECT_TRUE(told) << "the history says why";
  EXPECT_EQ(get("busy").desired, DesiredState::running);
  EXPECT_EQ(get("fresh").desired, DesiredState::running);

  // Half an hour later: fresh was opened meanwhile (the gateway recorded it), busy was not.
  ASSERT_TRUE(store->write([&](Tx& tx) { return tx.record_activity({{"fresh", now() + 20 * kMinute}}); }).ok());
  clock->advance(31min);
  ASSERT_TRUE(controller.reconcile_once().ok());
  EXPECT_EQ(get("fresh").desired, DesiredState::running);
  EXPECT_EQ(get("busy").desired, DesiredState::stopped) << "71 min since its last activity";
  EXPECT_EQ(runtime.stopped(), (std::set<std::string>{"idle", "busy"}));
}

TEST_F(IdleStopTest, WithoutALimitNothingIsStopped) {
  add("old", now() - 300 * kHour, now() - 200 * kHour);
  Controller controller(*store, Services{.clock = clock, .random = Services::system().random}, runtime,
                        [this] { return catalog; });
  ASSERT_TRUE(controller.reconcile_once().ok());
  EXPECT_TRUE(runtime.stopped().empty());
  EXPECT_EQ(get("old").desired, DesiredState::running);
}

}  // namespace
}  // namespace k4ds
