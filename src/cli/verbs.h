// Shared plumbing for the verb files (session_verbs.cc, workspace_verbs.cc, token_verbs.cc,
// admin_verbs.cc): how a verb runs, reports errors and chooses its output format.
//
// Contract: a verb body returns a Status; run_verb() prints `error: <message>` to stderr for a
// failure and stores exit_code_for(code) (docs/cli.md) in *exit_code. Verb options live in
// heap objects owned by the callbacks, since CLI11 keeps pointers to them after registration.
//
// Usage:
//   auto opts = std::make_shared<Options>();
//   auto* cmd = app.add_subcommand("whoami", "Show who you are logged in as");
//   add_output_option(cmd, &opts->output);
//   cmd->callback([=] { run_verb(ctx, [&](ApiClient& api) { return whoami(api, *opts); }); });
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cli/client.h"
#include "cli/output.h"
#include "common/result.h"

namespace CLI {
class App;
}

namespace k4ds::cli {

struct VerbContext {
  GlobalOptions global;
  int* exit_code = nullptr;
  // The exit code of a verb that succeeded; `policy check` sets 4 for a "denied" answer.
  int success_exit_code = 0;
};
using Context = std::shared_ptr<VerbContext>;

// Runs a verb that needs no server connection (login).
void run_local_verb(const Context& ctx, const std::function<Status()>& body);
// Connects (config/env/flags), then runs the verb with the client.
void run_verb(const Context& ctx, const std::function<Status(ApiClient&)>& body);

// Adds `-o, --output FORMAT` (json|yaml) to a listing/get verb.
void add_output_option(CLI::App* cmd, std::string* format);
Result<OutputFormat> output_format(const std::string& text);

void add_session_verbs(CLI::App& app, const Context& ctx);
void add_workspace_verbs(CLI::App& app, const Context& ctx);
void add_token_verbs(CLI::App& app, const Context& ctx);
void add_volume_verbs(CLI::App& app, const Context& ctx);
void add_admin_verbs(CLI::App& app, const Context& ctx);
void add_access_verbs(CLI::App& app, const Context& ctx);
// `k4ds quota` (yours) on the app; `quota ls|set|rm` under `k4ds admin`.
void add_quota_verbs(CLI::App& app, CLI::App& admin, const Context& ctx);

}  // namespace k4ds::cli
