// Matchers and helpers shared by the config tests.
#pragma once

#include <gmock/gmock.h>

#include <string>

#include "config/config.h"

namespace k4ds::config_test {

// A problem at exactly `path` whose message contains `message`.
inline auto Problem(const std::string& path, const std::string& message) {
  return ::testing::AllOf(::testing::Field(&ConfigProblem::path, path),
                          ::testing::Field(&ConfigProblem::message, ::testing::HasSubstr(message)));
}
inline auto AtPath(const std::string& path) { return ::testing::Field(&ConfigProblem::path, path); }

// Every problem, one per line ("path: message"), for failure messages.
inline std::string all_problems(const ParsedConfig& parsed) {
  std::string out;
  for (const auto& p : parsed.problems) out += p.path + ": " + p.message + "\n";
  return out;
}

}  // namespace k4ds::config_test
