// KubernetesRuntime against the fake API server: launch, re-apply, status transitions scripted
// as the scheduler and kubelet would (seen through the watch), restart after an exit, stop,
// logs; API calls counted.
#include "kubernetes/kubernetes_runtime.h"
#include "kubernetes/names.h"

#include <gtest/gtest.h>

#include <functional>
#include <thread>

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
    runtime_client_ = std::make_shared<KubeClient>(connection(), fast());
    runtime_ = std::make_unique<KubernetesRuntime>(runtime_client_, KubernetesOptions{});
    // All three caches (Pods, Events, Nodes) listed, so their lists are not counted as a launch's.
    ASSERT_TRUE(runtime_->wait_synced(std::chrono::seconds(5)));
    ASSERT_TRUE(runtime_->events_synced(std::chrono::seconds(5)));
    ASSERT_TRUE(runtime_->nodes_synced(std::chrono::seconds(5)));
    ASSERT_TRUE(runtime_->volumes_synced(std::chrono::seconds(5)));
  }
  // The first observed workspace once `ok` holds (the watch delivers changes within
  // milliseconds); the last one seen after 5 s otherwise.
  ObservedWorkspace observe_until(const std::function<bool(const ObservedWorkspace&)>& ok) {
    ObservedWorkspace last;
    for (int i = 0; i < 100; ++i) {
      auto observed = runtime_->observe();
      if (observed && !observed->empty()) {
        last = observed->front();
        if (ok(last)) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return last;
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
  std::shared_ptr<KubeClient> client_;          // the test's own calls
  std::shared_ptr<KubeClient> runtime_client_;  // the runtime's, counted
  std::unique_ptr<KubernetesRuntime> runtime_;
};

TEST_F(KubernetesRuntimeTest, LaunchObserveRestartStop) {
  LaunchSpec spec = testing::jupyter_spec();
  int before = runtime_client_->requests_sent();
  ASSERT_TRUE(runtime_->apply(spec).ok());
  int launch_calls = runtime_client_->requests_sent() - before;
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

  before = runtime_client_->requests_sent();
  ASSERT_TRUE(runtime_->apply(spec).ok());  // already there: one GET, nothing created
  EXPECT_EQ(runtime_client_->requests_sent() - before, 1);
  EXPECT_EQ(count("/api/v1/namespaces/k4ds-alice/pods"), 1u);

  ObservedWorkspace first = observe_until([](const ObservedWorkspace&) { return true; });
  auto observed = runtime_->observe();
  ASSERT_TRUE(observed) << observed.status().to_string();
  ASSERT_EQ(observed->size(), 1u);
  EXPECT_EQ(first.workspace_id, spec.workspace_id);
  EXPECT_EQ(first.state, RunState::starting);
  EXPECT_EQ(first.progress, "waiting for a machine");

  set_pod_status(R"({"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False",
      "message":"0/2 nodes are available: 2 Insufficient cpu."}]})");
  EXPECT_EQ(observe_until([](const ObservedWorkspace& o) { return o.progress != "waiting for a machine"; }).progress,
            "waiting for a machine with 2 CPUs and 8 GiB free");
  set_pod_status(R"({"phase":"Running","containerStatuses":[{"name":"workspace","ready":true,"state":{"running":{}}}]})");
  ObservedWorkspace running = observe_until([](const ObservedWorkspace& o) { return o.state == RunState::running; });
  EXPECT_EQ(running.state, RunState::running);
  EXPECT_EQ(running.upstream, workspace_object_name(spec) + ".k4ds-alice.svc:8888");

  auto logs = runtime_->tail_logs(spec.workspace_id, 1000);
  ASSERT_TRUE(logs) << logs.status().to_string();
  EXPECT_EQ(*logs, "log of " + workspace_object_name(spec) + "\n");

  // Out of memory: observed as such; apply starts a fresh Pod.
  set_pod_status(R"({"phase":"Failed","containerStatuses":[{"name":"workspace","state":{"terminated":{"reason":"OOMKilled","exitCode":137}}}]})");
  ObservedWorkspace oom = observe_until([](const ObservedWorkspace& o) { return o.out_of_memory; });
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
  for (int i = 0; i < 100 && !runtime_->observe()->empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(runtime_->observe()->empty());
  EXPECT_EQ(runtime_->tail_logs(spec.workspace_id, 100).status().code(), Code::failed_precondition);
}

// A Pod no machine in its volume's zone can take says which zone: read once from the volume
// (claim → PersistentVolume → its node affinity), then remembered.
TEST_F(KubernetesRuntimeTest, TheVolumesZoneIsNamedWhenNoMachineThereFits) {
  LaunchSpec spec = testing::jupyter_spec();
  ASSERT_TRUE(runtime_->apply(spec).ok());
  auto claims = client_->get("/api/v1/namespaces/k4ds-alice/persistentvolumeclaims");
  ASSERT_TRUE(claims) << claims.status().to_string();
  ASSERT_EQ(claims->at("items").as_array().size(), 1u);
  const std::string claim(claims->at("items").as_array()[0].at("metadata").at("name").as_string());
  // The provisioner made the home volume a disk in eu-west-1a and bound the claim to it.
  json::object pv = json::parse(R"({"apiVersion":"v1",
      "kind":"PersistentVolume","metadata":{"name":"pv-home-1"},"spec":{"capacity":{"storage":"10Gi"},
      "accessModes":["ReadWriteOnce"],"csi":{"driver":"ebs.csi.aws.com","volumeHandle":"vol-1"},
      "nodeAffinity":{"required":{"nodeSelectorTerms":[{"matchExpressions":[
        {"key":"topology.ebs.csi.aws.com/zone","operator":"In","values":["eu-west-1a"]}]}]}}}})").as_object();
  pv["spec"].as_object()["claimRef"] = json::object{{"namespace", "k4ds-alice"}, {"name", claim}};
  auto created = client_->create("/api/v1/persistentvolumes", pv);
  ASSERT_TRUE(created) << created.status().to_string();

  set_pod_status(R"({"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False",
      "reason":"Unschedulable","message":"0/3 nodes are available: 3 node(s) had volume node affinity conflict."}]})");
  ObservedWorkspace o = observe_until([](const ObservedWorkspace& w) { return w.progress.find("eu-west-1a") != std::string::npos; });
  EXPECT_EQ(o.progress, "the home volume is in zone eu-west-1a and no machine there has 2 CPUs and 8 GiB free");
  EXPECT_EQ(o.volume_zone, "eu-west-1a");
  const int before = runtime_client_->requests_sent();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(runtime_->observe());
  EXPECT_EQ(runtime_client_->requests_sent(), before) << "the zone comes from the PersistentVolumes' watch";

  // Once it runs, the zone is still reported (the controller records it with the volume).
  set_pod_status(testing::kPodRunningReady);
  o = observe_until([](const ObservedWorkspace& w) { return w.state == RunState::running; });
  EXPECT_EQ(o.state, RunState::running);
  EXPECT_EQ(o.volume_zone, "eu-west-1a");
}

// The admin rotates the registry password in the config: the next launch brings the pull secret
// up to date (server-side apply), without deleting it under running workspaces.
TEST_F(KubernetesRuntimeTest, ChangedRegistryCredentialsReachThePullSecret) {
  KubernetesOptions options;
  options.registries = {{.server = "registry.example.com", .username = "k4ds", .password = "old"}};
  auto secret = [&] { return client_->get("/api/v1/namespaces/k4ds-alice/secrets/" + std::string(kPullSecretName)); };
  {
    KubernetesRuntime before(std::make_shared<KubeClient>(connection(), fast()), options);
    ASSERT_TRUE(before.apply(testing::jupyter_spec()).ok());
  }
  auto first = secret();
  ASSERT_TRUE(first) << first.status().to_string();
  ASSERT_TRUE(runtime_->stop(testing::jupyter_spec().workspace_id).ok());

  options.registries[0].password = "new";
  KubernetesRuntime after(std::make_shared<KubeClient>(connection(), fast()), options);
  ASSERT_TRUE(after.apply(testing::jupyter_spec()).ok());
  auto second = secret();
  ASSERT_TRUE(second) << second.status().to_string();
  EXPECT_EQ(second->at("metadata").at("uid"), first->at("metadata").at("uid")) << "updated in place";
  const json::value& data = second->at("data").at(".dockerconfigjson");
  EXPECT_NE(data, first->at("data").at(".dockerconfigjson"));
  EXPECT_EQ(data, json::value(base64_encode(*docker_config_json(options.registries))));
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

TEST_F(KubernetesRuntimeTest, TheConfiguredRateLimitAppliesToTheRuntimesClient) {
  EXPECT_EQ(runtime_client_->rate_limit_qps(), 20) << "client-go's defaults";
  EXPECT_EQ(runtime_client_->rate_limit_burst(), 40);
  auto client = std::make_shared<KubeClient>(connection(), fast());
  KubernetesRuntime limited(client, KubernetesOptions{.api_qps = 7.5, .api_burst = 9});
  EXPECT_EQ(client->rate_limit_qps(), 7.5);
  EXPECT_EQ(client->rate_limit_burst(), 9);
}

TEST_F(KubernetesRuntimeTest, FollowLogsStreamsUntilThePodGoes) {
  LaunchSpec spec = testing::jupyter_spec();
  EXPECT_EQ(runtime_->follow_logs(spec.workspace_id, 1000).status().code(), Code::failed_precondition)
      << "no Pod yet";
  ASSERT_TRUE(runtime_->apply(spec).ok());
  auto follow = runtime_->follow_logs(spec.workspace_id, 64 * 1024);
  ASSERT_TRUE(follow) << follow.status().to_string();
  // What the output held when following began, then what the container writes afterwards.
  auto collect = [&](const std::string& until) {
    std::string got;
    for (int i = 0; i < 50 && got.find(until) == std::string::npos; ++i) {
      auto chunk = follow->next(std::chrono::milliseconds(100));
      if (!chunk) break;
      got += *chunk;
    }
    return got;
  };
  EXPECT_EQ(collect("\n"), "log of " + workspace_object_name(spec) + "\n");
  EXPECT_EQ(follow->next(std::chrono::milliseconds(200)), std::optional<std::string>("")) << "nothing new yet";
  auto r = client_->create("/_test/log?path=" + pod_path(), json::object{{"text", "epoch 1 done\nepoch 2"}});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(collect("epoch 2"), "epoch 1 done\nepoch 2") << "new output arrives as it is written";
  // Stop: the Pod goes, the stream ends, next() says so.
  ASSERT_TRUE(runtime_->stop(spec.workspace_id).ok());
  std::optional<std::string> last = "";
  for (int i = 0; i < 50 && last; ++i) last = follow->next(std::chrono::milliseconds(100));
  EXPECT_FALSE(last) << "the stream must end when the Pod is deleted";
  follow->close();
}

TEST_F(KubernetesRuntimeTest, ClosingAFollowEndsItAtOnce) {
  LaunchSpec spec = testing::jupyter_spec();
  ASSERT_TRUE(runtime_->apply(spec).ok());
  auto started = std::chrono::steady_clock::now();
  {
    auto follow = runtime_->follow_logs(spec.workspace_id, 1000);
    ASSERT_TRUE(follow) << follow.status().to_string();
    auto first = follow->next(std::chrono::seconds(5));
    ASSERT_TRUE(first);
    EXPECT_NE(first->find("log of"), std::string::npos);
    started = std::chrono::steady_clock::now();
    follow->close();  // the Pod still runs; the server would keep the stream open for 30 s
  }  // the last copy joins the streaming thread
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
}

}  // namespace
}  // namespace k4ds::kubernetes
