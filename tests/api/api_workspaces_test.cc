// Workspaces through the API: launch, defaults, validation, isolation, start/stop/delete.
#include <gtest/gtest.h>

#include "api/api_test_support.h"

namespace k4ds::testing {
namespace {

TEST_F(ApiTest, LaunchDefaultsNameSizeAndMountsHome) {
  HttpResponse first = launch("alice", R"({"environment":"jupyter-python"})");
  ASSERT_EQ(first.result(), http::status::created) << first.body();
  json::value ws = body_of(first);
  EXPECT_EQ(str(ws, "owner"), "alice");
  EXPECT_EQ(str(ws, "name"), "jupyter-python");
  EXPECT_EQ(str(ws, "size"), "small");  // the environment's default
  EXPECT_EQ(str(ws, "desired"), "running");
  EXPECT_EQ(str(ws, "phase"), "pending");
  EXPECT_EQ(str(ws, "reason"), "queued");
  EXPECT_EQ(str(ws, "url"), "http://alice-jupyter-python.localhost:8080/");
  ASSERT_EQ(ws.at("volumes").as_array().size(), 1u);

  HttpResponse second = launch("alice", R"({"environment":"jupyter-python"})");
  ASSERT_EQ(second.result(), http::status::created) << second.body();
  EXPECT_EQ(str(body_of(second), "name"), "jupyter-python-2");
  EXPECT_EQ(body_of(second).at("volumes"), ws.at("volumes"));  // the same home volume
  EXPECT_EQ(str(body_of(launch("alice", R"({"environment":"jupyter-python"})")), "name"),
            "jupyter-python-3");

  // No environment default: the catalog's.
  EXPECT_EQ(str(body_of(launch("alice", R"({"environment":"shiny"})")), "size"), "large");
  EXPECT_EQ(str(body_of(launch("alice", R"({"environment":"shiny","name":"app","size":"small"})")),
                "size"),
            "small");

  HttpResponse volumes = send(http::verb::get, "/api/v1/volumes", as("alice"));
  json::value items_body = body_of(volumes);
  auto& items = items_body.at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(str(items[0], "name"), "home");
  EXPECT_EQ(items[0].at("id"), ws.at("volumes").as_array()[0]);
}

TEST_F(ApiTest, LaunchValidation) {
  struct Case {
    std::string body;
    http::status status;
    std::string code;
    std::string message_part;
  } cases[] = {
      {R"({})", http::status::bad_request, "invalid_argument", "jupyter-python, shiny"},
      {R"({"environment":"matlab"})", http::status::bad_request, "invalid_argument",
       "available: jupyter-python, shiny"},
      {R"({"environment":"rstudio"})", http::status::bad_request, "invalid_argument",
       "rstudio-server is not installed"},
      {R"({"environment":"jupyter-python","size":"huge"})", http::status::bad_request,
       "invalid_argument", "choose one of: small, large"},
      {R"({"environment":"jupyter-python","name":"My_WS"})", http::status::bad_request,
       "invalid_argument", "My_WS"},
      {R"({"environment":"jupyter-python","name":7})", http::status::bad_request,
       "invalid_argument", "\"name\" must be a string"},
      {R"({"environment":"jupyter-python","owner":"bob"})", http::status::bad_request,
       "invalid_argument", "unknown field \"owner\""},
  };
  for (const auto& c : cases) {
    HttpResponse r = launch("alice", c.body);
    EXPECT_EQ(r.result(), c.status) << c.body << ": " << r.body();
    EXPECT_EQ(code_of(r), c.code) << c.body;
    EXPECT_NE(message_of(r).find(c.message_part), std::string::npos)
        << c.body << ": " << message_of(r);
  }
  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"x"})").result(),
            http::status::created);
  HttpResponse dup = launch("alice", R"({"environment":"jupyter-python","name":"x"})");
  EXPECT_EQ(dup.result(), http::status::conflict);
  EXPECT_EQ(code_of(dup), "already_exists");
  // Another user may use the same name.
  EXPECT_EQ(launch("bob", R"({"environment":"jupyter-python","name":"x"})").result(),
            http::status::created);
}

TEST_F(ApiTest, UsersOnlySeeTheirOwnWorkspaces) {
  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"secret"})").result(),
            http::status::created);
  const std::string path = "/api/v1/workspaces/alice/secret";
  for (auto [method, target] : {std::pair{http::verb::get, path},
                                {http::verb::post, path + "/start"},
                                {http::verb::post, path + "/stop"},
                                {http::verb::delete_, path},
                                {http::verb::get, path + "/events"},
                                {http::verb::get, path + "/watch"},
                                {http::verb::get, path + "/logs"}}) {
    HttpResponse r = send(method, target, as("bob"));
    EXPECT_EQ(r.result(), http::status::not_found) << method << " " << target;
    // Exactly what a missing workspace says: existence is not revealed.
    HttpResponse missing = send(method, "/api/v1/workspaces/alice/nothing" +
                                            target.substr(path.size()), as("bob"));
    EXPECT_EQ(message_of(r), std::string(message_of(missing)).replace(
                                 message_of(missing).find("nothing"), 7, "secret"));
  }
  EXPECT_TRUE(body_of(send(http::verb::get, "/api/v1/workspaces", as("bob")))
                  .at("items").as_array().empty());
  EXPECT_EQ(send(http::verb::get, "/api/v1/workspaces?all=true", as("bob")).result(),
            http::status::forbidden);
  EXPECT_EQ(send(http::verb::get, "/api/v1/workspaces?owner=alice", as("bob")).result(),
            http::status::forbidden);
  EXPECT_EQ(send(http::verb::get, "/api/v1/volumes?all=true", as("bob")).result(),
            http::status::forbidden);
  // Still there for alice, and for an admin.
  EXPECT_EQ(send(http::verb::get, path, as("alice")).result(), http::status::ok);
  EXPECT_EQ(send(http::verb::get, path, as("admin")).result(), http::status::ok);
  EXPECT_EQ(body_of(send(http::verb::get, "/api/v1/workspaces?all=true", as("admin")))
                .at("items").as_array().size(), 1u);
  EXPECT_EQ(body_of(send(http::verb::get, "/api/v1/workspaces?owner=alice", as("admin")))
                .at("items").as_array().size(), 1u);
  EXPECT_TRUE(body_of(send(http::verb::get, "/api/v1/workspaces", as("admin")))
                  .at("items").as_array().empty());
}

TEST_F(ApiTest, StopStartAndEvents) {
  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"ws"})").result(),
            http::status::created);
  const std::string path = "/api/v1/workspaces/alice/ws";
  HttpResponse stopped = send(http::verb::post, path + "/stop", as("alice"));
  ASSERT_EQ(stopped.result(), http::status::ok) << stopped.body();
  EXPECT_EQ(str(body_of(stopped), "desired"), "stopped");
  EXPECT_EQ(str(body_of(stopped), "phase"), "pending");  // the controller moves the phase

  // The controller reports it stopped.
  K4DS_ASSERT_OK(store_->write([](Tx& tx) -> Status {
    Result<Workspace> ws = tx.find_workspace("alice", "ws");
    if (!ws) return ws.status();
    ws->phase = Phase::stopped;
    ws->reason = "stopped by alice";
    return tx.update_workspace(*ws).status();
  }));
  HttpResponse started = send(http::verb::post, path + "/start", as("admin"));
  ASSERT_EQ(started.result(), http::status::ok) << started.body();
  EXPECT_EQ(str(body_of(started), "desired"), "running");
  EXPECT_EQ(str(body_of(started), "phase"), "pending");
  EXPECT_EQ(str(body_of(started), "reason"), "queued");
  // Starting again changes nothing.
  int64_t version = body_of(started).at("version").as_int64();
  EXPECT_EQ(body_of(send(http::verb::post, path + "/start", as("alice"))).at("version").as_int64(),
            version);

  HttpResponse events = send(http::verb::get, path + "/events", as("alice"));
  ASSERT_EQ(events.result(), http::status::ok);
  json::value items_body = body_of(events);
  auto& items = items_body.at("items").as_array();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(str(items[0], "message"), "launch requested by alice");
  EXPECT_EQ(str(items[1], "message"), "stop requested by alice");
  EXPECT_EQ(str(items[2], "message"), "start requested by admin");
  int64_t second = items[1].at("seq").as_int64();
  auto after = body_of(send(http::verb::get, path + "/events?after=" + std::to_string(second),
                            as("alice"))).at("items").as_array();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(str(after[0], "message"), "start requested by admin");
  EXPECT_EQ(send(http::verb::get, path + "/events?after=x", as("alice")).result(),
            http::status::bad_request);
}

TEST_F(ApiTest, DeleteKeepsVolumes) {
  HttpResponse created = launch("alice", R"({"environment":"jupyter-python","name":"ws"})");
  ASSERT_EQ(created.result(), http::status::created);
  std::string volume = std::string(body_of(created).at("volumes").as_array()[0].as_string());
  EXPECT_EQ(send(http::verb::delete_, "/api/v1/workspaces/alice/ws", as("alice")).result(),
            http::status::no_content);
  EXPECT_EQ(send(http::verb::get, "/api/v1/workspaces/alice/ws", as("alice")).result(),
            http::status::not_found);
  EXPECT_EQ(send(http::verb::delete_, "/api/v1/workspaces/alice/ws", as("alice")).result(),
            http::status::not_found);
  auto volumes = body_of(send(http::verb::get, "/api/v1/volumes", as("alice"))).at("items");
  ASSERT_EQ(volumes.as_array().size(), 1u);
  EXPECT_EQ(str(volumes.as_array()[0], "id"), volume);
  // The next launch mounts the same home again.
  EXPECT_EQ(body_of(launch("alice", R"({"environment":"jupyter-python"})")).at("volumes"),
            json::array{json::string(volume)});
}

TEST_F(ApiTest, LogsWithoutARuntimeSayWhy) {
  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"ws"})").result(),
            http::status::created);
  HttpResponse logs = send(http::verb::get, "/api/v1/workspaces/alice/ws/logs", as("alice"));
  EXPECT_EQ(logs.result(), http::status::conflict);
  EXPECT_EQ(code_of(logs), "failed_precondition");
  EXPECT_EQ(message_of(logs), "this workspace has no logs yet: it has never run (no runtime is "
                              "configured on this server)");
}

TEST_F(ApiTest, CatalogListsEnvironmentsAndSizes) {
  auto environments = body_of(send(http::verb::get, "/api/v1/environments", as("bob")));
  auto& envs = environments.at("items").as_array();
  ASSERT_EQ(envs.size(), 3u);
  EXPECT_EQ(str(envs[1], "name"), "rstudio");
  EXPECT_FALSE(envs[1].at("available").as_bool());
  auto sizes = body_of(send(http::verb::get, "/api/v1/sizes", as("bob")));
  EXPECT_EQ(sizes.at("items").as_array()[1],
            json::parse(R"({"name":"large","description":"4 CPUs, 16 GiB","cpu":"4",)"
                        R"("memory":"16Gi","gpus":1})"));
  // A new catalog takes effect at once.
  auto smaller = std::make_shared<Catalog>(*test_catalog());
  smaller->environments.resize(1);
  api_->set_catalog(smaller);
  EXPECT_EQ(body_of(send(http::verb::get, "/api/v1/environments", as("bob")))
                .at("items").as_array().size(), 1u);
  EXPECT_EQ(launch("bob", R"({"environment":"shiny"})").result(), http::status::bad_request);
}

TEST_F(ApiTest, WorkspaceUrlLeavesOutStandardPorts) {
  for (auto [port, secure, url] : {std::tuple{80, false, "http://alice-ws.localhost/"},
                                   {443, true, "https://alice-ws.localhost/"},
                                   {8443, true, "https://alice-ws.localhost:8443/"}}) {
    Api api(*store_, services_, test_catalog(),
            ApiOptions{.public_port = port, .password_cost = PasswordCost::minimum()});
    HttpRequest request = make_request(http::verb::get, "/api/v1/workspaces", as("alice"));
    if (port == 80) {
      ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"ws"})").result(),
                http::status::created);
    }
    auto reply = std::get<HttpResponse>(
        api.handle(request, RequestContext{.client_address = "x", .secure = secure}));
    EXPECT_EQ(str(body_of(reply).at("items").as_array()[0], "url"), url);
  }
}

}  // namespace
}  // namespace k4ds::testing
