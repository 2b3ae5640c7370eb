// Runtime::capacity() on Kubernetes: the Nodes' allocatable resources, which Nodes count, and
// the runtime's Node watch (no API call per admission check).
#include "kubernetes/node_capacity.h"

#include <gtest/gtest.h>

#include <thread>

#include "fake_apiserver.h"
#include "kubernetes/kubernetes_runtime.h"
#include "model/quota.h"

namespace k4ds::kubernetes {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

json::object node(const std::string& name, const std::string& cpu, const std::string& memory,
                  const std::string& gpus = "", const std::string& spec = "{}") {
  json::object allocatable{{"cpu", cpu}, {"memory", memory}, {"pods", "110"}};
  if (!gpus.empty()) allocatable["nvidia.com/gpu"] = gpus;
  return json::object{{"apiVersion", "v1"},
                      {"kind", "Node"},
                      {"metadata", {{"name", name}}},
                      {"spec", json::parse(spec)},
                      {"status", {{"allocatable", allocatable}}}};
}

TEST(KubernetesCapacity, AllocatableOfTheNodesWorkspacesMayUse) {
  std::vector<json::object> nodes{
      node("small", "3920m", "16318480Ki"),
      node("big", "15.5", "60Gi"),
      node("gpu", "7", "30Gi", "4", R"({"taints":[{"key":"nvidia.com/gpu","value":"present","effect":"NoSchedule"}]})"),
      node("not-ready", "2", "4Gi", "",
           R"({"taints":[{"key":"node.kubernetes.io/not-ready","effect":"NoExecute"}]})"),
      node("preferred-not", "1", "1Gi", "", R"({"taints":[{"key":"spot","effect":"PreferNoSchedule"}]})"),
      // Not for workspaces: cordoned, or tainted for others.
      node("cordoned", "64", "512Gi", "8", R"({"unschedulable":true})"),
      node("control-plane", "32", "256Gi", "",
           R"({"taints":[{"key":"node-role.kubernetes.io/control-plane","effect":"NoSchedule"}]})"),
      node("database", "48", "384Gi", "",
           R"({"taints":[{"key":"dedicated","value":"db","effect":"NoExecute"}]})"),
  };
  auto c = cluster_capacity(nodes, KubernetesOptions{});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cpu_millis, 3920 + 15500 + 7000 + 2000 + 1000);
  EXPECT_EQ(c->memory_bytes, int64_t{16318480} * 1024 + (int64_t{60 + 30 + 4 + 1} << 30));
  EXPECT_EQ(c->gpus, 4);
  EXPECT_EQ(c->largest_cpu_millis, 15500);
  EXPECT_EQ(c->largest_memory_bytes, int64_t{60} << 30);
  EXPECT_EQ(c->largest_gpus, 4);
  EXPECT_EQ(c->description, "the largest machine of the cluster");

  // Without the GPU toleration the GPU node is out; a node pool's toleration lets the database
  // node in.
  KubernetesOptions o;
  o.tolerate_gpu_taint = false;
  o.node_pools["db"] = {.tolerations = {{.key = "dedicated", .op = "Equal", .value = "db", .effect = "NoExecute"}}};
  auto other = cluster_capacity(nodes, o);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->largest_gpus, 0);
  EXPECT_EQ(other->largest_memory_bytes, int64_t{384} << 30);
  EXPECT_EQ(other->largest_cpu_millis, 48000);

  // What the runtime's Node cache keeps of each Node gives the same answer, without the bulk.
  std::vector<json::object> trimmed;
  for (json::object n : nodes) {
    n["status"].as_object()["images"] = json::array{json::object{{"names", json::array{"big/image:1"}}, {"sizeBytes", 1}}};
    trimmed.push_back(capacity_fields(n));
    EXPECT_FALSE(trimmed.back().at("status").as_object().contains("images"));
  }
  auto from_trimmed = cluster_capacity(trimmed, KubernetesOptions{});
  ASSERT_TRUE(from_trimmed);
  EXPECT_EQ(from_trimmed->cpu_millis, c->cpu_millis);
  EXPECT_EQ(from_trimmed->memory_bytes, c->memory_bytes);
  EXPECT_EQ(from_trimmed->largest_gpus, c->largest_gpus);

  EXPECT_FALSE(cluster_capacity({}, KubernetesOptions{})) << "no Nodes: the cluster cannot tell";

  // A node pool none of whose Nodes exist (scaled to zero): its sizes' room is unknown.
  KubernetesOptions pools;
  pools.node_pools["gpu"] = {.node_selector = {{"pool", "gpu"}}};
  EXPECT_FALSE(cluster_capacity(nodes, pools)) << "an autoscaler may add GPU machines on demand";
  std::vector<json::object> with_pool = nodes;
  with_pool[2]["metadata"].as_object()["labels"] = json::object{{"pool", "gpu"}, {"zone", "a"}};
  EXPECT_TRUE(cluster_capacity(with_pool, pools));
  EXPECT_TRUE(cluster_capacity({capacity_fields(with_pool[2])}, pools)) << "labels survive the trim";
  EXPECT_FALSE(cluster_capacity({nodes[5], nodes[6]}, KubernetesOptions{})) << "no Node a workspace may use";
  auto broken = cluster_capacity({node("odd", "lots", "8Gi")}, KubernetesOptions{});
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->largest_cpu_millis, 0) << "an unreadable quantity counts 0";
  EXPECT_EQ(broken->largest_memory_bytes, int64_t{8} << 30);
}

class CapacityTest : public FakeApiServer {
 protected:
  void SetUp() override {
    FakeApiServer::SetUp();
    client_ = std::make_shared<KubeClient>(connection(), ClientOptions{.timeout = 20s});
  }
  int64_t server_requests() {
    auto r = client_->get("/_test/requests");
    return r ? r->at("requests").as_int64() : -1;
  }
  template <class Pred>
  bool eventually(Pred pred) {
    for (int i = 0; i < 250 && !pred(); ++i) std::this_thread::sleep_for(20ms);
    return pred();
  }
  std::shared_ptr<KubeClient> client_;
};

TEST_F(CapacityTest, FollowsTheNodesThroughTheWatch) {
  KubernetesRuntime runtime(std::make_shared<KubeClient>(connection(), fast()), KubernetesOptions{});
  ASSERT_TRUE(runtime.nodes_synced(5s));
  ASSERT_TRUE(runtime.volumes_synced(5s));
  EXPECT_FALSE(runtime.capacity()) << "no Nodes yet";
  ASSERT_TRUE(client_->create("/api/v1/nodes", node("n1", "4", "16Gi")));
  ASSERT_TRUE(client_->create("/api/v1/nodes", node("n2", "16", "64Gi", "2")));
  ASSERT_TRUE(eventually([&] { auto c = runtime.capacity(); return c && c->largest_memory_bytes == int64_t{64} << 30; }));

  // Admission asks on every launch: answered from the cache, no API call.
  const int64_t before = server_requests();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(runtime.capacity());
  EXPECT_EQ(server_requests() - before, 0);

  auto c = runtime.capacity();
  EXPECT_EQ(c->memory_bytes, int64_t{80} << 30);
  EXPECT_EQ(c->cpu_millis, 20000);
  EXPECT_EQ(c->largest_gpus, 2);
  Size huge{.name = "huge", .cpu_millis = 8000, .memory_bytes = int64_t{128} << 30};
  Status refused = fits_capacity(*c, huge);
  EXPECT_EQ(refused.code(), Code::failed_precondition);
  EXPECT_EQ(refused.message().find("size huge needs 128 GiB of memory, but the largest machine of the cluster has "
                                   "only 64 GiB of memory"), 0u) << refused.message();
  EXPECT_TRUE(fits_capacity(*c, Size{.name = "big", .cpu_millis = 8000, .memory_bytes = int64_t{64} << 30}).ok());

  // A Node grows (its allocatable is status, set by the kubelet), another goes.
  ASSERT_TRUE(client_->create("/_test/status?path=/api/v1/nodes/n1",
                              json::object{{"allocatable", {{"cpu", "32"}, {"memory", "256Gi"}}}}));
  ASSERT_TRUE(client_->remove("/api/v1/nodes/n2"));
  ASSERT_TRUE(eventually([&] { auto c = runtime.capacity(); return c && c->largest_gpus == 0; }));
  EXPECT_EQ(runtime.capacity()->largest_memory_bytes, int64_t{256} << 30);
  EXPECT_TRUE(fits_capacity(*runtime.capacity(), huge).ok());
}

}  // namespace
}  // namespace k4ds::kubernetes
