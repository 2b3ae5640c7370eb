// The owner's k4ds quota as a ResourceQuota and LimitRange in their namespace: rendered (pure),
// then applied by the runtime against the fake API server, which validates them against the
// official schemas and enforces the `pods` quota as the quota admission plugin does.
#include "kubernetes/quota_objects.h"

#include <gtest/gtest.h>

#include <thread>

#include "fake_apiserver.h"
#include "kubernetes/kubernetes_runtime.h"
#include "kubernetes/names.h"
#include "kubernetes_test_support.h"

namespace k4ds::kubernetes {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

QuotaLimits alice_quota() {
  QuotaLimits q;
  q.workspaces = {3, "set for alice"};
  q.cpu_millis = {8000, "set for alice"};
  q.memory_bytes = {int64_t{32} << 30, "set for group analysts"};
  q.gpus = {1, "the default for everyone"};
  return q;
}

TEST(KubernetesQuotaObjects, TheQuotaAsKubernetesEnforcesIt) {
  auto objects = quota_objects("k4ds-alice", "alice", alice_quota());
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(json::value(objects[0]), json::parse(R"({"apiVersion":"v1","kind":"ResourceQuota",
      "metadata":{"name":"k4ds-quota","namespace":"k4ds-alice",
                  "labels":{"app.kubernetes.io/managed-by":"k4ds","k4ds.io/owner":"alice"}},
      "spec":{"hard":{"pods":"3","requests.cpu":"8","limits.cpu":"8","requests.memory":"32Gi",
                      "limits.memory":"32Gi","requests.nvidia.com/gpu":"1"}}})"));
  EXPECT_EQ(json::value(objects[1]), json::parse(R"({"apiVersion":"v1","kind":"LimitRange",
      "metadata":{"name":"k4ds-limits","namespace":"k4ds-alice",
                  "labels":{"app.kubernetes.io/managed-by":"k4ds","k4ds.io/owner":"alice"}},
      "spec":{"limits":[{"type":"Container","max":{"cpu":"8","memory":"32Gi"},
                         "default":{"cpu":"1","memory":"1Gi"},"defaultRequest":{"cpu":"1","memory":"1Gi"}}]}})"));

  QuotaLimits small;
  small.cpu_millis = {500, "x"};
  auto limited = quota_objects("k4ds-bob", "bob", small);
  ASSERT_EQ(limited.size(), 2u);
  EXPECT_EQ(limited[1].at("spec").at("limits").at(0).at("default").at("cpu"), "500m") << "never more than the quota";

  QuotaLimits count_only;
  count_only.workspaces = {2, "x"};
  auto counted = quota_objects("k4ds-bob", "bob", count_only);
  ASSERT_EQ(counted.size(), 1u) << "no LimitRange without a CPU or memory limit";
  EXPECT_EQ(counted[0].at("spec"), json::parse(R"({"hard":{"pods":"2"}})"));
  EXPECT_TRUE(quota_objects("k4ds-bob", "bob", QuotaLimits{}).empty());

}

TEST(KubernetesQuotaObjects, RenderedWithTheWorkspaceInPerUserNamespacesOnly) {
  LaunchSpec spec = testing::jupyter_spec();
  spec.owner_quota = alice_quota();
  auto rendered = render_workspace(spec, KubernetesOptions{});
  ASSERT_TRUE(rendered);
  std::vector<std::string> kinds;
  for (const auto& o : rendered->objects) kinds.emplace_back(o.at("kind").as_string());
  EXPECT_EQ(kinds, (std::vector<std::string>{"Namespace", "ResourceQuota", "LimitRange", "PersistentVolumeClaim",
                                             "Pod", "Service", "NetworkPolicy"}));
  KubernetesOptions shared;
  shared.namespace_mode = NamespaceMode::shared;
  auto in_shared = render_workspace(spec, shared);
  ASSERT_TRUE(in_shared);
  EXPECT_TRUE(testing::find_kind(*in_shared, "ResourceQuota").empty()) << "a shared namespace has no owner";
  spec.owner_quota.reset();
  EXPECT_TRUE(testing::find_kind(*render_workspace(spec, KubernetesOptions{}), "ResourceQuota").empty());
}

class NamespaceQuotaTest : public FakeApiServer {
 protected:
  void SetUp() override {
    FakeApiServer::SetUp();
    client_ = std::make_shared<KubeClient>(connection(), ClientOptions{.timeout = 20s});
    runtime_ = std::make_unique<KubernetesRuntime>(std::make_shared<KubeClient>(connection(), fast()),
                                                   KubernetesOptions{});
    ASSERT_TRUE(runtime_->wait_synced(5s));
    ASSERT_TRUE(runtime_->events_synced(5s));
    ASSERT_TRUE(runtime_->nodes_synced(5s));
    ASSERT_TRUE(runtime_->volumes_synced(5s));
    // Each cache's watch opens right after its list; counts below start after all of them
    // (Pods, Services, NetworkPolicies, Events, Nodes, PersistentVolumes).
    for (int i = 0; i < 250 && server_requests() < 12; ++i) std::this_thread::sleep_for(20ms);
    ASSERT_EQ(server_requests(), 12) << "6 lists + 6 watches";
  }
  int64_t server_requests() {
    auto r = client_->get("/_test/requests");
    return r ? r->at("requests").as_int64() : -1;
  }
  json::value quota() {
    auto r = client_->get("/api/v1/namespaces/k4ds-alice/resourcequotas/k4ds-quota");
    return r ? *r : json::value(nullptr);
  }
  json::value limit_range() {
    auto r = client_->get("/api/v1/namespaces/k4ds-alice/limitranges/k4ds-limits");
    return r ? *r : json::value(nullptr);
  }
  LaunchSpec spec(int n, std::optional<QuotaLimits> q) {
    LaunchSpec s = testing::jupyter_spec();
    s.workspace_id = "0000000" + std::to_string(n) + "-0d4a-4c55-9d1e-6a7b8c9d0e1f";
    s.name = "ws" + std::to_string(n);
    s.owner_quota = std::move(q);
    return s;
  }
  std::shared_ptr<KubeClient> client_;
  std::unique_ptr<KubernetesRuntime> runtime_;
};

TEST_F(NamespaceQuotaTest, AppliedOnceThenKeptAsTheQuotaSays) {
  int64_t before = server_requests();
  ASSERT_TRUE(runtime_->apply(spec(1, alice_quota())).ok());
  const int64_t first = server_requests() - before;
  std::cout << "API calls for the first launch with a quota (per-user namespace): " << first << "\n";
  EXPECT_EQ(first, 8) << "GET Pod; create Namespace, ResourceQuota, LimitRange, PVC, Pod, Service, NetworkPolicy";
  ASSERT_TRUE(quota().is_object());
  EXPECT_EQ(quota().at("spec").at("hard").at("limits.memory"), "32Gi");
  EXPECT_EQ(limit_range().at("spec").at("limits").at(0).at("max").at("cpu"), "8");
  const json::value quota_uid = quota().at("metadata").at("uid");

  // The next launch with the same quota: nothing about it is sent.
  before = server_requests();
  ASSERT_TRUE(runtime_->apply(spec(2, alice_quota())).ok());
  EXPECT_EQ(server_requests() - before, 6) << "GET Pod; Namespace and PVC exist (409); Pod, Service, NetworkPolicy";

  // The admin gives alice more CPU: the objects are replaced in place (same uid).
  QuotaLimits more = alice_quota();
  more.cpu_millis.value = 16000;
  ASSERT_TRUE(runtime_->apply(spec(3, more)).ok());
  EXPECT_EQ(quota().at("spec").at("hard").at("requests.cpu"), "16");
  EXPECT_EQ(limit_range().at("spec").at("limits").at(0).at("max").at("cpu"), "16");
  EXPECT_EQ(quota().at("metadata").at("uid"), quota_uid) << "replaced, not deleted and created";

  // GPUs are no longer limited for alice: that one limit leaves the quota, the rest stays.
  ASSERT_TRUE(runtime_->stop(spec(3, more).workspace_id).ok());
  QuotaLimits no_gpu_limit = more;
  no_gpu_limit.gpus = {};
  ASSERT_TRUE(runtime_->apply(spec(3, no_gpu_limit)).ok());
  EXPECT_FALSE(quota().at("spec").at("hard").as_object().contains("requests.nvidia.com/gpu")) << quota();
  EXPECT_EQ(quota().at("spec").at("hard").at("requests.cpu"), "16");
  EXPECT_EQ(quota().at("metadata").at("uid"), quota_uid);

  // Someone edits the quota on the cluster; a restarted k4ds puts it back at the next launch.
  json::object edited = quota().as_object();
  edited["spec"].as_object()["hard"].as_object()["requests.cpu"] = "100";
  ASSERT_TRUE(client_->replace("/api/v1/namespaces/k4ds-alice/resourcequotas/k4ds-quota", edited));
  ASSERT_TRUE(runtime_->stop(spec(3, more).workspace_id).ok());
  runtime_ = std::make_unique<KubernetesRuntime>(std::make_shared<KubeClient>(connection(), fast()), KubernetesOptions{});
  ASSERT_TRUE(runtime_->apply(spec(3, more)).ok());
  EXPECT_EQ(quota().at("spec").at("hard").at("requests.cpu"), "16") << "drift repaired";

  // No quota known (the controller did not say): left as it is.
  ASSERT_TRUE(runtime_->stop(spec(3, more).workspace_id).ok());
  ASSERT_TRUE(runtime_->apply(spec(3, std::nullopt)).ok());
  EXPECT_TRUE(quota().is_object());

  // The quota no longer limits alice: both objects go.
  ASSERT_TRUE(runtime_->stop(spec(3, more).workspace_id).ok());
  ASSERT_TRUE(runtime_->apply(spec(3, QuotaLimits{})).ok());
  EXPECT_TRUE(quota().is_null());
  EXPECT_TRUE(limit_range().is_null());
}

TEST_F(NamespaceQuotaTest, APodPastTheClusterQuotaIsRetriedNotFailed) {
  QuotaLimits one;
  one.workspaces = {1, "set for alice"};
  ASSERT_TRUE(runtime_->apply(spec(1, one)).ok());
  // k4ds's own admission counts a stopped workspace as free at once; on the cluster its Pod may
  // still be going away, and the quota admission refuses the next Pod.
  Status s = runtime_->apply(spec(2, one));
  EXPECT_EQ(s.code(), Code::unavailable) << s.to_string();
  EXPECT_NE(s.message().find("alice's quota there is used up"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("ResourceQuota"), std::string::npos) << "plain words: " << s.message();
  ASSERT_TRUE(runtime_->stop(spec(1, one).workspace_id).ok());
  EXPECT_TRUE(runtime_->apply(spec(2, one)).ok()) << "once the Pod is gone, the retry succeeds";
}

}  // namespace
}  // namespace k4ds::kubernetes
