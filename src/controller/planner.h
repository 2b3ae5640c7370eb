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

// Idle stopping. A running workspace whose last activity (gateway traffic, or its start if it
// has had none since) is at least `limit_ms` old is idle; the controller then records desired =
// stopped with idle_stop_reason(), which the planner keeps through stopping and stopped.
bool is_idle(const Workspace& ws, int64_t now_ms, int64_t limit_ms);
// "stopped after 2 h without activity (this server's idle limit); start it again when you need it"
std::string idle_stop_reason(int64_t limit_ms);
bool is_idle_stop_reason(std::string_view reason);
// "45 s", "2 min", "2 h", "1 h 30 min", "3 days": a duration in plain words.
std::string describe_duration(int64_t ms);

// "out of memory (limit 1 GiB)", "exited with code 3", "killed by signal 9 (SIGKILL)".
std::string describe_exit(const ObservedWorkspace& observed);

}  // namespace k4ds
