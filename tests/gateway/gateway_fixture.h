// The gateway test fixture: a real SQLite store, users alice, bob and an admin, an echo
// upstream standing in for alice's workspace "nb", and the gateway, login flow and
// forward-auth endpoints served by a listener on a free loopback port.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <filesystem>
#include <thread>

#include "gateway/forward_auth.h"
#include "gateway/gateway.h"
#include "gateway/listener.h"
#include "gateway/login_flow.h"
#include "gateway/pages.h"
#include "support/http.h"
#include "support/upstream.h"

namespace k4ds {

using namespace std::chrono_literals;
using testing::EchoUpstream;
using testing::TestClient;
using testing::TestResponse;
namespace http = boost::beast::http;

inline std::string set_cookie_value(const TestResponse& res, std::string_view name) {
  for (const auto& field : res.base()) {
    if (field.name() != http::field::set_cookie) continue;
    std::string_view v = field.value();
    if (v.starts_with(std::string(name) + "=")) {
      v.remove_prefix(name.size() + 1);
      return std::string(v.substr(0, v.find(';')));
    }
  }
  return {};
}

inline std::string set_cookie_header(const TestResponse& res, std::string_view name) {
  for (const auto& field : res.base()) {
    if (field.name() == http::field::set_cookie && field.value().starts_with(std::string(name) + "=")) {
      return std::string(field.value());
    }
  }
  return {};
}

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/k4ds-gateway-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto opened = open_sqlite_store(dir_ + "/k4ds.db");
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    store_ = std::move(opened.value());
    auth_ = std::make_unique<Authenticator>(
        *store_, services_, AuthenticatorOptions{.password_cost = PasswordCost::minimum()});
    ASSERT_TRUE(auth_->create_user(User{.name = "alice"}, "alice-password").ok());
    ASSERT_TRUE(auth_->create_user(User{.name = "bob"}, "bob-password").ok());
    ASSERT_TRUE(auth_->create_user(User{.name = "root1", .admin = true}, "admin-password").ok());
    upstream_ = std::make_unique<EchoUpstream>();
    workspace_id_ = add_workspace("alice", "nb", upstream_->upstream());

    GatewayOptions gateway_options{.domain = "localhost"};
    customize_gateway(gateway_options);
    gateway_ = std::make_unique<Gateway>(gateway_store(), *auth_, services_, gateway_options);
    ListenerOptions listener_options{.listen = "127.0.0.1:0", .domain = "localhost"};
    customize(listener_options);
    listener_ = std::make_unique<Listener>(
        listener_options,
        [this](const HttpRequest& req, const RequestContext& ctx) -> Reply {
          if (flow_->owns(req.target())) return flow_->handle(req, ctx);
          if (forward_->owns(req.target())) return forward_->handle(req, ctx);
          return json_reply(http::status::not_found, "not_found", "no API in this test");
        },
        *store_, gateway_.get());
    ASSERT_TRUE(listener_->bind().ok());
    port_ = listener_->port();
    flow_ = std::make_unique<LoginFlow>(*auth_, gateway_->gate(),
                                        LoginFlowOptions{.domain = "localhost", .ports = {port_}});
    forward_ = std::make_unique<ForwardAuth>(
        *gateway_, ForwardAuthOptions{.domain = "localhost",
                                      .portal_origin = "http://localhost:" + std::to_string(port_)});
    thread_ = std::thread([this] { listener_->run(); });
  }

  // Lets a derived fixture change the listener (TLS, limits) before it binds.
  virtual void customize(ListenerOptions&) {}
  // Lets a derived fixture change the gateway (relay deadlines) before it starts.
  virtual void customize_gateway(GatewayOptions&) {}
  // Lets a derived fixture give the gateway a different view of the store (e.g. one that never
  // announces commits).
  virtual Store& gateway_store() { return *store_; }

  void TearDown() override {
    if (listener_) listener_->stop();  // a test may have stopped and destroyed it already
    if (thread_.joinable()) thread_.join();
    listener_.reset();
    gateway_.reset();
    upstream_.reset();
    flow_.reset();
    forward_.reset();
    auth_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string add_workspace(const std::string& owner, const std::string& name, const std::string& upstream,
                            Phase phase = Phase::running) {
    std::string id = random_uuid(*services_.random);
    Status s = store_->write([&](Tx& tx) {
      return tx.create_workspace(Workspace{.id = id, .owner = owner, .name = name, .environment = "test",
                                           .size = "small", .phase = phase, .upstream = upstream})
          .status();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return id;
  }

  std::string ws_host(const std::string& label) { return label + ".localhost"; }

  // Signs in on the portal and follows the code exchange to the workspace host; returns the
  // workspace cookie value.
  std::string sign_in(const std::string& user, const std::string& password, const std::string& label) {
    std::string rd = "http://" + ws_host(label) + ":" + std::to_string(port_) + "/tree?x=1";
    TestClient portal(port_);
    auto login = portal.send(http::verb::post, "/login",
                             "username=" + user + "&password=" + password + "&rd=" + url_encode(rd),
                             {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(login.result(), http::status::see_other) << login.body();
    std::string session = set_cookie_value(login, kPortalCookie);
    EXPECT_FALSE(session.empty());
    auto authorize = portal.send(http::verb::get, std::string(login[http::field::location]), {},
                                 {{"Cookie", std::string(kPortalCookie) + "=" + session}});
    EXPECT_EQ(authorize.result(), http::status::found) << authorize.body();
    std::string location(authorize[http::field::location]);
    std::string prefix = "http://" + ws_host(label) + ":" + std::to_string(port_) + "/_k4ds/callback?code=";
    EXPECT_TRUE(location.starts_with(prefix)) << location;
    last_callback_ = location.substr(location.find("/_k4ds/"));
    TestClient workspace(port_, ws_host(label));
    auto callback = workspace.send(http::verb::get, last_callback_);
    EXPECT_EQ(callback.result(), http::status::found) << callback.body();
    EXPECT_EQ(callback[http::field::location], "/tree?x=1");
    last_set_cookie_ = set_cookie_header(callback, kWorkspaceCookie);
    return set_cookie_value(callback, kWorkspaceCookie);
  }

  TestResponse get_as(const std::string& cookie, const std::string& label, const std::string& target,
                      std::initializer_list<std::pair<std::string, std::string>> extra = {}) {
    TestClient client(port_, ws_host(label));
    std::vector<std::pair<std::string, std::string>> headers(extra);
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, ws_host(label) + ":" + std::to_string(port_));
    if (!cookie.empty()) req.set(http::field::cookie, std::string(kWorkspaceCookie) + "=" + cookie);
    for (const auto& [k, v] : headers) req.insert(k, v);
    http::write(client.socket(), req);
    TestResponse res;
    http::read(client.socket(), client.buffer(), res);
    return res;
  }

  // A WebSocket to `label` through the gateway with the workspace cookie, after one echoed
  // message proved the tunnel works.
  using WebSocket = boost::beast::websocket::stream<boost::asio::ip::tcp::socket>;
  void open_websocket(WebSocket& ws, const std::string& cookie, const std::string& label) {
    ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    ws.set_option(boost::beast::websocket::stream_base::decorator(
        [cookie](boost::beast::websocket::request_type& req) {
          req.set(http::field::cookie, std::string(kWorkspaceCookie) + "=" + cookie);
        }));
    ws.handshake(ws_host(label) + ":" + std::to_string(port_), "/api/kernels/k1/channels");
    ws.write(boost::asio::buffer(std::string("print(6*7)")));
    boost::beast::flat_buffer buffer;
    ws.read(buffer);
    EXPECT_EQ(boost::beast::buffers_to_string(buffer.data()), "print(6*7)");
  }

  Services services_ = Services::system();
  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<EchoUpstream> upstream_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<LoginFlow> flow_;
  std::unique_ptr<ForwardAuth> forward_;
  std::unique_ptr<Listener> listener_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::string workspace_id_;
  std::string last_callback_;
  std::string last_set_cookie_;
};

}  // namespace k4ds
