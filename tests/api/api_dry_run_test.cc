// POST /api/v1/workspaces?dry_run=true: the same checks as a launch, the Kubernetes objects it
// would create, and nothing stored.
#include <gtest/gtest.h>

#include "api/api_test_support.h"

namespace k4ds::testing {
namespace {

class ApiDryRunTest : public ApiTest {
 protected:
  ApiDryRunTest() {
    auto catalog = std::make_shared<Catalog>(*test_catalog());
    catalog->environments[0].image = "quay.io/jupyter/scipy-notebook:2024-04-01";
    catalog->environments[0].port = 8888;
    catalog->environments[0].health_path = "/api";
    api_->set_catalog(catalog);
  }
};

TEST_F(ApiDryRunTest, ShowsTheObjectsAndStoresNothing) {
  HttpResponse r = send(http::verb::post, "/api/v1/workspaces?dry_run=true", as("alice"),
                        R"({"environment":"jupyter-python","size":"large"})");
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  json::value body = body_of(r);
  EXPECT_EQ(body.at("dry_run"), true);
  EXPECT_EQ(str(body, "runtime"), "kubernetes");
  EXPECT_NE(str(body, "note").find("Nothing was created"), std::string::npos);
  EXPECT_EQ(str(body.at("workspace"), "name"), "jupyter-python");
  EXPECT_EQ(str(body.at("workspace"), "owner"), "alice");
  std::vector<std::string> kinds;
  for (const auto& o : body.at("objects").as_array()) kinds.push_back(str(o, "kind"));
  EXPECT_EQ(kinds, (std::vector<std::string>{"Namespace", "PersistentVolumeClaim", "Pod",
                                             "Service", "NetworkPolicy"}));
  const json::value& pod = body.at("objects").as_array()[2];
  EXPECT_EQ(pod.at("spec").at("containers").at(0).at("resources").at("limits"),
            (json::object{{"cpu", "4"}, {"memory", "16Gi"}, {"nvidia.com/gpu", "1"}}));
  // The PVC is named after the home volume the workspace would mount.
  std::string volume(body.at("workspace").at("volumes").as_array()[0].as_string());
  EXPECT_EQ(str(body.at("objects").as_array()[1].at("metadata"), "name"), "k4ds-vol-" + volume);

  // Nothing was stored: no workspace, and no home volume either.
  EXPECT_TRUE(body_of(send(http::verb::get, "/api/v1/workspaces", as("alice")))
                  .at("items").as_array().empty());
  EXPECT_TRUE(body_of(send(http::verb::get, "/api/v1/volumes", as("alice")))
                  .at("items").as_array().empty());
  // A real launch afterwards takes the name the dry run showed.
  HttpResponse launched = launch("alice", R"({"environment":"jupyter-python"})");
  ASSERT_EQ(launched.result(), http::status::created) << launched.body();
  EXPECT_EQ(str(body_of(launched), "name"), "jupyter-python");
}

TEST_F(ApiDryRunTest, AServerOnKubernetesShowsItsOwnSettings) {
  kubernetes::KubernetesOptions options;
  options.namespace_mode = kubernetes::NamespaceMode::shared;
  options.shared_namespace = "data-science";
  options.storage_class = "fast-ssd";
  auto catalog = std::make_shared<Catalog>(*test_catalog());
  catalog->environments[0].image = "quay.io/jupyter/scipy-notebook:2024-04-01";
  catalog->environments[0].port = 8888;
  api_ = std::make_unique<Api>(*store_, services_, catalog,
                               ApiOptions{.domain = "localhost", .password_cost = PasswordCost::minimum(),
                                          .kubernetes = options});
  HttpResponse r = send(http::verb::post, "/api/v1/workspaces?dry_run=true", as("alice"),
                        R"({"environment":"jupyter-python"})");
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  json::value body = body_of(r);
  EXPECT_NE(str(body, "note").find("with this server's settings"), std::string::npos) << str(body, "note");
  std::vector<std::string> kinds;
  for (const auto& o : body.at("objects").as_array()) {
    kinds.push_back(str(o, "kind"));
    EXPECT_EQ(str(o.at("metadata"), "namespace"), "data-science") << json::serialize(o);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"PersistentVolumeClaim", "Pod", "Service", "NetworkPolicy"}))
      << "one shared namespace: none is created per user";
  EXPECT_EQ(str(body.at("objects").as_array()[0].at("spec"), "storageClassName"), "fast-ssd");
}

TEST_F(ApiDryRunTest, SameChecksAsALaunch) {
  HttpResponse unknown = send(http::verb::post, "/api/v1/workspaces?dry_run=true", as("alice"),
                              R"({"environment":"matlab"})");
  EXPECT_EQ(unknown.result(), http::status::bad_request);

  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"x"})").result(),
            http::status::created);
  HttpResponse dup = send(http::verb::post, "/api/v1/workspaces?dry_run=true", as("alice"),
                          R"({"environment":"jupyter-python","name":"x"})");
  EXPECT_EQ(dup.result(), http::status::conflict);
  EXPECT_EQ(code_of(dup), "already_exists");

  // No image: cannot run on Kubernetes, said plainly.
  HttpResponse no_image = send(http::verb::post, "/api/v1/workspaces?dry_run=true", as("alice"),
                               R"({"environment":"shiny"})");
  EXPECT_EQ(no_image.result(), http::status::conflict) << no_image.body();
  EXPECT_EQ(code_of(no_image), "failed_precondition");
  EXPECT_NE(message_of(no_image).find("has no container image"), std::string::npos)
      << message_of(no_image);

  HttpResponse bad = send(http::verb::post, "/api/v1/workspaces?dry_run=maybe", as("alice"),
                          R"({"environment":"jupyter-python"})");
  EXPECT_EQ(bad.result(), http::status::bad_request);
  EXPECT_NE(message_of(bad).find("dry_run"), std::string::npos);
}

}  // namespace
}  // namespace k4ds::testing
