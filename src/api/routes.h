// The route table of the REST API: one entry per (method, path) with who may call it and what
// it takes and returns. The dispatcher (api_handler.cc) and the OpenAPI document (openapi.cc)
// are both derived from it, so a route cannot exist without being documented.
//
// Path patterns use {param} segments; each parameter name has one validator in the dispatcher:
//   {owner}, {user} user names · {name} workspace names · {group} group names · {id} token ids
//   · {with} "user:NAME"/"group:NAME" · {rule} rule ids · {subject} "default"/"user:N"/"group:N".
#pragma once

#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_handler.h"
#include "auth/authenticator.h"

namespace k4ds {

// Internal state shared by the handlers.
struct Api::Core {
  Store& store;
  Services services;
  ApiOptions options;
  std::shared_ptr<Authenticator> authenticator;

  std::shared_ptr<const Catalog> catalog() const {
    std::lock_guard lock(catalog_mutex);
    return catalog_ptr;
  }
  // "http://alice-analysis.localhost:8080/"
  std::string workspace_url(const Workspace& workspace, bool secure) const;
  // The Workspace object of docs/api.md, with its URL and the runtime's warnings.
  boost::json::object workspace_object(const Workspace& workspace, bool secure) const;

  mutable std::mutex catalog_mutex;
  std::shared_ptr<const Catalog> catalog_ptr;
};

namespace api {

using ApiCore = Api::Core;

// One request on its way through a handler.
struct ApiCall {
  const HttpRequest& request;
  const RequestContext& context;
  std::map<std::string, std::string, std::less<>> params;  // decoded and validated
  std::map<std::string, std::string, std::less<>> query;   // decoded; the last value wins
  std::optional<Principal> principal;                      // set unless the route is public

  const std::string& param(std::string_view name) const { return params.find(name)->second; }
  std::optional<std::string> query_value(std::string_view name) const {
    auto it = query.find(name);
    return it == query.end() ? std::nullopt : std::optional(it->second);
  }
  const User& user() const { return principal->user; }
  bool admin() const { return principal && principal->user.admin; }
};

using RouteHandler = Reply (*)(ApiCore& core, ApiCall& call);

enum class RouteAccess { anyone, authenticated, admin };

struct RouteQueryParam {
  std::string_view name;
  std::string_view type;  // "boolean", "integer", "string"
  std::string_view description;
};

struct ApiRoute {
  boost::beast::http::verb method;
  std::string_view path;
  RouteAccess access;
  RouteHandler handler;
  std::string_view summary;
  std::string_view request_schema;   // OpenAPI component name; "" = no body
  int success_status;                // 200, 201, 204
  std::string_view response_schema;  // component name, "" (no body), or a media type "text/…"
  std::vector<RouteQueryParam> query;
};

const std::vector<ApiRoute>& api_routes();

// Handlers, by area.
// auth_routes.cc
Reply handle_healthz(ApiCore&, ApiCall&);
Reply handle_openapi(ApiCore&, ApiCall&);
Reply handle_login(ApiCore&, ApiCall&);
Reply handle_logout(ApiCore&, ApiCall&);
Reply handle_whoami(ApiCore&, ApiCall&);
// token_routes.cc
Reply handle_list_tokens(ApiCore&, ApiCall&);
Reply handle_create_token(ApiCore&, ApiCall&);
Reply handle_delete_token(ApiCore&, ApiCall&);
// catalog_routes.cc
Reply handle_list_environments(ApiCore&, ApiCall&);
Reply handle_list_sizes(ApiCore&, ApiCall&);
Reply handle_list_volumes(ApiCore&, ApiCall&);
Reply handle_create_volume(ApiCore&, ApiCall&);
// workspace_routes.cc
Reply handle_list_workspaces(ApiCore&, ApiCall&);
Reply handle_create_workspace(ApiCore&, ApiCall&);
Reply handle_get_workspace(ApiCore&, ApiCall&);
Reply handle_start_workspace(ApiCore&, ApiCall&);
Reply handle_stop_workspace(ApiCore&, ApiCall&);
Reply handle_delete_workspace(ApiCore&, ApiCall&);
Reply handle_list_events(ApiCore&, ApiCall&);
Reply handle_workspace_logs(ApiCore&, ApiCall&);
// share_routes.cc
Reply handle_list_shares(ApiCore&, ApiCall&);
Reply handle_add_shares(ApiCore&, ApiCall&);
Reply handle_remove_share(ApiCore&, ApiCall&);
Result<std::vector<Workspace>> shared_with(Tx& tx, const User& user);
// rule_routes.cc
Reply handle_list_rules(ApiCore&, ApiCall&);
Reply handle_replace_rules(ApiCore&, ApiCall&);
Reply handle_add_rule(ApiCore&, ApiCall&);
Reply handle_delete_rule(ApiCore&, ApiCall&);
Reply handle_policy_check(ApiCore&, ApiCall&);
// quota_routes.cc
Reply handle_list_quotas(ApiCore&, ApiCall&);
Reply handle_get_quota(ApiCore&, ApiCall&);
Reply handle_put_quota(ApiCore&, ApiCall&);
Reply handle_delete_quota(ApiCore&, ApiCall&);
Reply handle_get_my_quota(ApiCore&, ApiCall&);
Reply handle_capacity(ApiCore&, ApiCall&);
// ok when `owner` may have one more active workspace of this size: a machine can hold the size
// and the owner's quota leaves room (model/quota.h); the workspace `except_id` (being started
// again) is not counted as active.
Status check_admission(ApiCore& core, Tx& tx, const ApiCall& call, const std::string& owner,
                   const std::string& size_name, std::string_view except_id = {});
// watch.cc
Reply handle_watch_workspace(ApiCore&, ApiCall&);
// user_routes.cc
Reply handle_list_users(ApiCore&, ApiCall&);
Reply handle_create_user(ApiCore&, ApiCall&);
Reply handle_get_user(ApiCore&, ApiCall&);
Reply handle_patch_user(ApiCore&, ApiCall&);
Reply handle_delete_user(ApiCore&, ApiCall&);
// group_routes.cc
Reply handle_list_groups(ApiCore&, ApiCall&);
Reply handle_create_group(ApiCore&, ApiCall&);
Reply handle_get_group(ApiCore&, ApiCall&);
Reply handle_patch_group(ApiCore&, ApiCall&);
Reply handle_add_group_member(ApiCore&, ApiCall&);
Reply handle_remove_group_member(ApiCore&, ApiCall&);
Reply handle_delete_group(ApiCore&, ApiCall&);

}  // namespace api
}  // namespace k4ds
