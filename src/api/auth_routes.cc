// Public routes and the caller's own identity: healthz, openapi, login, logout, whoami.
#include <boost/json.hpp>

#include "api/handler_util.h"
#include "api/json_encode.h"
#include "api/openapi.h"

namespace k4ds::api {

namespace http = boost::beast::http;
namespace json = boost::json;

Reply handle_healthz(ApiCore&, ApiCall& call) { return ok_json(call, json::object{{"status", "ok"}}); }

Reply handle_openapi(ApiCore&, ApiCall& call) {
  static const json::value kDocument = openapi_document();
  return ok_json(call, kDocument);
}

Reply handle_login(ApiCore& core, ApiCall& call) {
  Result<JsonBody> body =
      JsonBody::parse(call.request, core.options.max_body_bytes, {"username", "password"});
  if (!body) return fail(call, body.status());
  auto username = body->string("username");
  if (!username) return fail(call, username.status());
  auto password = body->string("password");
  if (!password) return fail(call, password.status());
  if (!*username || (*username)->empty() || !*password) {
    return fail(call, invalid_argument("send {\"username\": \"…\", \"password\": \"…\"}"));
  }
  std::chrono::seconds retry_after{0};
  Result<LoginResult> login = core.authenticator->login(
      **username, **password, call.context.client_address, &retry_after);
  if (!login) return error_reply(call.request, login.status(), retry_after.count());

  HttpResponse reply = ok_json(call, json::object{{"user", user_json(login->user, all_groups(core.store))},
                                                  {"expires_at", time_json(login->session.expires_at)}});
  reply.set(http::field::set_cookie,
            session_cookie(login->cookie_value, core.options.session_ttl.count(),
                           call.context.secure));
  return reply;
}

Reply handle_logout(ApiCore& core, ApiCall& call) {
  if (call.principal->method == AuthMethod::session) {
    Status s = core.authenticator->logout_session_hash(call.principal->session_id_hash);
    if (!s.ok()) return fail(call, s);
  }
  HttpResponse reply = no_content_reply(call.request);
  reply.set(http::field::set_cookie, session_cookie("", 0, call.context.secure));
  return reply;
}

Reply handle_whoami(ApiCore& core, ApiCall& call) {
  json::object user = user_json(call.user(), all_groups(core.store));
  user["auth"] = call.principal->method == AuthMethod::session ? "session" : "token";
  return ok_json(call, user);
}

}  // namespace k4ds::api
