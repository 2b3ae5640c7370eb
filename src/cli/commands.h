// The client verbs of the k4ds command line (everything except up/server/config, which live in
// server/). Each verb talks to a k4ds server through the REST API (docs/api.md).
// Exit codes are documented in docs/cli.md.
//
// Usage (main.cc):
//   CLI::App app{"k4ds"};
//   int exit_code = 0;
//   k4ds::cli::add_commands(app, &exit_code);
#pragma once

namespace CLI {
class App;
}

namespace k4ds::cli {
// Registers the client verbs on app; a verb's callback stores its exit code in *exit_code.
void add_commands(CLI::App& app, int* exit_code);
}  // namespace k4ds::cli
