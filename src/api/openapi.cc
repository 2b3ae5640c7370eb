#include "api/openapi.h"

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>

#include <string>

#include "api/routes.h"

namespace k4ds::api {

namespace json = boost::json;
namespace http = boost::beast::http;

namespace {

json::object ref(std::string_view name) {
  return {{"$ref", "#/components/schemas/" + std::string(name)}};
}
json::object type(std::string_view t) { return {{"type", t}}; }
json::object time_type(bool can_be_null = false) {
  json::object o{{"type", "string"}, {"format", "date-time"}};
  if (can_be_null) o["nullable"] = true;
  return o;
}
json::object strings() { return {{"type", "array"}, {"items", type("string")}}; }
json::object enumeration(std::initializer_list<std::string_view> values) {
  json::array items;
  for (auto v : values) items.emplace_back(v);
  return {{"type", "string"}, {"enum", std::move(items)}};
}
json::object object(json::object properties, std::initializer_list<std::string_view> required) {
  json::object o{{"type", "object"}, {"properties", std::move(properties)}};
  if (required.size()) {
    json::array r;
    for (auto name : required) r.emplace_back(name);
    o["required"] = std::move(r);
  }
  return o;
}
json::object list_of(std::string_view item) {
  return object({{"items", json::object{{"type", "array"}, {"items", ref(item)}}}}, {"items"});
}

json::object user_properties() {
  return {{"name", type("string")},        {"display_name", type("string")},
          {"email", type("string")},       {"provider", type("string")},
          {"admin", type("boolean")},      {"disabled", type("boolean")},
          {"groups", strings()},           {"created_at", time_type()},
          {"updated_at", time_type()},     {"version", type("integer")}};
}

json::object nullable(json::object o) {
  o["nullable"] = true;
  return o;
}
// A limit: a count (integer) or a quantity (string: "4", "500m", "16Gi"), null = no limit.
json::object nullable_scalar() {
  return {{"oneOf", json::array{type("integer"), type("string")}}, {"nullable", true}};
}

// A quota; `stored` adds what the server fills in.
json::object quota_properties(bool stored) {
  json::object p{{"workspaces", nullable(type("integer"))},
                 {"cpu", nullable(type("string"))},
                 {"memory", nullable(type("string"))},
                 {"gpus", nullable(type("integer"))},
                 {"subject", type("string")},
                 {"version", type("integer")}};
  if (stored) {
    p["updated_by"] = type("string");
    p["updated_at"] = time_type(true);
  }
  return p;
}

// An access rule; `stored` adds what the server fills in (position, summary).
json::object rule_properties(bool stored) {
  json::object p{{"id", type("string")},
                 {"effect", enumeration({"allow", "deny"})},
                 {"action", enumeration({"launch", "access", "admin"})},
                 {"who", strings()},
                 {"environments", strings()},
                 {"sizes", strings()},
                 {"owners", strings()},
                 {"description", type("string")}};
  if (stored) {
    p["position"] = type("integer");
    p["summary"] = type("string");
  }
  return p;
}

json::object add_rule_request() {
  json::object p = rule_properties(false);
  p["position"] = json::object{{"type", "integer"}, {"minimum", 1}};
  return object(std::move(p), {"effect", "action", "who"});
}

json::object schemas() {
  json::object whoami = user_properties();
  whoami["auth"] = enumeration({"session", "token"});
  json::object token{{"id", type("string")},          {"name", type("string")},
                     {"prefix", type("string")},      {"created_at", time_type()},
                     {"expires_at", time_type(true)}, {"last_used_at", time_type(true)}};
  json::object created_token = token;
  created_token["token"] = json::object{{"type", "string"},
                                        {"description", "the secret, shown only once"}};
  return {
      {"Error", object({{"code", enumeration({"invalid_argument", "not_found", "already_exists",
                                              "aborted", "failed_precondition",
                                              "permission_denied", "unauthenticated",
                                              "resource_exhausted", "unavailable", "internal"})},
                        {"message", type("string")}},
                       {"code", "message"})},
      {"Health", object({{"status", type("string")}}, {"status"})},
      {"LoginRequest", object({{"username", type("string")}, {"password", type("string")}},
                              {"username", "password"})},
      {"LoginResponse", object({{"user", ref("User")}, {"expires_at", time_type()}},
                               {"user", "expires_at"})},
      {"User", object(user_properties(), {"name"})},
      {"WhoAmI", object(std::move(whoami), {"name", "auth"})},
      {"UserList", list_of("User")},
      {"CreateUserRequest",
       object({{"name", type("string")}, {"password", type("string")},
               {"display_name", type("string")}, {"email", type("string")},
               {"admin", type("boolean")}},
              {"name"})},
      {"PatchUserRequest",
       object({{"display_name", type("string")}, {"email", type("string")},
               {"admin", type("boolean")}, {"disabled", type("boolean")},
               {"password", type("string")}},
              {})},
      {"Group", object({{"name", type("string")}, {"description", type("string")},
                        {"members", strings()}, {"created_at", time_type()},
                        {"updated_at", time_type()}, {"version", type("integer")}},
                       {"name"})},
      {"GroupList", list_of("Group")},
      {"CreateGroupRequest",
       object({{"name", type("string")}, {"description", type("string")}, {"members", strings()}},
              {"name"})},
      {"PatchGroupRequest",
       object({{"description", type("string")}, {"members", strings()}}, {})},
      {"Environment",
       object({{"name", type("string")}, {"display_name", type("string")},
               {"description", type("string")}, {"version", type("string")},
               {"default_size", type("string")}, {"available", type("boolean")},
               {"unavailable_reason", type("string")}},
              {"name"})},
      {"EnvironmentList", list_of("Environment")},
      {"Size", object({{"name", type("string")}, {"description", type("string")},
                       {"cpu", type("string")}, {"memory", type("string")},
                       {"gpus", type("integer")}},
                      {"name"})},
      {"SizeList", list_of("Size")},
      {"Workspace",
       object({{"id", type("string")}, {"owner", type("string")}, {"name", type("string")},
               {"environment", type("string")}, {"size", type("string")},
               {"volumes", strings()}, {"desired", enumeration({"running", "stopped"})},
               {"phase", enumeration({"pending", "starting", "running", "stopping", "stopped",
                                      "failed"})},
               {"reason", type("string")}, {"url", type("string")},
               {"created_at", time_type()}, {"updated_at", time_type()},
               {"last_activity_at", time_type(true)},
               {"version", type("integer")}, {"warnings", strings()}},
              {"id", "owner", "name"})},
      {"WorkspaceList", list_of("Workspace")},
      {"CreateWorkspaceRequest",
       object({{"environment", type("string")}, {"name", type("string")},
               {"size", type("string")}, {"volumes", strings()}},
              {"environment"})},
      {"Event", object({{"seq", type("integer")}, {"time", time_type()},
                        {"warning", type("boolean")}, {"message", type("string")}},
                       {"seq", "message"})},
      {"EventList", list_of("Event")},
      {"Volume", object({{"id", type("string")}, {"owner", type("string")},
                         {"name", type("string")}, {"created_at", time_type()},
                         {"zone", type("string")}},
                        {"id"})},
      {"VolumeList", list_of("Volume")},
      {"CreateVolumeRequest", object({{"name", type("string")}}, {"name"})},
      {"Token", object(std::move(token), {"id", "name", "prefix"})},
      {"TokenList", list_of("Token")},
      {"CreatedToken", object(std::move(created_token), {"id", "token"})},
      {"CreateTokenRequest",
       object({{"name", type("string")},
               {"expires_in_days", json::object{{"type", "integer"}, {"minimum", 1}}}},
              {"name"})},
      {"Share", object({{"with", type("string")}, {"kind", enumeration({"user", "group"})},
                        {"principal", type("string")}, {"created_by", type("string")},
                        {"created_at", time_type()}},
                       {"with"})},
      {"ShareList", list_of("Share")},
      {"AddSharesRequest", object({{"with", strings()}}, {"with"})},
      {"Rule", object(rule_properties(true), {"id", "effect", "action", "who"})},
      {"RuleList", object({{"items", json::object{{"type", "array"}, {"items", ref("Rule")}}},
                           {"version", type("integer")}, {"updated_by", type("string")},
                           {"updated_at", time_type(true)}},
                          {"items", "version"})},
      {"ReplaceRulesRequest",
       object({{"rules", json::object{{"type", "array"}, {"items", ref("RuleInput")}}},
               {"version", type("integer")}},
              {"rules", "version"})},
      {"RuleInput", object(rule_properties(false), {"effect", "action", "who"})},
      {"AddRuleRequest", add_rule_request()},
      {"Quota", object(quota_properties(true), {"subject"})},
      {"QuotaList", list_of("Quota")},
      {"QuotaInput", object(quota_properties(false), {})},
      {"QuotaUsage", object({{"user", type("string")}, {"workspaces", ref("QuotaUse")},
                             {"cpu", ref("QuotaUse")}, {"memory", ref("QuotaUse")},
                             {"gpus", ref("QuotaUse")}, {"active", strings()},
                             {"sizes", json::object{{"type", "array"}, {"items", ref("SizeFit")}}}},
                            {"user", "workspaces", "cpu", "memory", "gpus", "active", "sizes"})},
      {"QuotaUse", object({{"limit", nullable_scalar()}, {"from", nullable(type("string"))},
                           {"used", json::object{{"oneOf", json::array{type("integer"), type("string")}}}}},
                          {"limit", "used"})},
      {"Capacity", object({{"machines", nullable(json::object{{"type", "object"}})},
                           {"in_use", json::object{{"type", "object"}}},
                           {"users", json::object{{"type", "array"}, {"items", json::object{{"type", "object"}}}}}},
                          {"machines", "in_use", "users"})},
      {"SizeFit", object({{"name", type("string")}, {"fits", type("boolean")},
                          {"reason", nullable(type("string"))}},
                         {"name", "fits"})},
      {"PolicyCheck", object({{"allowed", type("boolean")}, {"explanation", type("string")},
                              {"rule", json::object{{"allOf", json::array{ref("Rule")}}, {"nullable", true}}}},
                             {"allowed", "explanation"})},
  };
}

json::object error_response(std::string_view description) {
  return {{"description", description},
          {"content", json::object{{"application/json", json::object{{"schema", ref("Error")}}}}}};
}

json::object operation(const ApiRoute& route) {
  json::object op{{"summary", route.summary}};
  json::object tag_source;
  json::array parameters;
  std::string_view path = route.path;
  for (std::size_t open = path.find('{'); open != std::string_view::npos;
       open = path.find('{', open + 1)) {
    std::size_t close = path.find('}', open);
    parameters.push_back(json::object{{"name", path.substr(open + 1, close - open - 1)},
                                      {"in", "path"},
                                      {"required", true},
                                      {"schema", type("string")}});
  }
  for (const auto& q : route.query) {
    parameters.push_back(json::object{{"name", q.name},
                                      {"in", "query"},
                                      {"required", false},
                                      {"description", q.description},
                                      {"schema", type(q.type)}});
  }
  if (!parameters.empty()) op["parameters"] = std::move(parameters);
  if (!route.request_schema.empty()) {
    op["requestBody"] = json::object{
        {"required", true},
        {"content", json::object{{"application/json",
                                  json::object{{"schema", ref(route.request_schema)}}}}}};
  }

  json::object responses;
  json::object success{{"description", route.success_status == 204 ? "No Content" : "OK"}};
  if (route.response_schema.find('/') != std::string_view::npos) {
    success["content"] =
        json::object{{route.response_schema, json::object{{"schema", type("string")}}}};
  } else if (!route.response_schema.empty()) {
    success["content"] = json::object{
        {"application/json", json::object{{"schema", ref(route.response_schema)}}}};
  }
  responses[std::to_string(route.success_status)] = std::move(success);
  if (!route.request_schema.empty() || route.path.find('{') != std::string_view::npos ||
      !route.query.empty()) {
    responses["400"] = error_response("invalid_argument: the input is wrong");
  }
  if (route.access == RouteAccess::anyone) {
    op["security"] = json::array{};
  } else {
    responses["401"] = error_response("unauthenticated: log in or send an API token");
  }
  if (route.method != http::verb::get) {
    responses["403"] = error_response(route.access == RouteAccess::admin
                                          ? "permission_denied: admins only, or CSRF rule"
                                          : "permission_denied: CSRF rule for cookie sessions");
  } else if (route.access == RouteAccess::admin) {
    responses["403"] = error_response("permission_denied: admins only");
  }
  if (route.path.find('{') != std::string_view::npos) {
    responses["404"] = error_response("not_found (also for another user's workspace)");
  }
  if (route.method != http::verb::get || route.path.ends_with("/logs")) {
    responses["409"] =
        error_response("already_exists, aborted or failed_precondition: the state forbids it");
  }
  if (route.path == "/api/v1/login") {
    responses["429"] = error_response("resource_exhausted: too many failed logins (Retry-After)");
  }
  responses["500"] = error_response("internal");
  responses["503"] = error_response("unavailable: try again later");
  op["responses"] = std::move(responses);
  return op;
}

}  // namespace

json::value openapi_document() {
  json::object paths;
  for (const ApiRoute& route : api_routes()) {
    std::string method(http::to_string(route.method));
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    json::value& item = paths[route.path];
    if (!item.is_object()) item = json::object{};
    item.as_object()[method] = operation(route);
  }
  return json::object{
      {"openapi", "3.0.3"},
      {"info", json::object{{"title", "k4ds REST API"},
                            {"version", "1"},
                            {"description", "Self-service data science workspaces. Errors are "
                                            "{\"code\", \"message\"}; see docs/api.md."}}},
      {"security", json::array{json::object{{"session", json::array{}}},
                               json::object{{"token", json::array{}}}}},
      {"paths", std::move(paths)},
      {"components",
       json::object{
           {"schemas", schemas()},
           {"securitySchemes",
            json::object{
                {"session", json::object{{"type", "apiKey"}, {"in", "cookie"},
                                         {"name", "k4ds_session"}}},
                {"token", json::object{{"type", "http"}, {"scheme", "bearer"},
                                       {"description", "a personal API token, k4ds_…"}}}}}}},
  };
}

}  // namespace k4ds::api
