// kubeconfig files as kubectl, gcloud and aws write them; the in-cluster service account.
#include "kubernetes/kubeconfig.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "kubernetes/objects.h"

namespace k4ds::kubernetes {
namespace {
namespace fs = std::filesystem;

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "k4ds-kubeconfig-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }
  fs::path dir_;
};

const std::string kConfig = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
  - name: dev-cluster
    cluster:
      server: https://127.0.0.1:6443
      certificate-authority-data: )" + base64_encode("CA PEM") + R"(
  - name: gke
    cluster:
      server: https://34.0.0.1
      certificate-authority: certs/gke-ca.pem
      tls-server-name: kubernetes.default
users:
  - name: dev-admin
    user:
      client-certificate-data: )" + base64_encode("CERT PEM") + R"(
      client-key-data: )" + base64_encode("KEY PEM") + R"(
  - name: gke-user
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: gke-gcloud-auth-plugin
        args: [--verbose]
        env:
          - name: CLOUDSDK_CORE_PROJECT
            value: research
  - name: robot
    user:
      token: abc.def
      tokenFile: robot-token
contexts:
  - name: dev
    context: {cluster: dev-cluster, user: dev-admin, namespace: k4ds}
  - name: gke
    context: {cluster: gke, user: gke-user}
  - name: robot
    context: {cluster: dev-cluster, user: robot}
  - name: broken
    context: {cluster: nowhere, user: robot}
)";

TEST_F(KubeconfigTest, CurrentContextWithInlineCertificates) {
  write(dir_ / "config", kConfig);
  auto c = load_kubeconfig((dir_ / "config").string());
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->context, "dev");
  EXPECT_EQ(c->server, "https://127.0.0.1:6443");
  EXPECT_EQ(c->ca_pem, "CA PEM");
  EXPECT_EQ(c->client_cert_pem, "CERT PEM");
  EXPECT_EQ(c->client_key_pem, "KEY PEM");
  EXPECT_EQ(c->namespace_name, "k4ds");
  EXPECT_FALSE(c->exec);
}

TEST_F(KubeconfigTest, ExecPluginAndFilesRelativeToTheKubeconfig) {
  write(dir_ / "kube" / "config", kConfig);
  write(dir_ / "kube" / "certs" / "gke-ca.pem", "GKE CA");
  auto c = load_kubeconfig((dir_ / "kube" / "config").string(), "gke");
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->ca_pem, "GKE CA");
  EXPECT_EQ(c->tls_server_name, "kubernetes.default");
  ASSERT_TRUE(c->exec);
  EXPECT_EQ(c->exec->command, "gke-gcloud-auth-plugin");
  EXPECT_EQ(c->exec->api_version, "client.authentication.k8s.io/v1beta1");
  EXPECT_EQ(c->exec->args, std::vector<std::string>{"--verbose"});
  EXPECT_EQ(c->exec->env.at("CLOUDSDK_CORE_PROJECT"), "research");

  auto robot = load_kubeconfig((dir_ / "kube" / "config").string(), "robot");
  ASSERT_TRUE(robot) << robot.status().to_string();
  EXPECT_EQ(robot->token, "abc.def");
  EXPECT_EQ(robot->token_file, (dir_ / "kube" / "robot-token").string());
}

TEST_F(KubeconfigTest, MistakesAreExplained) {
  write(dir_ / "config", kConfig);
  std::string path = (dir_ / "config").string();
  auto missing = load_kubeconfig(path, "prod");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.status().message().find("contexts: dev, gke, robot, broken"), std::string::npos)
      << missing.status().message();
  auto broken = load_kubeconfig(path, "broken");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.status().message().find("cluster \"nowhere\", which is not defined"), std::string::npos)
      << broken.status().message();
  auto no_ca_file = load_kubeconfig(path, "gke");  // certs/gke-ca.pem was not written
  ASSERT_FALSE(no_ca_file);
  EXPECT_NE(no_ca_file.status().message().find("gke-ca.pem"), std::string::npos);
  EXPECT_FALSE(load_kubeconfig((dir_ / "absent").string()));

  auto plain_http = parse_kubeconfig(R"(current-context: a
clusters: [{name: c, cluster: {server: "http://10.0.0.1"}}]
contexts: [{name: a, context: {cluster: c}}]
)", "", "", "test");
  ASSERT_FALSE(plain_http);
  EXPECT_NE(plain_http.status().message().find("https://"), std::string::npos);
  auto half_cert = parse_kubeconfig(R"(current-context: a
clusters: [{name: c, cluster: {server: "https://10.0.0.1"}}]
users: [{name: u, user: {client-certificate-data: Q0VSVA==}}]
contexts: [{name: a, context: {cluster: c, user: u}}]
)", "", "", "test");
  ASSERT_FALSE(half_cert);
  EXPECT_NE(half_cert.status().message().find("client-key"), std::string::npos);
}

TEST_F(KubeconfigTest, InClusterServiceAccount) {
  fs::path sa = dir_ / "var/run/secrets/kubernetes.io/serviceaccount";
  write(sa / "ca.crt", "CLUSTER CA");
  write(sa / "token", "token-1");
  write(sa / "namespace", "k4ds");
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_EQ(in_cluster_config(dir_.string()).status().code(), Code::failed_precondition);
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto c = in_cluster_config(dir_.string());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->ca_pem, "CLUSTER CA");
  EXPECT_EQ(c->token_file, (sa / "token").string());
  EXPECT_EQ(c->namespace_name, "k4ds");
}

TEST(KubernetesBase64, DecodesWhatEncodeWrites) {
  for (std::string text : {"", "f", "fo", "foo", "foob", "any\0binary\xff"}) {
    EXPECT_EQ(base64_decode(base64_encode(text)), text);
  }
  EXPECT_EQ(base64_decode("Zm9v\nYmFy"), "foobar");
  EXPECT_EQ(base64_decode("Zg"), "f");  // padding is optional
  EXPECT_FALSE(base64_decode("Zm9v!"));
  EXPECT_FALSE(base64_decode("Z"));
}

}  // namespace
}  // namespace k4ds::kubernetes
