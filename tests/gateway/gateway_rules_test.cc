// Groups, shares and operator rules at the gateway, end to end over loopback: a group share
// lets members in and keeps others out, rules grant and refuse without a restart, and a rule
// change closes connections it no longer allows within 1 s, WebSockets included.
#include <boost/beast/websocket.hpp>

#include "gateway/gateway_fixture.h"

namespace k4ds {
namespace {

namespace websocket = boost::beast::websocket;
using Clock = std::chrono::steady_clock;

class GatewayRulesTest : public GatewayTest {
 protected:
  void add_group(const std::string& name, std::vector<std::string> members) {
    std::sort(members.begin(), members.end());
    Status s = store_->write([&](Tx& tx) {
      return tx.create_group(Group{.name = name, .members = members}).status();
    });
    ASSERT_TRUE(s.ok()) << s.to_string();
  }

  // Puts `rules` in front of the seeded "everyone may launch" rule.
  void set_rules(std::vector<AccessRule> rules) {
    Status s = store_->write([&](Tx& tx) -> Status {
      auto policy = tx.get_policy();
      if (!policy) return policy.status();
      rules.insert(rules.end(), policy->rules.begin(), policy->rules.end());
      policy->rules = rules;
      return tx.replace_policy(*policy).status();
    });
    ASSERT_TRUE(s.ok()) << s.to_string();
  }

  // Polls until `host` answers `path` to `cookie` with `want`, at most `limit`.
  Clock::duration time_until(const std::string& cookie, http::status want, Clock::duration limit = 3s) {
    const auto start = Clock::now();
    while (Clock::now() - start < limit) {
      try {
        if (get_as(cookie, "alice-nb", "/").result() == want) return Clock::now() - start;
      } catch (const boost::system::system_error&) {
        // A request allowed a moment before a revocation may see its connection closed by it
        // (live connections are re-checked on every change): the next request is asked anew.
      }
      std::this_thread::sleep_for(10ms);
    }
    return Clock::duration::max();
  }
};

TEST_F(GatewayRulesTest, AGroupShareLetsMembersInAndKeepsOthersOut) {
  ASSERT_TRUE(auth_->create_user(User{.name = "carol"}, "carol-password").ok());
  add_group("analysts", {"bob"});
  ASSERT_TRUE(store_->write([&](Tx& tx) {
                      return tx.create_share(Share{.workspace_id = workspace_id_,
                                                   .kind = PrincipalKind::group,
                                                   .principal = "analysts"}).status();
                    }).ok());
  std::string bob = sign_in("bob", "bob-password", "alice-nb");
  auto member = get_as(bob, "alice-nb", "/");
  EXPECT_EQ(member.result(), http::status::ok) << member.body();
  auto echo = boost::json::parse(member.body()).as_object();
  EXPECT_EQ(echo["headers"].as_object()["X-K4DS-Groups"].as_string(), "analysts");

  std::string carol = sign_in("carol", "carol-password", "alice-nb");
  auto outsider = get_as(carol, "alice-nb", "/");
  EXPECT_EQ(outsider.result(), http::status::forbidden);
  EXPECT_NE(outsider.body().find("belongs to alice"), std::string::npos) << outsider.body();
}

TEST_F(GatewayRulesTest, AnAllowRuleGrantsWithoutAShareAndADenyRuleBeatsAShare) {
  add_group("team", {"alice", "bob"});
  std::string bob = sign_in("bob", "bob-password", "alice-nb");
  EXPECT_EQ(get_as(bob, "alice-nb", "/").result(), http::status::forbidden);

  set_rules({AccessRule{.id = "team", .effect = RuleEffect::allow, .action = RuleAction::access,
                        .who = {"group:team"}, .owners = {"group:team"}}});
  EXPECT_LT(time_until(bob, http::status::ok), 1s) << "an allow rule must take effect within 1 s";

  // A share for bob, then a rule keeping bob out of everyone's workspaces: the rule wins.
  ASSERT_TRUE(store_->write([&](Tx& tx) {
                      return tx.create_share(Share{.workspace_id = workspace_id_, .principal = "bob"}).status();
                    }).ok());
  set_rules({AccessRule{.id = "nobob", .effect = RuleEffect::deny, .action = RuleAction::access,
                        .who = {"user:bob"}, .owners = {"*"}}});
  EXPECT_LT(time_until(bob, http::status::forbidden), 1s);
  auto denied = get_as(bob, "alice-nb", "/");
  EXPECT_NE(denied.body().find("nobob"), std::string::npos) << "the 403 names the rule: " << denied.body();
}

TEST_F(GatewayRulesTest, AdminRightsFromAGroupRule) {
  add_group("platform", {"bob"});
  std::string bob = sign_in("bob", "bob-password", "alice-nb");
  EXPECT_EQ(get_as(bob, "alice-nb", "/").result(), http::status::forbidden);
  set_rules({AccessRule{.id = "ops", .effect = RuleEffect::allow, .action = RuleAction::admin,
                        .who = {"group:platform"}}});
  EXPECT_LT(time_until(bob, http::status::ok), 1s);
}

TEST_F(GatewayRulesTest, ARuleChangeClosesALiveWebSocketWithinOneSecond) {
  add_group("analysts", {"bob"});
  ASSERT_TRUE(store_->write([&](Tx& tx) {
                      return tx.create_share(Share{.workspace_id = workspace_id_,
                                                   .kind = PrincipalKind::group,
                                                   .principal = "analysts"}).status();
                    }).ok());
  std::string bob = sign_in("bob", "bob-password", "alice-nb");

  boost::asio::io_context io;
  WebSocket ws(io);
  ASSERT_NO_FATAL_FAILURE(open_websocket(ws, bob, "alice-nb"));
  boost::beast::flat_buffer buffer;

  const auto changed_at = Clock::now();
  set_rules({AccessRule{.id = "lockdown", .effect = RuleEffect::deny, .action = RuleAction::access,
                        .who = {"group:analysts"}, .owners = {"*"}}});
  buffer.clear();
  boost::system::error_code ec;
  testing::set_socket_timeout(ws.next_layer(), 5s);
  ws.read(buffer, ec);
  EXPECT_TRUE(ec) << "the WebSocket must close when a rule takes the access away";
  EXPECT_LT(Clock::now() - changed_at, 1s);
  EXPECT_EQ(get_as(bob, "alice-nb", "/").result(), http::status::forbidden);
  // The owner is never locked out by a rule.
  std::string alice = sign_in("alice", "alice-password", "alice-nb");
  EXPECT_EQ(get_as(alice, "alice-nb", "/").result(), http::status::ok);
}

}  // namespace
}  // namespace k4ds
