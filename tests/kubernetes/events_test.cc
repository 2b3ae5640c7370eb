// Events without polling: the runtime reads a starting Pod's Events (scheduling, image
// download, pull failures) from a watch-fed EventCache, bounded per Pod and dropped with the
// Pod. API calls counted by the fake API server (GET /_test/requests).
#include "kubernetes/event_cache.h"

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

constexpr const char* kPodEvents = "/api/v1/events?fieldSelector=involvedObject.kind=Pod";

class EventWatchTest : public FakeApiServer {
 protected:
  void SetUp() override {
    FakeApiServer::SetUp();
    // Creating an object runs the schema validator (node) in the fake server: seconds on a
    // loaded machine, so a longer deadline than fast() for the test's own calls.
    client_ = std::make_shared<KubeClient>(connection(), ClientOptions{.timeout = 20s});
  }
  int64_t server_requests() { return requests_answered(*client_); }
  // An Event as the kubelet or scheduler records it, about Pod `pod` (uid) in namespace `ns`.
  void record_event(const std::string& ns, const std::string& name, const std::string& pod, const std::string& uid,
                    const std::string& reason, const std::string& message, int second,
                    const std::string& kind = "Pod") {
    char at[32];
    std::snprintf(at, sizeof at, "2026-01-01T00:00:%02dZ", second);
    json::object event{
        {"apiVersion", "v1"},
        {"kind", "Event"},
        {"metadata", {{"name", name}, {"namespace", ns}}},
        {"involvedObject", {{"apiVersion", "v1"}, {"kind", kind}, {"name", pod}, {"namespace", ns}, {"uid", uid}}},
        {"reason", reason},
        {"message", message},
        {"type", reason == "Failed" ? "Warning" : "Normal"},
        {"source", {{"component", "kubelet"}}},
        {"firstTimestamp", at},
        {"lastTimestamp", at},
        {"count", 1}};
    auto r = client_->create("/api/v1/namespaces/" + ns + "/events", event);
    ASSERT_TRUE(r) << r.status().to_string();
  }
  std::string pod_path() {
    return "/api/v1/namespaces/k4ds-alice/pods/" + workspace_object_name(testing::jupyter_spec());
  }
  std::string pod_uid() {
    auto pod = client_->get(pod_path());
    EXPECT_TRUE(pod) << pod.status().to_string();
    return pod ? std::string(pod->at("metadata").at("uid").as_string()) : "";
  }
  void kubelet_sets(const std::string& status) {
    auto r = client_->create("/_test/status?path=" + pod_path(), json::parse(status).as_object());
    ASSERT_TRUE(r) << r.status().to_string();
  }
  ObservedWorkspace observe_until(KubernetesRuntime& runtime, const std::function<bool(const ObservedWorkspace&)>& ok) {
    ObservedWorkspace last;
    eventually([&] {
      auto o = runtime.observe();
      if (o && !o->empty()) last = o->front();
      return o && !o->empty() && ok(last);
    });
    return last;
  }
  std::shared_ptr<KubeClient> client_;
};

constexpr const char* kPreparing = R"({"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True"}],
    "containerStatuses":[{"name":"workspace","ready":false,"state":{"waiting":{"reason":"ContainerCreating"}}}]})";

TEST_F(EventWatchTest, StartingPodsAreObservedWithoutApiCalls) {
  KubernetesRuntime runtime(std::make_shared<KubeClient>(connection(), fast()), KubernetesOptions{});
  ASSERT_TRUE(runtime.wait_synced(5s));
  ASSERT_TRUE(runtime.events_synced(5s));
  const std::string name = workspace_object_name(testing::jupyter_spec());
  ASSERT_TRUE(runtime.apply(testing::jupyter_spec()).ok());
  const std::string uid = pod_uid();
  kubelet_sets(kPreparing);
  record_event("k4ds-alice", name + ".1", name, uid, "Scheduled", "Successfully assigned k4ds-alice/" + name, 1);
  record_event("k4ds-alice", name + ".2", name, uid, "Pulling", "Pulling image \"quay.io/jupyter/scipy-notebook\"", 2);
  ObservedWorkspace pulling =
      observe_until(runtime, [](const ObservedWorkspace& o) { return o.progress == "downloading the environment image"; });
  EXPECT_EQ(pulling.progress, "downloading the environment image") << "the Event arrived through the watch";
  EXPECT_EQ(pulling.state, RunState::starting);

  // The Pod stays Pending (a large image): the controller observes every 2 s; here 30 times.
  const int64_t before = server_requests();
  for (int i = 0; i < 30; ++i) {
    auto o = runtime.observe();
    ASSERT_TRUE(o) << o.status().to_string();
    ASSERT_EQ(o->size(), 1u);
    EXPECT_EQ(o->front().progress, "downloading the environment image");
  }
  const int64_t calls = server_requests() - before;
  std::cout << "API calls for 30 observations of a Pending Pod: " << calls << "\n";
  EXPECT_EQ(calls, 0) << "Events come from the watch, not a list per observation";

  // A pull failure that retrying cannot fix, told by the Event's message.
  kubelet_sets(R"({"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True"}],
      "containerStatuses":[{"name":"workspace","ready":false,"state":{"waiting":{"reason":"ErrImagePull",
      "message":"rpc error"}}}]})");
  record_event("k4ds-alice", name + ".3", name, uid, "Failed",
               "Failed to pull image: rpc error: code = NotFound desc = manifest unknown", 3);
  ObservedWorkspace failed = observe_until(runtime, [](const ObservedWorkspace& o) { return o.permanent; });
  EXPECT_TRUE(failed.permanent);
  EXPECT_EQ(failed.progress, "environment image not found — ask your admin");
}

TEST_F(EventWatchTest, ARecreatedPodDoesNotInheritItsPredecessorsEvents) {
  KubernetesRuntime runtime(std::make_shared<KubeClient>(connection(), fast()), KubernetesOptions{});
  ASSERT_TRUE(runtime.wait_synced(5s));
  ASSERT_TRUE(runtime.events_synced(5s));
  const std::string name = workspace_object_name(testing::jupyter_spec());
  ASSERT_TRUE(runtime.apply(testing::jupyter_spec()).ok());
  const std::string old_uid = pod_uid();
  ASSERT_TRUE(runtime.stop(testing::jupyter_spec().workspace_id).ok());
  ASSERT_TRUE(runtime.apply(testing::jupyter_spec()).ok());
  const std::string new_uid = pod_uid();
  ASSERT_NE(old_uid, new_uid);
  kubelet_sets(kPreparing);
  // Same Pod name, the old Pod's uid: not this Pod's news.
  record_event("k4ds-alice", name + ".old", name, old_uid, "Pulling", "Pulling image", 1);
  ObservedWorkspace o = observe_until(runtime, [](const ObservedWorkspace& w) { return w.progress == "preparing the workspace"; });
  std::this_thread::sleep_for(300ms);  // time for the old Event to arrive and (not) count
  o = observe_until(runtime, [](const ObservedWorkspace&) { return true; });
  EXPECT_EQ(o.progress, "preparing the workspace");
  record_event("k4ds-alice", name + ".new", name, new_uid, "Pulling", "Pulling image", 2);
  o = observe_until(runtime, [](const ObservedWorkspace& w) { return w.progress == "downloading the environment image"; });
  EXPECT_EQ(o.progress, "downloading the environment image");
}

TEST_F(EventWatchTest, OnlyWorkspacePodsAndOnlyTheNewestFewAreKept) {
  EventCache cache(client_, kPodEvents, EventCacheOptions{.per_pod = 3, .grace = 1s});
  cache.start();
  ASSERT_TRUE(cache.wait_synced(5s));
  // Six Events about one workspace Pod, recorded out of order: the newest three are kept, oldest first.
  for (int second : {4, 1, 6, 2, 5, 3}) {
    record_event("k4ds-alice", "ws-a." + std::to_string(second), "ws-a", "uid-a", "Pulling", "m", second);
  }
  record_event("apps", "web-1.1", "web-1", "uid-web", "Pulling", "not k4ds's Pod", 1);
  record_event("k4ds-alice", "ws-node.1", "ws-node", "uid-node", "Rebooted", "a Node, not a Pod", 1, "Node");
  ASSERT_TRUE(eventually([&] { return cache.events_for("uid-a").size() == 3; }));
  std::this_thread::sleep_for(200ms);  // the other two Events have arrived by now, or never will
  std::vector<std::string> names;
  for (const auto& e : cache.events_for("uid-a")) names.emplace_back(e.at("metadata").at("name").as_string());
  EXPECT_EQ(names, (std::vector<std::string>{"ws-a.4", "ws-a.5", "ws-a.6"}));
  EXPECT_TRUE(cache.events_for("uid-web").empty()) << "Events about other Pods are not kept";
  EXPECT_TRUE(cache.events_for("uid-node").empty()) << "the field selector leaves out other kinds";
  EXPECT_EQ(cache.pods(), 1u);

  // An Event the API server lets expire goes from the cache too.
  ASSERT_TRUE(client_->remove("/api/v1/namespaces/k4ds-alice/events/ws-a.6"));
  ASSERT_TRUE(eventually([&] { return cache.events_for("uid-a").size() == 2; }));

  // The Pod is seen, then goes: its Events go at once.
  cache.retain({"uid-a"});
  EXPECT_EQ(cache.pods(), 1u);
  cache.retain({});
  EXPECT_EQ(cache.pods(), 0u) << "dropped with the Pod";

  // Events of a Pod not seen yet (the Pod cache may lag) wait `grace` for it.
  record_event("k4ds-alice", "ws-b.1", "ws-b", "uid-b", "Scheduled", "m", 1);
  ASSERT_TRUE(eventually([&] { return cache.pods() == 1; }));
  cache.retain({});
  EXPECT_EQ(cache.pods(), 1u) << "within the grace period";
  std::this_thread::sleep_for(1100ms);
  cache.retain({});
  EXPECT_EQ(cache.pods(), 0u) << "never claimed by a Pod: dropped after the grace period";
  EXPECT_EQ(cache.lists(), 1);
}

TEST_F(EventWatchTest, MemoryStaysBoundedWithoutRetain) {
  EventCache cache(client_, kPodEvents, EventCacheOptions{.per_pod = 2, .max_pods = 5});
  cache.start();
  ASSERT_TRUE(cache.wait_synced(5s));
  for (int i = 0; i < 8; ++i) {
    record_event("k4ds-alice", "ws-p" + std::to_string(i) + ".1", "ws-p" + std::to_string(i),
                 "uid-" + std::to_string(i), "Scheduled", "m", i);
  }
  ASSERT_TRUE(eventually([&] { return !cache.events_for("uid-7").empty(); }));
  EXPECT_EQ(cache.pods(), 5u) << "at most max_pods Pods";
  EXPECT_TRUE(cache.events_for("uid-0").empty()) << "the least recently updated went first";
}

}  // namespace
}  // namespace k4ds::kubernetes
