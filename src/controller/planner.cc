#include "controller/planner.h"

#include <algorithm>
#include <string_view>

namespace k4ds {

std::optional<StatusUpdate> plan_status(const Workspace& ws, const RuntimeAvailability& runtime) {
  if (runtime.configured) return std::nullopt;  // the runtime's own reconciler owns the status
  if (ws.desired == DesiredState::stopped) {
    if (ws.phase == Phase::stopped) return std::nullopt;
    return StatusUpdate{Phase::stopped, "stopped on request", "stopped", false};
  }
  if (ws.phase == Phase::pending && ws.reason == kNoRuntimeReason) return std::nullopt;
  return StatusUpdate{Phase::pending, kNoRuntimeReason,
                      "cannot start: no runtime is configured on this server", true};
}

}  // namespace k4ds

namespace k4ds {
namespace {

std::string format_bytes(int64_t bytes) {
  constexpr int64_t kMi = int64_t{1} << 20, kGi = int64_t{1} << 30;
  if (bytes > 0 && bytes % kGi == 0) return std::to_string(bytes / kGi) + " GiB";
  if (bytes > 0 && bytes % kMi == 0) return std::to_string(bytes / kMi) + " MiB";
  return std::to_string(bytes) + " bytes";
}

const char* signal_name(int signal) {
  switch (signal) {
    case 1: return "SIGHUP";
    case 2: return "SIGINT";
    case 3: return "SIGQUIT";
    case 4: return "SIGILL";
    case 6: return "SIGABRT";
    case 7: return "SIGBUS";
    case 8: return "SIGFPE";
    case 9: return "SIGKILL";
    case 11: return "SIGSEGV";
    case 13: return "SIGPIPE";
    case 15: return "SIGTERM";
    default: return "";
  }
}

std::string last_output_text(const ObservedWorkspace& o) {
  std::string text;
  for (const auto& line : o.last_output) text += "\n" + line;
  return text;
}

StatusUpdate failed(const ObservedWorkspace& o, std::string reason) {
  StatusUpdate u{Phase::failed, reason, "failed: " + reason, true};
  if (!o.last_output.empty()) u.event += "; last output:" + last_output_text(o);
  return u;
}

bool same_status(const Workspace& ws, const StatusUpdate& u) {
  return ws.phase == u.phase && ws.reason == u.reason && ws.upstream == u.upstream;
}

Plan with_status(RuntimeAction action, const Workspace& ws, StatusUpdate update) {
  Plan plan{.action = action};
  if (!same_status(ws, update)) plan.status = std::move(update);
  return plan;
}

bool alive(const ObservedWorkspace* o) {
  return o && (o->state == RunState::starting || o->state == RunState::running);
}

}  // namespace

const char* runtime_action_name(RuntimeAction action) {
  switch (action) {
    case RuntimeAction::none: return "none";
    case RuntimeAction::start: return "start";
    case RuntimeAction::stop: return "stop";
    case RuntimeAction::remove: return "remove";
  }
  return "none";
}

std::string describe_exit(const ObservedWorkspace& o) {
  if (o.out_of_memory) {
    return o.memory_limit_bytes > 0 ? "out of memory (limit " + format_bytes(o.memory_limit_bytes) + ")"
                                    : "out of memory";
  }
  if (o.signal > 0) {
    std::string name = signal_name(o.signal);
    return "killed by signal " + std::to_string(o.signal) + (name.empty() ? "" : " (" + name + ")");
  }
  if (o.exit_code >= 0) return "exited with code " + std::to_string(o.exit_code);
  return o.progress.empty() ? "ended for an unknown reason" : o.progress;
}

namespace {
constexpr std::string_view kIdlePrefix = "stopped after ";
constexpr std::string_view kIdleSuffix = " without activity (this server's idle limit); start it again when you need it";
}  // namespace

bool is_idle(const Workspace& ws, int64_t now_ms, int64_t limit_ms) {
  if (limit_ms <= 0 || ws.desired != DesiredState::running || ws.phase != Phase::running) return false;
  // updated_at: when it became running (the last status change), for one never used since.
  return now_ms - std::max(ws.last_activity_at, ws.updated_at) >= limit_ms;
}

std::string idle_stop_reason(int64_t limit_ms) {
  return std::string(kIdlePrefix) + describe_duration(limit_ms) + std::string(kIdleSuffix);
}

bool is_idle_stop_reason(std::string_view reason) {
  return reason.starts_with(kIdlePrefix) && reason.ends_with(kIdleSuffix);
}

std::string describe_duration(int64_t ms) {
  const int64_t s = std::max<int64_t>(0, ms / 1000);
  auto unit = [](int64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  if (s < 60) return unit(s, "second", "seconds");
  if (s < 3600) return unit(s / 60, "min", "min");
  if (s < 86400) {
    std::string text = unit(s / 3600, "h", "h");
    if (s % 3600 >= 60) text += " " + unit(s % 3600 / 60, "min", "min");
    return text;
  }
  return unit(s / 86400, "day", "days");
}

Plan plan_workspace(const PlanInput& in) {
  const ObservedWorkspace* o = in.observed;
  if (in.workspace == nullptr) {
    // Deleted from the store: nothing may keep running for it. Its volume is not ours to touch.
    if (!o) return {};
    return Plan{.action = RuntimeAction::remove};
  }
  const Workspace& ws = *in.workspace;

  if (ws.desired == DesiredState::stopped) {
    const bool idle = is_idle_stop_reason(ws.reason);
    if (alive(o)) {
      return with_status(RuntimeAction::stop, ws,
                         StatusUpdate{Phase::stopping, idle ? ws.reason : "stopping on request", "stopping", false});
    }
    RuntimeAction cleanup = o && o->state == RunState::exited ? RuntimeAction::stop : RuntimeAction::none;
    if (o && o->state == RunState::unknown) return {};  // a start or stop is still in flight
    return with_status(cleanup, ws,
                       StatusUpdate{Phase::stopped, idle ? ws.reason : "stopped on request", "stopped", false});
  }

  // Desired running.
  if (o && o->state == RunState::unknown) return {};
  if (ws.phase == Phase::failed) {
    // Stays failed until someone starts it again (the API then sets pending); clean up meanwhile.
    return Plan{.action = o && o->state != RunState::stopped ? RuntimeAction::stop : RuntimeAction::none};
  }
  if (!o || o->state == RunState::stopped) {
    if (in.environment == nullptr) {
      return with_status(RuntimeAction::none, ws,
                         StatusUpdate{Phase::failed,
                                      "the environment " + ws.environment +
                                          " is no longer offered; launch a new workspace with another environment",
                                      "cannot start: environment " + ws.environment + " is not in the catalog", true});
    }
    if (!in.environment->available) {
      return with_status(RuntimeAction::none, ws,
                         StatusUpdate{Phase::failed, in.environment->unavailable_reason,
                                      "cannot start: " + in.environment->unavailable_reason, true});
    }
    if (in.size == nullptr) {
      return with_status(RuntimeAction::none, ws,
                         StatusUpdate{Phase::failed,
                                      "the size " + ws.size + " is no longer offered; ask your admin",
                                      "cannot start: size " + ws.size + " is not in the catalog", true});
    }
    std::string waiting = "waiting for the health check on " + in.environment->health_path;
    StatusUpdate starting{Phase::starting, waiting, "volume ready", false};
    starting.more_events = {"process started", waiting};
    Plan plan{.action = RuntimeAction::start, .status = starting};
    return plan;
  }
  if (o->state == RunState::exited) {
    // Already moved on from this exit (a restart is queued, or a start request came after it):
    // only clean up; the start follows once the runtime has forgotten the old run.
    if (ws.phase == Phase::pending) return Plan{.action = RuntimeAction::stop};
    if (ws.phase == Phase::stopping) {
      // It ended while a stop was under way and a start came after: clean up, then start anew.
      return with_status(RuntimeAction::stop, ws, StatusUpdate{Phase::pending, "queued", "restarting", false});
    }
    std::string reason = describe_exit(*o);
    if (!o->out_of_memory && !o->last_output.empty()) reason += "; last output: " + o->last_output.back();
    // Out of memory would happen again, and a permanent failure (an image that does not exist)
    // cannot be fixed by starting again: the user has to see it, so no automatic restart.
    const int limit = in.environment && !o->permanent ? in.environment->restarts : 0;
    if (!o->out_of_memory && in.restarts_done < limit) {
      const std::string count = std::to_string(in.restarts_done + 1) + " of " + std::to_string(limit);
      Plan plan = with_status(RuntimeAction::stop, ws,
                              StatusUpdate{Phase::pending, "restarting (" + count + ") after it " + reason,
                                           reason + "; restarting it (" + count + ")", true});
      plan.restart = true;
      return plan;
    }
    if (limit > 0 && !o->out_of_memory) reason += " (after " + std::to_string(limit) + " automatic restarts)";
    return with_status(RuntimeAction::stop, ws, failed(*o, reason));
  }
  // Starting or running.
  if (o->out_of_memory) return with_status(RuntimeAction::stop, ws, failed(*o, describe_exit(*o)));
  if (o->state == RunState::starting) {
    if (o->started_at_ms > 0 && in.now_ms - o->started_at_ms > in.start_timeout_ms) {
      std::string reason = "did not answer the health check on " + o->health_path + " within " +
                           std::to_string(in.start_timeout_ms / 1000) + " s; see its logs";
      return with_status(RuntimeAction::stop, ws, failed(*o, reason));
    }
    if (ws.phase == Phase::starting) return {};  // keep the progress text already shown
    return with_status(RuntimeAction::none, ws,
                       StatusUpdate{Phase::starting, o->progress, o->progress, false});
  }
  StatusUpdate running{Phase::running, "ready", "running: answering on " + o->health_path, false};
  running.upstream = o->upstream;
  return with_status(RuntimeAction::none, ws, std::move(running));
}

}  // namespace k4ds
