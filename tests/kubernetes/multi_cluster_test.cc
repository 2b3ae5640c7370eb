// MultiClusterRuntime against two fake API servers, "aws" (the default) and "gcp" (where size
// "gpu" runs): a size's workspaces are created on its cluster only; a volume stays on the cluster
// that has it (a launch elsewhere is refused and creates nothing); stop and logs reach the
// cluster that holds the workspace; a cluster that goes away leaves the other's workspaces
// observed and its own reported unknown (never absent) until it is back.
#include "kubernetes/multi_cluster_runtime.h"

#include <gtest/gtest.h>

#include "kubernetes/clusters.h"
#include "kubernetes/names.h"
#include "kubernetes_test_support.h"
#include "two_clusters.h"

namespace k4ds::kubernetes {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kAliceNamespace = "/api/v1/namespaces/k4ds-alice";

KubernetesOptions two_cluster_options() {
  KubernetesOptions o;
  o.clusters = {ClusterOptions{.name = "aws"}, ClusterOptions{.name = "gcp", .storage_class = "standard-rwo"}};
  o.node_pools["gpu"] = NodePool{.node_selector = {{"cloud.google.com/gke-accelerator", "nvidia-l4"}}, .cluster = "gcp"};
  return o;
}

// A "gpu" workspace with a home volume of its own (jupyter_spec and gpu_spec share one).
LaunchSpec gpu_with_own_volume() {
  LaunchSpec spec = testing::gpu_spec();
  spec.volume_id = "c0ffee00-1b3c-4d5e-8f90-a1b2c3d4e5f6";
  return spec;
}

class MultiClusterTest : public TwoClusters {
 protected:
  void SetUp() override {
    TwoClusters::SetUp();
    if (HasFatalFailure()) return;
    aws_api_ = std::make_shared<KubeClient>(aws().connection(), aws().fast());
    gcp_api_ = std::make_shared<KubeClient>(gcp().connection(), gcp().fast());
    make_runtime(two_cluster_options());
  }
  void TearDown() override {
    runtime_.reset();  // its watches end before the servers do
    TwoClusters::TearDown();
  }
  // A fresh runtime (as after a restart of k4ds). `synced`: wait until both clusters answered;
  // `observe`: then observe once, as the controller does before it applies anything.
  void make_runtime(const KubernetesOptions& options, bool synced = true, bool observe = true) {
    runtime_.reset();
    std::vector<MultiClusterRuntime::Cluster> clusters;
    for (auto [name, fake] : {std::pair{"aws", &aws()}, std::pair{"gcp", &gcp()}}) {
      KubernetesOptions own = options_for_cluster(options, name);
      auto runtime = std::make_unique<KubernetesRuntime>(
          std::make_shared<KubeClient>(fake->connection(), fake->fast()), own, nullptr,
          WatchCacheOptions{.retry_first = 50ms, .retry_max = 200ms});
      if (synced) ASSERT_TRUE(runtime->wait_synced(5s)) << name;
      clusters.push_back({name, std::move(runtime), own});
    }
    runtime_ = std::make_unique<MultiClusterRuntime>(std::move(clusters), options);
    if (synced && observe) ASSERT_TRUE(runtime_->observe());
  }
  std::vector<std::string> names(KubeClient& api, const std::string& collection) {
    return testing::object_names(api, collection);
  }
  std::string pod_name(const LaunchSpec& spec) { return workspace_object_name(spec); }
  // The observed workspace with this id, once `ok` holds for it (or the last seen after 10 s).
  std::optional<ObservedWorkspace> observed(const std::string& id,
                                            const std::function<bool(const ObservedWorkspace&)>& ok) {
    std::optional<ObservedWorkspace> last;
    eventually(
        [&] {
          auto all = runtime_->observe();
          if (!all) return false;
          last.reset();
          for (const ObservedWorkspace& o : *all) {
            if (o.workspace_id == id) last = o;
          }
          return last && ok(*last);
        },
        10s);
    return last;
  }
  std::shared_ptr<KubeClient> aws_api_, gcp_api_;  // the test's own view of each cluster
  std::unique_ptr<MultiClusterRuntime> runtime_;
};

TEST(KubernetesClusters, EachClusterRunsWithItsOwnOptions) {
  KubernetesOptions o = two_cluster_options();
  o.node_pools["small"] = NodePool{.node_selector = {{"pool", "general"}}};  // no cluster: the default
  o.nfs_server = "nfs.example.org";
  o.nfs_export = "/exports/k4ds";
  EXPECT_EQ(cluster_for_size(o, "gpu"), "gcp");
  EXPECT_EQ(cluster_for_size(o, "small"), "aws");
  EXPECT_EQ(cluster_for_size(o, "large"), "aws") << "a size without a node pool runs on the first cluster";
  EXPECT_EQ(cluster_for_size(KubernetesOptions{}, "gpu"), "") << "one cluster";

  KubernetesOptions aws = options_for_cluster(o, "aws"), gcp = options_for_cluster(o, "gcp");
  EXPECT_TRUE(aws.clusters.empty());
  EXPECT_EQ(aws.nfs_server, "nfs.example.org") << "inherited";
  EXPECT_EQ(gcp.nfs_server, "") << "storage_class replaces the shared NFS volumes";
  EXPECT_EQ(gcp.storage_class, "standard-rwo");
  EXPECT_EQ(aws.node_pools.size(), 1u);
  EXPECT_TRUE(aws.node_pools.contains("small"));
  EXPECT_EQ(gcp.node_pools.size(), 1u);
  EXPECT_TRUE(gcp.node_pools.contains("gpu"));
  EXPECT_EQ(options_for_size(o, "gpu").storage_class, "standard-rwo") << "what a dry run renders with";
  EXPECT_EQ(options_for_size(KubernetesOptions{.storage_class = "fast"}, "gpu").storage_class, "fast");

  EXPECT_FALSE(same_nfs_volumes(aws, gcp));
  o.clusters[1] = ClusterOptions{.name = "gcp", .upstream = UpstreamMode::pod_ip};
  gcp = options_for_cluster(o, "gcp");
  EXPECT_TRUE(same_nfs_volumes(aws, gcp));
  EXPECT_EQ(gcp.upstream, UpstreamMode::pod_ip);
  EXPECT_EQ(aws.upstream, UpstreamMode::service);
  o.clusters[1].nfs_server = "filestore.internal";
  o.clusters[1].nfs_export = "/k4ds";
  EXPECT_FALSE(same_nfs_volumes(aws, options_for_cluster(o, "gcp")));
}

TEST_F(MultiClusterTest, TheSizeChoosesTheCluster) {
  LaunchSpec small = testing::jupyter_spec(), gpu = gpu_with_own_volume();
  ASSERT_TRUE(runtime_->apply(small).ok());
  Status applied = runtime_->apply(gpu);
  ASSERT_TRUE(applied.ok()) << applied.to_string();

  EXPECT_EQ(names(*aws_api_, std::string(kAliceNamespace) + "/pods"), std::vector<std::string>{pod_name(small)});
  EXPECT_EQ(names(*gcp_api_, std::string(kAliceNamespace) + "/pods"), std::vector<std::string>{pod_name(gpu)});
  EXPECT_EQ(names(*aws_api_, std::string(kAliceNamespace) + "/persistentvolumeclaims"),
            std::vector<std::string>{volume_object_name(small.volume_id)});
  EXPECT_EQ(names(*gcp_api_, std::string(kAliceNamespace) + "/persistentvolumeclaims"),
            std::vector<std::string>{volume_object_name(gpu.volume_id)});
  // The gcp cluster's own storage class and the GPU node pool's placement.
  auto claim = gcp_api_->get(std::string(kAliceNamespace) + "/persistentvolumeclaims/" + volume_object_name(gpu.volume_id));
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->at("spec").at("storageClassName"), "standard-rwo");
  auto pod = gcp_api_->get(std::string(kAliceNamespace) + "/pods/" + pod_name(gpu));
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->at("spec").at("nodeSelector").at("cloud.google.com/gke-accelerator"), "nvidia-l4");
  auto aws_claim = aws_api_->get(std::string(kAliceNamespace) + "/persistentvolumeclaims/" + volume_object_name(small.volume_id));
  ASSERT_TRUE(aws_claim);
  EXPECT_FALSE(aws_claim->at("spec").as_object().contains("storageClassName")) << "aws: the cluster's default";

  // Both observed, each from its cluster.
  EXPECT_TRUE(observed(small.workspace_id, [](const auto&) { return true; }));
  EXPECT_TRUE(observed(gpu.workspace_id, [](const auto&) { return true; }));
  EXPECT_EQ(runtime_->cluster_of(small.workspace_id), "aws");
  EXPECT_EQ(runtime_->cluster_of(gpu.workspace_id), "gcp");

  ASSERT_TRUE(runtime_->apply(gpu).ok()) << "again: already there";
  EXPECT_EQ(names(*gcp_api_, std::string(kAliceNamespace) + "/pods").size(), 1u);
  EXPECT_EQ(names(*aws_api_, std::string(kAliceNamespace) + "/pods").size(), 1u);

  const std::string capabilities = runtime_->capabilities();
  EXPECT_EQ(capabilities.find("cluster aws: CPU, memory and GPU limits"), 0u) << capabilities;
  EXPECT_NE(capabilities.find("\ncluster gcp: CPU, memory and GPU limits"), std::string::npos) << capabilities;
  EXPECT_EQ(runtime_->name(), "kubernetes");
}

TEST_F(MultiClusterTest, AVolumeStaysOnTheClusterThatHasIt) {
  LaunchSpec small = testing::jupyter_spec();
  ASSERT_TRUE(runtime_->apply(small).ok());  // its home volume is now on aws
  ASSERT_TRUE(runtime_->stop(small.workspace_id).ok());

  LaunchSpec gpu = testing::gpu_spec();  // the same home volume, a size that runs on gcp
  Status refused = runtime_->apply(gpu);
  EXPECT_EQ(refused.code(), Code::failed_precondition) << refused.to_string();
  EXPECT_EQ(refused.message(),
            "the volume 'home' is kept where size 'gpu' cannot run (in 'aws'; size 'gpu' runs in 'gcp'); launch with "
            "a size that runs in 'aws', or ask your admin to move the volume");
  // Nothing at all on gcp: no namespace, no second copy of the volume, no Pod.
  EXPECT_TRUE(names(*gcp_api_, "/api/v1/namespaces").empty());
  EXPECT_TRUE(names(*gcp_api_, "/api/v1/persistentvolumeclaims").empty());
  EXPECT_TRUE(names(*gcp_api_, "/api/v1/pods").empty());

  // Another of the owner's volumes, mounted into a new home: the same rule, by its name.
  LaunchSpec with_data = gpu_with_own_volume();
  with_data.extra_volumes = {{.volume_id = small.volume_id, .name = "data"}};
  refused = runtime_->apply(with_data);
  EXPECT_EQ(refused.code(), Code::failed_precondition);
  EXPECT_EQ(refused.message().find("the volume 'data' is kept where size 'gpu' cannot run (in 'aws';"), 0u)
      << refused.message();
  EXPECT_TRUE(names(*gcp_api_, "/api/v1/persistentvolumeclaims").empty());

  // Where the volume is, the launch goes ahead.
  LaunchSpec back = testing::jupyter_spec();
  EXPECT_TRUE(runtime_->apply(back).ok());

  // The other cluster cannot be asked: unavailable (retried), and still nothing on gcp.
  aws().kill();
  Status unknown = runtime_->apply(gpu_with_own_volume());
  EXPECT_EQ(unknown.code(), Code::unavailable) << unknown.to_string();
  EXPECT_EQ(unknown.message().find("cannot tell whether the volume 'home' is kept in 'aws' ("), 0u) << unknown.message();
  EXPECT_TRUE(names(*gcp_api_, "/api/v1/persistentvolumeclaims").empty());
  EXPECT_TRUE(names(*gcp_api_, "/api/v1/pods").empty());
}

TEST_F(MultiClusterTest, SharedNfsVolumesAreReachableFromEveryCluster) {
  KubernetesOptions o = two_cluster_options();
  o.clusters[1].storage_class.reset();  // both clusters: the same NFS server and export
  o.nfs_server = "nfs.example.org";
  o.nfs_export = "/exports/k4ds";
  make_runtime(o);
  ASSERT_TRUE(runtime_->apply(testing::jupyter_spec()).ok());
  LaunchSpec gpu = testing::gpu_spec();  // the same home volume
  const int64_t aws_before = FakeCluster::requests_answered(*aws_api_);
  Status applied = runtime_->apply(gpu);
  ASSERT_TRUE(applied.ok()) << applied.to_string();
  EXPECT_EQ(FakeCluster::requests_answered(*aws_api_) - aws_before, 0) << "aws is not asked about the volume";
  EXPECT_EQ(names(*gcp_api_, std::string(kAliceNamespace) + "/pods"), std::vector<std::string>{pod_name(gpu)});
  EXPECT_EQ(names(*gcp_api_, "/api/v1/persistentvolumes"), std::vector<std::string>{volume_object_name(gpu.volume_id)});
}

TEST_F(MultiClusterTest, StopReachesTheClusterThatHoldsTheWorkspace) {
  LaunchSpec small = testing::jupyter_spec(), gpu = gpu_with_own_volume();
  ASSERT_TRUE(runtime_->apply(small).ok());
  ASSERT_TRUE(runtime_->apply(gpu).ok());
  const int64_t aws_before = FakeCluster::requests_answered(*aws_api_);
  ASSERT_TRUE(runtime_->stop(gpu.workspace_id).ok());
  EXPECT_EQ(FakeCluster::requests_answered(*aws_api_) - aws_before, 0) << "only gcp holds it";
  EXPECT_TRUE(names(*gcp_api_, std::string(kAliceNamespace) + "/pods").empty());
  EXPECT_TRUE(names(*gcp_api_, std::string(kAliceNamespace) + "/services").empty());
  EXPECT_EQ(names(*aws_api_, std::string(kAliceNamespace) + "/pods").size(), 1u) << "the other workspace runs on";
  EXPECT_EQ(names(*gcp_api_, std::string(kAliceNamespace) + "/persistentvolumeclaims").size(), 1u) << "volume kept";
  EXPECT_TRUE(runtime_->stop(gpu.workspace_id).ok()) << "idempotent";

  // After a restart of k4ds, before any observation: where is not known, every cluster is asked.
  make_runtime(two_cluster_options(), true, /*observe=*/false);
  ASSERT_TRUE(runtime_->remove(small.workspace_id).ok());
  EXPECT_TRUE(names(*aws_api_, std::string(kAliceNamespace) + "/pods").empty());

  // The cluster that holds it cannot be reached: unavailable, so the controller retries.
  ASSERT_TRUE(runtime_->observe());
  ASSERT_TRUE(runtime_->apply(gpu).ok());
  gcp().kill();
  Status s = runtime_->stop(gpu.workspace_id);
  EXPECT_EQ(s.code(), Code::unavailable) << s.to_string();
  EXPECT_EQ(s.message().find("in 'gcp': "), 0u) << s.message();
}

TEST_F(MultiClusterTest, AnUnreachableClusterLeavesTheOthersObservedAndItsOwnUnknown) {
  LaunchSpec small = testing::jupyter_spec(), gpu = gpu_with_own_volume();
  ASSERT_TRUE(runtime_->apply(small).ok());
  ASSERT_TRUE(runtime_->apply(gpu).ok());
  ASSERT_TRUE(observed(gpu.workspace_id, [](const auto& o) { return o.state == RunState::starting; }));

  gcp().kill();
  auto lost = observed(gpu.workspace_id, [](const auto& o) { return o.state == RunState::unknown; });
  ASSERT_TRUE(lost) << "reported, never absent";
  EXPECT_EQ(lost->state, RunState::unknown);
  EXPECT_EQ(lost->progress.find("cannot reach where this workspace runs ("), 0u) << lost->progress;
  EXPECT_TRUE(lost->progress.ends_with("); k4ds keeps trying")) << lost->progress;
  auto all = runtime_->observe();
  ASSERT_TRUE(all) << all.status().to_string();
  ASSERT_EQ(all->size(), 2u);
  for (const ObservedWorkspace& o : *all) {
    if (o.workspace_id == small.workspace_id) EXPECT_EQ(o.state, RunState::starting) << "aws still reports";
  }
  // A read cluster that went stale is not waited for.
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(runtime_->observe());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  // Where it runs cannot be reached: never started a second time, never stopped blindly.
  Status again = runtime_->apply(gpu);
  EXPECT_EQ(again.code(), Code::unavailable) << again.to_string();

  gcp().revive();
  auto back = observed(gpu.workspace_id, [](const auto& o) { return o.state == RunState::starting; });
  ASSERT_TRUE(back);
  EXPECT_EQ(back->state, RunState::starting) << back->progress;

  // No cluster at all: unavailable, as with one cluster.
  aws().kill();
  gcp().kill();
  EXPECT_TRUE(eventually([&] {
    auto none = runtime_->observe();
    return !none && none.status().code() == Code::unavailable;
  }, 10s));
  auto none = runtime_->observe();
  ASSERT_FALSE(none);
  EXPECT_NE(none.status().message().find("aws: "), std::string::npos) << none.status().message();
  EXPECT_NE(none.status().message().find("gcp: "), std::string::npos) << none.status().message();
}

TEST_F(MultiClusterTest, AWorkspaceSeenOnOneClusterIsNeverStartedOnAnother) {
  LaunchSpec spec = testing::jupyter_spec();
  spec.volume_id.clear();  // no volume: only this rule keeps it on one cluster
  ASSERT_TRUE(runtime_->apply(spec).ok());
  ASSERT_TRUE(observed(spec.workspace_id, [](const auto&) { return true; }));
  spec.size = testing::gpu_spec().size;  // its size now runs on gcp
  Status applied = runtime_->apply(spec);
  EXPECT_TRUE(applied.ok()) << "it runs on aws: " << applied.to_string();
  EXPECT_TRUE(names(*gcp_api_, "/api/v1/pods").empty());

  // A cluster never read yet may run it: wait, do not start a copy.
  gcp().kill();
  make_runtime(two_cluster_options(), /*synced=*/false, /*observe=*/false);
  LaunchSpec fresh = testing::jupyter_spec();
  fresh.workspace_id = "0bd1c2b7e-0d4a-4c55-9d1e-6a7b8c9d0e1f";
  fresh.volume_id.clear();
  ASSERT_TRUE(eventually([&] { return runtime_->observe().ok(); }, 10s)) << "aws alone is read";
  Status waiting = runtime_->apply(fresh);
  EXPECT_EQ(waiting.code(), Code::unavailable) << waiting.to_string();
  EXPECT_EQ(waiting.message().find("cannot tell yet whether this workspace already runs in 'gcp' ("), 0u)
      << waiting.message();
}

TEST_F(MultiClusterTest, LogsComeFromTheClusterThatHoldsTheWorkspace) {
  LaunchSpec small = testing::jupyter_spec(), gpu = gpu_with_own_volume();
  ASSERT_TRUE(runtime_->apply(small).ok());
  ASSERT_TRUE(runtime_->apply(gpu).ok());
  const std::string gpu_pod = std::string(kAliceNamespace) + "/pods/" + pod_name(gpu);
  ASSERT_TRUE(gcp_api_->create("/_test/log?path=" + gpu_pod, json::object{{"text", "training on gcp\n"}}));

  auto text = runtime_->tail_logs(gpu.workspace_id, 4096);
  ASSERT_TRUE(text) << text.status().to_string();
  EXPECT_EQ(*text, "log of " + pod_name(gpu) + "\ntraining on gcp\n");
  auto follow = runtime_->follow_logs(gpu.workspace_id, 4096);
  ASSERT_TRUE(follow) << follow.status().to_string();
  std::string followed;
  eventually([&] {
    if (auto more = follow->next(100ms)) followed += *more;
    return followed.find("training on gcp") != std::string::npos;
  });
  EXPECT_NE(followed.find("training on gcp"), std::string::npos) << followed;
  follow->close();

  // Not known where (a restart of k4ds): found on the cluster that has it.
  make_runtime(two_cluster_options(), true, /*observe=*/false);
  text = runtime_->tail_logs(gpu.workspace_id, 4096);
  ASSERT_TRUE(text) << text.status().to_string();
  EXPECT_NE(text->find("training on gcp"), std::string::npos);
  auto none = runtime_->tail_logs("never-started", 4096);
  EXPECT_EQ(none.status().code(), Code::failed_precondition);
}

json::object node(const std::string& name, const std::string& cpu, const std::string& memory, const std::string& gpus,
                  json::object labels = {}) {
  json::object allocatable{{"cpu", cpu}, {"memory", memory}};
  if (!gpus.empty()) allocatable["nvidia.com/gpu"] = gpus;
  return json::object{{"apiVersion", "v1"}, {"kind", "Node"},
                      {"metadata", {{"name", name}, {"labels", std::move(labels)}}},
                      {"status", {{"allocatable", allocatable}}}};
}

TEST_F(MultiClusterTest, CapacityCombinesTheClusters) {
  EXPECT_FALSE(runtime_->capacity()) << "no Nodes yet";
  ASSERT_TRUE(aws_api_->create("/api/v1/nodes", node("m5", "4", "16Gi", "")));
  ASSERT_TRUE(aws_api_->create("/api/v1/nodes", node("m5-large", "16", "64Gi", "")));
  // The GPU pool's node_selector matches gcp's Node; on aws it would match none (the pool is gcp's).
  ASSERT_TRUE(gcp_api_->create("/api/v1/nodes",
                               node("l4", "8", "32Gi", "1", json::object{{"cloud.google.com/gke-accelerator", "nvidia-l4"}})));
  ASSERT_TRUE(eventually([&] { return runtime_->capacity().has_value(); }));
  Capacity c = *runtime_->capacity();
  EXPECT_EQ(c.cpu_millis, 28000);
  EXPECT_EQ(c.memory_bytes, int64_t{112} << 30);
  EXPECT_EQ(c.gpus, 1);
  EXPECT_EQ(c.largest_memory_bytes, int64_t{64} << 30);
  EXPECT_EQ(c.largest_cpu_millis, 16000);
  EXPECT_EQ(c.largest_gpus, 1);
  EXPECT_EQ(runtime_->max_starting(), 0);
  EXPECT_TRUE(runtime_->warnings().empty());
}

}  // namespace
}  // namespace k4ds::kubernetes
