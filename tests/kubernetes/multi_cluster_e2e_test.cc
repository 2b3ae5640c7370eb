// Several clusters end to end: the real `k4ds up` with `runtime.clusters` (two kubeconfigs, one
// per fake API server) runs a "gpu" launch on the gcp cluster and a "small" one on aws, refuses
// a launch whose home volume is on the other cluster (the reason users see), and its dry run
// renders with the gcp cluster's storage class. `k4ds config check` names the cluster
// whose kubeconfig is wrong.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "kubernetes_test_support.h"
#include "server/jupyter_client.h"
#include "two_clusters.h"

namespace k4ds::kubernetes {
namespace {

using namespace k4ds::e2e;

std::string kubeconfig_for(FakeCluster& fake, const std::string& context) {
  std::string path = (fake.dir_ / "kubeconfig").string();
  std::ofstream(path) << "apiVersion: v1\nkind: Config\n"
                         "clusters: [{name: fake, cluster: {server: 'https://localhost:" << fake.port_
                      << "', certificate-authority: ca.crt}}]\n"
                         "users: [{name: k4ds, user: {token: secret-token}}]\n"
                         "contexts: [{name: " << context << ", context: {cluster: fake, user: k4ds}}]\n"
                         "current-context: " << context << "\n";
  return path;
}

class MultiClusterEndToEnd : public TwoClusters {
 protected:
  void SetUp() override {
    TwoClusters::SetUp();
    if (HasFatalFailure()) return;
    std::string tmpl = (fs::temp_directory_path() / "k4ds-multi-e2e-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    aws_api_ = std::make_shared<KubeClient>(aws().connection(), aws().fast());
    gcp_api_ = std::make_shared<KubeClient>(gcp().connection(), gcp().fast());
    std::ofstream(dir_ / "k4ds.yaml") << "environments:\n"
                                         "  - {name: web, image: 'registry.example.org/web:1', port: 8080, health_path: /}\n"
                                         "sizes:\n  - {name: small, cpu: 1, memory: 2Gi}\n"
                                         "  - {name: gpu, cpu: 4, memory: 16Gi, gpus: 1}\n"
                                         "users:\n  - {name: alice, password: '" << kAlicePassword << "'}\n"
                                         "  - {name: bob, password: '" << kAlicePassword << "'}\n"
                                         "runtime:\n  kind: kubernetes\n  upstream: pod_ip\n  clusters:\n"
                                         "    - {name: aws, kubeconfig: " << kubeconfig_for(aws(), "eks-prod") << "}\n"
                                         "    - {name: gcp, kubeconfig: " << kubeconfig_for(gcp(), "gke-k4ds")
                                      << ", storage_class: standard-rwo}\n"
                                         "  node_pools:\n"
                                         "    gpu: {cluster: gcp, node_selector: {cloud.google.com/gke-accelerator: nvidia-l4}}\n";
    server_ = std::make_unique<Server>(dir_, "server.log", std::vector<std::string>{"-c", (dir_ / "k4ds.yaml").string()});
    port_ = server_->port();
    ASSERT_NE(port_, 0) << "k4ds up did not start; it printed:\n" << server_->startup_output() << slurp(dir_ / "server.log");
    alice_ = login("alice");
    bob_ = login("bob");
  }
  std::string login(const std::string& user) {
    auto reply = request(port_, "localhost", http::verb::post, "/api/v1/login", {},
                         R"({"username":")" + user + R"(","password":")" + kAlicePassword + "\"}");
    EXPECT_EQ(reply.result(), http::status::ok) << reply.body();
    return std::string(kPortalCookie) + "=" + set_cookie_value(reply, kPortalCookie);
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (HasFailure() && !dir_.empty()) std::cerr << "k4ds log:\n" << slurp(dir_ / "server.log");
    server_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
    TwoClusters::TearDown();
  }
  TestResponse api(const std::string& cookie, http::verb verb, const std::string& target, const std::string& body = {}) {
    return request(port_, "localhost", verb, target, {{"Cookie", cookie}}, body);
  }
  std::vector<std::string> pods(KubeClient& client, const std::string& user) {
    return testing::object_names(client, "/api/v1/namespaces/k4ds-" + user + "/pods");
  }

  fs::path dir_;
  std::shared_ptr<KubeClient> aws_api_, gcp_api_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::string alice_, bob_;  // their session cookies
};

TEST_F(MultiClusterEndToEnd, TheSizeChoosesTheCluster) {
  const std::string log = slurp(dir_ / "server.log");
  EXPECT_NE(log.find("cluster aws at https://localhost:" + aws().port_ + " (context eks-prod)"), std::string::npos) << log;
  EXPECT_NE(log.find("cluster gcp at https://localhost:" + gcp().port_ + " (context gke-k4ds)"), std::string::npos) << log;

  auto preview = api(alice_, http::verb::post, "/api/v1/workspaces?dry_run=true",
                     R"({"environment":"web","name":"train","size":"gpu"})");
  ASSERT_EQ(preview.result(), http::status::ok) << preview.body();
  bool claim_seen = false;
  const json::value reply = parse(preview.body());
  for (const auto& o : reply.at("objects").as_array()) {
    if (o.at("kind") != "PersistentVolumeClaim") continue;
    claim_seen = true;
    EXPECT_EQ(o.at("spec").at("storageClassName"), "standard-rwo") << "the gcp cluster's storage class";
  }
  EXPECT_TRUE(claim_seen) << preview.body();

  auto gpu = api(alice_, http::verb::post, "/api/v1/workspaces", R"({"environment":"web","name":"train","size":"gpu"})");
  ASSERT_EQ(gpu.result(), http::status::created) << gpu.body();
  auto small = api(bob_, http::verb::post, "/api/v1/workspaces", R"({"environment":"web","name":"site","size":"small"})");
  ASSERT_EQ(small.result(), http::status::created) << small.body();
  ASSERT_TRUE(eventually([&] { return pods(*gcp_api_, "alice").size() == 1 && pods(*aws_api_, "bob").size() == 1; }, 30s))
      << "gcp: " << pods(*gcp_api_, "alice").size() << " Pods of alice, aws: " << pods(*aws_api_, "bob").size()
      << " of bob";
  EXPECT_NE(pods(*gcp_api_, "alice").front().find("train"), std::string::npos);
  EXPECT_TRUE(pods(*aws_api_, "alice").empty());
  EXPECT_TRUE(pods(*gcp_api_, "bob").empty());

  // alice's home volume is on gcp now: a size that runs on aws is refused, in plain words.
  auto other = api(alice_, http::verb::post, "/api/v1/workspaces", R"({"environment":"web","name":"site","size":"small"})");
  ASSERT_EQ(other.result(), http::status::created) << other.body();
  json::value failed;
  eventually([&] {
    auto res = api(alice_, http::verb::get, "/api/v1/workspaces/alice/site");
    if (res.result() == http::status::ok) failed = parse(res.body());
    return str(failed, "phase") == "failed";
  }, 30s);
  EXPECT_EQ(str(failed, "phase"), "failed") << failed;
  EXPECT_NE(str(failed, "reason").find("the volume 'home' is kept where size 'small' cannot run (in 'gcp'; size 'small' "
                                       "runs in 'aws')"), std::string::npos) << failed;
  EXPECT_TRUE(pods(*aws_api_, "alice").empty());
  EXPECT_TRUE(testing::object_names(*aws_api_, "/api/v1/namespaces/k4ds-alice/persistentvolumeclaims").empty());
}

// `k4ds config check` with several clusters: each kubeconfig and context is loaded, and a problem
// names the cluster's entry.
TEST(MultiClusterConfigCheck, NamesTheClusterWhoseKubeconfigIsWrong) {
  std::string tmpl = (fs::temp_directory_path() / "k4ds-multi-check-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  fs::path dir = tmpl;
  testing::write_offline_kubeconfig(dir / "kubeconfig");
  auto write = [&](const std::string& second_context) {
    std::ofstream(dir / "k4ds.yaml") << "environments:\n  - {name: web, image: 'nginx:1.25', port: 8080}\n"
                                        "runtime:\n  kind: kubernetes\n  clusters:\n"
                                        "    - {name: aws, kubeconfig: " << (dir / "kubeconfig").string() << "}\n"
                                        "    - {name: gcp, kubeconfig: " << (dir / "kubeconfig").string()
                                     << ", context: " << second_context << "}\n";
  };
  write("prod");
  Outcome r = run_k4ds({"config", "check", (dir / "k4ds.yaml").string()}, {{"HOME", dir.string()}});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("runtime.clusters[1].kubeconfig: cluster gcp: "), std::string::npos) << r;
  EXPECT_NE(r.err.find("prod"), std::string::npos) << "names the missing context: " << r;
  EXPECT_EQ(r.err.find("runtime.clusters[0]"), std::string::npos) << "aws is fine: " << r;
  write("dev");
  r = run_k4ds({"config", "check", (dir / "k4ds.yaml").string()}, {{"HOME", dir.string()}});
  EXPECT_EQ(r.exit_code, 0) << r;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace k4ds::kubernetes
