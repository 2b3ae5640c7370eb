// A burst of launches starts at most the runtime's max_starting() at once, oldest first; the
// others wait as pending with a reason, and start as earlier ones become ready.
#include <gtest/gtest.h>

#include <set>

#include "auth/auth_test_support.h"
#include "controller/controller.h"
#include "counting_runtime.h"

namespace k4ds {
namespace {

using testing::CountingRuntime;

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
