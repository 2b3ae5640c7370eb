// The per-user CLI config file: which server the CLI talks to, as whom, with which API token.
//
// Contract: the file is `$K4DS_CONFIG` if set, else `$XDG_CONFIG_HOME/k4ds/cli.yaml`, else
// `~/.config/k4ds/cli.yaml`. It holds a secret, so save_cli_config() creates it with mode 0600
// (and tightens a looser existing file), creating missing directories with mode 0700.
// A missing file loads as an empty config (not logged in), not as an error.
//
// Usage:
//   std::string path = cli_config_path();
//   Result<CliConfig> config = load_cli_config(path);
//   config->token = "k4ds_…";
//   Status saved = save_cli_config(path, *config);
#pragma once

#include <string>

#include "common/result.h"

namespace k4ds::cli {

struct CliConfig {
  std::string server;    // "http://localhost:8080"
  std::string user;      // whom the token belongs to; the owner of "NAME" shorthands
  std::string token;     // personal API token, "k4ds_…"
  std::string token_id;  // its public id, so logout can revoke it
};

// Where the config lives, from the environment (see the contract above).
std::string cli_config_path();

Result<CliConfig> load_cli_config(const std::string& path);
Status save_cli_config(const std::string& path, const CliConfig& config);

}  // namespace k4ds::cli
