// Fixture for in-process API tests: a real SQLite store in a temp dir, a fake clock, an Api
// with a small catalog, users admin/alice/bob with API tokens, and request helpers.
#pragma once

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>

#include "api/api_handler.h"
#include "auth/auth_test_support.h"

namespace k4ds::testing {

namespace http = boost::beast::http;
namespace json = boost::json;

struct Credentials {
  std::string bearer;  // API token secret
  std::string cookie;  // k4ds_session value
};

inline std::shared_ptr<const Catalog> test_catalog() {
  auto catalog = std::make_shared<Catalog>();
  catalog->environments = {
      Environment{.name = "jupyter-python", .display_name = "Jupyter · Python 3",
                  .default_size = "small"},
      Environment{.name = "rstudio", .display_name = "RStudio", .available = false,
                  .unavailable_reason = "rstudio-server is not installed; ask your admin"},
      Environment{.name = "shiny", .display_name = "R/Shiny"},
  };
  catalog->sizes = {
      Size{.name = "small", .description = "1 CPU, 2 GiB", .cpu_millis = 1000,
           .memory_bytes = int64_t{2} << 30},
      Size{.name = "large", .description = "4 CPUs, 16 GiB", .cpu_millis = 4000,
           .memory_bytes = int64_t{16} << 30, .gpus = 1},
  };
  catalog->default_size = "large";
  return catalog;
}

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() {
    api_ = std::make_unique<Api>(
        *store_, services_, test_catalog(),
        ApiOptions{.domain = "localhost",
                   .public_port = 8080,
                   .session_ttl = std::chrono::hours(12),
                   .login_limits = {.per_user = 3, .per_address = 10},
                   .password_cost = PasswordCost::minimum()});
    for (auto [name, admin] : {std::pair{"admin", true}, {"alice", false}, {"bob", false}}) {
      auto created = api_->authenticator().create_user(
          User{.name = name, .admin = admin}, std::string(name) + "-pw");
      EXPECT_TRUE(created.ok()) << created.status().to_string();
      auto token = api_->authenticator().create_token(name, "test", std::nullopt);
      EXPECT_TRUE(token.ok()) << token.status().to_string();
      tokens_[name] = token->secret;
    }
  }

  Credentials as(const std::string& user) { return Credentials{.bearer = tokens_.at(user)}; }

  static HttpRequest make_request(http::verb method, std::string_view target,
                                  const Credentials& who, std::string body = "",
                                  bool json_content_type = true) {
    HttpRequest request{method, target, 11};
    request.set(http::field::host, "localhost:8080");
    if (!who.bearer.empty()) request.set(http::field::authorization, "Bearer " + who.bearer);
    if (!who.cookie.empty()) {
      request.set(http::field::cookie, "other=1; k4ds_session=" + who.cookie);
    }
    if (json_content_type) request.set(http::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
    return request;
  }

  Reply handle(const HttpRequest& request, bool secure = false) {
    return api_->handle(request, RequestContext{.client_address = client_address_,
                                                .secure = secure});
  }

  HttpResponse send(http::verb method, std::string_view target, const Credentials& who = {},
                    std::string body = "", bool json_content_type = true) {
    Reply reply = handle(make_request(method, target, who, std::move(body), json_content_type));
    auto* response = std::get_if<HttpResponse>(&reply);
    if (!response) {
      ADD_FAILURE() << "expected a full response for " << target << ", got a stream";
      return HttpResponse{http::status::internal_server_error, 11};
    }
    return *response;
  }

  static json::value body_of(const HttpResponse& response) {
    boost::system::error_code ec;
    json::value v = json::parse(response.body(), ec);
    EXPECT_FALSE(ec) << "not JSON: " << response.body();
    return v;
  }
  static std::string code_of(const HttpResponse& response) {
    json::value v = body_of(response);
    if (!v.is_object() || !v.as_object().contains("code")) return "<no code>";
    return std::string(v.at("code").as_string());
  }
  static std::string message_of(const HttpResponse& response) {
    json::value v = body_of(response);
    if (!v.is_object() || !v.as_object().contains("message")) return "<no message>";
    return std::string(v.at("message").as_string());
  }
  static std::string str(const json::value& v, std::string_view key) {
    return std::string(v.at(key).as_string());
  }

  // POST /api/v1/workspaces as `user`; returns the response.
  HttpResponse launch(const std::string& user, std::string body) {
    return send(http::verb::post, "/api/v1/workspaces", as(user), std::move(body));
  }

  TempStore store_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  Services services_{clock_, Services::system().random};
  std::unique_ptr<Api> api_;
  std::map<std::string, std::string> tokens_;
  std::string client_address_ = "192.0.2.10";
};

}  // namespace k4ds::testing
