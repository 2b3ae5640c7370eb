// The server-side verbs: `k4ds up` (embedded all-in-one), `k4ds server -c FILE` (production)
// and `k4ds config check FILE`.
#pragma once

namespace CLI {
class App;
}

namespace k4ds::server {
// Registers up/server/config on app; a verb's callback stores its exit code in *exit_code.
void add_commands(CLI::App& app, int* exit_code);
}  // namespace k4ds::server
