#include <gtest/gtest.h>

#include "controller/planner.h"

namespace k4ds {
namespace {

constexpr int64_t kNow = 1'000'000;
const Environment kJupyter{.name = "jupyter-python", .command = {"/usr/bin/python3"}, .health_path = "/api"};
const Environment kMissing{.name = "jupyter-r", .available = false,
                           .unavailable_reason = "the Jupyter kernel \"ir\" is not installed"};
const Size kSmall{.name = "small", .memory_bytes = int64_t{1} << 30};

ObservedWorkspace observed(RunState state) {
  return ObservedWorkspace{.workspace_id = "w1", .state = state, .memory_limit_bytes = int64_t{1} << 30,
                           .upstream = "unix:/run/w1/ws.sock", .health_path = "/api",
                           .started_at_ms = kNow - 5'000,
                           .progress = "waiting for the health check on /api"};
}

struct Case {
  const char* label;
  DesiredState desired;
  Phase phase;
  std::optional<ObservedWorkspace> seen;
  RuntimeAction want_action;
  std::optional<Phase> want_phase;  // nullopt = no status write
  std::string want_reason;          // checked when not empty (prefix)
};

TEST(PlanWorkspaceTest, DesiredTimesObserved) {
  ObservedWorkspace crashed = observed(RunState::exited);
  crashed.exit_code = 3;
  crashed.last_output = {"Traceback", "ValueError: boom"};
  ObservedWorkspace oom = observed(RunState::exited);
  oom.signal = 9;
  oom.out_of_memory = true;
  ObservedWorkspace oom_alive = observed(RunState::running);
  oom_alive.out_of_memory = true;  // a kernel was killed; the server itself lives on
  ObservedWorkspace segv = observed(RunState::exited);
  segv.signal = 11;
  ObservedWorkspace slow = observed(RunState::starting);
  slow.started_at_ms = kNow - 61'000;

  const Case cases[] = {
      {"launch", DesiredState::running, Phase::pending, std::nullopt, RuntimeAction::start,
       Phase::starting, "waiting for the health check on /api"},
      {"restart after stop", DesiredState::running, Phase::pending, observed(RunState::stopped),
       RuntimeAction::start, Phase::starting, ""},
      {"still starting", DesiredState::running, Phase::starting, observed(RunState::starting),
       RuntimeAction::none, std::nullopt, ""},
      {"re-adopted while starting", DesiredState::running, Phase::pending, observed(RunState::starting),
       RuntimeAction::none, Phase::starting, "waiting for the health check on /api"},
      {"became healthy", DesiredState::running, Phase::starting, observed(RunState::running),
       RuntimeAction::none, Phase::running, "ready"},
      {"start timeout", DesiredState::running, Phase::starting, slow, RuntimeAction::stop,
       Phase::failed, "did not answer the health check on /api within 60 s"},
      {"crash", DesiredState::running, Phase::running, crashed, RuntimeAction::stop, Phase::failed,
       "exited with code 3; last output: ValueError: boom"},
      {"killed by a signal", DesiredState::running, Phase::running, segv, RuntimeAction::stop,
       Phase::failed, "killed by signal 11 (SIGSEGV)"},
      {"out of memory", DesiredState::running, Phase::running, oom, RuntimeAction::stop, Phase::failed,
       "out of memory (limit 1 GiB)"},
      {"kernel out of memory", DesiredState::running, Phase::running, oom_alive, RuntimeAction::stop,
       Phase::failed, "out of memory (limit 1 GiB)"},
      {"failed stays failed, cleaned up", DesiredState::running, Phase::failed, crashed,
       RuntimeAction::stop, std::nullopt, ""},
      {"failed and clean", DesiredState::running, Phase::failed, observed(RunState::stopped),
       RuntimeAction::none, std::nullopt, ""},
      {"process vanished", DesiredState::running, Phase::running, std::nullopt, RuntimeAction::start,
       Phase::starting, ""},
      {"stop requested", DesiredState::stopped, Phase::running, observed(RunState::running),
       RuntimeAction::stop, Phase::stopping, "stopping on request"},
      {"stop in progress", DesiredState::stopped, Phase::stopping, observed(RunState::running),
       RuntimeAction::stop, std::nullopt, ""},
      {"stop done", DesiredState::stopped, Phase::stopping, observed(RunState::stopped),
       RuntimeAction::none, Phase::stopped, "stopped on request"},
      {"stopped before it ran", DesiredState::stopped, Phase::pending, std::nullopt,
       RuntimeAction::none, Phase::stopped, "stopped on request"},
      {"already stopped", DesiredState::stopped, Phase::stopped, observed(RunState::stopped),
       RuntimeAction::none, std::nullopt, ""},
      {"stop of a crashed one", DesiredState::stopped, Phase::failed, crashed, RuntimeAction::stop,
       Phase::stopped, ""},
      {"busy runtime", DesiredState::running, Phase::starting, observed(RunState::unknown),
       RuntimeAction::none, std::nullopt, ""},
  };
  for (const auto& c : cases) {
    Workspace ws{.id = "w1", .owner = "alice", .name = "nb", .environment = "jupyter-python",
                 .size = "small", .volumes = {"v1"}, .desired = c.desired, .phase = c.phase};
    if (c.phase == Phase::stopping) ws.reason = "stopping on request";
    if (c.phase == Phase::stopped) ws.reason = "stopped on request";
    // Automatic restarts used up: a crash is final (CrashesAreRestartedAFewTimes covers them).
    PlanInput input{.workspace = &ws, .observed = c.seen ? &*c.seen : nullptr,
                    .environment = &kJupyter, .size = &kSmall, .now_ms = kNow,
                    .restarts_done = kJupyter.restarts};
    Plan plan = plan_workspace(input);
    EXPECT_EQ(plan.action, c.want_action) << c.label << ": got " << runtime_action_name(plan.action);
    ASSERT_EQ(plan.status.has_value(), c.want_phase.has_value()) << c.label;
    if (!plan.status) continue;
    EXPECT_EQ(plan.status->phase, *c.want_phase) << c.label << ": got " << phase_name(plan.status->phase);
    if (!c.want_reason.empty()) {
      EXPECT_EQ(plan.status->reason.rfind(c.want_reason, 0), 0u) << c.label << ": " << plan.status->reason;
    }
    if (plan.status->phase == Phase::running) {
      EXPECT_EQ(plan.status->upstream, "unix:/run/w1/ws.sock") << c.label;
    } else {
      EXPECT_EQ(plan.status->upstream, "") << c.label << ": only a running workspace has a route";
    }
    // Applying the status (and the runtime doing its part) must not make it write again.
    if (plan.action == RuntimeAction::none) {
      ws.phase = plan.status->phase;
      ws.reason = plan.status->reason;
      ws.upstream = plan.status->upstream;
      EXPECT_FALSE(plan_workspace(input).status.has_value()) << c.label << ": not a fixed point";
    }
  }
}

TEST(PlanWorkspaceTest, StartReportsProgressInOrder) {
  Workspace ws{.id = "w1", .environment = "jupyter-python", .size = "small", .volumes = {"v1"}};
  Plan plan = plan_workspace(PlanInput{.workspace = &ws, .environment = &kJupyter, .size = &kSmall});
  ASSERT_TRUE(plan.status.has_value());
  std::vector<std::string> events{plan.status->event};
  events.insert(events.end(), plan.status->more_events.begin(), plan.status->more_events.end());
  EXPECT_EQ(events, (std::vector<std::string>{"volume ready", "process started",
                                              "waiting for the health check on /api"}));
}

TEST(PlanWorkspaceTest, CannotStartWhatTheCatalogNoLongerOffers) {
  Workspace ws{.id = "w1", .environment = "jupyter-r", .size = "small", .phase = Phase::pending};
  Plan unavailable = plan_workspace(PlanInput{.workspace = &ws, .environment = &kMissing, .size = &kSmall});
  EXPECT_EQ(unavailable.action, RuntimeAction::none);
  ASSERT_TRUE(unavailable.status.has_value());
  EXPECT_EQ(unavailable.status->phase, Phase::failed);
  EXPECT_EQ(unavailable.status->reason, kMissing.unavailable_reason);
  Plan gone = plan_workspace(PlanInput{.workspace = &ws, .environment = nullptr, .size = &kSmall});
  ASSERT_TRUE(gone.status.has_value());
  EXPECT_NE(gone.status->reason.find("no longer offered"), std::string::npos);
  Plan no_size = plan_workspace(PlanInput{.workspace = &ws, .environment = &kJupyter, .size = nullptr});
  ASSERT_TRUE(no_size.status.has_value());
  EXPECT_NE(no_size.status->reason.find("size small"), std::string::npos);
}

TEST(PlanWorkspaceTest, CrashesAreRestartedAFewTimesButNeverOutOfMemory) {
  Workspace ws{.id = "w1", .owner = "alice", .name = "nb", .environment = "jupyter-python",
               .size = "small", .volumes = {"v1"}, .phase = Phase::running};
  ObservedWorkspace crashed = observed(RunState::exited);
  crashed.exit_code = 1;
  crashed.last_output = {"Segmentation fault"};
  const Environment twice{.name = "jupyter-python", .health_path = "/api", .restarts = 2};
  for (int done : {0, 1}) {
    Plan plan = plan_workspace(PlanInput{.workspace = &ws, .observed = &crashed, .environment = &twice,
                                         .size = &kSmall, .now_ms = kNow, .restarts_done = done});
    EXPECT_TRUE(plan.restart);
    EXPECT_EQ(plan.action, RuntimeAction::stop) << "clean up before starting again";
    ASSERT_TRUE(plan.status.has_value());
    EXPECT_EQ(plan.status->phase, Phase::pending);
    EXPECT_EQ(plan.status->reason, "restarting (" + std::to_string(done + 1) +
                                       " of 2) after it exited with code 1; last output: Segmentation fault");
    EXPECT_TRUE(plan.status->warning);
  }
  Plan given_up = plan_workspace(PlanInput{.workspace = &ws, .observed = &crashed, .environment = &twice,
                                           .size = &kSmall, .now_ms = kNow, .restarts_done = 2});
  EXPECT_FALSE(given_up.restart);
  ASSERT_TRUE(given_up.status.has_value());
  EXPECT_EQ(given_up.status->phase, Phase::failed);
  EXPECT_NE(given_up.status->reason.find("(after 2 automatic restarts)"), std::string::npos);

  ObservedWorkspace oom = observed(RunState::exited);
  oom.out_of_memory = true;
  oom.signal = 9;
  Plan no_retry = plan_workspace(PlanInput{.workspace = &ws, .observed = &oom, .environment = &twice,
                                           .size = &kSmall, .now_ms = kNow});
  EXPECT_FALSE(no_retry.restart);
  EXPECT_EQ(no_retry.status->phase, Phase::failed);
  EXPECT_EQ(no_retry.status->reason, "out of memory (limit 1 GiB)");

  ObservedWorkspace no_image = observed(RunState::exited);
  no_image.permanent = true;
  no_image.progress = "environment image not found — ask your admin";
  Plan permanent = plan_workspace(PlanInput{.workspace = &ws, .observed = &no_image, .environment = &twice,
                                            .size = &kSmall, .now_ms = kNow});
  EXPECT_FALSE(permanent.restart) << "starting again cannot make a missing image appear";
  ASSERT_TRUE(permanent.status.has_value());
  EXPECT_EQ(permanent.status->phase, Phase::failed);
  EXPECT_EQ(permanent.status->reason, "environment image not found — ask your admin");

  const Environment never{.name = "jupyter-python", .health_path = "/api", .restarts = 0};
  Plan off = plan_workspace(PlanInput{.workspace = &ws, .observed = &crashed, .environment = &never,
                                      .size = &kSmall, .now_ms = kNow});
  EXPECT_FALSE(off.restart);
  EXPECT_EQ(off.status->phase, Phase::failed);
}

TEST(PlanWorkspaceTest, OrphansAreRemovedAndNothingElse) {
  for (RunState state : {RunState::starting, RunState::running, RunState::exited, RunState::stopped}) {
    ObservedWorkspace o = observed(state);
    Plan plan = plan_workspace(PlanInput{.workspace = nullptr, .observed = &o, .now_ms = kNow});
    EXPECT_EQ(plan.action, RuntimeAction::remove) << run_state_name(state);
    EXPECT_FALSE(plan.status.has_value());
  }
  EXPECT_EQ(plan_workspace(PlanInput{}).action, RuntimeAction::none);
}

}  // namespace
}  // namespace k4ds
