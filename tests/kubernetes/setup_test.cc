// From the config's runtime section to a cluster connection: which kubeconfig is read, and
// which environments a cluster cannot run.
#include "kubernetes/setup.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace k4ds::kubernetes {
namespace {
namespace fs = std::filesystem;

std::string g_kubeconfig_env, g_home_env;
std::string fake_env(const char* name) {
  return std::string(name) == "KUBECONFIG" ? g_kubeconfig_env : std::string(name) == "HOME" ? g_home_env : "";
}

class SetupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "k4ds-setup-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    g_kubeconfig_env.clear();
    g_home_env = dir_.string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string kubeconfig(const fs::path& where, const std::string& server) {
    fs::create_directories(where.parent_path());
    std::ofstream(where) << "apiVersion: v1\nkind: Config\n"
                            "clusters: [{name: c, cluster: {server: '" << server << "'}}]\n"
                            "users: [{name: u, user: {token: t}}]\n"
                            "contexts: [{name: dev, context: {cluster: c, user: u}}, {name: prod, context: {cluster: c, user: u}}]\n"
                            "current-context: dev\n";
    return where.string();
  }
  fs::path dir_;
};

TEST_F(SetupTest, ExplicitThenKubeconfigVariableThenHome) {
  std::string home = kubeconfig(dir_ / ".kube" / "config", "https://home.example:6443");
  std::string env = kubeconfig(dir_ / "env-kubeconfig", "https://env.example:6443");
  std::string explicit_file = kubeconfig(dir_ / "explicit", "https://explicit.example:6443");

  auto c = resolve_connection("", "", false, fake_env);
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->server, "https://home.example:6443");
  EXPECT_EQ(c->context, "dev") << "the current-context";

  g_kubeconfig_env = env + ":" + home;  // kubectl's list: the first file is read
  c = resolve_connection("", "prod", false, fake_env);
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->server, "https://env.example:6443");
  EXPECT_EQ(c->context, "prod");

  c = resolve_connection(explicit_file, "", false, fake_env);
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->server, "https://explicit.example:6443");
}

TEST_F(SetupTest, ProblemsNameTheFileAndWhatToSet) {
  auto missing = resolve_connection("", "", false, fake_env);  // no ~/.kube/config
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.status().message().find((dir_ / ".kube" / "config").string()), std::string::npos)
      << missing.status().message();
  EXPECT_NE(missing.status().message().find("runtime.kubeconfig"), std::string::npos) << missing.status().message();

  std::string file = kubeconfig(dir_ / "k", "https://x.example:6443");
  auto no_context = resolve_connection(file, "staging", false, fake_env);
  ASSERT_FALSE(no_context);
  EXPECT_NE(no_context.status().message().find("staging"), std::string::npos) << no_context.status().message();
}

TEST(MarkUnavailableOnCluster, NeedsAnImageAndATcpPort) {
  Catalog catalog;
  catalog.environments = {Environment{.name = "web", .image = "nginx:1.25", .port = 8080},
                          Environment{.name = "local", .command = {"/usr/bin/true"}, .port = 0},
                          Environment{.name = "socket", .image = "x:1", .port = 0}};
  mark_unavailable_on_cluster(catalog);
  EXPECT_TRUE(catalog.environments[0].available);
  EXPECT_FALSE(catalog.environments[1].available);
  EXPECT_NE(catalog.environments[1].unavailable_reason.find("no container image"), std::string::npos);
  EXPECT_FALSE(catalog.environments[2].available);
  EXPECT_NE(catalog.environments[2].unavailable_reason.find("set its port"), std::string::npos);
}

}  // namespace
}  // namespace k4ds::kubernetes
