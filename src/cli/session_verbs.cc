// k4ds login / logout / whoami.
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "cli/terminal.h"
#include "cli/verbs.h"

namespace k4ds::cli {
namespace {

namespace json = boost::json;
constexpr const char* kDefaultServer = "http://localhost:8080";

struct LoginOptions {
  std::string url;
  std::string username;
  bool password_stdin = false;
};

// Login with a password gives a browser session; the CLI trades it for a personal API token
// (which survives the session's expiry) and then ends the session.
Status login(const GlobalOptions& global, const LoginOptions& opts) {
  std::string server = opts.url;
  if (server.empty()) server = global.server;
  if (server.empty()) {
    if (const char* env = std::getenv("K4DS_URL"); env && *env) server = env;
  }
  if (server.empty()) server = kDefaultServer;
  Result<ServerUrl> url = parse_server_url(server);
  if (!url) return url.status();

  std::string username = opts.username;
  if (username.empty()) {
    Result<std::string> asked = ask("User name: ", true, "--username");
    if (!asked) return asked.status();
    username = *asked;
  }
  Result<std::string> password =
      opts.password_stdin ? read_secret_from_stdin()
                          : ask("Password for " + username + ": ", false, "--password-stdin");
  if (!password) return password.status();

  HttpClient http(*url);
  json::object credentials{{"username", username}, {"password", *password}};
  HttpRequest login_req{.method = "POST", .target = "/api/v1/login",
                        .body = json::serialize(credentials),
                        .headers = {{"Content-Type", "application/json"}}};
  Result<HttpResponse> logged_in = http.send(login_req);
  if (!logged_in) return logged_in.status();
  K4DS_RETURN_IF_ERROR(status_from_response(*logged_in));
  std::string session = logged_in->cookie("k4ds_session");
  if (session.empty()) {
    return Status(Code::internal, "the server accepted the login but set no session cookie; is " +
                                      url->text() + " a k4ds server?");
  }
  Result<json::value> login_body = parse_json_body(logged_in->body);
  if (!login_body) return login_body.status();
  std::string user = str_field(field(*login_body, "user"), "name");
  if (user.empty()) user = username;

  const std::pair<std::string, std::string> cookie{"Cookie", "k4ds_session=" + session};
  json::object token_req{{"name", "cli on " + host_name()}};
  const std::pair<std::string, std::string> json_type{"Content-Type", "application/json"};
  Result<HttpResponse> created = http.send({.method = "POST", .target = "/api/v1/tokens",
                                            .body = json::serialize(token_req),
                                            .headers = {cookie, json_type}});
  // End the session whatever happened: the CLI keeps only the token.
  (void)http.send({.method = "POST", .target = "/api/v1/logout", .body = "{}",
                   .headers = {cookie, json_type}});
  if (!created) return created.status();
  K4DS_RETURN_IF_ERROR(status_from_response(*created));
  Result<json::value> token = parse_json_body(created->body);
  if (!token) return token.status();
  CliConfig config{.server = url->text(), .user = user, .token = str_field(*token, "token"),
                   .token_id = str_field(*token, "id")};
  if (config.token.empty()) return Status(Code::internal, "the server created no API token");
  std::string path = cli_config_path();
  Result<CliConfig> previous = load_cli_config(path);
  K4DS_RETURN_IF_ERROR(save_cli_config(path, config));
  // Logging in again replaces the saved token; revoke the old one so tokens don't pile up.
  if (previous && previous->server == config.server && !previous->token.empty() &&
      !previous->token_id.empty() && previous->token_id != config.token_id) {
    (void)http.send({.method = "DELETE",
                     .target = "/api/v1/tokens/" + encode_path_segment(previous->token_id),
                     .headers = {{"Authorization", "Bearer " + previous->token}}});
  }
  std::cout << "Logged in to " << config.server << " as " << user << " (saved in " << path
            << ")\n";
  return ok_status();
}

Status logout(ApiClient& api) {
  CliConfig config = api.config();
  if (config.token.empty()) {
    std::cout << "Not logged in; nothing to do.\n";
    return ok_status();
  }
  // Revoke the token on the server so a copy of the config file is worthless, then forget it.
  if (!config.token_id.empty() && api.server().text() == config.server) {
    Result<json::value> revoked = api.del("/api/v1/tokens/" + encode_path_segment(config.token_id));
    if (!revoked && revoked.status().code() != Code::unauthenticated &&
        revoked.status().code() != Code::not_found) {
      std::cerr << "warning: could not revoke the API token on the server ("
                << revoked.status().message() << "); it is forgotten locally anyway\n";
    }
  }
  config.token.clear();
  config.token_id.clear();
  K4DS_RETURN_IF_ERROR(save_cli_config(api.config_path(), config));
  std::cout << "Logged out of " << config.server << "\n";
  return ok_status();
}

Status whoami(ApiClient& api, const std::string& output) {
  Result<OutputFormat> format = output_format(output);
  if (!format) return format.status();
  Result<json::value> me = api.get("/api/v1/whoami");
  if (!me) return me.status();
  print_value(std::cout, *format, *me, [&] {
    std::cout << str_field(*me, "name");
    if (bool_field(*me, "admin")) std::cout << " (admin)";
    std::cout << " on " << api.server().text() << "\n";
  });
  return ok_status();
}

}  // namespace

void add_session_verbs(CLI::App& app, const Context& ctx) {
  auto login_opts = std::make_shared<LoginOptions>();
  CLI::App* login_cmd =
      app.add_subcommand("login", "Log in to a k4ds server and save an API token");
  login_cmd->add_option("url", login_opts->url, "Server URL (default http://localhost:8080)");
  login_cmd->add_option("-u,--username", login_opts->username, "User name (asked if left out)");
  login_cmd->add_flag("--password-stdin", login_opts->password_stdin,
                      "Read the password from standard input instead of asking");
  login_cmd->footer(
      "Examples:\n  k4ds login https://k4ds.example.com\n"
      "  echo \"$PASSWORD\" | k4ds login http://localhost:8080 -u alice --password-stdin");
  login_cmd->callback([ctx, login_opts] {
    run_local_verb(ctx, [&] { return login(ctx->global, *login_opts); });
  });

  CLI::App* logout_cmd =
      app.add_subcommand("logout", "Revoke the saved API token and forget it");
  logout_cmd->callback([ctx] {
    run_local_verb(ctx, [&]() -> Status {
      Result<ApiClient> api = ApiClient::connect(ctx->global);
      if (!api && api.status().code() == Code::unauthenticated) {
        std::cout << "Not logged in; nothing to do.\n";
        return ok_status();
      }
      if (!api) return api.status();
      return logout(*api);
    });
  });

  auto whoami_output = std::make_shared<std::string>();
  CLI::App* whoami_cmd = app.add_subcommand("whoami", "Show the user you are logged in as");
  add_output_option(whoami_cmd, whoami_output.get());
  whoami_cmd->callback([ctx, whoami_output] {
    run_verb(ctx, [&](ApiClient& api) { return whoami(api, *whoami_output); });
  });
}

}  // namespace k4ds::cli
