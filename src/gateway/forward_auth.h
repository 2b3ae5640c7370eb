// Forward-auth: the gateway's decision offered to an ingress controller a site keeps (nginx
// auth_request / ingress-nginx auth-url, Traefik ForwardAuth), with the same credentials and
// policy code as the built-in gateway (WorkspaceGate).
//
//   GET /_k4ds/auth/nginx    reads X-Original-URL and X-Original-Method. Answers 200 with
//                            Remote-User/Remote-Groups and X-K4DS-User/X-K4DS-Groups, 401 with
//                            X-K4DS-Signin: <portal>/login?rd=<original URL> (for auth-signin),
//                            or 403 when denied. Never 3xx: nginx turns those into 500.
//   GET /_k4ds/auth/traefik  reads X-Forwarded-Method/-Proto/-Host/-Uri. Answers 200 (same
//                            headers), 302 to the portal login, or 403.
// The workspace host's own login callback (/_k4ds/callback) must be routed by the ingress to
// k4ds without the auth check; see docs/forward-auth.md.
//
// Contract: handle() blocks on a verdict cache miss (store); call it on a worker thread.
//
// Usage:
//   ForwardAuth forward(gateway, {.domain = "localhost"});
//   if (forward.owns(req.target())) return forward.handle(req, context);
#pragma once

#include <string>
#include <string_view>

#include "api/api.h"
#include "gateway/gateway.h"

namespace k4ds {

struct ForwardAuthOptions {
  std::string domain = "localhost";
  std::string portal_host;   // empty = domain
  std::string portal_origin;  // "https://k4ds.example.org"; the scheme://host[:port] of the portal
};

class ForwardAuth {
 public:
  ForwardAuth(Gateway& gateway, ForwardAuthOptions options);

  bool owns(std::string_view target) const;
  HttpResponse handle(const HttpRequest& request, const RequestContext& context);

 private:
  enum class Flavour { nginx, traefik };
  HttpResponse decide(const HttpRequest& request, Flavour flavour, const std::string& original_url,
                      std::string_view authority);

  Gateway& gateway_;
  ForwardAuthOptions options_;
};

}  // namespace k4ds
