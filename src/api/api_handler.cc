// Dispatch: match the route, authenticate, apply the CSRF rule and the route's access level,
// validate path parameters, then call the handler. Handlers only see well-formed input.
#include "api/api_handler.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "api/http_util.h"
#include "api/json_encode.h"
#include "api/routes.h"
#include "auth/access_facts.h"
#include "model/quota.h"
#include "model/validation.h"

namespace k4ds {

namespace http = boost::beast::http;
using namespace api;  // the dispatcher is the one place that ties the internals together

boost::json::object Api::Core::workspace_object(const Workspace& workspace, bool secure) const {
  return api::workspace_json(workspace, workspace_url(workspace, secure), options.runtime_warnings);
}

std::string Api::Core::workspace_url(const Workspace& workspace, bool secure) const {
  std::string url = secure ? "https://" : "http://";
  url += workspace_host(workspace.owner, workspace.name, options.domain);
  int port = options.public_port;
  if (port != 0 && port != 80 && port != 443) url += ":" + std::to_string(port);
  url += "/";
  return url;
}

Api::Api(Store& store, Services services, std::shared_ptr<const Catalog> catalog,
         ApiOptions options)
    : Api(store, services, std::move(catalog), options,
          std::make_shared<Authenticator>(
              store, services,
              AuthenticatorOptions{.session_ttl = options.session_ttl,
                                   .login_limits = options.login_limits,
                                   .password_cost = options.password_cost})) {}

Api::Api(Store& store, Services services, std::shared_ptr<const Catalog> catalog,
         ApiOptions options, std::shared_ptr<Authenticator> authenticator)
    : core_(new Core{.store = store,
                     .services = std::move(services),
                     .options = std::move(options),
                     .authenticator = std::move(authenticator)}) {
  if (!catalog) catalog = std::make_shared<const Catalog>();
  core_->catalog_ptr = std::move(catalog);
}

Api::~Api() = default;

void Api::set_catalog(std::shared_ptr<const Catalog> catalog) {
  if (!catalog) catalog = std::make_shared<const Catalog>();
  std::lock_guard lock(core_->catalog_mutex);
  core_->catalog_ptr = std::move(catalog);
}

Authenticator& Api::authenticator() { return *core_->authenticator; }

namespace {

bool is_unsafe(http::verb method) {
  return method != http::verb::get && method != http::verb::head &&
         method != http::verb::options;
}

// Splits an encoded path into decoded segments; refuses encoded slashes and NULs, which
// would let one segment pose as two.
Result<std::vector<std::string>> path_segments(boost::urls::url_view url) {
  std::vector<std::string> out;
  for (auto segment : url.encoded_segments()) {
    std::string decoded = segment.decode();
    if (decoded.find('/') != std::string::npos || decoded.find('\0') != std::string::npos) {
      return invalid_argument("the path contains an encoded \"/\" or NUL; names never do");
    }
    out.push_back(std::move(decoded));
  }
  return out;
}

// Matches pattern segments ("workspaces", "{owner}") against path segments.
bool match(std::string_view pattern, const std::vector<std::string>& segments,
           std::map<std::string, std::string, std::less<>>& params) {
  params.clear();
  if (!pattern.starts_with('/')) return false;
  pattern.remove_prefix(1);
  std::size_t i = 0;
  while (true) {
    auto slash = pattern.find('/');
    std::string_view part = pattern.substr(0, slash);
    if (i >= segments.size()) return false;
    if (part.size() > 2 && part.front() == '{' && part.back() == '}') {
      if (segments[i].empty()) return false;
      params.emplace(std::string(part.substr(1, part.size() - 2)), segments[i]);
    } else if (part != segments[i]) {
      return false;
    }
    ++i;
    if (slash == std::string_view::npos) break;
    pattern.remove_prefix(slash + 1);
  }
  return i == segments.size();
}

Status validate_token_id(std::string_view id) {
  bool ok = id.starts_with(kTokenIdPrefix) && id.size() <= 64 &&
            std::all_of(id.begin(), id.end(), [](unsigned char c) {
              return std::isalnum(c) || c == '-' || c == '_';
            });
  if (!ok) return invalid_argument("\"" + std::string(id) + "\" is not a token id (tok_…)");
  return ok_status();
}

// "user:NAME" or "group:NAME".
Status validate_grantee(std::string_view value) {
  if (value.starts_with("user:")) return validate_user_name(value.substr(5));
  if (value.starts_with("group:")) return validate_group_name(value.substr(6));
  return invalid_argument("\"" + std::string(value) + "\" names no one; write user:NAME or group:NAME");
}

Status validate_rule_id(std::string_view value) {
  bool ok = !value.empty() && value.size() <= 32 && std::all_of(value.begin(), value.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  return ok ? ok_status() : invalid_argument("\"" + std::string(value) + "\" is not a rule id (such as r3)");
}

Status validate_params(const std::map<std::string, std::string, std::less<>>& params) {
  for (const auto& [name, value] : params) {
    Status s;
    if (name == "owner" || name == "user") s = validate_user_name(value);
    else if (name == "group") s = validate_group_name(value);
    else if (name == "name") s = validate_workspace_name(params.find("owner")->second, value);
    else if (name == "id") s = validate_token_id(value);
    else if (name == "with") s = validate_grantee(value);
    else if (name == "rule") s = validate_rule_id(value);
    else if (name == "subject") s = validate_quota_subject(value);
    else s = internal_error("route parameter {" + name + "} has no validator");
    if (!s.ok()) return s;
  }
  return ok_status();
}

Result<Principal> authenticate(Authenticator& auth, const HttpRequest& request) {
  auto authorization = request.find(http::field::authorization);
  if (authorization != request.end()) {
    std::string_view value = authorization->value();
    constexpr std::string_view kBearer = "Bearer ";
    if (value.size() <= kBearer.size() ||
        !std::equal(kBearer.begin(), kBearer.end(), value.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return unauthenticated("the Authorization header must be \"Bearer k4ds_…\"; " +
                             std::string(kLoginHint));
    }
    return auth.authenticate_token(value.substr(kBearer.size()));
  }
  std::string cookie = cookie_value(request, kSessionCookie);
  if (cookie.empty()) {
    return unauthenticated("you are not logged in; " + std::string(kLoginHint) +
                           ", or send an API token as \"Authorization: Bearer k4ds_…\"");
  }
  return auth.authenticate_session(cookie);
}

}  // namespace

Reply Api::handle(const HttpRequest& request, const RequestContext& context) {
  auto parsed = boost::urls::parse_origin_form(request.target());
  if (!parsed) {
    return error_reply(request, invalid_argument("the request target is not a valid path"));
  }
  Result<std::vector<std::string>> segments = path_segments(*parsed);
  if (!segments) return error_reply(request, segments.status());

  ApiCall call{.request = request, .context = context};
  const ApiRoute* route = nullptr;
  std::string allowed;
  for (const ApiRoute& candidate : api_routes()) {
    if (!match(candidate.path, *segments, call.params)) continue;
    if (candidate.method == request.method()) {
      route = &candidate;
      break;
    }
    allowed += (allowed.empty() ? "" : ", ") + std::string(http::to_string(candidate.method));
  }
  if (!route) {
    if (!allowed.empty()) {
      HttpResponse r = error_reply(
          request, invalid_argument(std::string(request.method_string()) + " is not allowed on " +
                                    std::string(parsed->path()) + "; use " + allowed));
      r.result(http::status::method_not_allowed);
      r.set(http::field::allow, allowed);
      return r;
    }
    return error_reply(request, not_found("there is no API route " + std::string(parsed->path()) +
                                          "; see /api/v1/openapi.json"));
  }
  // The params map was filled by the last match attempt; redo it for the chosen route.
  match(route->path, *segments, call.params);

  bool unsafe = is_unsafe(request.method());
  if (route->access != RouteAccess::anyone) {
    Result<Principal> principal = authenticate(*core_->authenticator, request);
    if (!principal) return error_reply(request, principal.status());
    call.principal = std::move(principal).value();
    // Admin rights may also come from an access rule (e.g. every member of group platform).
    User& user = call.principal->user;
    if (!user.admin) {
      Result<bool> admin = read_value(core_->store, [&](Tx& tx) { return effective_admin(tx, user); });
      if (!admin) return error_reply(request, admin.status());
      user.admin = *admin;
    }
  }
  // CSRF: a cross-site form can send the cookie but not Content-Type: application/json.
  bool cookie_borne = !call.principal ? request.find(http::field::authorization) == request.end()
                                      : call.principal->method == AuthMethod::session;
  if (unsafe && cookie_borne && !has_json_content_type(request)) {
    return error_reply(request,
                       permission_denied(std::string(request.method_string()) +
                                         " requests from a browser session must send "
                                         "Content-Type: application/json"));
  }
  if (route->access == RouteAccess::admin && !call.admin()) {
    return error_reply(request, permission_denied("only admins may do this; " +
                                                  call.user().name + " is not an admin"));
  }
  if (Status s = validate_params(call.params); !s.ok()) return error_reply(request, s);
  for (auto param : parsed->params()) call.query[param.key] = param.value;

  try {
    return route->handler(*core_, call);
  } catch (const std::exception& e) {
    spdlog::error("api: {} {} failed: {}", request.method_string(), parsed->path(), e.what());
    return error_reply(request, internal_error("the server failed to handle this request; "
                                               "the error is in the server log"));
  }
}

}  // namespace k4ds
