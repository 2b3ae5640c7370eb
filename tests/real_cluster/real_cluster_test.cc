// The opt-in suite against a real Kubernetes cluster: the Kubernetes runtime launches a
// workspace there, the cluster's scheduler, kubelet and readiness probe bring it to running,
// stop deletes what runs and keeps the volume. Nothing here is faked.
//
// Opt-in: runs only with K4DS_REAL_CLUSTER=1 and $KUBECONFIG set (scripts/test-real-cluster.sh
// sets the first and checks the second); otherwise every test is skipped, so the normal suite
// never touches a cluster someone happens to have configured.
//
// What it needs from the cluster: permission to create a namespace and, in it, Pods, Services,
// NetworkPolicies, PVCs and Secrets (cluster-admin on a test cluster, kind or minikube will do),
// a default storage class (or K4DS_TEST_STORAGE_CLASS), and a node that can pull the image.
// Everything it makes lives in one namespace "k4ds-e2e-<random>-alice" (k4ds's per-user
// namespace, which it creates), deleted at the end.
//
// Knobs (environment): K4DS_TEST_CONTEXT (kubeconfig context; default: current-context),
// K4DS_TEST_IMAGE / K4DS_TEST_PORT / K4DS_TEST_HEALTH_PATH (default
// docker.io/nginxinc/nginx-unprivileged:stable-alpine, 8080, "/": small, and runs under any uid),
// K4DS_TEST_STORAGE_CLASS, K4DS_TEST_TIMEOUT_SECONDS (default 300, per wait).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

#include "kubernetes/client.h"
#include "kubernetes/kubernetes_runtime.h"
#include "kubernetes/names.h"
#include "kubernetes/setup.h"

namespace k4ds::kubernetes {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

class RealClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (env_or("K4DS_REAL_CLUSTER", "") != "1" || env_or("KUBECONFIG", "").empty()) {
      GTEST_SKIP() << "opt-in: run scripts/test-real-cluster.sh with KUBECONFIG set";
    }
    auto connection = resolve_connection("", env_or("K4DS_TEST_CONTEXT", ""), false);
    ASSERT_TRUE(connection) << connection.status().to_string();
    client_ = std::make_shared<KubeClient>(*connection);
    std::mt19937_64 random(std::random_device{}());
    // A namespace per user, made by k4ds itself: "k4ds-e2e-<random>-alice".
    options_.namespace_mode = NamespaceMode::per_user;
    options_.namespace_prefix = "k4ds-e2e-" + std::to_string(random() % 1000000) + "-";
    namespace_ = options_.namespace_prefix + "alice";
    options_.storage_class = env_or("K4DS_TEST_STORAGE_CLASS", "");
    options_.volume_size_bytes = int64_t{1} << 30;
    options_.upstream = UpstreamMode::pod_ip;
    timeout_ = std::chrono::seconds(std::stoi(env_or("K4DS_TEST_TIMEOUT_SECONDS", "300")));
    std::cout << "cluster " << connection->server << " (context " << connection->context << "), namespace "
              << namespace_ << "\n";
  }
  void TearDown() override {
    if (!client_) return;
    // The test's own namespace, volume included: a test cluster is left as it was found.
    auto removed = client_->remove("/api/v1/namespaces/" + namespace_);
    if (!removed && removed.status().code() != Code::not_found) {
      std::cout << "could not delete namespace " << namespace_ << ": " << removed.status().to_string() << "\n";
    }
  }
  LaunchSpec spec() const {
    LaunchSpec s;
    s.workspace_id = "5e0c9a1d-7b2f-4d6e-9a3c-2f1e0d9c8b7a";
    s.owner = "alice";
    s.name = "smoke";
    s.volume_id = "c2d4e6f8-0a1b-4c3d-8e5f-6a7b8c9d0e1f";
    s.environment.name = "web";
    s.environment.image = env_or("K4DS_TEST_IMAGE", "docker.io/nginxinc/nginx-unprivileged:stable-alpine");
    s.environment.port = std::stoi(env_or("K4DS_TEST_PORT", "8080"));
    s.environment.health_path = env_or("K4DS_TEST_HEALTH_PATH", "/");
    s.size = {.name = "tiny", .description = "0.1 CPU, 128 MiB", .cpu_millis = 100,
              .memory_bytes = int64_t{128} << 20, .gpus = 0};
    return s;
  }
  // Observes until `done` holds or the timeout passes; prints each new progress line.
  std::optional<ObservedWorkspace> wait_for(KubernetesRuntime& runtime, const std::function<bool(const std::optional<ObservedWorkspace>&)>& done) {
    std::string last_progress;
    std::optional<ObservedWorkspace> seen;
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (std::chrono::steady_clock::now() < deadline) {
      seen.reset();
      if (auto observed = runtime.observe()) {
        for (const ObservedWorkspace& o : *observed) {
          if (o.workspace_id == spec().workspace_id) seen = o;
        }
      }
      if (seen && seen->progress != last_progress) {
        last_progress = seen->progress;
        std::cout << "  " << run_state_name(seen->state) << ": " << last_progress << "\n";
      }
      if (done(seen)) return seen;
      std::this_thread::sleep_for(1s);
    }
    return seen;
  }
  std::shared_ptr<KubeClient> client_;
  KubernetesOptions options_;
  std::string namespace_;
  std::chrono::seconds timeout_{300};
};

TEST_F(RealClusterTest, LaunchRunsStopKeepsTheVolume) {
  KubernetesRuntime runtime(client_, options_);
  ASSERT_TRUE(runtime.wait_synced(30s)) << runtime.cluster_status().to_string();
  ASSERT_TRUE(runtime.apply(spec()).ok());
  ASSERT_TRUE(runtime.apply(spec()).ok()) << "applying again is a no-op";

  auto running = wait_for(runtime, [](const auto& o) {
    return o && (o->state == RunState::running || o->state == RunState::exited);
  });
  ASSERT_TRUE(running) << "the workspace never showed up";
  ASSERT_EQ(running->state, RunState::running) << running->progress;
  EXPECT_FALSE(running->upstream.empty()) << "the Pod's address";

  const std::string name = workspace_object_name(spec());
  auto pods = client_->get("/api/v1/namespaces/" + namespace_ + "/pods?labelSelector=" +
                           std::string(kWorkspaceIdLabel) + "=" + spec().workspace_id);
  ASSERT_TRUE(pods) << pods.status().to_string();
  EXPECT_EQ(pods->at("items").as_array().size(), 1u) << "one Pod, however often apply ran";
  EXPECT_TRUE(client_->get("/api/v1/namespaces/" + namespace_ + "/services/" + name));
  EXPECT_TRUE(client_->get("/apis/networking.k8s.io/v1/namespaces/" + namespace_ + "/networkpolicies/" + name));
  auto logs = runtime.tail_logs(spec().workspace_id, 4096);
  EXPECT_TRUE(logs) << logs.status().to_string();

  ASSERT_TRUE(runtime.stop(spec().workspace_id).ok());
  auto gone = wait_for(runtime, [](const auto& o) { return !o || o->state == RunState::stopped; });
  EXPECT_TRUE(!gone || gone->state == RunState::stopped);
  auto claims = client_->get("/api/v1/namespaces/" + namespace_ + "/persistentvolumeclaims");
  ASSERT_TRUE(claims) << claims.status().to_string();
  EXPECT_EQ(claims->at("items").as_array().size(), 1u) << "stop keeps the home volume";
}

TEST_F(RealClusterTest, AnImageThatDoesNotExistFailsInPlainWords) {
  KubernetesRuntime runtime(client_, options_);
  LaunchSpec missing = spec();
  // The same repository with a tag that does not exist: the registry answers "… not found".
  std::string image = spec().environment.image;
  const std::size_t slash = image.rfind('/');
  if (std::size_t colon = image.rfind(':'); colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    image.resize(colon);
  }
  missing.environment.image = image + ":k4ds-no-such-tag";
  ASSERT_TRUE(runtime.apply(missing).ok());
  auto failed = wait_for(runtime, [](const auto& o) { return o && o->permanent; });
  ASSERT_TRUE(failed);
  EXPECT_TRUE(failed->permanent) << failed->progress;
  EXPECT_NE(failed->progress.find("environment image not found"), std::string::npos) << failed->progress;
  EXPECT_TRUE(runtime.stop(missing.workspace_id).ok());
}

}  // namespace
}  // namespace k4ds::kubernetes
