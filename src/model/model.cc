#include "model/model.h"

namespace k4ds {

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::pending: return "pending";
    case Phase::starting: return "starting";
    case Phase::running: return "running";
    case Phase::stopping: return "stopping";
    case Phase::stopped: return "stopped";
    case Phase::failed: return "failed";
  }
  return "failed";
}

std::optional<Phase> parse_phase(std::string_view text) {
  for (Phase p : {Phase::pending, Phase::starting, Phase::running, Phase::stopping, Phase::stopped,
                  Phase::failed}) {
    if (text == phase_name(p)) return p;
  }
  return std::nullopt;
}

const char* desired_state_name(DesiredState state) {
  return state == DesiredState::running ? "running" : "stopped";
}

std::optional<DesiredState> parse_desired_state(std::string_view text) {
  if (text == "running") return DesiredState::running;
  if (text == "stopped") return DesiredState::stopped;
  return std::nullopt;
}

std::string workspace_host(std::string_view owner, std::string_view name, std::string_view domain) {
  std::string host;
  host.reserve(owner.size() + name.size() + domain.size() + 2);
  host.append(owner).append("-").append(name).append(".").append(domain);
  return host;
}

}  // namespace k4ds
