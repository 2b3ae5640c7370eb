// The reconciler suite: the Controller (controller/) driving KubernetesRuntime against the fake
// API server, with a real SQLite store. The test writes workspace records as the API does
// (desired running, then stopped, then the record deleted) and plays the kubelet through the
// fake server's /_test/status hook; the controller must bring the cluster to what the store
// says: launch, stop, delete, drift repaired, orphans removed, conflicts retried, an API server
// restart survived, and 1,000 workspaces converging.
#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <thread>

#include "common/services.h"
#include "controller/controller.h"
#include "fake_apiserver.h"
#include "kubernetes/kubernetes_runtime.h"
#include "kubernetes/names.h"
#include "kubernetes_test_support.h"
#include "store/store.h"

namespace k4ds::kubernetes {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::object_names;

class ReconcilerTest : public FakeApiServer {
 protected:
  void SetUp() override {
    FakeApiServer::SetUp();
    if (HasFatalFailure()) return;
    auto store = open_sqlite_store((dir_ / "k4ds.db").string());
    ASSERT_TRUE(store) << store.status().to_string();
    store_ = std::move(store).value();
    // The test's own calls: creating objects runs the schema validator (node) in the server.
    client_ = std::make_shared<KubeClient>(connection(), ClientOptions{.timeout = 20s});
    auto catalog = std::make_shared<Catalog>();
    catalog->environments = {testing::jupyter_spec().environment};
    catalog->sizes = {testing::jupyter_spec().size};
    catalog_ = catalog;
    runtime_client_ = std::make_shared<KubeClient>(connection(), fast());
    runtime_ = std::make_unique<KubernetesRuntime>(runtime_client_, runtime_options_, nullptr,
                                                   WatchCacheOptions{.retry_first = 100ms, .retry_max = 1s});
    ASSERT_TRUE(runtime_->wait_synced(5s));
    // Every cache listed (Pods, Services, NetworkPolicies, [Ingresses,] Events, Nodes,
    // PersistentVolumes; the client counts no watches), so tests count only their own calls.
    const int caches = 6 + (runtime_options_.ingress.enabled ? 1 : 0);
    for (int i = 0; i < 250 && runtime_client_->requests_sent() < caches; ++i) std::this_thread::sleep_for(20ms);
    ASSERT_GE(runtime_client_->requests_sent(), caches);
    controller_ = std::make_unique<Controller>(*store_, services_, *runtime_, [c = catalog_] { return c; },
                                               controller_options_);
  }
  void TearDown() override {
    controller_.reset();  // stops its loop before the runtime goes
    runtime_.reset();
    store_.reset();
    FakeApiServer::TearDown();
  }

  // A launch as the API records it: the owner's home volume (made once), then the workspace,
  // desired running, pending "queued". Several at once share one transaction (the scale test).
  std::vector<std::string> launch_all(const std::vector<std::pair<std::string, std::string>>& owner_and_name) {
    std::vector<std::string> ids;
    Status s = store_->write([&](Tx& tx) -> Status {
      ids.clear();
      const int64_t now = to_unix_ms(services_.clock->now());
      for (const auto& [owner, name] : owner_and_name) {
        auto volumes = tx.list_volumes(owner);
        if (!volumes) return volumes.status();
        std::string home = volumes->empty() ? random_uuid(*services_.random) : volumes->front().id;
        if (volumes->empty()) {
          auto created = tx.create_volume(Volume{.id = home, .owner = owner, .name = "home", .created_at = now});
          if (!created) return created.status();
        }
        Workspace ws{.id = random_uuid(*services_.random), .owner = owner, .name = name,
                     .environment = "jupyter-python", .size = "small", .volumes = {home},
                     .desired = DesiredState::running, .phase = Phase::pending, .reason = "queued",
                     .created_at = now, .updated_at = now};
        auto created = tx.create_workspace(ws);
        if (!created) return created.status();
        ids.push_back(ws.id);
      }
      return ok_status();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return ids;
  }
  std::string launch(const std::string& owner, const std::string& name) { return launch_all({{owner, name}}).at(0); }

  Workspace record(const std::string& id) {
    auto ws = read_value(*store_, [&](Tx& tx) { return tx.get_workspace(id); });
    EXPECT_TRUE(ws) << ws.status().to_string();
    return ws ? *ws : Workspace{};
  }
  // The API's stop / start: desired changes (start also sets pending "queued", as the API does).
  void set_desired(const std::string& id, DesiredState desired) {
    Status s = store_->write([&](Tx& tx) -> Status {
      auto ws = tx.get_workspace(id);
      if (!ws) return ws.status();
      ws->desired = desired;
      if (desired == DesiredState::running) {
        ws->phase = Phase::pending;
        ws->reason = "queued";
      }
      return tx.update_workspace(*ws).status();
    });
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  void delete_record(const std::string& id) {
    Status s = store_->write([&](Tx& tx) { return tx.delete_workspace(id); });
    ASSERT_TRUE(s.ok()) << s.to_string();
  }

  std::string pod_name(const Workspace& ws) {
    return workspace_object_name(LaunchSpec{.workspace_id = ws.id, .owner = ws.owner, .name = ws.name});
  }
  std::string ns(const Workspace& ws) { return "/api/v1/namespaces/k4ds-" + ws.owner; }
  std::string pod_path(const Workspace& ws) { return ns(ws) + "/pods/" + pod_name(ws); }
  std::string service_path(const Workspace& ws) { return ns(ws) + "/services/" + pod_name(ws); }
  std::string policy_path(const Workspace& ws) {
    return "/apis/networking.k8s.io/v1/namespaces/k4ds-" + ws.owner + "/networkpolicies/" + pod_name(ws);
  }
  // Objects of one workspace in a collection, by its workspace-id label.
  std::vector<std::string> objects_of(const std::string& collection, const std::string& id) {
    return object_names(*client_, collection + "?labelSelector=" + kWorkspaceIdLabel + "=" + id);
  }
  std::string uid(const std::string& path) {
    auto o = client_->get(path);
    return o ? std::string(o->at("metadata").at("uid").as_string()) : "";
  }
  // The uid of the Pod that owns the object at `path` ("" when there is none).
  std::string owner_uid(const std::string& path) {
    auto o = client_->get(path);
    boost::system::error_code ec;
    auto* u = o ? o->find_pointer("/metadata/ownerReferences/0/uid", ec) : nullptr;
    return u && u->is_string() ? std::string(u->as_string()) : "";
  }
  // The kubelet: the Pod started and answers its readiness probe.
  void kubelet_runs(const std::string& pod) {
    auto r = client_->create("/_test/status?path=" + pod, json::parse(testing::kPodRunningReady).as_object());
    ASSERT_TRUE(r) << r.status().to_string();
  }
  int64_t server_requests() { return requests_answered(*client_); }

  // Reconcile passes, back to back as the controller's loop runs them while busy, until `done`
  // holds; false after `timeout`. A pass may fail (the cluster is down): the loop goes on.
  bool reconcile_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      (void)controller_->reconcile_once();
      if (done()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return done();
  }
  bool phase_is(const std::string& id, Phase phase) { return record(id).phase == phase; }
  // Launch → Pod created → the kubelet runs it → running.
  Workspace launch_running(const std::string& owner, const std::string& name) {
    const std::string id = launch(owner, name);
    Workspace ws = record(id);
    EXPECT_TRUE(reconcile_until([&] { return !uid(pod_path(ws)).empty(); })) << "no Pod was created";
    kubelet_runs(pod_path(ws));
    EXPECT_TRUE(reconcile_until([&] { return phase_is(id, Phase::running); })) << record(id).reason;
    return record(id);
  }

  Services services_ = Services::system();
  KubernetesOptions runtime_options_;
  ControllerOptions controller_options_{.observe_interval = 300ms, .busy_interval = 100ms,
                                        .backoff_base = 200ms, .backoff_max = 2s};
  std::unique_ptr<Store> store_;
  std::shared_ptr<const Catalog> catalog_;
  std::shared_ptr<KubeClient> client_;          // the test's view of the cluster
  std::shared_ptr<KubeClient> runtime_client_;  // k4ds's
  std::unique_ptr<KubernetesRuntime> runtime_;
  std::unique_ptr<Controller> controller_;
};

TEST_F(ReconcilerTest, LaunchStopStartDelete) {
  const int before = runtime_client_->requests_sent();
  const std::string id = launch("alice", "analysis");
  Workspace ws = record(id);
  ASSERT_TRUE(reconcile_until([&] { return !uid(pod_path(ws)).empty(); })) << record(id).reason;
  EXPECT_EQ(record(id).phase, Phase::starting) << record(id).reason;
  kubelet_runs(pod_path(ws));
  ASSERT_TRUE(reconcile_until([&] { return phase_is(id, Phase::running); })) << record(id).reason;
  ws = record(id);
  EXPECT_EQ(ws.reason, "ready");
  EXPECT_EQ(ws.upstream, pod_name(ws) + ".k4ds-alice.svc:8888");
  // GET Pod; create Namespace, PVC, Pod, Service, NetworkPolicy; one more GET when a pass ran
  // before the watch brought the new Pod. Nothing while it starts: observe reads the watch.
  const int launch_calls = runtime_client_->requests_sent() - before;
  std::cout << "API requests by k4ds from launch to running: " << launch_calls << "\n";
  EXPECT_GE(launch_calls, 6);
  EXPECT_LE(launch_calls, 7);
  EXPECT_EQ(objects_of("/api/v1/pods", id).size(), 1u);
  EXPECT_EQ(objects_of("/api/v1/services", id).size(), 1u);
  EXPECT_EQ(objects_of("/apis/networking.k8s.io/v1/networkpolicies", id).size(), 1u);
  EXPECT_EQ(object_names(*client_, ns(ws) + "/persistentvolumeclaims").size(), 1u);

  // Stop: the Pod and what belongs to it go; the volume stays.
  set_desired(id, DesiredState::stopped);
  ASSERT_TRUE(reconcile_until([&] { return phase_is(id, Phase::stopped); })) << record(id).reason;
  EXPECT_EQ(record(id).reason, "stopped on request");
  EXPECT_TRUE(objects_of("/api/v1/pods", id).empty());
  EXPECT_TRUE(objects_of("/api/v1/services", id).empty());
  EXPECT_TRUE(objects_of("/apis/networking.k8s.io/v1/networkpolicies", id).empty());
  EXPECT_EQ(object_names(*client_, ns(ws) + "/persistentvolumeclaims").size(), 1u) << "volumes are never deleted";

  // Start again, then delete the record while it runs: nothing is left for it but its volume.
  set_desired(id, DesiredState::running);
  ASSERT_TRUE(reconcile_until([&] { return !uid(pod_path(ws)).empty(); })) << record(id).reason;
  kubelet_runs(pod_path(ws));
  ASSERT_TRUE(reconcile_until([&] { return phase_is(id, Phase::running); })) << record(id).reason;
  delete_record(id);
  ASSERT_TRUE(reconcile_until([&] { return objects_of("/api/v1/pods", id).empty(); })) << "the Pod outlived its record";
  EXPECT_TRUE(objects_of("/api/v1/services", id).empty());
  EXPECT_TRUE(objects_of("/apis/networking.k8s.io/v1/networkpolicies", id).empty());
  EXPECT_EQ(object_names(*client_, ns(ws) + "/persistentvolumeclaims").size(), 1u) << "volumes are never deleted";
  // Converged: more passes change nothing and call nothing.
  const int64_t settled = server_requests();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(controller_->reconcile_once());
  EXPECT_EQ(server_requests() - settled, 0) << "converged: no API call";
}

TEST_F(ReconcilerTest, PodDeletedBehindItsBackIsRecreated) {
  Workspace ws = launch_running("alice", "analysis");
  ASSERT_EQ(ws.phase, Phase::running);
  const std::string first = uid(pod_path(ws));
  ASSERT_TRUE(client_->remove(pod_path(ws)));  // someone with kubectl, or a node drained
  ASSERT_TRUE(reconcile_until([&] {
    std::string now = uid(pod_path(ws));
    return !now.empty() && now != first;
  })) << "the Pod was not created again; workspace: " << record(ws.id).reason;
  EXPECT_EQ(objects_of("/api/v1/pods", ws.id).size(), 1u);
  EXPECT_EQ(owner_uid(service_path(ws)), uid(pod_path(ws))) << "the Service belongs to the new Pod";
  kubelet_runs(pod_path(ws));
  EXPECT_TRUE(reconcile_until([&] { return phase_is(ws.id, Phase::running); })) << record(ws.id).reason;
}

TEST_F(ReconcilerTest, ServiceDeletedBehindItsBackIsRecreated) {
  Workspace ws = launch_running("alice", "analysis");
  ASSERT_EQ(ws.phase, Phase::running);
  ASSERT_TRUE(client_->remove(service_path(ws)));
  ASSERT_TRUE(client_->remove(policy_path(ws)));  // without it any Pod could reach the workspace
  EXPECT_TRUE(reconcile_until([&] { return client_->get(service_path(ws)) && client_->get(policy_path(ws)); }, 10s))
      << "the Service and NetworkPolicy were not created again; workspace: " << record(ws.id).reason;
  EXPECT_EQ(owner_uid(service_path(ws)), uid(pod_path(ws)));
  EXPECT_TRUE(reconcile_until([&] { return phase_is(ws.id, Phase::running); })) << record(ws.id).reason;
  EXPECT_EQ(objects_of("/api/v1/pods", ws.id).size(), 1u);
}

// The cluster put alice's home volume on a disk in eu-west-1c: k4ds records that with the volume
// (the API shows it), once, while the workspace runs.
TEST_F(ReconcilerTest, TheHomeVolumesZoneIsRecordedWithTheVolume) {
  Workspace ws = launch_running("alice", "analysis");
  ASSERT_EQ(ws.phase, Phase::running);
  auto claims = client_->get(ns(ws) + "/persistentvolumeclaims");
  ASSERT_TRUE(claims) << claims.status().to_string();
  ASSERT_EQ(claims->at("items").as_array().size(), 1u);
  json::object pv = json::parse(R"({"apiVersion":"v1","kind":"PersistentVolume",
      "metadata":{"name":"pv-1","labels":{"topology.kubernetes.io/zone":"eu-west-1c"}},
      "spec":{"capacity":{"storage":"10Gi"},"accessModes":["ReadWriteOnce"],
              "csi":{"driver":"pd.csi.storage.gke.io","volumeHandle":"disk-1"}}})").as_object();
  pv["spec"].as_object()["claimRef"] =
      json::object{{"namespace", "k4ds-alice"}, {"name", claims->at("items").as_array()[0].at("metadata").at("name")}};
  ASSERT_TRUE(client_->create("/api/v1/persistentvolumes", pv));
  auto zone = [&] {
    auto v = read_value(*store_, [&](Tx& tx) { return tx.get_volume(ws.volumes.front()); });
    return v ? v->zone : "";
  };
  EXPECT_TRUE(reconcile_until([&] { return zone() == "eu-west-1c"; }, 10s)) << "recorded: \"" << zone() << "\"";
  int64_t version = read_value(*store_, [&](Tx& tx) { return tx.get_volume(ws.volumes.front()); })->version;
  for (int i = 0; i < 3; ++i) (void)controller_->reconcile_once();
  EXPECT_EQ(read_value(*store_, [&](Tx& tx) { return tx.get_volume(ws.volumes.front()); })->version, version)
      << "recorded once, not at every pass";
}

TEST_F(ReconcilerTest, ExpiredWatchListsAgainAndConverges) {
  // The API server's watch cache drops old versions around a deletion (410 Gone): k4ds must
  // list again to learn that the Pod went, then start it again.
  Workspace ws = launch_running("alice", "analysis");
  ASSERT_EQ(ws.phase, Phase::running);
  const std::string first = uid(pod_path(ws));
  ASSERT_TRUE(client_->create("/_test/compact", {}));
  ASSERT_TRUE(client_->remove(pod_path(ws)));
  ASSERT_TRUE(client_->create("/_test/compact", {}));
  ASSERT_TRUE(reconcile_until([&] {
    std::string now = uid(pod_path(ws));
    return !now.empty() && now != first;
  })) << "the deletion was never learnt; workspace: " << record(ws.id).reason;
  kubelet_runs(pod_path(ws));
  EXPECT_TRUE(reconcile_until([&] { return phase_is(ws.id, Phase::running); })) << record(ws.id).reason;
  EXPECT_EQ(objects_of("/api/v1/pods", ws.id).size(), 1u);
}

TEST_F(ReconcilerTest, OrphanPodIsRemovedButNotItsVolumeNorOthersPods) {
  // Left by a workspace whose record is gone (deleted while k4ds was down, say).
  const std::string orphan_id = "0d9c8b7a-6f5e-4d3c-9b2a-1f0e9d8c7b6a";
  auto pod = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"ws-bob-old-0d9c8b7a",
      "namespace":"k4ds-bob","labels":{"app.kubernetes.io/managed-by":"k4ds","k4ds.io/owner":"bob",
      "k4ds.io/workspace-id":"0d9c8b7a-6f5e-4d3c-9b2a-1f0e9d8c7b6a"}},
      "spec":{"containers":[{"name":"workspace","image":"quay.io/jupyter/scipy-notebook:2024-04-01"}]}})").as_object();
  auto theirs = pod;  // someone else's, in the same namespace, without k4ds's label
  theirs["metadata"].as_object()["name"] = "debugger";
  theirs["metadata"].as_object()["labels"] = json::object{{"app", "debugger"}};
  auto claim = json::parse(R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"k4ds-vol-old",
      "namespace":"k4ds-bob","labels":{"app.kubernetes.io/managed-by":"k4ds"}},"spec":{"accessModes":["ReadWriteOnce"],
      "resources":{"requests":{"storage":"1Gi"}}}})").as_object();
  ASSERT_TRUE(client_->create("/api/v1/namespaces/k4ds-bob/pods", pod));
  ASSERT_TRUE(client_->create("/api/v1/namespaces/k4ds-bob/pods", theirs));
  ASSERT_TRUE(client_->create("/api/v1/namespaces/k4ds-bob/persistentvolumeclaims", claim));
  EXPECT_TRUE(reconcile_until([&] { return objects_of("/api/v1/pods", orphan_id).empty(); }))
      << "the orphan Pod was not removed";
  EXPECT_EQ(object_names(*client_, "/api/v1/namespaces/k4ds-bob/pods"), std::vector<std::string>{"debugger"});
  EXPECT_EQ(object_names(*client_, "/api/v1/namespaces/k4ds-bob/persistentvolumeclaims").size(), 1u);
}

TEST_F(ReconcilerTest, ConflictOnCreateIsRetriedAndConverges) {
  // The Pod's create answers 409 Conflict once: apply fails, the controller says so in plain
  // words and tries again after its backoff; one Pod in the end, with its own Service.
  ASSERT_TRUE(client_->create("/_test/fail?code=409&count=1&method=POST&match=/pods", {}));
  const std::string id = launch("alice", "analysis");
  Workspace ws = record(id);
  ASSERT_TRUE(controller_->reconcile_once());
  EXPECT_EQ(record(id).phase, Phase::pending);
  EXPECT_TRUE(record(id).reason.starts_with("could not start yet, retrying: ")) << record(id).reason;
  EXPECT_TRUE(objects_of("/api/v1/pods", id).empty());
  ASSERT_TRUE(reconcile_until([&] { return !uid(pod_path(ws)).empty(); })) << record(id).reason;
  kubelet_runs(pod_path(ws));
  ASSERT_TRUE(reconcile_until([&] { return phase_is(id, Phase::running); })) << record(id).reason;
  EXPECT_EQ(objects_of("/api/v1/pods", id).size(), 1u);
  EXPECT_EQ(objects_of("/api/v1/services", id).size(), 1u);
  EXPECT_EQ(owner_uid(service_path(ws)), uid(pod_path(ws)));
}

TEST_F(ReconcilerTest, StaleStatusWriteIsRefusedNeverMerged) {
  // The user stops the workspace while the controller is starting it (its first API call is
  // held for 2 s): the status the controller planned from the older record must not be written
  // over the stop, and the next passes stop it.
  const std::string id = launch("alice", "analysis");
  Workspace ws = record(id);
  ASSERT_TRUE(client_->create("/_test/slow?seconds=2", {}));
  Result<int> racing = 0;
  std::thread pass([&] { racing = controller_->reconcile_once(); });
  std::this_thread::sleep_for(700ms);  // the pass is inside apply now
  set_desired(id, DesiredState::stopped);
  pass.join();
  ASSERT_TRUE(racing) << racing.status().to_string();
  EXPECT_EQ(*racing, 0) << "its status write was planned from a stale record";
  Workspace after = record(id);
  EXPECT_EQ(after.desired, DesiredState::stopped) << "the stop was overwritten";
  EXPECT_EQ(after.phase, Phase::pending) << after.reason;
  ASSERT_TRUE(reconcile_until([&] { return phase_is(id, Phase::stopped); })) << record(id).reason;
  EXPECT_TRUE(reconcile_until([&] { return objects_of("/api/v1/pods", id).empty(); }));
  EXPECT_EQ(record(id).desired, DesiredState::stopped);
}

// The API server restarted: the same objects on the same port after a few seconds down.
class ReconcilerRestartTest : public ReconcilerTest {
 protected:
  void SetUp() override {
    keep_state_ = true;
    ReconcilerTest::SetUp();
  }
};

TEST_F(ReconcilerRestartTest, ApiServerRestartedWatchesResumeNothingDuplicated) {
  Workspace a = launch_running("alice", "analysis");
  Workspace b = launch_running("bob", "model");
  ASSERT_EQ(a.phase, Phase::running);
  ASSERT_EQ(b.phase, Phase::running);
  const std::string pod_a = uid(pod_path(a)), pod_b = uid(pod_path(b));

  kill_server();
  // Down: passes fail with the cluster's error; nothing is marked failed for that alone (the
  // workspaces may well still run), and a launch meanwhile waits as it was queued.
  const std::string c_id = launch("carol", "notes");
  auto down_until = std::chrono::steady_clock::now() + 4s;
  Status seen;
  while (std::chrono::steady_clock::now() < down_until) {
    auto pass = controller_->reconcile_once();
    if (!pass) seen = pass.status();
  }
  EXPECT_EQ(seen.code(), Code::unavailable) << seen.to_string();
  std::cout << "while the API server is down a pass says: " << seen.message() << "\n";
  for (const std::string& id : {a.id, b.id}) {
    EXPECT_EQ(record(id).phase, Phase::running);
    EXPECT_EQ(record(id).reason, "ready");
  }
  // "waiting to start: <the cluster's error>", or (when a pass tried before the watch noticed
  // the outage) "could not start yet, retrying: <the cluster's error>": pending, never failed.
  EXPECT_EQ(record(c_id).phase, Phase::pending) << record(c_id).reason;
  EXPECT_NE(record(c_id).reason.find("the cluster https://"), std::string::npos)
      << "says why it waits, not just \"queued\": " << record(c_id).reason;
  std::cout << "a workspace launched while the API server is down shows: " << record(c_id).reason << "\n";

  start_server(port_);
  ASSERT_FALSE(HasFatalFailure());
  Workspace c = record(c_id);
  ASSERT_TRUE(reconcile_until([&] { return !uid(pod_path(c)).empty(); }, 30s)) << record(c_id).reason;
  kubelet_runs(pod_path(c));  // seen only through a watch opened after the restart
  ASSERT_TRUE(reconcile_until([&] { return phase_is(c_id, Phase::running); }, 30s)) << record(c_id).reason;
  for (const Workspace& ws : {a, b, c}) {
    EXPECT_EQ(record(ws.id).phase, Phase::running) << ws.name;
    EXPECT_EQ(objects_of("/api/v1/pods", ws.id).size(), 1u) << ws.name;
    EXPECT_EQ(objects_of("/api/v1/services", ws.id).size(), 1u) << ws.name;
    EXPECT_EQ(objects_of("/apis/networking.k8s.io/v1/networkpolicies", ws.id).size(), 1u) << ws.name;
  }
  EXPECT_EQ(uid(pod_path(a)), pod_a) << "a running workspace's Pod was replaced";
  EXPECT_EQ(uid(pod_path(b)), pod_b) << "a running workspace's Pod was replaced";
  // The watches are live again: a change on the cluster reaches the controller.
  ASSERT_TRUE(client_->remove(pod_path(b)));
  EXPECT_TRUE(reconcile_until([&] { return !uid(pod_path(b)).empty(); })) << record(b.id).reason;
}

// 1,000 workspaces of 10 owners launched at once, the test playing a kubelet that reports every
// new Pod Running and Ready within a second.
class ReconcilerScaleTest : public ReconcilerTest {
 protected:
  void SetUp() override {
    // The schema check runs node for every create (a third of a second or more here): 5,000
    // creates would take far longer than the test may, so it is off for this test only; every
    // kind created here is checked in the other tests of this file.
    validate_objects_ = false;
    // No client-side rate limit: at client-go's 20 requests/s (the default) the ~6,000 calls
    // of 1,000 launches take 5 minutes by themselves; this test measures the reconciler.
    runtime_options_.api_qps = 0;
    ReconcilerTest::SetUp();
  }
};

TEST_F(ReconcilerScaleTest, ThousandWorkspacesConverge) {
  constexpr int kWorkspaces = 1000, kOwners = 10;
  std::vector<std::pair<std::string, std::string>> wanted;
  for (int i = 0; i < kWorkspaces; ++i) wanted.emplace_back("user" + std::to_string(i % kOwners), "ws" + std::to_string(i));
  const int64_t before = server_requests();
  const auto started = std::chrono::steady_clock::now();
  const std::vector<std::string> ids = launch_all(wanted);
  ASSERT_EQ(ids.size(), static_cast<size_t>(kWorkspaces));
  controller_->start();  // the real loop: change feed, busy interval, 8 calls at once
  const std::string kubelet =
      "/_test/status?path=/api/v1/pods&labelSelector=app.kubernetes.io/managed-by=k4ds&fieldSelector=status.phase!=Running";
  const json::object ready = json::parse(testing::kPodRunningReady).as_object();
  int running = 0, failed = 0;
  const auto deadline = started + 240s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto marked = client_->create(kubelet, ready);  // the Pods created since the last round
    ASSERT_TRUE(marked) << marked.status().to_string();
    auto listed = read_value(*store_, [](Tx& tx) { return tx.list_workspaces({}); });
    ASSERT_TRUE(listed) << listed.status().to_string();
    running = failed = 0;
    for (const Workspace& ws : *listed) {
      running += ws.phase == Phase::running;
      if (ws.phase == Phase::failed && failed++ == 0) ADD_FAILURE() << ws.owner << "/" << ws.name << ": " << ws.reason;
    }
    if (running == kWorkspaces || failed > 0) break;
    std::this_thread::sleep_for(1s);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const int64_t requests = server_requests() - before;
  controller_->stop();
  std::cout << kWorkspaces << " workspaces launched; after " << seconds << " s " << running << " of them running; "
            << requests << " API requests by k4ds (" << static_cast<double>(requests) / kWorkspaces
            << " per workspace)\n";
  EXPECT_EQ(running, kWorkspaces) << "not converged within 240 s";
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(object_names(*client_, "/api/v1/pods?labelSelector=app.kubernetes.io/managed-by=k4ds").size(),
            static_cast<size_t>(kWorkspaces)) << "one Pod per workspace, none twice";
  EXPECT_EQ(object_names(*client_, "/api/v1/services").size(), static_cast<size_t>(kWorkspaces));
}

}  // namespace
}  // namespace k4ds::kubernetes
