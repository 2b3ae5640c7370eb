// The controller's planner: a pure function from a workspace's spec and what is known about the
// runtime to the status it should show. The controller loop only executes its answers.
//
// Contract: plan_status (no runtime configured) and plan_workspace (with a runtime) return no
// status when the stored status is already right, so a repeated reconcile writes nothing;
// otherwise the new phase, reason, upstream and the events to record. plan_workspace also says
// what to ask of the runtime (start, stop, remove). Both are pure: no I/O, time is an input.
//
// Usage:
//   if (auto update = plan_status(ws, RuntimeAvailability{.configured = false})) apply(*update);
//   Plan plan = plan_workspace(PlanInput{.workspace = &ws, .observed = observed, ...});
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/model.h"
#include "runtime/runtime.h"

namespace k4ds {

inline constexpr const char* kNoRuntimeReason =
    "no runtime is configured on this server, so workspaces cannot start yet; ask your admin";

struct RuntimeAvailability {
  bool configured = false;
};

struct StatusUpdate {
  Phase phase = Phase::pending;
  std::string reason;
  std::string event;  // plain words for the workspace's history
  bool warning = false;
  std::string upstream;                  // the status's upstream (empty unless running)
  std::vector<std::string> more_events;  // recorded after `event`, in order
};

std::optional<StatusUpdate> plan_status(const Workspace& workspace, const RuntimeAvailability& runtime);

enum class RuntimeAction { none, start, stop, remove };
const char* runtime_action_name(RuntimeAction action);

struct PlanInput {
  const Workspace* workspace = nullptr;        // nullptr: not in the store (deleted)
  const ObservedWorkspace* observed = nullptr;  // nullptr: the runtime does not know it
  const Environment* environment = nullptr;     // nullptr: not in the catalog (any more)
  const Size* size = nullptr;
  int64_t now_ms = 0;
  int64_t start_timeout_ms = 60'000;
  int restarts_done = 0;  // automatic restarts after crashes since it last ran steadily
};

struct Plan {
  RuntimeAction action = RuntimeAction::none;
  std::optional<StatusUpdate> status;
  // The workspace crashed and is being restarted: the controller counts it and waits a
  // growing pause before the start.
  bool restart = false;
};

Plan plan_workspace(const PlanInput& input);

// "out of memory (limit 1 GiB)", "exited with code 3", "killed by signal 9 (SIGKILL)".
std::string describe_exit(const ObservedWorkspace& observed);

}  // namespace k4ds
