// Pod phase, container states and Events → plain-words progress, from objects shaped as the API
// server returns them.
#include "kubernetes/status.h"

#include <gtest/gtest.h>

#include "kubernetes_test_support.h"

namespace k4ds::kubernetes {
namespace {
namespace json = boost::json;

// The rendered Pod of the test spec (2 CPUs, 8 GiB), with `status` as the cluster reports it.
json::object pod_with_status(std::string_view status_json) {
  auto r = render_workspace(testing::jupyter_spec(), KubernetesOptions{});
  EXPECT_TRUE(r);
  json::object pod = testing::find_kind(*r, "Pod");
  pod["status"] = json::parse(status_json);
  return pod;
}

json::object event(std::string_view reason, std::string_view message) {
  return json::object{{"reason", reason}, {"message", message}, {"type", "Normal"}};
}

constexpr std::string_view kUpstream = "ws-alice-analysis.k4ds-alice.svc:8888";

TEST(KubernetesStatus, WaitingForAMachineSaysWhatItNeeds) {
  auto pod = pod_with_status(R"({"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False",
      "reason":"Unschedulable","message":"0/3 nodes are available: 3 Insufficient memory."}]})");
  ObservedWorkspace o = observe_pod(pod, {}, kUpstream);
  EXPECT_EQ(o.state, RunState::starting);
  EXPECT_EQ(o.progress, "waiting for a machine with 2 CPUs and 8 GiB free");
  EXPECT_EQ(o.workspace_id, "3f1c2b7e-0d4a-4c55-9d1e-6a7b8c9d0e1f");
  EXPECT_TRUE(o.upstream.empty());

  auto zone = pod_with_status(R"({"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False",
      "message":"0/3 nodes are available: 3 node(s) had volume node affinity conflict."}]})");
  EXPECT_EQ(observe_pod(zone, {}, kUpstream).progress,
            "the home volume is in a zone where no machine has 2 CPUs and 8 GiB free");
  EXPECT_TRUE(waits_for_volume_zone(zone, {}));
  EXPECT_FALSE(waits_for_volume_zone(pod, {})) << "short of memory, not of a zone";
  EXPECT_EQ(observe_pod(zone, {}, kUpstream, "eu-west-1a").progress,
            "the home volume is in zone eu-west-1a and no machine there has 2 CPUs and 8 GiB free");
}

// The zone of a volume, as cloud provisioners record it: a label, or the node affinity the
// scheduler pins Pods with.
TEST(KubernetesStatus, TheZoneOfAVolume) {
  auto pv = [](const char* text) { return json::parse(text).as_object(); };
  EXPECT_EQ(volume_zone(pv(R"({"metadata":{"labels":{"topology.kubernetes.io/zone":"eu-west-1a"}}})")), "eu-west-1a");
  EXPECT_EQ(volume_zone(pv(R"({"spec":{"nodeAffinity":{"required":{"nodeSelectorTerms":[
      {"matchExpressions":[{"key":"topology.ebs.csi.aws.com/zone","operator":"In","values":["us-east-1b"]}]}]}}}})")),
            "us-east-1b");
  EXPECT_EQ(volume_zone(pv(R"({"spec":{"nodeAffinity":{"required":{"nodeSelectorTerms":[
      {"matchExpressions":[{"key":"topology.gke.io/zone","operator":"In","values":["europe-west1-b"]}]},
      {"matchExpressions":[{"key":"topology.gke.io/zone","operator":"In","values":["europe-west1-c"]}]}]}}}})")),
            "europe-west1-b or europe-west1-c");
  EXPECT_EQ(volume_zone(pv(R"({"spec":{"nodeAffinity":{"required":{"nodeSelectorTerms":[
      {"matchExpressions":[{"key":"kubernetes.io/hostname","operator":"In","values":["node-1"]}]}]}}}})")),
            "")
      << "a local volume pinned to one machine has no zone";
  EXPECT_EQ(volume_zone(pv("{}")), "");
}

TEST(KubernetesStatus, DownloadingThenHealthCheckThenRunning) {
  auto scheduled = R"({"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True"}],
      "containerStatuses":[{"name":"workspace","ready":false,"state":{"waiting":{"reason":"ContainerCreating"}}}]})";
  ObservedWorkspace pulling = observe_pod(pod_with_status(scheduled),
                                          {event("Scheduled", "assigned"), event("Pulling", "Pulling image")},
                                          kUpstream);
  EXPECT_EQ(pulling.state, RunState::starting);
  EXPECT_EQ(pulling.progress, "downloading the environment image");

  auto running = pod_with_status(R"({"phase":"Running","conditions":[{"type":"PodScheduled","status":"True"}],
      "containerStatuses":[{"name":"workspace","ready":false,"state":{"running":{}}}]})");
  ObservedWorkspace health = observe_pod(running, {}, kUpstream);
  EXPECT_EQ(health.state, RunState::starting);
  EXPECT_EQ(health.progress, "waiting for the health check on /api");

  auto ready = pod_with_status(R"({"phase":"Running","containerStatuses":[{"name":"workspace",
      "ready":true,"state":{"running":{}}}]})");
  ObservedWorkspace up = observe_pod(ready, {}, kUpstream);
  EXPECT_EQ(up.state, RunState::running);
  EXPECT_EQ(up.upstream, kUpstream);
}

TEST(KubernetesStatus, ImageProblemsAreNamed) {
  auto missing = pod_with_status(R"({"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True"}],
      "containerStatuses":[{"name":"workspace","ready":false,"state":{"waiting":{"reason":"ImagePullBackOff",
      "message":"Back-off pulling image \"quay.io/jupyter/nope:1\""}}}]})");
  ObservedWorkspace o = observe_pod(
      missing, {event("Failed", "Failed to pull image: rpc error: quay.io/jupyter/nope:1: not found")}, kUpstream);
  EXPECT_EQ(o.state, RunState::exited);
  EXPECT_EQ(o.progress, "environment image not found — ask your admin");

  ObservedWorkspace denied = observe_pod(
      missing, {event("Failed", "failed to authorize: 401 Unauthorized")}, kUpstream);
  EXPECT_EQ(denied.state, RunState::exited);
  EXPECT_NE(denied.progress.find("registry credentials"), std::string::npos);

  // Docker Hub does not tell a missing repository from a private one.
  ObservedWorkspace hub = observe_pod(
      missing,
      {event("Failed", "Failed to pull image \"docker.io/k4ds/nope:1\": failed to resolve reference: pull access "
                       "denied, repository does not exist or may require authorization: server message: "
                       "insufficient_scope: authorization failed")},
      kUpstream);
  EXPECT_EQ(hub.state, RunState::exited);
  EXPECT_TRUE(hub.permanent);
  EXPECT_EQ(hub.progress,
            "environment image not found, or its registry needs credentials k4ds does not have — ask your admin");

  ObservedWorkspace flaky = observe_pod(missing, {event("Failed", "i/o timeout")}, kUpstream);
  EXPECT_EQ(flaky.state, RunState::starting);
  EXPECT_NE(flaky.progress.find("retrying"), std::string::npos);
}

TEST(KubernetesStatus, OutOfMemoryAndExits) {
  auto oom = pod_with_status(R"({"phase":"Failed","containerStatuses":[{"name":"workspace","ready":false,
      "state":{"terminated":{"reason":"OOMKilled","exitCode":137}}}]})");
  ObservedWorkspace o = observe_pod(oom, {}, kUpstream);
  EXPECT_EQ(o.state, RunState::exited);
  EXPECT_TRUE(o.out_of_memory);
  EXPECT_EQ(o.memory_limit_bytes, int64_t{8} << 30);
  EXPECT_EQ(o.progress, "out of memory (limit 8 GiB)");

  auto crashed = pod_with_status(R"({"phase":"Failed","containerStatuses":[{"name":"workspace",
      "state":{"terminated":{"reason":"Error","exitCode":3}}}]})");
  EXPECT_EQ(observe_pod(crashed, {}, kUpstream).exit_code, 3);

  auto killed = pod_with_status(R"({"phase":"Failed","containerStatuses":[{"name":"workspace",
      "state":{"terminated":{"reason":"Error","exitCode":143}}}]})");
  ObservedWorkspace k = observe_pod(killed, {}, kUpstream);
  EXPECT_EQ(k.signal, 15);
  EXPECT_EQ(k.exit_code, -1);

  auto evicted = pod_with_status(R"({"phase":"Failed","reason":"Evicted","message":"The node was low on resource: memory."})");
  ObservedWorkspace e = observe_pod(evicted, {}, kUpstream);
  EXPECT_EQ(e.state, RunState::exited);
  EXPECT_EQ(e.progress, "stopped by Kubernetes (Evicted: The node was low on resource: memory.)");
}

TEST(KubernetesStatus, MissingStatusIsStartingNotAnError) {
  auto r = render_workspace(testing::jupyter_spec(), KubernetesOptions{});
  ASSERT_TRUE(r);
  ObservedWorkspace o = observe_pod(testing::find_kind(*r, "Pod"), {}, kUpstream);
  EXPECT_EQ(o.state, RunState::starting);
  EXPECT_EQ(o.progress, "waiting for a machine");
}

TEST(KubernetesStatus, QuantitiesAndWords) {
  EXPECT_EQ(parse_cpu_millis("250m"), 250);
  EXPECT_EQ(parse_cpu_millis("1.5"), 1500);
  EXPECT_EQ(parse_cpu_millis("x"), -1);
  EXPECT_EQ(parse_memory_bytes("8Gi"), int64_t{8} << 30);
  EXPECT_EQ(parse_memory_bytes("1G"), 1000000000);
  EXPECT_EQ(parse_memory_bytes("1000"), 1000);
  EXPECT_EQ(parse_memory_bytes("Gi"), -1);
  EXPECT_EQ(human_bytes(int64_t{3} << 29), "1.5 GiB");
  EXPECT_EQ(describe_resources(1000, int64_t{2} << 30, 0), "1 CPU and 2 GiB");
  EXPECT_EQ(describe_resources(3500, int64_t{24} << 30, 1), "1 GPU, 3.5 CPUs and 24 GiB");
}

}  // namespace
}  // namespace k4ds::kubernetes
