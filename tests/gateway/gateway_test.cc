// The gateway end to end over loopback: login by code exchange, cookies, policy, header
// hygiene, streaming, WebSocket tunnelling and revocation — against a real upstream server.
#include <boost/beast/websocket.hpp>

#include "gateway/gateway_fixture.h"

namespace k4ds {
namespace {

namespace websocket = boost::beast::websocket;

TEST_F(GatewayTest, BrowsersWithoutACookieAreSentToThePortalLoginAndScriptsGet401) {
  auto browser = get_as("", "alice-nb", "/tree");
  EXPECT_EQ(browser.result(), http::status::found);
  std::string expected = "http://localhost:" + std::to_string(port_) + "/login?rd=" +
                         url_encode("http://alice-nb.localhost:" + std::to_string(port_) + "/tree");
  EXPECT_EQ(browser[http::field::location], expected);

  auto script = get_as("", "alice-nb", "/api/contents", {{"Accept", "application/json"}});
  EXPECT_EQ(script.result(), http::status::unauthorized);
  EXPECT_NE(script.body().find("\"code\":\"unauthenticated\""), std::string::npos);
  EXPECT_EQ(upstream_->connections(), 0) << "nothing unauthenticated may reach the workspace";
}

TEST_F(GatewayTest, CodeExchangeSetsAHostOnlyCookieAndRelaysAsTheUser) {
  std::string cookie = sign_in("alice", "alice-password", "alice-nb");
  ASSERT_FALSE(cookie.empty());
  EXPECT_NE(last_set_cookie_.find("HttpOnly"), std::string::npos) << last_set_cookie_;
  EXPECT_NE(last_set_cookie_.find("SameSite=Lax"), std::string::npos) << last_set_cookie_;
  EXPECT_EQ(last_set_cookie_.find("Domain"), std::string::npos) << "must be host-only: " << last_set_cookie_;
  EXPECT_EQ(last_set_cookie_.find("Secure"), std::string::npos) << "plain HTTP here";

  auto res = get_as(cookie, "alice-nb", "/api/contents?type=notebook");
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  auto echo = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(echo["target"].as_string(), "/api/contents?type=notebook");
  auto& headers = echo["headers"].as_object();
  EXPECT_EQ(headers["X-K4DS-User"].as_string(), "alice");
  EXPECT_EQ(headers["X-Forwarded-For"].as_string(), "127.0.0.1");
  EXPECT_EQ(headers["X-Forwarded-Proto"].as_string(), "http");
  EXPECT_EQ(headers["X-Forwarded-Host"].as_string(), ws_host("alice-nb") + ":" + std::to_string(port_));
  EXPECT_FALSE(headers.contains("Cookie")) << "k4ds cookies never reach a workspace";
}

// A workspace on a cluster is reached by its Service's name ("<pod>.<ns>.svc:8888"): names are
// resolved, and every address tried ("localhost" is ::1 and 127.0.0.1; the upstream listens on
// the second only).
TEST_F(GatewayTest, UpstreamsNamedByHostNameAreResolved) {
  std::string upstream = upstream_->upstream();
  ASSERT_TRUE(upstream.starts_with("127.0.0.1:")) << upstream;
  add_workspace("alice", "named", "localhost:" + upstream.substr(std::string("127.0.0.1:").size()));
  std::string cookie = sign_in("alice", "alice-password", "alice-named");
  ASSERT_FALSE(cookie.empty());
  auto res = get_as(cookie, "alice-named", "/by-name");
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  EXPECT_EQ(boost::json::parse(res.body()).as_object()["target"].as_string(), "/by-name");
}

TEST_F(GatewayTest, ACodeWorksOnceAndOnlyOnItsOwnHost) {
  add_workspace("alice", "other", upstream_->upstream());
  sign_in("alice", "alice-password", "alice-nb");
  // Replaying the same callback: refused.
  auto replay = TestClient(port_, ws_host("alice-nb")).send(http::verb::get, last_callback_);
  EXPECT_EQ(replay.result(), http::status::unauthorized);
  EXPECT_TRUE(set_cookie_value(replay, kWorkspaceCookie).empty());

  // A fresh code used on another host: refused (and burnt).
  sign_in("alice", "alice-password", "alice-nb");  // consumes its own code; make another one
  TestClient portal(port_);
  auto login = portal.send(http::verb::post, "/login", "username=alice&password=alice-password&rd=",
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
  std::string session = set_cookie_value(login, kPortalCookie);
  std::string rd = "http://alice-nb.localhost:" + std::to_string(port_) + "/";
  auto authorize = portal.send(http::verb::get, "/_k4ds/authorize?rd=" + url_encode(rd), {},
                               {{"Cookie", std::string(kPortalCookie) + "=" + session}});
  std::string location(authorize[http::field::location]);
  std::string callback = location.substr(location.find("/_k4ds/"));
  auto elsewhere = TestClient(port_, ws_host("alice-other")).send(http::verb::get, callback);
  EXPECT_EQ(elsewhere.result(), http::status::unauthorized);
  auto original = TestClient(port_, ws_host("alice-nb")).send(http::verb::get, callback);
  EXPECT_EQ(original.result(), http::status::unauthorized) << "a code is burnt by any attempt";
}

TEST_F(GatewayTest, ACookieForOneWorkspaceHostIsWorthlessOnAnother) {
  std::string other = add_workspace("alice", "other", upstream_->upstream());
  std::string cookie = sign_in("alice", "alice-password", "alice-nb");
  EXPECT_EQ(get_as(cookie, "alice-nb", "/").result(), http::status::ok);
  gateway_->refresh_now();
  auto res = get_as(cookie, "alice-other", "/");
  EXPECT_EQ(res.result(), http::status::found) << "not signed in on that host: back to login";
}

TEST_F(GatewayTest, OthersGetA403NamingTheOwnerUntilShared) {
  std::string bob = sign_in("bob", "bob-password", "alice-nb");
  auto denied = get_as(bob, "alice-nb", "/");
  EXPECT_EQ(denied.result(), http::status::forbidden);
  EXPECT_NE(denied.body().find("alice"), std::string::npos) << denied.body();
  ASSERT_TRUE(store_->write([&](Tx& tx) {
                      return tx.create_share(Share{.workspace_id = workspace_id_, .principal = "bob"}).status();
                    }).ok());
  gateway_->refresh_now();
  EXPECT_EQ(get_as(bob, "alice-nb", "/").result(), http::status::ok);

  std::string admin = sign_in("root1", "admin-password", "alice-nb");
  EXPECT_EQ(get_as(admin, "alice-nb", "/").result(), http::status::ok);
}

TEST_F(GatewayTest, SpoofedIdentityHeadersAndHopByHopTricksAreStripped) {
  std::string cookie = sign_in("alice", "alice-password", "alice-nb");
  auto res = get_as(cookie, "alice-nb", "/",
                    {{"X-K4DS-User", "admin"},
                     {"x_k4ds_user", "admin"},
                     {"X_Forwarded_User", "admin"},
                     {"Remote-User", "admin"},
                     {"X-K4DS-Groups", "admins"},
                     {"Connection", "keep-alive, X-Secret-Hop"},
                     {"X-Secret-Hop", "1"},
                     {"Cookie", "theme=dark"}});
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  auto headers = boost::json::parse(res.body()).as_object()["headers"].as_object();
  EXPECT_EQ(headers["X-K4DS-User"].as_string(), "alice");
  EXPECT_TRUE(!headers.contains("X-K4DS-Groups") || headers["X-K4DS-Groups"].as_string() == "")
      << "alice is in no group";
  for (const char* gone : {"x_k4ds_user", "X_Forwarded_User", "Remote-User", "X-Secret-Hop"}) {
    EXPECT_FALSE(headers.contains(gone)) << gone;
  }
  EXPECT_EQ(headers["Cookie"].as_string(), "theme=dark") << "other cookies pass untouched";

  auto hop = get_as(cookie, "alice-nb", "/hop");
  EXPECT_TRUE(hop["X-Upstream-Secret"].empty()) << "headers the upstream names in Connection stay behind";
}

TEST_F(GatewayTest, TokensWorkOnWorkspaceHostsAndNeverReachTheWorkspace) {
  auto token = auth_->create_token("alice", "script", std::nullopt);
  ASSERT_TRUE(token.ok());
  auto res = get_as("", "alice-nb", "/api/status", {{"Authorization", "Bearer " + token->secret}});
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  auto headers = boost::json::parse(res.body()).as_object()["headers"].as_object();
  EXPECT_EQ(headers["X-K4DS-User"].as_string(), "alice");
  EXPECT_FALSE(headers.contains("Authorization"));
  auto bad = get_as("", "alice-nb", "/api/status", {{"Authorization", "Bearer k4ds_nope"}});
  EXPECT_EQ(bad.result(), http::status::unauthorized);
}

TEST_F(GatewayTest, UnknownAndStoppedWorkspacesGetPagesThatSaySo) {
  add_workspace("alice", "sleepy", "", Phase::stopped);
  gateway_->refresh_now();
  std::string cookie = sign_in("alice", "alice-password", "alice-nb");
  auto unknown = get_as(cookie, "alice-missing", "/", {{"Accept", "application/json"}});
  EXPECT_EQ(unknown.result(), http::status::unauthorized) << "no cookie for that host yet";
  auto probe = get_as("", "alice-missing", "/", {{"Accept", "application/json"}});
  EXPECT_EQ(probe.result(), http::status::unauthorized) << "strangers can't probe which workspaces exist";
  auto token = auth_->create_token("alice", "script", std::nullopt);
  auto missing = get_as("", "alice-missing", "/", {{"Authorization", "Bearer " + token->secret}});
  EXPECT_EQ(missing.result(), http::status::not_found);
  auto stopped = get_as("", "alice-sleepy", "/", {{"Authorization", "Bearer " + token->secret}});
  EXPECT_EQ(stopped.result(), http::status::service_unavailable);
  EXPECT_NE(stopped.body().find("not running"), std::string::npos) << stopped.body();
}

TEST_F(GatewayTest, LargeUploadsStreamThroughWithoutBeingHeld) {
  std::string cookie = sign_in("alice", "alice-password", "alice-nb");
  TestClient client(port_, ws_host("alice-nb"));
  const std::size_t size = 64 * 1024 * 1024;
  http::request<http::string_body> req{http::verb::put, "/api/contents/big.bin", 11};
  req.set(http::field::host, ws_host("alice-nb") + ":" + std::to_string(port_));
  req.set(http::field::cookie, std::string(kWorkspaceCookie) + "=" + cookie);
  req.body() = std::string(size, 'x');
  req.chunked(true);  // the gateway must re-frame a chunked body itself
  http::write(client.socket(), req);
  TestResponse res;
  http::read(client.socket(), client.buffer(), res);
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  EXPECT_EQ(boost::json::parse(res.body()).as_object()["body_size"].as_int64(), static_cast<int64_t>(size));
}

TEST_F(GatewayTest, WebSocketsTunnelAndCloseWhenAccessIsRevoked) {
  ASSERT_TRUE(store_->write([&](Tx& tx) {
                      return tx.create_share(Share{.workspace_id = workspace_id_, .principal = "bob"}).status();
                    }).ok());
  gateway_->refresh_now();
  std::string bob = sign_in("bob", "bob-password", "alice-nb");

  boost::asio::io_context io;
  WebSocket ws(io);
  ASSERT_NO_FATAL_FAILURE(open_websocket(ws, bob, "alice-nb"));
  boost::beast::flat_buffer buffer;

  auto revoked_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(store_->write([&](Tx& tx) {
                      return tx.delete_share(workspace_id_, PrincipalKind::user, "bob");
                    }).ok());
  buffer.clear();
  boost::system::error_code ec;
  testing::set_socket_timeout(ws.next_layer(), 5s);
  ws.read(buffer, ec);  // the gateway closes the tunnel
  EXPECT_TRUE(ec) << "the WebSocket must be closed after the share is revoked";
  EXPECT_LT(std::chrono::steady_clock::now() - revoked_at, 1s);
}

}  // namespace
}  // namespace k4ds
