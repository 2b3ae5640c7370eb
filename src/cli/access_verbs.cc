// k4ds share / unshare (owners) and k4ds policy ls / add / rm / check (admins).
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "cli/verbs.h"

namespace k4ds::cli {
namespace {

namespace json = boost::json;

struct AccessOptions {
  std::string name;                  // workspace NAME or OWNER/NAME; rule id for rm; user for check
  std::vector<std::string> who;      // share/unshare: user:NAME group:NAME; check: targets
  std::string output;
  // policy add
  std::string effect, action;
  std::vector<std::string> environments, sizes, owners;
  int position = 0;
  std::string description;
};

std::string joined(const json::value& list) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& item : list.as_array()) {
    if (item.is_string()) out += (out.empty() ? "" : ", ") + std::string(item.get_string());
  }
  return out;
}

// Percent-encodes the one character of "user:bob" a path segment may not carry as is.
std::string segment(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ':') out += "%3A";
    else out += c;
  }
  return out;
}

Status share(ApiClient& api, const AccessOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  Result<WorkspaceRef> ref = api.workspace(o.name);
  if (!ref) return ref.status();
  const std::string path = ApiClient::workspace_path(*ref) + "/shares";
  Result<json::value> shares = o.who.empty() ? api.get(path) : [&] {
    json::array with;
    for (const auto& w : o.who) with.push_back(json::value(w));
    return api.post(path, json::object{{"with", std::move(with)}});
  }();
  if (!shares) return shares.status();
  print_value(std::cout, *format, *shares, [&] {
    if (!o.who.empty()) std::cout << "Shared " << ref->text() << ".\n";
    if (items_of(*shares).empty()) {
      std::cout << ref->text() << " is not shared. Share it with: k4ds share " << o.name
                << " user:NAME group:NAME\n";
      return;
    }
    Table t({"WITH", "SHARED BY", "SINCE"});
    auto now = std::chrono::system_clock::now();
    for (const auto& s : items_of(*shares)) {
      t.add_row({str_field(s, "with"), str_field(s, "created_by"), age_of(field(s, "created_at"), now) + " ago"});
    }
    std::cout << t.render();
  });
  return ok_status();
}

Status unshare(ApiClient& api, const AccessOptions& o) {
  Result<WorkspaceRef> ref = api.workspace(o.name);
  if (!ref) return ref.status();
  for (const std::string& w : o.who) {
    Result<json::value> gone = api.del(ApiClient::workspace_path(*ref) + "/shares/" + segment(w));
    if (!gone) return gone.status();
    std::cout << "Stopped sharing " << ref->text() << " with " << w
              << " (their open connections to it are closed)\n";
  }
  return ok_status();
}

Status policy_ls(ApiClient& api, const AccessOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  Result<json::value> rules = api.get("/api/v1/rules");
  if (!rules) return rules.status();
  print_value(std::cout, *format, *rules, [&] {
    Table t({"#", "ID", "EFFECT", "ACTION", "WHO", "TARGETS", "DESCRIPTION"});
    for (const auto& r : items_of(*rules)) {
      std::string action = str_field(r, "action");
      std::string targets = action == "launch" ? "env " + joined(field(r, "environments")) +
                                                     "; size " + joined(field(r, "sizes"))
                            : action == "access" ? "owners " + joined(field(r, "owners"))
                                                 : "-";
      t.add_row({str_field(r, "position"), str_field(r, "id"), str_field(r, "effect"), action,
                 joined(field(r, "who")), targets, str_field(r, "description")});
    }
    std::cout << t.render()
              << "The first rule that matches decides; what no rule allows is refused.\n";
  });
  return ok_status();
}

Status policy_add(ApiClient& api, const AccessOptions& o) {
  json::array who;
  for (const auto& w : o.who) who.push_back(json::value(w));
  json::object body{{"effect", o.effect}, {"action", o.action}, {"who", std::move(who)}};
  auto list = [](const std::vector<std::string>& items) {
    json::array out;
    for (const auto& i : items) out.push_back(json::value(i));
    return out;
  };
  if (!o.environments.empty()) body["environments"] = list(o.environments);
  if (!o.sizes.empty()) body["sizes"] = list(o.sizes);
  if (!o.owners.empty()) body["owners"] = list(o.owners);
  if (o.position > 0) body["position"] = o.position;
  if (!o.description.empty()) body["description"] = o.description;
  Result<json::value> rules = api.post("/api/v1/rules", body);
  if (!rules) return rules.status();
  const auto& items = items_of(*rules);
  std::size_t at = o.position > 0 ? static_cast<std::size_t>(o.position) : items.size();
  if (at >= 1 && at <= items.size()) {
    const auto& r = items[at - 1];
    std::cout << "Added rule " << at << " (" << str_field(r, "id") << "): " << str_field(r, "summary") << "\n";
  }
  return ok_status();
}

Status policy_rm(ApiClient& api, const AccessOptions& o) {
  Result<json::value> gone = api.del("/api/v1/rules/" + o.name);
  if (!gone) return gone.status();
  std::cout << "Removed rule " << o.name << "\n";
  return ok_status();
}

// TARGET: OWNER/NAME (a workspace), env:NAME, size:NAME (both may be given), or admin.
Status policy_check(ApiClient& api, const AccessOptions& o, VerbContext& ctx) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  std::string query = "/api/v1/policy/check?user=" + o.name;
  for (const std::string& t : o.who) {
    if (t == "admin") query += "&admin=true";
    else if (t.starts_with("env:")) query += "&environment=" + t.substr(4);
    else if (t.starts_with("size:")) query += "&size=" + t.substr(5);
    else if (t.find('/') != std::string::npos) query += "&workspace=" + t;
    else {
      return invalid_argument("\"" + t + "\" is not something to check; write OWNER/NAME, "
                              "env:ENVIRONMENT, size:SIZE or admin");
    }
  }
  Result<json::value> verdict = api.get(query);
  if (!verdict) return verdict.status();
  const bool allowed = field(*verdict, "allowed").is_bool() && bool_field(*verdict, "allowed");
  print_value(std::cout, *format, *verdict, [&] {
    std::cout << (allowed ? "allowed: " : "denied: ") << str_field(*verdict, "explanation") << "\n";
  });
  if (!allowed) ctx.success_exit_code = exit_code_for(Code::permission_denied);
  return ok_status();
}

}  // namespace

void add_access_verbs(CLI::App& app, const Context& ctx) {
  auto o = std::make_shared<AccessOptions>();
  CLI::App* cmd = app.add_subcommand("share", "Share a workspace with users or groups (or list its shares)");
  cmd->add_option("name", o->name, "NAME, or OWNER/NAME for admins")->required();
  cmd->add_option("who", o->who, "user:NAME or group:NAME; none lists who it is shared with");
  add_output_option(cmd, &o->output);
  cmd->footer("Example:\n  k4ds share analysis user:bob group:analysts");
  cmd->callback([ctx, o] { run_verb(ctx, [&](ApiClient& api) { return share(api, *o); }); });

  o = std::make_shared<AccessOptions>();
  cmd = app.add_subcommand("unshare", "Stop sharing a workspace; open connections of those people close");
  cmd->add_option("name", o->name, "NAME, or OWNER/NAME for admins")->required();
  cmd->add_option("who", o->who, "user:NAME or group:NAME")->required();
  cmd->callback([ctx, o] { run_verb(ctx, [&](ApiClient& api) { return unshare(api, *o); }); });

  CLI::App* policy = app.add_subcommand("policy", "Access rules: who may launch what, reach whose workspaces, administer (admins)");
  policy->require_subcommand(1);

  o = std::make_shared<AccessOptions>();
  cmd = policy->add_subcommand("ls", "List the rules in order (the first match decides)");
  add_output_option(cmd, &o->output);
  cmd->callback([ctx, o] { run_verb(ctx, [&](ApiClient& api) { return policy_ls(api, *o); }); });

  o = std::make_shared<AccessOptions>();
  cmd = policy->add_subcommand("add", "Add a rule");
  cmd->add_option("effect", o->effect, "allow or deny")->required()->check(CLI::IsMember({"allow", "deny"}));
  cmd->add_option("action", o->action, "launch, access or admin")->required()->check(CLI::IsMember({"launch", "access", "admin"}));
  cmd->add_option("who", o->who, "who it is for: '*', user:NAME, group:NAME")->required();
  cmd->add_option("--env", o->environments, "launch: environments (default every one)");
  cmd->add_option("--size", o->sizes, "launch: sizes (default every one)");
  cmd->add_option("--owner", o->owners, "access: whose workspaces: '*', user:NAME, group:NAME (default '*')");
  cmd->add_option("--at", o->position, "position, 1 = first (default: last)")->check(CLI::PositiveNumber);
  cmd->add_option("-d,--description", o->description, "why the rule exists");
  cmd->footer("Examples:\n"
              "  k4ds policy add deny launch group:contractors --size gpu --at 1\n"
              "  k4ds policy add allow access group:analysts --owner group:analysts\n"
              "  k4ds policy add allow admin group:platform");
  cmd->callback([ctx, o] { run_verb(ctx, [&](ApiClient& api) { return policy_add(api, *o); }); });

  o = std::make_shared<AccessOptions>();
  cmd = policy->add_subcommand("rm", "Remove a rule");
  cmd->add_option("id", o->name, "the rule's id (see k4ds policy ls)")->required();
  cmd->callback([ctx, o] { run_verb(ctx, [&](ApiClient& api) { return policy_rm(api, *o); }); });

  o = std::make_shared<AccessOptions>();
  cmd = policy->add_subcommand("check", "Explain what k4ds decides for a user, and which rule decided");
  cmd->add_option("user", o->name, "the user")->required();
  cmd->add_option("target", o->who, "OWNER/NAME, env:ENVIRONMENT, size:SIZE, or admin")->required();
  add_output_option(cmd, &o->output);
  cmd->footer("Exit code 0 when allowed, 4 when denied.\nExamples:\n"
              "  k4ds policy check bob alice/analysis\n"
              "  k4ds policy check bob env:jupyter-python size:gpu");
  cmd->callback([ctx, o] {
    run_verb(ctx, [&](ApiClient& api) { return policy_check(api, *o, *ctx); });
  });
}

}  // namespace k4ds::cli
