// Authentication and authorization across the API: who may call what, login, sessions, CSRF.
#include <gtest/gtest.h>

#include "api/routes.h"
#include "api/api_test_support.h"

namespace k4ds::testing {
namespace {

using namespace k4ds::api;

// A concrete target for a route pattern, with well-formed parameters.
std::string concrete(std::string_view pattern) {
  std::string out(pattern);
  for (auto [param, value] : {std::pair{"{owner}", "alice"}, {"{name}", "analysis"},
                              {"{user}", "alice"}, {"{group}", "team"}, {"{id}", "tok_abc"},
                              {"{with}", "user:bob"}, {"{rule}", "r1"}, {"{subject}", "group:team"}}) {
    for (auto pos = out.find(param); pos != std::string::npos; pos = out.find(param)) {
      out.replace(pos, std::string_view(param).size(), value);
    }
  }
  return out;
}

TEST_F(ApiTest, EveryNonPublicRouteAnswers401WithoutCredentials) {
  int checked = 0;
  for (const ApiRoute& route : api_routes()) {
    if (route.access == RouteAccess::anyone) continue;
    std::string target = concrete(route.path);
    for (const Credentials& who : {Credentials{}, Credentials{.bearer = "k4ds_forged"},
                                   Credentials{.cookie = "forged-session"}}) {
      HttpResponse r = send(route.method, target, who, "{}");
      EXPECT_EQ(r.result(), http::status::unauthorized) << route.method << " " << target;
      EXPECT_EQ(code_of(r), "unauthenticated") << target;
      EXPECT_NE(message_of(r).find("k4ds login"), std::string::npos) << message_of(r);
    }
    ++checked;
  }
  EXPECT_GT(checked, 25);
}

TEST_F(ApiTest, AdminRoutesAnswer403ToNonAdmins) {
  for (const ApiRoute& route : api_routes()) {
    if (route.access != RouteAccess::admin) continue;
    std::string target = concrete(route.path);
    HttpResponse r = send(route.method, target, as("bob"), "{}");
    EXPECT_EQ(r.result(), http::status::forbidden) << route.method << " " << target;
    EXPECT_EQ(code_of(r), "permission_denied");
    EXPECT_NE(message_of(r).find("admin"), std::string::npos);
  }
}

TEST_F(ApiTest, PublicRoutesNeedNoCredentials) {
  HttpResponse health = send(http::verb::get, "/healthz");
  EXPECT_EQ(health.result(), http::status::ok);
  EXPECT_EQ(body_of(health), json::parse(R"({"status":"ok"})"));
  HttpResponse openapi = send(http::verb::get, "/api/v1/openapi.json");
  EXPECT_EQ(openapi.result(), http::status::ok);
  EXPECT_EQ(str(body_of(openapi), "openapi"), "3.0.3");
}

TEST_F(ApiTest, LoginSetsASessionCookieThatAuthenticates) {
  HttpResponse login = send(http::verb::post, "/api/v1/login", {},
                            R"({"username":"alice","password":"alice-pw"})");
  ASSERT_EQ(login.result(), http::status::ok) << login.body();
  json::value body = body_of(login);
  EXPECT_EQ(str(body.at("user"), "name"), "alice");
  EXPECT_FALSE(body.at("user").as_object().contains("password_hash"));
  EXPECT_EQ(str(body, "expires_at"), format_rfc3339(clock_->now() + std::chrono::hours(12)));

  std::string cookie(login[http::field::set_cookie]);
  EXPECT_TRUE(cookie.starts_with("k4ds_session=")) << cookie;
  EXPECT_NE(cookie.find("; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200"), std::string::npos)
      << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);
  std::string value = cookie.substr(13, cookie.find(';') - 13);

  HttpResponse whoami = send(http::verb::get, "/api/v1/whoami", {.cookie = value});
  ASSERT_EQ(whoami.result(), http::status::ok) << whoami.body();
  EXPECT_EQ(str(body_of(whoami), "name"), "alice");
  EXPECT_EQ(str(body_of(whoami), "auth"), "session");

  HttpResponse by_token = send(http::verb::get, "/api/v1/whoami", as("bob"));
  EXPECT_EQ(str(body_of(by_token), "name"), "bob");
  EXPECT_EQ(str(body_of(by_token), "auth"), "token");
}

TEST_F(ApiTest, CookieIsSecureOverHttps) {
  Reply reply = handle(make_request(http::verb::post, "/api/v1/login", {},
                                    R"({"username":"alice","password":"alice-pw"})"),
                       /*secure=*/true);
  auto& response = std::get<HttpResponse>(reply);
  EXPECT_TRUE(std::string(response[http::field::set_cookie]).ends_with("; Secure"));
}

TEST_F(ApiTest, UnknownUserAndWrongPasswordGetTheSameAnswer) {
  HttpResponse unknown = send(http::verb::post, "/api/v1/login", {},
                              R"({"username":"mallory","password":"alice-pw"})");
  HttpResponse wrong = send(http::verb::post, "/api/v1/login", {},
                            R"({"username":"alice","password":"wrong"})");
  EXPECT_EQ(unknown.result(), http::status::unauthorized);
  EXPECT_EQ(wrong.result(), http::status::unauthorized);
  EXPECT_EQ(unknown.body(), wrong.body());
  EXPECT_EQ(message_of(wrong), "wrong user name or password");
  EXPECT_EQ(unknown[http::field::set_cookie], "");
}

TEST_F(ApiTest, LoginIsRateLimitedPerUser) {
  for (int i = 0; i < 3; ++i) {
    client_address_ = "198.51.100." + std::to_string(i);  // spread over addresses
    EXPECT_EQ(send(http::verb::post, "/api/v1/login", {},
                   R"({"username":"alice","password":"wrong"})").result(),
              http::status::unauthorized);
  }
  HttpResponse limited = send(http::verb::post, "/api/v1/login", {},
                              R"({"username":"alice","password":"alice-pw"})");
  EXPECT_EQ(limited.result(), http::status::too_many_requests);
  EXPECT_EQ(code_of(limited), "resource_exhausted");
  EXPECT_EQ(limited[http::field::retry_after], "300");
  EXPECT_EQ(message_of(limited), "too many failed logins for this account; try again in 5 minutes");
  // bob is not affected.
  EXPECT_EQ(send(http::verb::post, "/api/v1/login", {},
                 R"({"username":"bob","password":"bob-pw"})").result(),
            http::status::ok);
  clock_->advance(std::chrono::minutes(5));
  EXPECT_EQ(send(http::verb::post, "/api/v1/login", {},
                 R"({"username":"alice","password":"alice-pw"})").result(),
            http::status::ok);
}

TEST_F(ApiTest, LoginIsRateLimitedPerAddress) {
  for (int i = 0; i < 10; ++i) {
    send(http::verb::post, "/api/v1/login", {},
         R"({"username":"user)" + std::to_string(i) + R"(","password":"x"})");
  }
  HttpResponse limited = send(http::verb::post, "/api/v1/login", {},
                              R"({"username":"alice","password":"alice-pw"})");
  EXPECT_EQ(limited.result(), http::status::too_many_requests);
  EXPECT_NE(message_of(limited).find("your address"), std::string::npos);
  client_address_ = "192.0.2.99";
  EXPECT_EQ(send(http::verb::post, "/api/v1/login", {},
                 R"({"username":"alice","password":"alice-pw"})").result(),
            http::status::ok);
}

TEST_F(ApiTest, LoginBodyErrors) {
  struct Case {
    std::string body;
    std::string message_part;
  } cases[] = {
      {"{", "not valid JSON"},
      {"[1]", "JSON object"},
      {R"({"username":"alice"})", "send {"},
      {R"({"username":1,"password":"x"})", "\"username\" must be a string"},
      {R"({"username":"alice","password":"x","remember":true})", "unknown field \"remember\""},
  };
  for (const auto& c : cases) {
    HttpResponse r = send(http::verb::post, "/api/v1/login", {}, c.body);
    EXPECT_EQ(r.result(), http::status::bad_request) << c.body;
    EXPECT_EQ(code_of(r), "invalid_argument") << c.body;
    EXPECT_NE(message_of(r).find(c.message_part), std::string::npos) << message_of(r);
  }
}

std::string login_cookie(HttpResponse login) {
  std::string cookie(login[http::field::set_cookie]);
  return cookie.substr(13, cookie.find(';') - 13);
}

TEST_F(ApiTest, CookieSessionsMustSendJsonOnUnsafeMethods) {
  std::string session = login_cookie(send(http::verb::post, "/api/v1/login", {},
                                                 R"({"username":"alice","password":"alice-pw"})"));
  // A cross-site form post: cookie, no JSON content type.
  HttpResponse forged = send(http::verb::post, "/api/v1/workspaces", {.cookie = session},
                             R"({"environment":"jupyter-python"})", /*json_content_type=*/false);
  EXPECT_EQ(forged.result(), http::status::forbidden);
  EXPECT_EQ(code_of(forged), "permission_denied");
  EXPECT_NE(message_of(forged).find("Content-Type: application/json"), std::string::npos);
  // Reads are fine without it.
  EXPECT_EQ(send(http::verb::get, "/api/v1/workspaces", {.cookie = session}, "", false).result(),
            http::status::ok);
  // With JSON it works.
  EXPECT_EQ(send(http::verb::post, "/api/v1/workspaces", {.cookie = session},
                 R"({"environment":"jupyter-python"})").result(),
            http::status::created);
  // Tokens are not sent by browsers on their own: no rule for them.
  EXPECT_EQ(send(http::verb::post, "/api/v1/workspaces/alice/jupyter-python/stop", as("alice"), "",
                 false).result(),
            http::status::ok);
  // Login itself follows the rule (login CSRF).
  EXPECT_EQ(send(http::verb::post, "/api/v1/login", {},
                 R"({"username":"alice","password":"alice-pw"})", false).result(),
            http::status::forbidden);
}

TEST_F(ApiTest, LogoutRevokesTheSessionAndClearsTheCookie) {
  std::string session = login_cookie(send(http::verb::post, "/api/v1/login", {},
                                                 R"({"username":"alice","password":"alice-pw"})"));
  HttpResponse out = send(http::verb::post, "/api/v1/logout", {.cookie = session});
  EXPECT_EQ(out.result(), http::status::no_content);
  EXPECT_EQ(out[http::field::set_cookie],
            "k4ds_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
  EXPECT_EQ(send(http::verb::get, "/api/v1/whoami", {.cookie = session}).result(),
            http::status::unauthorized);
}

TEST_F(ApiTest, SessionExpiresAfterTheTtl) {
  std::string session = login_cookie(send(http::verb::post, "/api/v1/login", {},
                                                 R"({"username":"alice","password":"alice-pw"})"));
  clock_->advance(std::chrono::hours(12));
  HttpResponse r = send(http::verb::get, "/api/v1/whoami", {.cookie = session});
  EXPECT_EQ(r.result(), http::status::unauthorized);
  EXPECT_NE(message_of(r).find("expired"), std::string::npos);
}

TEST_F(ApiTest, MalformedAuthorizationIsRefused) {
  HttpRequest request = make_request(http::verb::get, "/api/v1/whoami", {});
  request.set(http::field::authorization, "Basic YWxpY2U6YWxpY2UtcHc=");
  auto response = std::get<HttpResponse>(handle(request));
  EXPECT_EQ(response.result(), http::status::unauthorized);
  EXPECT_NE(message_of(response).find("Bearer"), std::string::npos);
}

TEST_F(ApiTest, UnknownRoutesAndMethodsHaveErrorBodies) {
  HttpResponse missing = send(http::verb::get, "/api/v1/nothing", as("alice"));
  EXPECT_EQ(missing.result(), http::status::not_found);
  EXPECT_EQ(code_of(missing), "not_found");
  HttpResponse method = send(http::verb::put, "/api/v1/workspaces", as("alice"));
  EXPECT_EQ(method.result(), http::status::method_not_allowed);
  EXPECT_EQ(method[http::field::allow], "GET, POST");
  EXPECT_FALSE(message_of(method).empty());
}

TEST_F(ApiTest, PathParametersAreStrict) {
  struct Case {
    std::string target;
    http::status status;
  } cases[] = {
      {"/api/v1/workspaces/alice%2Fx/y", http::status::bad_request},
      {"/api/v1/workspaces/Alice/x", http::status::bad_request},
      {"/api/v1/workspaces/alice/My_WS", http::status::bad_request},
      {"/api/v1/workspaces/alice/x%00", http::status::bad_request},
      {"/api/v1/workspaces/alice/x/", http::status::not_found},
      {"/api/v1/workspaces//x", http::status::not_found},
      {"/api/v1/workspaces/alice/%61nalysis", http::status::not_found},  // decodes to a name
  };
  for (const auto& c : cases) {
    HttpResponse r = send(http::verb::get, c.target, as("alice"));
    EXPECT_EQ(r.result(), c.status) << c.target << ": " << r.body();
    EXPECT_NE(code_of(r), "<no code>") << c.target;
  }
}

TEST_F(ApiTest, TokensAreShownOnceAndRevocable) {
  HttpResponse created = send(http::verb::post, "/api/v1/tokens", as("alice"),
                              R"({"name":"laptop","expires_in_days":30})");
  ASSERT_EQ(created.result(), http::status::created) << created.body();
  json::value token = body_of(created);
  std::string secret = str(token, "token");
  EXPECT_TRUE(secret.starts_with("k4ds_"));
  EXPECT_EQ(str(token, "prefix"), secret.substr(0, 12));
  EXPECT_EQ(str(token, "expires_at"), format_rfc3339(clock_->now() + std::chrono::hours(24 * 30)));
  EXPECT_TRUE(token.at("last_used_at").is_null());

  HttpResponse listed = send(http::verb::get, "/api/v1/tokens", as("alice"));
  json::value items_body = body_of(listed);
  auto& items = items_body.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);  // the fixture's and this one
  for (const auto& item : items) EXPECT_FALSE(item.as_object().contains("token"));

  EXPECT_EQ(send(http::verb::get, "/api/v1/whoami", {.bearer = secret}).result(), http::status::ok);
  std::string id = str(token, "id");
  EXPECT_EQ(send(http::verb::delete_, "/api/v1/tokens/" + id, as("bob")).result(),
            http::status::not_found);
  EXPECT_EQ(send(http::verb::delete_, "/api/v1/tokens/" + id, as("alice")).result(),
            http::status::no_content);
  EXPECT_EQ(send(http::verb::get, "/api/v1/whoami", {.bearer = secret}).result(),
            http::status::unauthorized);
  HttpResponse bad = send(http::verb::post, "/api/v1/tokens", as("alice"),
                          R"({"name":"x","expires_in_days":"30"})");
  EXPECT_EQ(bad.result(), http::status::bad_request);
  EXPECT_NE(message_of(bad).find("expires_in_days"), std::string::npos);
}

}  // namespace
}  // namespace k4ds::testing
