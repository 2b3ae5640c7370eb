// The server process: opens the store, bootstraps the first admin, and runs the API, the
// controller and the listener until SIGINT/SIGTERM.
//
// Contract: serve() prints "k4ds: serving on <portal URL>" to stdout (flushed) once the port
// is bound, and returns the process exit code: 0 after a clean stop, 1 when it cannot start
// (the reason is printed to stderr).
#pragma once

#include "config/config.h"

namespace k4ds::server {

struct ServeMode {
  bool embedded = true;  // `k4ds up`: the all-in-one defaults
};

int serve(const Config& config, ServeMode mode);

}  // namespace k4ds::server
