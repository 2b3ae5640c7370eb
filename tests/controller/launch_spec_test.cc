// What the controller hands the runtime at a start: the owner's other volumes by name (home
// first, separately) and the owner's effective quota, for runtimes that enforce it themselves.
#include <gtest/gtest.h>

#include "auth/auth_test_support.h"
#include "controller/controller.h"
#include "counting_runtime.h"

namespace k4ds {
namespace {

TEST(LaunchSpecTest, ExtraVolumesByNameAndTheOwnersQuota) {
  testing::TempStore store;
  auto catalog = std::make_shared<const Catalog>(Catalog{
      .environments = {Environment{.name = "jupyter-python", .health_path = "/"}},
      .sizes = {Size{.name = "small", .cpu_millis = 1000, .memory_bytes = 1 << 30}}});
  Status s = store->write([&](Tx& tx) -> Status {
    K4DS_RETURN_IF_ERROR(tx.create_volume(Volume{.id = "v-home", .owner = "alice", .name = "home"}).status());
    K4DS_RETURN_IF_ERROR(tx.create_volume(Volume{.id = "v-data", .owner = "alice", .name = "data"}).status());
    K4DS_RETURN_IF_ERROR(tx.create_group(Group{.name = "analysts", .members = {"alice"}}).status());
    K4DS_RETURN_IF_ERROR(tx.put_quota(Quota{.subject = "default", .workspaces = 1}).status());
    K4DS_RETURN_IF_ERROR(tx.put_quota(Quota{.subject = "group:analysts", .workspaces = 4, .memory_bytes = int64_t{8} << 30}).status());
    return tx.create_workspace(Workspace{.id = "w1", .owner = "alice", .name = "analysis", .environment = "jupyter-python",
                                         .size = "small", .volumes = {"v-home", "v-data"}, .phase = Phase::pending,
                                         .reason = "queued", .created_at = 1})
        .status();
  });
  ASSERT_TRUE(s.ok()) << s.to_string();
  testing::CountingRuntime runtime;
  Controller controller(*store, Services::system(), runtime, [catalog] { return catalog; });
  ASSERT_TRUE(controller.reconcile_once().ok());
  LaunchSpec spec = runtime.spec("analysis");
  EXPECT_EQ(spec.volume_id, "v-home");
  ASSERT_EQ(spec.extra_volumes.size(), 1u);
  EXPECT_EQ(spec.extra_volumes[0].volume_id, "v-data");
  EXPECT_EQ(spec.extra_volumes[0].name, "data");
  ASSERT_TRUE(spec.owner_quota.has_value());
  EXPECT_EQ(spec.owner_quota->workspaces.value, 4) << "the group's, more generous than the default";
  EXPECT_EQ(spec.owner_quota->memory_bytes.value, int64_t{8} << 30);
  EXPECT_FALSE(spec.owner_quota->cpu_millis.value.has_value());
}

}  // namespace
}  // namespace k4ds
