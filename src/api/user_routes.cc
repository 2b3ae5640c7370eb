// Users (admin): list, create, get, change, delete. People may read their own account and
// change their own password.
#include <boost/json.hpp>

#include <algorithm>

#include "api/handler_util.h"
#include "api/json_encode.h"

namespace k4ds::api {

namespace json = boost::json;

namespace {

Status user_not_found(std::string_view name) {
  return not_found("there is no user named " + std::string(name) +
                   "; list them with GET /api/v1/users");
}

Result<User> get_user(Tx& tx, std::string_view name) {
  Result<User> user = tx.get_user(name);
  if (!user && user.status().code() == Code::not_found) return user_not_found(name);
  return user;
}

// Refuses a change that would leave no enabled admin (nobody could administer the server).
Status keep_an_admin(Tx& tx, const User& target, std::string_view change) {
  if (!target.admin || target.disabled) return ok_status();
  Result<std::vector<User>> users = tx.list_users();
  if (!users) return users.status();
  bool another = std::any_of(users->begin(), users->end(), [&](const User& u) {
    return u.admin && !u.disabled && u.name != target.name;
  });
  if (another) return ok_status();
  return failed_precondition("cannot " + std::string(change) + ": " + target.name +
                             " is the last admin; make another user an admin first");
}

Reply user_reply(const ApiCall& call, const User& user, Store& store,
                 boost::beast::http::status status = boost::beast::http::status::ok) {
  return json_reply(call.request, status, user_json(user, all_groups(store)));
}

}  // namespace

Reply handle_list_users(ApiCore& core, ApiCall& call) {
  std::vector<User> users;
  std::vector<Group> groups;
  Status s = core.store.read([&](Tx& tx) -> Status {
    auto listed = tx.list_users();
    if (!listed) return listed.status();
    users = std::move(listed).value();
    groups = all_groups(tx);
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  json::array items;
  for (const auto& user : users) items.push_back(user_json(user, groups));
  return ok_json(call, list_json(std::move(items)));
}

Reply handle_create_user(ApiCore& core, ApiCall& call) {
  Result<JsonBody> body = JsonBody::parse(call.request, core.options.max_body_bytes,
                                          {"name", "password", "display_name", "email", "admin"});
  if (!body) return fail(call, body.status());
  auto name = body->string("name");
  auto password = body->string("password");
  auto display_name = body->string("display_name");
  auto email = body->string("email");
  auto admin = body->boolean("admin");
  for (const Status& s : {name.status(), password.status(), display_name.status(),
                          email.status(), admin.status()}) {
    if (!s.ok()) return fail(call, s);
  }
  if (!*name) return fail(call, invalid_argument("field \"name\" is required"));
  if (*password && (*password)->empty()) {
    return fail(call, invalid_argument("the password is empty; leave it out for no password"));
  }
  User user{.name = **name,
            .display_name = display_name->value_or(**name),
            .email = email->value_or(""),
            .admin = admin->value_or(false)};
  Result<User> created = core.authenticator->create_user(user, password->value_or(""));
  if (!created) return fail(call, created.status());
  return user_reply(call, *created, core.store, boost::beast::http::status::created);
}

Reply handle_get_user(ApiCore& core, ApiCall& call) {
  const std::string& name = call.param("user");
  if (name != call.user().name && !call.admin()) {
    return fail(call, permission_denied("only admins may see other users' accounts"));
  }
  User found;
  Status s = core.store.read([&](Tx& tx) -> Status {
    Result<User> user = get_user(tx, name);
    if (!user) return user.status();
    found = std::move(user).value();
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  return user_reply(call, found, core.store);
}

Reply handle_patch_user(ApiCore& core, ApiCall& call) {
  const std::string& name = call.param("user");
  bool self = name == call.user().name;
  if (!self && !call.admin()) {
    return fail(call, permission_denied("only admins may change other users' accounts"));
  }
  Result<JsonBody> body =
      JsonBody::parse(call.request, core.options.max_body_bytes,
                      {"display_name", "email", "admin", "disabled", "password"});
  if (!body) return fail(call, body.status());
  if (!call.admin()) {
    for (std::string_view field : {"display_name", "email", "admin", "disabled"}) {
      if (body->has(field)) {
        return fail(call, permission_denied("only admins may change \"" + std::string(field) +
                                            "\"; you may change your password"));
      }
    }
  }
  auto display_name = body->string("display_name");
  auto email = body->string("email");
  auto admin = body->boolean("admin");
  auto disabled = body->boolean("disabled");
  auto password = body->string("password");
  for (const Status& s : {display_name.status(), email.status(), admin.status(),
                          disabled.status(), password.status()}) {
    if (!s.ok()) return fail(call, s);
  }
  std::optional<std::string> hash;
  if (*password) {  // hashing is slow: never inside the transaction
    Result<std::string> h = core.authenticator->hasher().hash(**password);
    if (!h) return fail(call, h.status());
    hash = std::move(h).value();
  }
  User updated;
  Status s = write_with_retry(core.store, [&](Tx& tx) -> Status {
    Result<User> user = get_user(tx, name);
    if (!user) return user.status();
    if (*admin && !**admin) K4DS_RETURN_IF_ERROR(keep_an_admin(tx, *user, "remove the admin flag"));
    if (*disabled && **disabled) K4DS_RETURN_IF_ERROR(keep_an_admin(tx, *user, "disable the account"));
    bool newly_disabled = *disabled && **disabled && !user->disabled;
    if (*display_name) user->display_name = **display_name;
    if (*email) user->email = **email;
    if (*admin) user->admin = **admin;
    if (*disabled) user->disabled = **disabled;
    if (hash) user->password_hash = *hash;
    user->updated_at = to_unix_ms(core.services.clock->now());
    if (newly_disabled) {
      // Refused at authentication anyway; deleting them also ends open browser sessions now.
      if (auto n = tx.delete_sessions_of_user(name); !n) return n.status();
    }
    Result<User> stored = tx.update_user(*user);
    if (!stored) return stored.status();
    updated = std::move(stored).value();
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  return user_reply(call, updated, core.store);
}

Reply handle_delete_user(ApiCore& core, ApiCall& call) {
  const std::string& name = call.param("user");
  Status s = write_with_retry(core.store, [&](Tx& tx) -> Status {
    Result<User> user = get_user(tx, name);
    if (!user) return user.status();
    K4DS_RETURN_IF_ERROR(keep_an_admin(tx, *user, "delete the account"));
    if (auto n = tx.delete_sessions_of_user(name); !n) return n.status();
    Result<std::vector<ApiToken>> tokens = tx.list_tokens(name);
    if (!tokens) return tokens.status();
    for (const auto& token : *tokens) K4DS_RETURN_IF_ERROR(tx.delete_token(token.id));
    Result<std::vector<Workspace>> workspaces = tx.list_workspaces({.owner = name});
    if (!workspaces) return workspaces.status();
    for (const auto& ws : *workspaces) K4DS_RETURN_IF_ERROR(tx.delete_workspace(ws.id));
    for (Group group : all_groups(tx)) {
      auto it = std::find(group.members.begin(), group.members.end(), name);
      if (it == group.members.end()) continue;
      group.members.erase(it);
      if (auto g = tx.update_group(group); !g) return g.status();
    }
    return tx.delete_user(name);  // volumes stay: the store never cascades to them
  });
  if (!s.ok()) return fail(call, s);
  return no_content_reply(call.request);
}

}  // namespace k4ds::api
