// Users and groups through the API (admin routes), and what people may do to themselves.
#include <gtest/gtest.h>

#include "api/api_test_support.h"

namespace k4ds::testing {
namespace {

TEST_F(ApiTest, AdminCreatesListsAndGetsUsers) {
  HttpResponse created = send(http::verb::post, "/api/v1/users", as("admin"),
                              R"({"name":"carol","password":"carol-pw","email":"c@example.org"})");
  ASSERT_EQ(created.result(), http::status::created) << created.body();
  json::value carol = body_of(created);
  EXPECT_EQ(str(carol, "name"), "carol");
  EXPECT_EQ(str(carol, "display_name"), "carol");
  EXPECT_EQ(str(carol, "provider"), "local");
  EXPECT_FALSE(carol.at("admin").as_bool());
  EXPECT_FALSE(carol.as_object().contains("password_hash"));
  EXPECT_EQ(send(http::verb::post, "/api/v1/login", {},
                 R"({"username":"carol","password":"carol-pw"})").result(),
            http::status::ok);

  auto users = body_of(send(http::verb::get, "/api/v1/users", as("admin"))).at("items");
  EXPECT_EQ(users.as_array().size(), 4u);
  EXPECT_EQ(send(http::verb::post, "/api/v1/users", as("admin"), R"({"name":"carol"})").result(),
            http::status::conflict);
  HttpResponse bad = send(http::verb::post, "/api/v1/users", as("admin"), R"({"name":"Carol"})");
  EXPECT_EQ(bad.result(), http::status::bad_request);
  EXPECT_EQ(send(http::verb::post, "/api/v1/users", as("admin"),
                 R"({"name":"dave","admin":"yes"})").result(),
            http::status::bad_request);
}

TEST_F(ApiTest, PeopleMaySeeThemselvesAndChangeOnlyTheirPassword) {
  EXPECT_EQ(send(http::verb::get, "/api/v1/users/bob", as("bob")).result(), http::status::ok);
  EXPECT_EQ(send(http::verb::get, "/api/v1/users/alice", as("bob")).result(),
            http::status::forbidden);
  EXPECT_EQ(send(http::verb::get, "/api/v1/users/nobody", as("admin")).result(),
            http::status::not_found);
  HttpResponse promote = send(http::verb::patch, "/api/v1/users/bob", as("bob"), R"({"admin":true})");
  EXPECT_EQ(promote.result(), http::status::forbidden);
  EXPECT_NE(message_of(promote).find("\"admin\""), std::string::npos);
  EXPECT_EQ(send(http::verb::patch, "/api/v1/users/alice", as("bob"),
                 R"({"password":"x"})").result(),
            http::status::forbidden);
  EXPECT_EQ(send(http::verb::patch, "/api/v1/users/bob", as("bob"),
                 R"({"password":"new-bob-pw"})").result(),
            http::status::ok);
  EXPECT_EQ(send(http::verb::post, "/api/v1/login", {},
                 R"({"username":"bob","password":"new-bob-pw"})").result(),
            http::status::ok);
}

TEST_F(ApiTest, AdminPatchesUsersAndDisablingLocksThemOut) {
  HttpResponse patched = send(http::verb::patch, "/api/v1/users/alice", as("admin"),
                              R"({"display_name":"Alice A.","admin":true})");
  ASSERT_EQ(patched.result(), http::status::ok) << patched.body();
  EXPECT_EQ(str(body_of(patched), "display_name"), "Alice A.");
  EXPECT_TRUE(body_of(patched).at("admin").as_bool());

  EXPECT_EQ(send(http::verb::get, "/api/v1/whoami", as("bob")).result(), http::status::ok);
  ASSERT_EQ(send(http::verb::patch, "/api/v1/users/bob", as("admin"),
                 R"({"disabled":true})").result(),
            http::status::ok);
  EXPECT_EQ(send(http::verb::get, "/api/v1/whoami", as("bob")).result(),
            http::status::unauthorized);
  EXPECT_EQ(send(http::verb::patch, "/api/v1/users/bob", as("admin"),
                 R"({"disabled":"no"})").result(),
            http::status::bad_request);
}

TEST_F(ApiTest, TheLastAdminStays) {
  for (std::string body : {R"({"admin":false})", R"({"disabled":true})"}) {
    HttpResponse r = send(http::verb::patch, "/api/v1/users/admin", as("admin"), body);
    EXPECT_EQ(r.result(), http::status::conflict) << body;
    EXPECT_EQ(code_of(r), "failed_precondition");
    EXPECT_NE(message_of(r).find("last admin"), std::string::npos) << message_of(r);
  }
  HttpResponse del = send(http::verb::delete_, "/api/v1/users/admin", as("admin"));
  EXPECT_EQ(del.result(), http::status::conflict);
  EXPECT_NE(message_of(del).find("make another user an admin first"), std::string::npos);
  // With a second admin it is allowed.
  ASSERT_EQ(send(http::verb::patch, "/api/v1/users/alice", as("admin"),
                 R"({"admin":true})").result(),
            http::status::ok);
  EXPECT_EQ(send(http::verb::patch, "/api/v1/users/admin", as("admin"),
                 R"({"admin":false})").result(),
            http::status::ok);
}

TEST_F(ApiTest, DeletingAUserRevokesCredentialsDeletesWorkspacesKeepsVolumes) {
  ASSERT_EQ(launch("bob", R"({"environment":"jupyter-python"})").result(), http::status::created);
  ASSERT_EQ(send(http::verb::post, "/api/v1/groups", as("admin"),
                 R"({"name":"team","members":["alice","bob"]})").result(),
            http::status::created);
  EXPECT_EQ(send(http::verb::delete_, "/api/v1/users/bob", as("admin")).result(),
            http::status::no_content);
  EXPECT_EQ(send(http::verb::get, "/api/v1/whoami", as("bob")).result(),
            http::status::unauthorized);
  EXPECT_TRUE(body_of(send(http::verb::get, "/api/v1/workspaces?owner=bob", as("admin")))
                  .at("items").as_array().empty());
  auto volumes = body_of(send(http::verb::get, "/api/v1/volumes?all=true", as("admin")));
  ASSERT_EQ(volumes.at("items").as_array().size(), 1u);
  EXPECT_EQ(str(volumes.at("items").as_array()[0], "owner"), "bob");
  EXPECT_EQ(body_of(send(http::verb::get, "/api/v1/groups/team", as("admin"))).at("members"),
            json::parse(R"(["alice"])"));
  EXPECT_EQ(send(http::verb::delete_, "/api/v1/users/bob", as("admin")).result(),
            http::status::not_found);
}

TEST_F(ApiTest, GroupsAndMembers) {
  HttpResponse created = send(http::verb::post, "/api/v1/groups", as("admin"),
                              R"({"name":"team","description":"the team","members":["bob","alice","bob"]})");
  ASSERT_EQ(created.result(), http::status::created) << created.body();
  EXPECT_EQ(body_of(created).at("members"), json::parse(R"(["alice","bob"])"));

  HttpResponse unknown = send(http::verb::post, "/api/v1/groups", as("admin"),
                              R"({"name":"other","members":["ghost"]})");
  EXPECT_EQ(unknown.result(), http::status::bad_request);
  EXPECT_NE(message_of(unknown).find("ghost"), std::string::npos);
  EXPECT_EQ(send(http::verb::post, "/api/v1/groups", as("admin"), R"({"name":"team"})").result(),
            http::status::conflict);

  HttpResponse removed = send(http::verb::delete_, "/api/v1/groups/team/members/bob", as("admin"));
  ASSERT_EQ(removed.result(), http::status::ok);
  EXPECT_EQ(body_of(removed).at("members"), json::parse(R"(["alice"])"));
  EXPECT_EQ(send(http::verb::put, "/api/v1/groups/team/members/ghost", as("admin")).result(),
            http::status::bad_request);
  HttpResponse added = send(http::verb::put, "/api/v1/groups/team/members/admin", as("admin"));
  EXPECT_EQ(body_of(added).at("members"), json::parse(R"(["admin","alice"])"));

  HttpResponse patched = send(http::verb::patch, "/api/v1/groups/team", as("admin"),
                              R"({"description":"renamed","members":[]})");
  EXPECT_EQ(str(body_of(patched), "description"), "renamed");
  EXPECT_TRUE(body_of(patched).at("members").as_array().empty());

  auto alice = body_of(send(http::verb::get, "/api/v1/users/alice", as("admin")));
  EXPECT_TRUE(alice.at("groups").as_array().empty());
  send(http::verb::put, "/api/v1/groups/team/members/alice", as("admin"));
  alice = body_of(send(http::verb::get, "/api/v1/whoami", as("alice")));
  EXPECT_EQ(alice.at("groups"), json::parse(R"(["team"])"));

  EXPECT_EQ(body_of(send(http::verb::get, "/api/v1/groups", as("admin")))
                .at("items").as_array().size(), 1u);
  EXPECT_EQ(send(http::verb::delete_, "/api/v1/groups/team", as("admin")).result(),
            http::status::no_content);
  EXPECT_EQ(send(http::verb::get, "/api/v1/groups/team", as("admin")).result(),
            http::status::not_found);
  EXPECT_EQ(send(http::verb::delete_, "/api/v1/groups/team", as("admin")).result(),
            http::status::not_found);
}

}  // namespace
}  // namespace k4ds::testing
