// Logging: one logger per component, to stderr; one JSON object per line when stderr is not a
// terminal (for log collectors), human-readable lines when it is. Secrets are never logged:
// callers log user and workspace names, never cookies, tokens or passwords.
//
// Usage:
//   setup_logging();
//   auto log = component_logger("gateway");
//   log->info("workspace {}/{} is live", owner, name);
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace k4ds {

// Idempotent. Level from $K4DS_LOG_LEVEL (trace, debug, info, warn, error), default info.
void setup_logging();
std::shared_ptr<spdlog::logger> component_logger(const std::string& component);

}  // namespace k4ds
