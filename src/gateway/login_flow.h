// LoginFlow: the portal-side half of subdomain login by code exchange.
//
//   1. A browser without a workspace cookie is sent to  <portal>/login?rd=<workspace URL>.
//   2. GET /login shows the sign-in form (or, with a valid portal session, skips to step 3);
//      POST /login checks the password, sets the portal session cookie and goes to step 3.
//   3. GET /_k4ds/authorize?rd=<URL> validates rd (validate_redirect: only the portal and the
//      configured domain's workspace hosts) and, for a workspace host, redirects to
//      <workspace>/_k4ds/callback?code=<one-time code bound to that host>&rd=<path>; the gateway
//      then sets the workspace's own host-only cookie (Gateway, WorkspaceGate::redeem_code).
// No parent-domain cookie is ever set, so a notebook on one host can't read another's session.
//
// Contract: handle() is blocking (argon2id, store); call it on a worker thread. owns() says
// which portal paths are this flow's; everything else on the portal goes to the API.
//
// Usage:
//   LoginFlow flow(auth, gateway.gate(), options);
//   if (flow.owns(req.target())) return flow.handle(req, context);
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "api/api.h"
#include "auth/authenticator.h"
#include "gateway/redirect.h"
#include "gateway/workspace_gate.h"

namespace k4ds {

struct LoginFlowOptions {
  std::string domain = "localhost";
  std::string portal_host;  // empty = domain
  std::vector<uint16_t> ports;  // ports workspace URLs may carry (the listener's public port)
  std::chrono::seconds session_ttl = std::chrono::hours(12);
};

class LoginFlow {
 public:
  LoginFlow(Authenticator& auth, WorkspaceGate& gate, LoginFlowOptions options);

  bool owns(std::string_view target) const;
  HttpResponse handle(const HttpRequest& request, const RequestContext& context);

 private:
  HttpResponse show_form(std::string_view rd, std::string_view error, boost::beast::http::status status);
  HttpResponse submit(const HttpRequest& request, const RequestContext& context);
  HttpResponse authorize(const HttpRequest& request, const RequestContext& context, std::string_view rd);

  Authenticator& auth_;
  WorkspaceGate& gate_;
  LoginFlowOptions options_;
};

}  // namespace k4ds
