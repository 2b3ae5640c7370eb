#include "runtime/runtime.h"

namespace k4ds {

const char* run_state_name(RunState state) {
  switch (state) {
    case RunState::starting: return "starting";
    case RunState::running: return "running";
    case RunState::exited: return "exited";
    case RunState::stopped: return "stopped";
    case RunState::unknown: return "unknown";
  }
  return "unknown";
}

}  // namespace k4ds
