// k4ds token create / ls / revoke: personal API tokens for scripts and CI.
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "cli/terminal.h"
#include "cli/verbs.h"

namespace k4ds::cli {
namespace {

namespace json = boost::json;

struct TokenOptions {
  std::string name;  // create: token name; revoke: token id
  int expires_in_days = 0;
  std::string output;
};

Status create(ApiClient& api, const TokenOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  json::object body{{"name", o.name.empty() ? "token from " + host_name() : o.name}};
  if (o.expires_in_days > 0) body["expires_in_days"] = o.expires_in_days;
  Result<json::value> token = api.post("/api/v1/tokens", body);
  if (!token) return token.status();
  print_value(std::cout, *format, *token, [&] {
    std::cout << str_field(*token, "token") << "\n";
    std::cerr << "Created token " << str_field(*token, "id") << " (\"" << str_field(*token, "name")
              << "\", expires "
              << time_until(field(*token, "expires_at"), std::chrono::system_clock::now(), "never")
              << ").\nCopy it now: it will not be shown again. Use it as K4DS_TOKEN or in "
                 "'Authorization: Bearer <token>'.\n";
  });
  return ok_status();
}

Status ls(ApiClient& api, const TokenOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  Result<json::value> list = api.get("/api/v1/tokens");
  if (!list) return list.status();
  print_value(std::cout, *format, *list, [&] {
    auto now = std::chrono::system_clock::now();
    Table t({"ID", "NAME", "PREFIX", "CREATED", "EXPIRES", "LAST USED"});
    for (const auto& tok : items_of(*list)) {
      const json::value& used = field(tok, "last_used_at");
      t.add_row({str_field(tok, "id"), str_field(tok, "name"), str_field(tok, "prefix") + "…",
                 age_of(field(tok, "created_at"), now) + " ago",
                 time_until(field(tok, "expires_at"), now, "never"),
                 used.is_null() ? "never" : age_of(used, now) + " ago"});
    }
    std::cout << t.render();
  });
  return ok_status();
}

Status revoke(ApiClient& api, const TokenOptions& o) {
  Result<json::value> gone = api.del("/api/v1/tokens/" + encode_path_segment(o.name));
  if (!gone) return gone.status();
  std::cout << "Revoked token " << o.name << "\n";
  return ok_status();
}

}  // namespace

void add_token_verbs(CLI::App& app, const Context& ctx) {
  CLI::App* token = app.add_subcommand("token", "Personal API tokens for scripts and CI");
  token->require_subcommand(1);

  auto o = std::make_shared<TokenOptions>();
  CLI::App* cmd = token->add_subcommand("create", "Create a token; its secret is shown once");
  cmd->add_option("name", o->name, "What the token is for (e.g. \"ci\")");
  cmd->add_option("--expires-in-days", o->expires_in_days, "Expire after N days (default: never)")
      ->check(CLI::Range(1, 3650));
  add_output_option(cmd, &o->output);
  cmd->footer("Example:\n  export K4DS_TOKEN=$(k4ds token create ci --expires-in-days 30)");
  cmd->callback([ctx, o] { run_verb(ctx, [&](ApiClient& api) { return create(api, *o); }); });

  o = std::make_shared<TokenOptions>();
  cmd = token->add_subcommand("ls", "List your tokens (never their secrets)");
  add_output_option(cmd, &o->output);
  cmd->callback([ctx, o] { run_verb(ctx, [&](ApiClient& api) { return ls(api, *o); }); });

  o = std::make_shared<TokenOptions>();
  cmd = token->add_subcommand("revoke", "Revoke a token; it stops working at once");
  cmd->add_option("id", o->name, "Token id, as shown by k4ds token ls (tok_…)")->required();
  cmd->callback([ctx, o] { run_verb(ctx, [&](ApiClient& api) { return revoke(api, *o); }); });
}

}  // namespace k4ds::cli
