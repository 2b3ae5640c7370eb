// Sharing and access rules through the API: who may share, shared-with-me, rule editing with
// versions, launch refusals that name the rule, admin rights by group, and policy check.
#include <gtest/gtest.h>

#include "api/api_test_support.h"

namespace k4ds::testing {
namespace {

class ApiAccessTest : public ApiTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"nb"})").result(), http::status::created);
    ASSERT_EQ(send(http::verb::post, "/api/v1/groups", as("admin"),
                   R"({"name":"analysts","members":["bob"]})").result(),
              http::status::created);
  }
  HttpResponse share(const std::string& as_user, const std::string& path, const std::string& body) {
    return send(http::verb::post, "/api/v1/workspaces/" + path + "/shares", as(as_user), body);
  }
  std::vector<std::string> names(const HttpResponse& list, std::string_view key) {
    std::vector<std::string> out;
    const json::value body = body_of(list);
    for (const auto& item : body.at("items").as_array()) out.push_back(str(item, key));
    return out;
  }
  int64_t rules_version() {
    return body_of(send(http::verb::get, "/api/v1/rules", as("admin"))).at("version").as_int64();
  }
};

TEST_F(ApiAccessTest, OwnersShareAndUnshareAndOthersSeeWhatIsSharedWithThem) {
  HttpResponse added = share("alice", "alice/nb", R"({"with":["user:bob","group:analysts"]})");
  ASSERT_EQ(added.result(), http::status::ok) << added.body();
  EXPECT_EQ(names(added, "with"), (std::vector<std::string>{"group:analysts", "user:bob"}));
  // Sharing again is not an error.
  EXPECT_EQ(share("alice", "alice/nb", R"({"with":["user:bob"]})").result(), http::status::ok);

  HttpResponse mine = send(http::verb::get, "/api/v1/workspaces?shared=true", as("bob"));
  ASSERT_EQ(mine.result(), http::status::ok) << mine.body();
  EXPECT_EQ(names(mine, "name"), std::vector<std::string>{"nb"});
  EXPECT_TRUE(names(send(http::verb::get, "/api/v1/workspaces?shared=true", as("alice")), "name").empty())
      << "your own workspaces are not 'shared with you'";

  // Only the owner (or an admin) shares: bob sees the workspace not at all (404).
  EXPECT_EQ(share("bob", "alice/nb", R"({"with":["user:bob"]})").result(), http::status::not_found);
  EXPECT_EQ(share("admin", "alice/nb", R"({"with":["user:admin"]})").result(), http::status::ok);

  HttpResponse removed = send(http::verb::delete_, "/api/v1/workspaces/alice/nb/shares/user:bob", as("alice"));
  EXPECT_EQ(removed.result(), http::status::no_content) << removed.body();
  HttpResponse again = send(http::verb::delete_, "/api/v1/workspaces/alice/nb/shares/user:bob", as("alice"));
  EXPECT_EQ(again.result(), http::status::not_found);
  EXPECT_NE(message_of(again).find("not shared with user bob"), std::string::npos) << message_of(again);
  // Still shared through the group.
  EXPECT_EQ(names(send(http::verb::get, "/api/v1/workspaces?shared=true", as("bob")), "name"),
            std::vector<std::string>{"nb"});
}

TEST_F(ApiAccessTest, BadSharesAreRefusedWithTheReason) {
  struct Case {
    std::string body;
    std::string message_part;
  } cases[] = {
      {R"({})", "field \"with\" is required"},
      {R"({"with":["bob"]})", "write user:NAME or group:NAME"},
      {R"({"with":["user:nobody"]})", "there is no user named nobody"},
      {R"({"with":["group:nogroup"]})", "there is no group named nogroup"},
      {R"({"with":["user:alice"]})", "owns alice/nb already"},
      {R"({"with":["user:*)(uid=*"]})", "user name"},
      {R"({"with":"user:bob"})", "must be"},
  };
  for (const auto& c : cases) {
    HttpResponse r = share("alice", "alice/nb", c.body);
    EXPECT_EQ(r.result(), http::status::bad_request) << c.body << " → " << r.body();
    EXPECT_NE(message_of(r).find(c.message_part), std::string::npos) << c.body << " → " << message_of(r);
  }
  EXPECT_TRUE(names(send(http::verb::get, "/api/v1/workspaces/alice/nb/shares", as("alice")), "with").empty());
  EXPECT_EQ(send(http::verb::delete_, "/api/v1/workspaces/alice/nb/shares/bob", as("alice")).result(),
            http::status::bad_request);
}

TEST_F(ApiAccessTest, ALaunchRuleRefusesWithItsReasonAndStartRechecks) {
  ASSERT_EQ(send(http::verb::post, "/api/v1/workspaces/alice/nb/stop", as("alice")).result(), http::status::ok);
  HttpResponse added = send(http::verb::post, "/api/v1/rules", as("admin"),
                            R"({"effect":"deny","action":"launch","who":["user:alice"],)"
                            R"("environments":["jupyter-python"],"position":1,"description":"no python"})");
  ASSERT_EQ(added.result(), http::status::ok) << added.body();
  json::value rules = body_of(added);
  EXPECT_EQ(str(rules.at("items").as_array()[0], "id"), "r2");
  EXPECT_EQ(str(rules.at("items").as_array()[0], "summary"),
            "deny user:alice to launch environment jupyter-python in any size");

  HttpResponse refused = launch("alice", R"({"environment":"jupyter-python","name":"other"})");
  EXPECT_EQ(refused.result(), http::status::forbidden) << refused.body();
  EXPECT_NE(message_of(refused).find("you may not launch jupyter-python in size small: rule 1 (r2"),
            std::string::npos) << message_of(refused);
  EXPECT_EQ(launch("bob", R"({"environment":"jupyter-python"})").result(), http::status::created);
  EXPECT_EQ(launch("alice", R"({"environment":"shiny"})").result(), http::status::created);
  // Starting the stopped workspace again asks the rules again.
  EXPECT_EQ(send(http::verb::post, "/api/v1/workspaces/alice/nb/start", as("alice")).result(),
            http::status::forbidden);

  // Without any rule nothing may be launched (default deny).
  HttpResponse emptied = send(http::verb::put, "/api/v1/rules", as("admin"),
                              R"({"rules":[],"version":)" + std::to_string(rules_version()) + "}");
  ASSERT_EQ(emptied.result(), http::status::ok) << emptied.body();
  HttpResponse none = launch("bob", R"({"environment":"shiny"})");
  EXPECT_EQ(none.result(), http::status::forbidden);
  EXPECT_NE(message_of(none).find("no rule lets you launch"), std::string::npos) << message_of(none);
}

TEST_F(ApiAccessTest, RuleEditsAreValidatedAndVersioned) {
  const int64_t version = rules_version();
  HttpResponse stale = send(http::verb::put, "/api/v1/rules", as("admin"),
                            R"({"rules":[],"version":)" + std::to_string(version + 1000) + "}");
  EXPECT_EQ(stale.result(), http::status::conflict) << stale.body();
  EXPECT_NE(message_of(stale).find("read them again"), std::string::npos);
  EXPECT_EQ(send(http::verb::put, "/api/v1/rules", as("admin"), R"({"rules":[]})").result(),
            http::status::bad_request)
      << "a replace without the version read could overwrite someone's change";

  struct Case {
    std::string body;
    std::string message_part;
  } cases[] = {
      {R"({"effect":"maybe","action":"launch","who":["*"]})", "\"allow\" or \"deny\""},
      {R"({"effect":"allow","action":"fly","who":["*"]})", "\"launch\""},
      {R"({"effect":"allow","action":"launch","who":[]})", "who"},
      {R"({"effect":"allow","action":"launch","who":["*"],"sizes":["huge"]})", "there is no size \"huge\""},
      {R"({"effect":"allow","action":"admin","who":["*"],"owners":["*"]})", "has no owners"},
      {R"({"effect":"allow","action":"admin","who":["*"],"position":9})", "between 1 (first) and 2"},
      {R"({"effect":"allow","action":"admin","who":["*"],"colour":"red"})", "unknown field \"colour\""},
  };
  for (const auto& c : cases) {
    HttpResponse r = send(http::verb::post, "/api/v1/rules", as("admin"), c.body);
    EXPECT_EQ(r.result(), http::status::bad_request) << c.body << " → " << r.body();
    EXPECT_NE(message_of(r).find(c.message_part), std::string::npos) << c.body << " → " << message_of(r);
  }
  EXPECT_EQ(rules_version(), version) << "refused edits change nothing";
  EXPECT_EQ(send(http::verb::get, "/api/v1/rules", as("alice")).result(), http::status::forbidden);
  EXPECT_EQ(send(http::verb::post, "/api/v1/rules", as("alice"), R"({"effect":"allow","action":"admin","who":["*"]})").result(),
            http::status::forbidden);
  EXPECT_EQ(send(http::verb::delete_, "/api/v1/rules/r9", as("admin")).result(), http::status::not_found);
  EXPECT_EQ(send(http::verb::delete_, "/api/v1/rules/r1", as("admin")).result(), http::status::no_content);
  EXPECT_TRUE(body_of(send(http::verb::get, "/api/v1/rules", as("admin"))).at("items").as_array().empty());
}

TEST_F(ApiAccessTest, AdminRightsFromAGroupRuleAndPolicyCheckExplains) {
  EXPECT_EQ(send(http::verb::get, "/api/v1/users", as("bob")).result(), http::status::forbidden);
  ASSERT_EQ(send(http::verb::post, "/api/v1/rules", as("admin"),
                 R"({"effect":"allow","action":"admin","who":["group:analysts"]})").result(),
            http::status::ok);
  EXPECT_EQ(send(http::verb::get, "/api/v1/users", as("bob")).result(), http::status::ok)
      << "bob is an admin through group analysts";

  auto check = [&](const std::string& query) { return body_of(send(http::verb::get, "/api/v1/policy/check?" + query, as("admin"))); };
  json::value admin = check("user=bob&admin=true");
  EXPECT_TRUE(admin.at("allowed").as_bool());
  EXPECT_EQ(str(admin.at("rule"), "id"), "r2");
  json::value reach = check("user=alice&workspace=alice/nb");
  EXPECT_TRUE(reach.at("allowed").as_bool());
  EXPECT_EQ(str(reach, "explanation"), "you own this workspace");

  ASSERT_EQ(send(http::verb::post, "/api/v1/users", as("admin"), R"({"name":"carol"})").result(), http::status::created);
  json::value outsider = check("user=carol&workspace=alice/nb");
  EXPECT_FALSE(outsider.at("allowed").as_bool());
  EXPECT_NE(str(outsider, "explanation").find("ask alice to share it"), std::string::npos);
  json::value launch_gpu = check("user=carol&environment=jupyter-python&size=large");
  EXPECT_TRUE(launch_gpu.at("allowed").as_bool());
  EXPECT_EQ(str(launch_gpu.at("rule"), "id"), "r1");

  HttpResponse two = send(http::verb::get, "/api/v1/policy/check?user=carol&admin=true&size=large", as("admin"));
  EXPECT_EQ(two.result(), http::status::bad_request);
  EXPECT_EQ(send(http::verb::get, "/api/v1/policy/check?user=nobody&admin=true", as("admin")).result(),
            http::status::not_found);
}

}  // namespace
}  // namespace k4ds::testing

namespace k4ds::testing {
namespace {

TEST_F(ApiTest, RuntimeWarningsComeWithEveryWorkspace) {
  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"nb"})").result(), http::status::created);
  json::value plain = body_of(send(http::verb::get, "/api/v1/workspaces/alice/nb", as("alice")));
  EXPECT_TRUE(plain.at("warnings").as_array().empty());

  Api warned(*store_, services_, test_catalog(),
             ApiOptions{.domain = "localhost", .runtime_warnings = {"limits are not enforced here"}});
  auto token = warned.authenticator().create_token("alice", "warned", std::nullopt);
  ASSERT_TRUE(token.ok());
  Reply reply = warned.handle(make_request(http::verb::get, "/api/v1/workspaces/alice/nb",
                                           Credentials{.bearer = token->secret}),
                              RequestContext{.client_address = "192.0.2.1"});
  auto* response = std::get_if<HttpResponse>(&reply);
  ASSERT_NE(response, nullptr);
  json::value ws = body_of(*response);
  ASSERT_EQ(ws.at("warnings").as_array().size(), 1u);
  EXPECT_EQ(ws.at("warnings").as_array()[0].as_string(), "limits are not enforced here");
}

}  // namespace
}  // namespace k4ds::testing
