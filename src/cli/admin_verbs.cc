// k4ds admin user … / admin group …: account administration (admins only; the server decides).
#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "cli/terminal.h"
#include "cli/verbs.h"

namespace k4ds::cli {
namespace {

namespace json = boost::json;

struct AdminOptions {
  std::string name;  // user or group
  std::string member;
  std::string display_name;
  std::string email;
  std::string description;
  bool admin = false;
  bool password_stdin = false;
  std::string output;
};

std::string user_path(const std::string& name) {
  return "/api/v1/users/" + encode_path_segment(name);
}
std::string group_path(const std::string& name) {
  return "/api/v1/groups/" + encode_path_segment(name);
}

std::string join(const json::value& list) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& v : list.get_array()) {
    if (!v.is_string()) continue;
    if (!out.empty()) out += ",";
    out += std::string(v.get_string());
  }
  return out;
}

// A new password from stdin (--password-stdin) or asked twice on the terminal.
Result<std::string> new_password(const AdminOptions& o, bool required) {
  if (o.password_stdin) return read_secret_from_stdin();
  Result<std::string> first =
      ask("New password for " + o.name + (required ? ": " : " (empty: none): "), false,
          "--password-stdin");
  if (!first) return first;
  if (first->empty()) {
    if (required) return invalid_argument("the password is empty; nothing was changed");
    return first;
  }
  Result<std::string> again = ask("Repeat it: ", false, "--password-stdin");
  if (!again) return again;
  if (*again != *first) return invalid_argument("the passwords differ; nothing was changed");
  return first;
}

Status user_add(ApiClient& api, const AdminOptions& o) {
  json::object body{{"name", o.name}, {"admin", o.admin}};
  if (!o.display_name.empty()) body["display_name"] = o.display_name;
  if (!o.email.empty()) body["email"] = o.email;
  // Without --password-stdin or a terminal the account has no local password (e.g. LDAP users).
  if (o.password_stdin || isatty(0)) {
    Result<std::string> password = new_password(o, false);
    if (!password) return password.status();
    if (!password->empty()) body["password"] = *password;
  }
  Result<json::value> user = api.post("/api/v1/users", body);
  if (!user) return user.status();
  std::cout << "Created user " << str_field(*user, "name")
            << (bool_field(*user, "admin") ? " (admin)" : "") << "\n";
  return ok_status();
}

Status user_ls(ApiClient& api, const AdminOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  Result<json::value> list = api.get("/api/v1/users");
  if (!list) return list.status();
  print_value(std::cout, *format, *list, [&] {
    auto now = std::chrono::system_clock::now();
    Table t({"NAME", "DISPLAY NAME", "EMAIL", "ADMIN", "DISABLED", "GROUPS", "AGE"});
    for (const auto& u : items_of(*list))
      t.add_row({str_field(u, "name"), str_field(u, "display_name"), str_field(u, "email"),
                 bool_field(u, "admin") ? "yes" : "no", bool_field(u, "disabled") ? "yes" : "no",
                 join(field(u, "groups")), age_of(field(u, "created_at"), now)});
    std::cout << t.render();
  });
  return ok_status();
}

Status user_rm(ApiClient& api, const AdminOptions& o) {
  Result<json::value> gone = api.del(user_path(o.name));
  if (!gone) return gone.status();
  std::cout << "Deleted user " << o.name << " (their workspaces are deleted, volumes kept)\n";
  return ok_status();
}

Status user_passwd(ApiClient& api, const AdminOptions& o) {
  Result<std::string> password = new_password(o, true);
  if (!password) return password.status();
  Result<json::value> user = api.patch(user_path(o.name), json::object{{"password", *password}});
  if (!user) return user.status();
  std::cout << "Changed the password of " << o.name << "\n";
  return ok_status();
}

Status group_add(ApiClient& api, const AdminOptions& o) {
  json::object body{{"name", o.name}};
  if (!o.description.empty()) body["description"] = o.description;
  Result<json::value> group = api.post("/api/v1/groups", body);
  if (!group) return group.status();
  std::cout << "Created group " << o.name << "\n";
  return ok_status();
}

Status group_ls(ApiClient& api, const AdminOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  Result<json::value> list = api.get("/api/v1/groups");
  if (!list) return list.status();
  print_value(std::cout, *format, *list, [&] {
    Table t({"NAME", "MEMBERS", "DESCRIPTION"});
    for (const auto& g : items_of(*list))
      t.add_row({str_field(g, "name"), join(field(g, "members")), str_field(g, "description")});
    std::cout << t.render();
  });
  return ok_status();
}

Status group_rm(ApiClient& api, const AdminOptions& o) {
  Result<json::value> gone = api.del(group_path(o.name));
  if (!gone) return gone.status();
  std::cout << "Deleted group " << o.name << "\n";
  return ok_status();
}

Status group_members(ApiClient& api, const AdminOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  Result<json::value> group = api.get(group_path(o.name));
  if (!group) return group.status();
  print_value(std::cout, *format, *group, [&] {
    const json::value& members = field(*group, "members");
    if (members.is_array())
      for (const auto& m : members.get_array())
        if (m.is_string()) std::cout << std::string(m.get_string()) << "\n";
  });
  return ok_status();
}

Status group_member_change(ApiClient& api, const AdminOptions& o, bool add) {
  std::string path = group_path(o.name) + "/members/" + encode_path_segment(o.member);
  Result<json::value> group = add ? api.put(path) : api.del(path);
  if (!group) return group.status();
  std::cout << (add ? "Added " : "Removed ") << o.member << (add ? " to " : " from ") << o.name
            << "\n";
  return ok_status();
}

using VerbFn = std::function<Status(ApiClient&, const AdminOptions&)>;

std::pair<CLI::App*, std::shared_ptr<AdminOptions>> verb(CLI::App& parent, const Context& ctx,
                                                         const std::string& name,
                                                         const std::string& description,
                                                         VerbFn fn) {
  auto o = std::make_shared<AdminOptions>();
  CLI::App* cmd = parent.add_subcommand(name, description);
  cmd->callback([ctx, o, fn] { run_verb(ctx, [&](ApiClient& api) { return fn(api, *o); }); });
  return {cmd, o};
}

}  // namespace

void add_admin_verbs(CLI::App& app, const Context& ctx) {
  CLI::App* admin = app.add_subcommand("admin", "Manage users, groups and quotas (admins only)");
  admin->require_subcommand(1);
  add_quota_verbs(app, *admin, ctx);

  CLI::App* user = admin->add_subcommand("user", "Manage user accounts");
  user->require_subcommand(1);
  auto [add, ao] = verb(*user, ctx, "add", "Create a user", user_add);
  add->add_option("name", ao->name, "User name")->required();
  add->add_flag("--admin", ao->admin, "Make the user an admin");
  add->add_option("--display-name", ao->display_name, "Name shown in the portal");
  add->add_option("--email", ao->email, "Email address");
  add->add_flag("--password-stdin", ao->password_stdin, "Read the password from standard input");
  add->footer("Example:\n  echo \"$PASSWORD\" | k4ds admin user add alice --display-name "
              "\"Alice Liddell\" --password-stdin");
  auto [uls, lo] = verb(*user, ctx, "ls", "List users", user_ls);
  add_output_option(uls, &lo->output);
  auto [urm, ro] = verb(*user, ctx, "rm", "Delete a user (workspaces deleted, volumes kept)",
                        user_rm);
  urm->add_option("name", ro->name, "User name")->required();
  auto [passwd, po] = verb(*user, ctx, "passwd", "Set a user's password (yours: any user)",
                           user_passwd);
  passwd->add_option("name", po->name, "User name")->required();
  passwd->add_flag("--password-stdin", po->password_stdin,
                   "Read the password from standard input");

  CLI::App* group = admin->add_subcommand("group", "Manage groups (for sharing and quotas)");
  group->require_subcommand(1);
  auto [gadd, gao] = verb(*group, ctx, "add", "Create a group", group_add);
  gadd->add_option("name", gao->name, "Group name")->required();
  gadd->add_option("--description", gao->description, "What the group is for");
  auto [gls, glo] = verb(*group, ctx, "ls", "List groups", group_ls);
  add_output_option(gls, &glo->output);
  auto [grm, gro] = verb(*group, ctx, "rm", "Delete a group", group_rm);
  grm->add_option("name", gro->name, "Group name")->required();
  auto [gm, gmo] = verb(*group, ctx, "members", "List a group's members", group_members);
  gm->add_option("name", gmo->name, "Group name")->required();
  add_output_option(gm, &gmo->output);
  auto [gam, gamo] = verb(*group, ctx, "add-member", "Add a user to a group",
                          [](ApiClient& api, const AdminOptions& o) {
                            return group_member_change(api, o, true);
                          });
  gam->add_option("group", gamo->name, "Group name")->required();
  gam->add_option("user", gamo->member, "User name")->required();
  auto [grmm, grmo] = verb(*group, ctx, "rm-member", "Remove a user from a group",
                           [](ApiClient& api, const AdminOptions& o) {
                             return group_member_change(api, o, false);
                           });
  grmm->add_option("group", grmo->name, "Group name")->required();
  grmm->add_option("user", grmo->member, "User name")->required();
}

}  // namespace k4ds::cli
