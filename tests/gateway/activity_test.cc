// Workspace activity: requests, WebSocket traffic and forward-auth checks that the gateway
// allows mark the workspace active; refusals do not; the marks survive route updates and reach
// the store's last_activity_at when the gateway flushes.
#include <gtest/gtest.h>

#include "gateway_fixture.h"

namespace k4ds {
namespace {

int64_t now_ms() { return to_unix_ms(std::chrono::system_clock::now()); }

Workspace ws_of(const std::string& id, const std::string& name, int64_t last_activity_at = 0) {
  return Workspace{.id = id, .owner = "alice", .name = name, .phase = Phase::running,
                   .upstream = "127.0.0.1:9", .last_activity_at = last_activity_at};
}

TEST(RouteActivityTest, ActivitySurvivesRouteUpdatesAndRebuilds) {
  RouteTable first({ws_of("w1", "a", 5000), ws_of("w2", "b")});
  const Route* a = first.find("alice", "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->activity->seen(), 5000) << "starts from what the store has";
  EXPECT_EQ(a->activity->written(), 5000) << "which needs no writing";
  a->activity->touch(7'345);
  EXPECT_EQ(a->activity->seen(), 7'000) << "rounded down to the second";
  a->activity->touch(6'999);
  EXPECT_EQ(a->activity->seen(), 7'000) << "never backwards";

  Workspace renamed = ws_of("w1", "renamed");
  renamed.phase = Phase::stopping;
  auto second = first.updated({renamed}, {});
  const Route* moved = second->find("alice", "renamed");
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->activity, a->activity) << "a status change or rename keeps the activity";
  EXPECT_EQ(second->find_id("w1"), moved);
  EXPECT_EQ(second->find_id("nope"), nullptr);

  RouteTable rebuilt({renamed, ws_of("w2", "b"), ws_of("w3", "c")}, second.get());
  EXPECT_EQ(rebuilt.find("alice", "renamed")->activity, a->activity) << "a full reload keeps it too";
  EXPECT_NE(rebuilt.find("alice", "c")->activity, nullptr);
  int routes = 0;
  rebuilt.for_each([&](const Route&) { ++routes; });
  EXPECT_EQ(routes, 3);
}

class ActivityTest : public GatewayTest {
 protected:
  int64_t stored() {
    auto ws = read_value(*store_, [&](Tx& tx) { return tx.get_workspace(workspace_id_); });
    EXPECT_TRUE(ws.ok()) << ws.status().to_string();
    return ws.ok() ? ws->last_activity_at : -1;
  }
  int64_t seen() { return gateway_->routes()->find("alice", "nb")->activity->seen(); }
};

TEST_F(ActivityTest, AllowedRequestsAreRecordedAndRefusalsAreNot) {
  std::string bob = sign_in("bob", "bob-password", "alice-nb");
  EXPECT_EQ(get_as(bob, "alice-nb", "/").result(), http::status::forbidden);
  EXPECT_EQ(get_as("", "alice-nb", "/").result(), http::status::found);
  EXPECT_EQ(seen(), 0) << "a refused request is not activity";
  ASSERT_TRUE(gateway_->flush_activity().ok());
  EXPECT_EQ(stored(), 0);

  std::string alice = sign_in("alice", "alice-password", "alice-nb");
  const int64_t before = now_ms() - 1000;
  ASSERT_EQ(get_as(alice, "alice-nb", "/tree").result(), http::status::ok);
  EXPECT_GE(seen(), before);
  EXPECT_LE(seen(), now_ms());
  EXPECT_EQ(stored(), 0) << "written at the next flush, not per request";
  ASSERT_TRUE(gateway_->flush_activity().ok());
  EXPECT_EQ(stored(), seen());

  // A status update from the controller (an older copy of the record) does not move it back.
  auto ws = read_value(*store_, [&](Tx& tx) { return tx.get_workspace(workspace_id_); });
  ASSERT_TRUE(ws.ok());
  const int64_t recorded = ws->last_activity_at;
  ws->last_activity_at = 0;
  ws->reason = "ready";
  ASSERT_TRUE(store_->write([&](Tx& tx) { return tx.update_workspace(*ws).status(); }).ok());
  gateway_->refresh_now();
  EXPECT_EQ(stored(), recorded);
  EXPECT_EQ(seen(), recorded) << "the route update kept the gateway's mark";
}

TEST_F(ActivityTest, WebSocketTrafficAndForwardAuthChecksCount) {
  std::string alice = sign_in("alice", "alice-password", "alice-nb");
  boost::asio::io_context io;
  WebSocket ws(io);
  ASSERT_NO_FATAL_FAILURE(open_websocket(ws, alice, "alice-nb"));
  const int64_t opened = seen();
  EXPECT_GT(opened, 0);
  std::this_thread::sleep_for(1100ms);  // marks have a one-second grain
  ws.write(boost::asio::buffer(std::string("still here")));
  boost::beast::flat_buffer buffer;
  ws.read(buffer);
  EXPECT_GE(seen(), opened + 1000) << "a message through the open tunnel is activity";

  const int64_t after_ws = seen();
  std::this_thread::sleep_for(1100ms);
  TestClient portal(port_);
  auto check = portal.send(http::verb::get, "/_k4ds/auth/nginx", {},
                           {{"X-Original-URL", "http://alice-nb.localhost/lab"},
                            {"Cookie", std::string(kWorkspaceCookie) + "=" + alice}});
  ASSERT_EQ(check.result(), http::status::ok) << check.body();
  EXPECT_GE(seen(), after_ws + 1000) << "a site's own ingress asks us about every request";
  ASSERT_TRUE(gateway_->flush_activity().ok());
  EXPECT_EQ(stored(), seen());
}

}  // namespace
}  // namespace k4ds
