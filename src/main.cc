// k4ds: subcommand dispatch only. Client verbs live in cli/, server verbs in server/.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "server/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"k4ds: self-service data science workspaces (Jupyter, RStudio, any web IDE)"};
  app.require_subcommand(1);
  app.fallthrough();
  int exit_code = 0;
  k4ds::server::add_commands(app, &exit_code);
  k4ds::cli::add_commands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;  // usage errors exit 2 (docs/cli.md)
  }
  return exit_code;
}
