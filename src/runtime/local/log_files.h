// Reading a workspace's rotating output log (output.log, previous part output.log.1).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace k4ds::local {

// The last max_bytes of the log, across the rotation boundary.
std::string tail_log(const std::string& log_path, std::size_t max_bytes);
// The last n non-empty lines.
std::vector<std::string> last_lines(const std::string& log_path, std::size_t n);
// Follows the log from its current end (after the last tail_bytes), across rotations.
// ended() says the writer is gone; next() then returns nullopt once everything is read.
LogFollow follow_log(const std::string& log_path, std::size_t tail_bytes,
                     std::function<bool()> ended);

}  // namespace k4ds::local
