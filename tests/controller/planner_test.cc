#include "controller/planner.h"

#include <gtest/gtest.h>

namespace k4ds {
namespace {

struct PlanCase {
  const char* label;
  DesiredState desired;
  Phase phase;
  std::string reason;
  std::optional<Phase> want;  // nullopt = nothing to write
};

TEST(PlannerTest, WithoutRuntimeNothingPretendsToRun) {
  const PlanCase cases[] = {
      {"new launch", DesiredState::running, Phase::pending, "queued", Phase::pending},
      {"already explained", DesiredState::running, Phase::pending, kNoRuntimeReason, std::nullopt},
      {"stop requested", DesiredState::stopped, Phase::pending, kNoRuntimeReason, Phase::stopped},
      {"already stopped", DesiredState::stopped, Phase::stopped, "stopped on request", std::nullopt},
      {"start after stop", DesiredState::running, Phase::stopped, "stopped on request", Phase::pending},
      {"stale running status", DesiredState::running, Phase::running, "", Phase::pending},
      {"failed then restarted", DesiredState::running, Phase::failed, "out of memory", Phase::pending},
  };
  for (const auto& c : cases) {
    Workspace ws{.desired = c.desired, .phase = c.phase, .reason = c.reason};
    auto plan = plan_status(ws, RuntimeAvailability{.configured = false});
    ASSERT_EQ(plan.has_value(), c.want.has_value()) << c.label;
    if (!plan) continue;
    EXPECT_EQ(plan->phase, *c.want) << c.label;
    if (plan->phase == Phase::pending) {
      EXPECT_EQ(plan->reason, kNoRuntimeReason) << c.label;
      EXPECT_TRUE(plan->warning) << c.label;
    }
    // Applying the plan must make it a fixed point: a second pass writes nothing.
    ws.phase = plan->phase;
    ws.reason = plan->reason;
    EXPECT_FALSE(plan_status(ws, RuntimeAvailability{.configured = false}).has_value()) << c.label;
  }
}

TEST(PlannerTest, LeavesStatusToAConfiguredRuntime) {
  Workspace ws{.desired = DesiredState::running, .phase = Phase::pending, .reason = "queued"};
  EXPECT_FALSE(plan_status(ws, RuntimeAvailability{.configured = true}).has_value());
}

}  // namespace
}  // namespace k4ds
