#include "gateway/forward_auth.h"

#include <boost/url/parse.hpp>

#include "api/http_util.h"
#include "gateway/pages.h"

namespace k4ds {

namespace http = boost::beast::http;

namespace {


std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

ForwardAuth::ForwardAuth(Gateway& gateway, ForwardAuthOptions options)
    : gateway_(gateway), options_(std::move(options)) {
  if (options_.portal_host.empty()) options_.portal_host = options_.domain;
}

bool ForwardAuth::owns(std::string_view target) const {
  return target.starts_with("/_k4ds/auth/nginx") || target.starts_with("/_k4ds/auth/traefik");
}

HttpResponse ForwardAuth::handle(const HttpRequest& request, const RequestContext&) {
  if (request.target().starts_with("/_k4ds/auth/nginx")) {
    std::string original(request["X-Original-URL"]);
    auto url = boost::urls::parse_absolute_uri(boost::core::string_view(original.data(), original.size()));
    if (!url) {
      return json_reply(http::status::bad_request, "invalid_argument",
                        "X-Original-URL must be the absolute URL of the request; set it with "
                        "proxy_set_header X-Original-URL $scheme://$http_host$request_uri");
    }
    std::string authority(url->encoded_authority());
    return decide(request, Flavour::nginx, original, authority);
  }
  std::string proto(request["X-Forwarded-Proto"]);
  std::string host(request["X-Forwarded-Host"]);
  std::string uri(request["X-Forwarded-Uri"]);
  if (host.empty() || (proto != "http" && proto != "https")) {
    return json_reply(http::status::bad_request, "invalid_argument",
                      "Traefik ForwardAuth must send X-Forwarded-Proto (http or https) and X-Forwarded-Host");
  }
  if (uri.empty() || uri[0] != '/') uri = "/" + uri;
  return decide(request, Flavour::traefik, proto + "://" + host + uri, host);
}

HttpResponse ForwardAuth::decide(const HttpRequest& request, Flavour flavour, const std::string& original_url,
                                 std::string_view authority) {
  const std::string signin = options_.portal_origin + "/login?rd=" + url_encode(original_url);
  auto refuse_unauthenticated = [&](std::string_view message) {
    if (flavour == Flavour::traefik) return redirect_to(signin);
    HttpResponse res = json_reply(http::status::unauthorized, "unauthenticated", message);
    res.set("X-K4DS-Signin", signin);
    return res;
  };

  HostClass host = classify_host_header(authority, options_.domain, options_.portal_host);
  if (host.kind != HostKind::workspace) {
    return json_reply(http::status::forbidden, "permission_denied",
                      "the original host is not a workspace host of " + options_.domain);
  }
  const std::string host_name = workspace_host(host.owner, host.name, options_.domain);
  Credential credential{.host = host_name};
  if (auto auth = request[http::field::authorization]; auth.starts_with("Bearer ")) {
    credential.kind = Credential::Kind::token;
    credential.secret = std::string(auth.substr(7));
  } else if (auto value = api::cookie_value(request, kWorkspaceCookie); !value.empty()) {
    credential.kind = Credential::Kind::workspace_cookie;
    credential.secret = std::move(value);
  }
  if (credential.kind == Credential::Kind::none) return refuse_unauthenticated("log in to open this workspace");

  auto routes = gateway_.routes();
  const Route* route = routes->find(host.owner, host.name);
  if (!route) {
    GateVerdict who = gateway_.gate().identify(credential);
    if (who.kind != GateVerdict::Kind::allowed) return refuse_unauthenticated(who.message);
    return json_reply(http::status::forbidden, "not_found",
                      "there is no workspace " + host.name + " of " + host.owner);
  }
  GateVerdict verdict = gateway_.gate().check(credential, *route);
  switch (verdict.kind) {
    case GateVerdict::Kind::unauthenticated: return refuse_unauthenticated(verdict.message);
    case GateVerdict::Kind::denied:
      return json_reply(http::status::forbidden, "permission_denied", verdict.message);
    case GateVerdict::Kind::allowed: break;
  }
  route->activity->touch(to_unix_ms(std::chrono::system_clock::now()));
  HttpResponse res{http::status::ok, 11};
  res.set("Remote-User", verdict.user);
  res.set("Remote-Groups", join(verdict.groups));
  res.set("X-K4DS-User", verdict.user);
  res.set("X-K4DS-Groups", join(verdict.groups));
  res.set(http::field::cache_control, "no-store");
  res.prepare_payload();
  return res;
}

}  // namespace k4ds
