#include "cli/commands.h"

#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/verbs.h"

namespace k4ds::cli {
namespace {

void report(const Context& ctx, const Status& status) {
  if (status.ok()) {
    *ctx->exit_code = ctx->success_exit_code;
    return;
  }
  std::cout.flush();
  std::cerr << "error: " << status.message() << std::endl;
  *ctx->exit_code = exit_code_for(status.code());
}

}  // namespace

void run_local_verb(const Context& ctx, const std::function<Status()>& body) {
  Status status;
  try {
    status = body();
  } catch (const std::exception& e) {
    status = Status(Code::internal,
                    std::string(e.what()) + " (this is a bug in k4ds; please report it)");
  }
  report(ctx, status);
}

void run_verb(const Context& ctx, const std::function<Status(ApiClient&)>& body) {
  run_local_verb(ctx, [&]() -> Status {
    Result<ApiClient> api = ApiClient::connect(ctx->global);
    if (!api) return api.status();
    return body(*api);
  });
}

void add_output_option(CLI::App* cmd, std::string* format) {
  cmd->add_option("-o,--output", *format, "Output format for scripts: json or yaml")
      ->check(CLI::IsMember({"table", "json", "yaml"}));
}

Result<OutputFormat> output_format(const std::string& text) { return parse_output_format(text); }

void add_commands(CLI::App& app, int* exit_code) {
  auto ctx = std::make_shared<VerbContext>();
  ctx->exit_code = exit_code;
  app.add_option("--server", ctx->global.server,
                 "k4ds server URL for this command (overrides K4DS_URL and the saved login)")
      ->type_name("URL");
  add_session_verbs(app, ctx);
  add_workspace_verbs(app, ctx);
  add_token_verbs(app, ctx);
  add_volume_verbs(app, ctx);
  add_admin_verbs(app, ctx);
  add_access_verbs(app, ctx);
}

}  // namespace k4ds::cli
