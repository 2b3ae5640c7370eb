// KubernetesRuntime against the fake API server: launch, re-apply, status transitions scripted
// as the scheduler and kubelet would, restart after an exit, stop, logs; API calls counted.
#include "kubernetes/kubernetes_runtime.h"
#include "kubernetes/names.h"

#include <gtest/gtest.h>

#include "fake_apiserver.h"
#include "kubernetes_test_support.h"

namespace k4ds::kubernetes {
namespace {
namespace json = boost::json;

class KubernetesRuntimeTest : public FakeApiServer {
 protected:
  void SetUp() override {
    FakeApiServer::SetUp();
    client_ = std::make_shared<KubeClient>(connection(), fast());
    runtime_ = std::make_unique<KubernetesRuntime>(client_, KubernetesOptions{});
  }
  // The kubelet's part: set the Pod's status.
  void set_pod_status(const std::string& status_json) {
    auto r = client_->create("/_test/status?path=" + pod_path(), json::parse(status_json).as_object());
    ASSERT_TRUE(r) << r.status().to_string();
  }
  std::string pod_path() {
    LaunchSpec spec = testing::jupyter_spec();
    return "/api/v1/namespaces/k4ds-alice/pods/" + workspace_object_name(spec);
  }
  size_t count(const std::string& collection) {
    auto list = client_->get(collection);
    EXPECT_TRUE(list) << list.status().to_string();
    return list ? list->at("items").as_array().size() : 0;
  }
  std::shared_ptr<KubeClient> client_;
  std::unique_ptr<KubernetesRuntime> runtime_;
};

TEST_F(KubernetesRuntimeTest, LaunchObserveRestartStop) {
  LaunchSpec spec = testing::jupyter_spec();
  int before = client_->requests_sent();
  ASSERT_TRUE(runtime_->apply(spec).ok());
  int launch_calls = client_->requests_sent() - before;
  // GET pod (absent), Namespace, PVC, Pod, Service, NetworkPolicy.
  EXPECT_EQ(launch_calls, 6);
  std::cout << "API calls for one launch: " << launch_calls << "\n";
  EXPECT_EQ(count("/api/v1/namespaces/k4ds-alice/pods"), 1u);
  EXPECT_EQ(count("/api/v1/namespaces/k4ds-alice/services"), 1u);
  EXPECT_EQ(count("/apis/networking.k8s.io/v1/namespaces/k4ds-alice/networkpolicies"), 1u);
  EXPECT_EQ(count("/api/v1/namespaces/k4ds-alice/persistentvolumeclaims"), 1u);
  auto service = client_->get("/api/v1/namespaces/k4ds-alice/services/" + workspace_object_name(spec));
  ASSERT_TRUE(service);
  auto pod = client_->get(pod_path());
  ASSERT_TRUE(pod);
  EXPECT_EQ(service->at("metadata").at("ownerReferences").at(0).at("uid"), pod->at("metadata").at("uid"));

  before = client_->requests_sent();
  ASSERT_TRUE(runtime_->apply(spec).ok());  // already there: one GET, nothing created
  EXPECT_EQ(client_->requests_sent() - before, 1);
  EXPECT_EQ(count("/api/v1/namespaces/k4ds-alice/pods"), 1u);

  auto observed = runtime_->observe();
  ASSERT_TRUE(observed) << observed.status().to_string();
  ASSERT_EQ(observed->size(), 1u);
  EXPECT_EQ((*observed)[0].workspace_id, spec.workspace_id);
  EXPECT_EQ((*observed)[0].state, RunState::starting);
  EXPECT_EQ((*observed)[0].progress, "waiting for a machine");

  set_pod_status(R"({"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False",
      "message":"0/2 nodes are available: 2 Insufficient cpu."}]})");
  EXPECT_EQ(runtime_->observe()->at(0).progress, "waiting for a machine with 2 CPUs and 8 GiB free");
  set_pod_status(R"({"phase":"Running","containerStatuses":[{"name":"workspace","ready":true,"state":{"running":{}}}]})");
  ObservedWorkspace running = runtime_->observe()->at(0);
  EXPECT_EQ(running.state, RunState::running);
  EXPECT_EQ(running.upstream, workspace_object_name(spec) + ".k4ds-alice.svc:8888");

  auto logs = runtime_->tail_logs(spec.workspace_id, 1000);
  ASSERT_TRUE(logs) << logs.status().to_string();
  EXPECT_EQ(*logs, "log of " + workspace_object_name(spec) + "\n");

  // Out of memory: observed as such; apply starts a fresh Pod.
  set_pod_status(R"({"phase":"Failed","containerStatuses":[{"name":"workspace","state":{"terminated":{"reason":"OOMKilled","exitCode":137}}}]})");
  ObservedWorkspace oom = runtime_->observe()->at(0);
  EXPECT_TRUE(oom.out_of_memory);
  EXPECT_EQ(oom.progress, "out of memory (limit 8 GiB)");
  ASSERT_TRUE(runtime_->apply(spec).ok());
  auto fresh = client_->get(pod_path());
  ASSERT_TRUE(fresh);
  EXPECT_NE(fresh->at("metadata").at("uid"), pod->at("metadata").at("uid"));
  EXPECT_FALSE(fresh->as_object().contains("status"));
  auto new_service = client_->get("/api/v1/namespaces/k4ds-alice/services/" + workspace_object_name(spec));
  ASSERT_TRUE(new_service);
  EXPECT_EQ(new_service->at("metadata").at("ownerReferences").at(0).at("uid"), fresh->at("metadata").at("uid"));

  ASSERT_TRUE(runtime_->stop(spec.workspace_id).ok());
  EXPECT_EQ(count("/api/v1/namespaces/k4ds-alice/pods"), 0u);
  EXPECT_EQ(count("/api/v1/namespaces/k4ds-alice/services"), 0u);
  EXPECT_EQ(count("/apis/networking.k8s.io/v1/namespaces/k4ds-alice/networkpolicies"), 0u);
  EXPECT_EQ(count("/api/v1/namespaces/k4ds-alice/persistentvolumeclaims"), 1u) << "volumes outlive workspaces";
  EXPECT_TRUE(runtime_->stop(spec.workspace_id).ok()) << "idempotent";
  EXPECT_TRUE(runtime_->observe()->empty());
  EXPECT_EQ(runtime_->tail_logs(spec.workspace_id, 100).status().code(), Code::failed_precondition);
}

TEST_F(KubernetesRuntimeTest, ClusterProblemsUseTheRuntimeVocabulary) {
  LaunchSpec no_image = testing::jupyter_spec();
  no_image.environment.image = "";
  EXPECT_EQ(runtime_->apply(no_image).code(), Code::failed_precondition);

  KubernetesRuntime wrong_token(std::make_shared<KubeClient>(connection("nope"), fast()), KubernetesOptions{});
  Status s = wrong_token.apply(testing::jupyter_spec());
  EXPECT_EQ(s.code(), Code::failed_precondition) << s.to_string();

  ASSERT_TRUE(client_->create("/_test/fail?code=503&count=10", {}));
  Status busy = runtime_->apply(testing::jupyter_spec());
  EXPECT_EQ(busy.code(), Code::unavailable) << busy.to_string();
}

}  // namespace
}  // namespace k4ds::kubernetes
