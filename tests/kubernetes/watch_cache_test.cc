// Watch-driven observation: the runtime's caches (Pods, their Events, Nodes) list once, then
// follow the watch. Counted with the fake API server's own request counter (GET
// /_test/requests), so every call the runtime makes shows, whichever client made it.
#include "kubernetes/watch_cache.h"

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

class WatchCacheTest : public FakeApiServer {
 protected:
  void SetUp() override {
    FakeApiServer::SetUp();
    // Creating an object runs the schema validator (node) in the fake server: seconds on a
    // loaded machine, so a longer deadline than fast() for the test's own calls.
    client_ = std::make_shared<KubeClient>(connection(), ClientOptions{.timeout = std::chrono::seconds(20)});
  }
  int64_t server_requests() { return requests_answered(*client_); }
  std::shared_ptr<KubeClient> client_;
};

TEST_F(WatchCacheTest, SteadyStateObserveMakesNoApiCalls) {
  LaunchSpec spec = testing::jupyter_spec();
  auto runtime_client = std::make_shared<KubeClient>(connection(), fast());
  KubernetesRuntime runtime(runtime_client, KubernetesOptions{});
  ASSERT_TRUE(runtime.wait_synced(5s));
  ASSERT_TRUE(runtime.events_synced(5s));
  ASSERT_TRUE(runtime.nodes_synced(5s));
  ASSERT_TRUE(runtime.volumes_synced(5s));
  // The runtime's caches (Pods with their Services and NetworkPolicies, Events, Nodes,
  // PersistentVolumes): one list, then one watch each (the server counts a watch when it opens).
  ASSERT_TRUE(eventually([&] { return server_requests() == 12; })) << server_requests();
  std::cout << "API calls at start-up (6 lists + 6 watches): " << server_requests() << "\n";

  int64_t before = server_requests();
  ASSERT_TRUE(runtime.apply(spec).ok());
  int64_t launch = server_requests() - before;
  std::cout << "API calls for one launch (first launch, per-user namespace): " << launch << "\n";
  EXPECT_EQ(launch, 6) << "GET Pod, then create Namespace, PVC, Pod, Service, NetworkPolicy";

  const std::string pod = "/api/v1/namespaces/k4ds-alice/pods/" + workspace_object_name(spec);
  ASSERT_TRUE(client_->create("/_test/status?path=" + pod,
                              json::parse(R"({"phase":"Running","podIP":"10.1.2.3","containerStatuses":[
                                  {"name":"workspace","ready":true,"state":{"running":{}}}]})").as_object()));
  ASSERT_TRUE(eventually([&] {
    auto o = runtime.observe();
    return o && o->size() == 1 && o->front().state == RunState::running;
  }));

  // Steady state: the controller observes every 2 s; here 30 observations in a row.
  before = server_requests();
  for (int i = 0; i < 30; ++i) {
    auto o = runtime.observe();
    ASSERT_TRUE(o) << o.status().to_string();
    ASSERT_EQ(o->size(), 1u);
    EXPECT_EQ(o->front().state, RunState::running);
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(server_requests() - before, 0) << "observe must read the watch-fed cache, not the API";
  std::cout << "API calls for 30 observations in steady state: " << server_requests() - before << "\n";
}

TEST_F(WatchCacheTest, ChangesArriveThroughTheWatch) {
  ObjectCache cache(client_, "/api/v1/pods?labelSelector=app.kubernetes.io/managed-by=k4ds");
  cache.start();
  ASSERT_TRUE(cache.wait_synced(5s));
  EXPECT_TRUE(cache.objects()->empty());
  json::object pod = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1","namespace":"n",
      "labels":{"app.kubernetes.io/managed-by":"k4ds"}},"spec":{"containers":[{"name":"c","image":"i"}]}})").as_object();
  json::object other = pod;
  other["metadata"].as_object()["name"] = "not-ours";
  other["metadata"].as_object()["labels"] = json::object{{"app", "x"}};
  ASSERT_TRUE(client_->create("/api/v1/namespaces/n/pods", pod));
  ASSERT_TRUE(client_->create("/api/v1/namespaces/n/pods", other));
  ASSERT_TRUE(eventually([&] { return cache.objects()->size() == 1; }));
  EXPECT_EQ(cache.objects()->front().at("metadata").at("name"), "p1") << "only Pods matching the label selector";
  ASSERT_TRUE(client_->remove("/api/v1/namespaces/n/pods/p1"));
  EXPECT_TRUE(eventually([&] { return cache.objects()->empty(); }));
  EXPECT_EQ(cache.lists(), 1) << "one list, then only the watch";
}

TEST_F(WatchCacheTest, ExpiredVersionListsAgain) {
  // Short watches, so the next one starts from a version the server has compacted away.
  ObjectCache cache(client_, "/api/v1/pods?labelSelector=app.kubernetes.io/managed-by=k4ds",
                 WatchCacheOptions{.watch_duration = 1s});
  cache.start();
  ASSERT_TRUE(cache.wait_synced(5s));
  json::object pod = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1","namespace":"n",
      "labels":{"app.kubernetes.io/managed-by":"k4ds"}},"spec":{"containers":[{"name":"c","image":"i"}]}})").as_object();
  ASSERT_TRUE(client_->create("/api/v1/namespaces/n/pods", pod));
  ASSERT_TRUE(eventually([&] { return cache.objects()->size() == 1; }));
  // Another change, then everything up to it expires: the cache must relist to see the state.
  ASSERT_TRUE(client_->create("/_test/compact", {}));
  ASSERT_TRUE(client_->remove("/api/v1/namespaces/n/pods/p1"));
  ASSERT_TRUE(client_->create("/_test/compact", {}));
  EXPECT_TRUE(eventually([&] { return cache.lists() >= 2; }, 5s)) << "410 Gone → list again";
  EXPECT_TRUE(eventually([&] { auto p = cache.objects(); return p && p->empty(); }));
}

TEST_F(WatchCacheTest, StopEndsAWatchAtOnce) {
  ObjectCache cache(client_, "/api/v1/pods?labelSelector=app.kubernetes.io/managed-by=k4ds",
                 WatchCacheOptions{.watch_duration = 300s});
  cache.start();
  ASSERT_TRUE(cache.wait_synced(5s));
  std::this_thread::sleep_for(200ms);  // the watch is open now
  auto started = std::chrono::steady_clock::now();
  cache.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(WatchCacheTest, UnreachableClusterIsUnavailableNotAHang) {
  ClusterConnection nowhere = connection();
  nowhere.server = "https://127.0.0.1:1";  // nothing listens there
  auto client = std::make_shared<KubeClient>(nowhere, ClientOptions{.timeout = 500ms, .attempts = 1});
  KubernetesRuntime runtime(client, KubernetesOptions{});
  auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(runtime.wait_synced(500ms));
  auto observed = runtime.observe();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 6s);
  ASSERT_FALSE(observed);
  EXPECT_EQ(observed.status().code(), Code::unavailable) << observed.status().to_string();
  EXPECT_NE(observed.status().message().find("127.0.0.1:1"), std::string::npos) << observed.status().message();
}

}  // namespace
}  // namespace k4ds::kubernetes
