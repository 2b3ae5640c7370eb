// The optional per-workspace Ingress for a site's own ingress-nginx: absent by default; when
// configured, exact host, TLS, class and forward-auth annotations, an unchecked login callback
// to k4ds, the controller admitted by the NetworkPolicy; created and removed by the runtime.
#include "kubernetes/ingress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "fake_apiserver.h"
#include "kubernetes/kubernetes_runtime.h"
#include "kubernetes/names.h"
#include "kubernetes/objects.h"
#include "kubernetes_test_support.h"

namespace k4ds::kubernetes {
namespace {
namespace json = boost::json;
using testing::find_kind;
using testing::jupyter_spec;

constexpr const char* kPodUid = "0a1b2c3d-uid";

KubernetesOptions with_ingress() {
  KubernetesOptions o;
  o.ingress.enabled = true;
  o.ingress.domain = "example.org";
  o.ingress.tls_secret = "wildcard-tls";
  o.ingress.signin_url = "https://k4ds.example.org/login";
  return o;
}

std::vector<json::object> of_kind(const WorkspaceObjects& r, std::string_view kind) {
  std::vector<json::object> out;
  for (const auto& o : r.objects) {
    if (o.at("kind").as_string() == kind) out.push_back(o);
  }
  return out;
}

json::object named(const WorkspaceObjects& r, std::string_view kind, std::string_view name) {
  for (const auto& o : r.objects) {
    if (o.at("kind").as_string() == kind && o.at("metadata").at("name").as_string() == name) return o;
  }
  ADD_FAILURE() << "no " << kind << " named " << name;
  return {};
}

TEST(KubernetesIngress, AbsentByDefault) {
  auto r = render_workspace(jupyter_spec(), KubernetesOptions{}, {}, kPodUid);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_TRUE(of_kind(*r, "Ingress").empty());
  EXPECT_EQ(of_kind(*r, "Service").size(), 1u);
  auto from = find_kind(*r, "NetworkPolicy").at("spec").at("ingress").at(0).at("from").as_array();
  EXPECT_EQ(from.size(), 1u) << "only the gateway";
  // stop names no Ingress, so clusters without that permission keep working.
  for (const std::string& path : owned_object_paths(r->namespace_name, r->pod_name, KubernetesOptions{})) {
    EXPECT_EQ(path.find("ingresses"), std::string::npos) << path;
  }
  EXPECT_EQ(owned_object_paths(r->namespace_name, r->pod_name, KubernetesOptions{}).size(), 2u);
}

TEST(KubernetesIngress, WorkspaceIngressWithForwardAuth) {
  auto r = render_workspace(jupyter_spec(), with_ingress(), {}, kPodUid);
  ASSERT_TRUE(r) << r.status().to_string();
  std::vector<std::string> kinds;
  for (const auto& o : r->objects) kinds.emplace_back(o.at("kind").as_string());
  EXPECT_EQ(kinds, (std::vector<std::string>{"Namespace", "PersistentVolumeClaim", "Pod", "Service", "NetworkPolicy",
                                             "Ingress", "Ingress", "Service"}));
  json::object ingress = named(*r, "Ingress", r->pod_name);
  ASSERT_EQ(ingress.at("kind"), "Ingress");
  EXPECT_EQ(ingress.at("apiVersion"), "networking.k8s.io/v1");
  EXPECT_EQ(ingress.at("metadata").at("namespace"), "k4ds-alice");
  EXPECT_EQ(ingress.at("metadata").at("labels"), find_kind(*r, "Pod").at("metadata").at("labels"));
  EXPECT_EQ(ingress.at("metadata").at("annotations"),
            (json::object{
                {"nginx.ingress.kubernetes.io/auth-url", "http://k4ds.k4ds.svc.cluster.local:8080/_k4ds/auth/nginx"},
                {"nginx.ingress.kubernetes.io/auth-signin",
                 "https://k4ds.example.org/login?rd=$scheme://$host$escaped_request_uri"},
                {"nginx.ingress.kubernetes.io/auth-response-headers",
                 "Remote-User,Remote-Groups,X-K4DS-User,X-K4DS-Groups"},
                {"nginx.ingress.kubernetes.io/proxy-read-timeout", "3600"},
                {"nginx.ingress.kubernetes.io/proxy-send-timeout", "3600"},
                {"nginx.ingress.kubernetes.io/proxy-body-size", "0"}}));
  EXPECT_EQ(ingress.at("spec"),
            json::parse(R"({"ingressClassName": "nginx",
                "tls": [{"hosts": ["alice-analysis.example.org"], "secretName": "wildcard-tls"}],
                "rules": [{"host": "alice-analysis.example.org", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                  "backend": {"service": {"name": ")" + r->pod_name + R"(", "port": {"number": 8888}}}}]}}]})"));
  auto ref = ingress.at("metadata").at("ownerReferences").at(0).as_object();
  EXPECT_EQ(ref.at("kind"), "Pod");
  EXPECT_EQ(std::string(ref.at("name").as_string()), r->pod_name);
  EXPECT_EQ(ref.at("uid"), kPodUid);
}

// The callback sets the workspace's cookie, so it cannot pass the check that asks for it: a
// second Ingress without auth annotations sends exactly that path to k4ds's own Service.
TEST(KubernetesIngress, LoginCallbackReachesK4dsUnchecked) {
  auto r = render_workspace(jupyter_spec(), with_ingress(), {}, kPodUid);
  ASSERT_TRUE(r) << r.status().to_string();
  json::object login = named(*r, "Ingress", r->pod_name + "-login");
  ASSERT_EQ(login.at("kind"), "Ingress");
  EXPECT_FALSE(login.at("metadata").as_object().contains("annotations"));
  EXPECT_EQ(login.at("spec"),
            json::parse(R"({"ingressClassName": "nginx",
                "tls": [{"hosts": ["alice-analysis.example.org"], "secretName": "wildcard-tls"}],
                "rules": [{"host": "alice-analysis.example.org", "http": {"paths": [{"path": "/_k4ds/callback",
                  "pathType": "Exact", "backend": {"service": {"name": ")" + r->pod_name + R"(-k4ds",
                  "port": {"number": 8080}}}}]}}]})"));
  json::object alias = named(*r, "Service", r->pod_name + "-k4ds");
  ASSERT_EQ(alias.at("kind"), "Service");
  EXPECT_EQ(alias.at("spec"), json::parse(R"({"type": "ExternalName", "externalName": "k4ds.k4ds.svc.cluster.local",
      "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]})"));
  for (const json::object& o : {login, alias}) {
    EXPECT_EQ(o.at("metadata").at("ownerReferences").at(0).at("uid"), kPodUid) << o.at("kind");
    EXPECT_EQ(o.at("metadata").at("labels").at(kWorkspaceIdLabel), "3f1c2b7e-0d4a-4c55-9d1e-6a7b8c9d0e1f");
  }
  auto paths = owned_object_paths(r->namespace_name, r->pod_name, with_ingress());
  EXPECT_EQ(paths, (std::vector<std::string>{
                       "/api/v1/namespaces/k4ds-alice/services/" + r->pod_name,
                       "/apis/networking.k8s.io/v1/namespaces/k4ds-alice/networkpolicies/" + r->pod_name,
                       "/apis/networking.k8s.io/v1/namespaces/k4ds-alice/ingresses/" + r->pod_name,
                       "/apis/networking.k8s.io/v1/namespaces/k4ds-alice/ingresses/" + r->pod_name + "-login",
                       "/api/v1/namespaces/k4ds-alice/services/" + r->pod_name + "-k4ds"}));
}

TEST(KubernetesIngress, NoOwnerBeforeThePodExistsAndNoTlsWithoutSecret) {
  KubernetesOptions o = with_ingress();
  o.ingress.tls_secret = "";
  auto r = render_workspace(jupyter_spec(), o);
  ASSERT_TRUE(r) << r.status().to_string();
  for (const auto& ingress : of_kind(*r, "Ingress")) {
    EXPECT_FALSE(ingress.at("metadata").as_object().contains("ownerReferences"));
    EXPECT_FALSE(ingress.at("spec").as_object().contains("tls"));
  }
}

TEST(KubernetesIngress, ConfiguredUrlsServiceAndNamespaces) {
  KubernetesOptions o = with_ingress();
  o.namespace_mode = NamespaceMode::shared;
  o.shared_namespace = "research";
  o.gateway_namespace = "";  // k4ds runs next to the workspaces
  o.ingress.class_name = "internal-nginx";
  o.ingress.gateway_service = "k4ds-gateway";
  o.ingress.gateway_port = 80;
  o.ingress.cluster_domain = "corp.local";
  o.ingress.signin_url = "";  // the portal on the domain itself
  auto r = render_workspace(jupyter_spec(), o);
  ASSERT_TRUE(r) << r.status().to_string();
  json::object ingress = named(*r, "Ingress", r->pod_name);
  auto annotations = ingress.at("metadata").at("annotations");
  EXPECT_EQ(annotations.at("nginx.ingress.kubernetes.io/auth-url"),
            "http://k4ds-gateway.research.svc.corp.local:80/_k4ds/auth/nginx");
  EXPECT_EQ(annotations.at("nginx.ingress.kubernetes.io/auth-signin"),
            "https://example.org/login?rd=$scheme://$host$escaped_request_uri");
  EXPECT_EQ(ingress.at("spec").at("ingressClassName"), "internal-nginx");
  EXPECT_EQ(named(*r, "Service", r->pod_name + "-k4ds").at("spec").at("externalName"), "k4ds-gateway.research.svc.corp.local");

  o.ingress.auth_url = "https://k4ds.example.org/_k4ds/auth/nginx";
  o.ingress.signin_url = "https://k4ds.example.org/login?lang=en";
  EXPECT_EQ(ingress_auth_url(o, "research"), "https://k4ds.example.org/_k4ds/auth/nginx");
  EXPECT_EQ(ingress_signin_url(o.ingress), "https://k4ds.example.org/login?lang=en&rd=$scheme://$host$escaped_request_uri");
}

TEST(KubernetesIngress, NetworkPolicyAdmitsTheControllerOnlyWithTheIngress) {
  KubernetesOptions o = with_ingress();
  o.ingress.controller_pod_labels = {{"app.kubernetes.io/name", "ingress-nginx"},
                                     {"app.kubernetes.io/component", "controller"}};
  auto r = render_workspace(jupyter_spec(), o);
  ASSERT_TRUE(r) << r.status().to_string();
  auto rule = find_kind(*r, "NetworkPolicy").at("spec").at("ingress").at(0);
  auto from = rule.at("from").as_array();
  ASSERT_EQ(from.size(), 2u);
  EXPECT_EQ(from.at(0).at("podSelector").at("matchLabels").at("app.kubernetes.io/name"), "k4ds") << "the gateway";
  EXPECT_EQ(from.at(1), json::parse(R"({
      "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}},
      "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}})"));
  EXPECT_EQ(rule.at("ports").at(0).at("port"), 8888) << "the workspace's port only";

  o.ingress.controller_namespace = "";  // the controller in the workspace's own namespace
  r = render_workspace(jupyter_spec(), o);
  ASSERT_TRUE(r);
  auto peer = find_kind(*r, "NetworkPolicy").at("spec").at("ingress").at(0).at("from").at(1).as_object();
  EXPECT_FALSE(peer.contains("namespaceSelector"));
}

TEST(KubernetesIngress, WithoutADomainItSaysWhatToSet) {
  KubernetesOptions o = with_ingress();
  o.ingress.domain = "";
  auto r = render_workspace(jupyter_spec(), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::failed_precondition);
  EXPECT_NE(r.status().message().find("runtime.ingress.domain"), std::string::npos) << r.status().message();
}

// The runtime creates the Ingress objects after the Pod, owned by it (the fake API server
// checks each against the official schemas), and stop removes them with the Service.
class KubernetesIngressRuntime : public FakeApiServer {
 protected:
  void SetUp() override {
    FakeApiServer::SetUp();
    client_ = std::make_shared<KubeClient>(connection(), fast());
    runtime_client_ = std::make_shared<KubeClient>(connection(), fast());
    runtime_ = std::make_unique<KubernetesRuntime>(runtime_client_, with_ingress());
    // Every cache listed, so their lists are not counted as the launch's calls.
    ASSERT_TRUE(runtime_->wait_synced(std::chrono::seconds(5)));
    ASSERT_TRUE(runtime_->events_synced(std::chrono::seconds(5)));
    ASSERT_TRUE(runtime_->nodes_synced(std::chrono::seconds(5)));
    ASSERT_TRUE(runtime_->volumes_synced(std::chrono::seconds(5)));
  }
  std::vector<std::string> names(const std::string& collection) { return testing::object_names(*client_, collection); }
  std::string uid_of(const std::string& path) {
    auto o = client_->get(path);
    return o ? std::string(o->at("metadata").at("uid").as_string()) : "";
  }
  std::string owner_uid(const std::string& path) {
    auto o = client_->get(path);
    return o ? std::string(o->at("metadata").at("ownerReferences").at(0).at("uid").as_string()) : "";
  }
  std::shared_ptr<KubeClient> client_;
  std::shared_ptr<KubeClient> runtime_client_;  // the runtime's, counted
  std::unique_ptr<KubernetesRuntime> runtime_;
};

TEST_F(KubernetesIngressRuntime, CreatedWithTheWorkspaceRemovedOnStop) {
  LaunchSpec spec = jupyter_spec();
  const std::string pod = workspace_object_name(spec);
  const std::string ingresses = "/apis/networking.k8s.io/v1/namespaces/k4ds-alice/ingresses";
  const std::string pod_path = "/api/v1/namespaces/k4ds-alice/pods/" + pod;
  const std::vector<std::string> owned = {ingresses + "/" + pod, ingresses + "/" + pod + "-login",
                                          "/api/v1/namespaces/k4ds-alice/services/" + pod + "-k4ds"};
  int before = runtime_client_->requests_sent();
  Status applied = runtime_->apply(spec);
  ASSERT_TRUE(applied.ok()) << applied.to_string();
  // GET Pod, Namespace, PVC, Pod, Service, NetworkPolicy, + Ingress, Ingress, Service: each once.
  EXPECT_EQ(runtime_client_->requests_sent() - before, 9);
  EXPECT_EQ(names(ingresses), (std::vector<std::string>{pod, pod + "-login"}));
  auto services = names("/api/v1/namespaces/k4ds-alice/services");
  std::sort(services.begin(), services.end());
  EXPECT_EQ(services, (std::vector<std::string>{pod, pod + "-k4ds"}));
  const std::string first_uid = uid_of(pod_path);
  for (const std::string& path : owned) EXPECT_EQ(owner_uid(path), first_uid) << path;

  // The Pod ended: a new one, and each object (still there: garbage collection is slower)
  // replaced by name, owned by the new Pod.
  auto failed = client_->create("/_test/status?path=" + pod_path, json::object{{"phase", "Failed"}});
  ASSERT_TRUE(failed) << failed.status().to_string();
  applied = runtime_->apply(spec);
  ASSERT_TRUE(applied.ok()) << applied.to_string();
  const std::string second_uid = uid_of(pod_path);
  ASSERT_NE(second_uid, first_uid);
  for (const std::string& path : owned) EXPECT_EQ(owner_uid(path), second_uid) << path;

  Status stopped = runtime_->stop(spec.workspace_id);
  ASSERT_TRUE(stopped.ok()) << stopped.to_string();
  EXPECT_TRUE(names(ingresses).empty());
  EXPECT_TRUE(names("/api/v1/namespaces/k4ds-alice/services").empty());
  EXPECT_TRUE(runtime_->stop(spec.workspace_id).ok()) << "idempotent";
}

// Drift: an Ingress deleted on the cluster while its workspace runs is noticed from the watch
// (the workspace is reported absent, so the controller applies it again) and apply creates it
// again, next to the same Pod.
TEST_F(KubernetesIngressRuntime, AnIngressDeletedBehindItsBackIsRestored) {
  LaunchSpec spec = jupyter_spec();
  const std::string pod = workspace_object_name(spec);
  const std::string ingresses = "/apis/networking.k8s.io/v1/namespaces/k4ds-alice/ingresses";
  const std::string pod_path = "/api/v1/namespaces/k4ds-alice/pods/" + pod;
  ASSERT_TRUE(runtime_->apply(spec).ok());
  auto running = client_->create("/_test/status?path=" + pod_path, json::parse(testing::kPodRunningReady).as_object());
  ASSERT_TRUE(running) << running.status().to_string();
  auto observed = [&]() -> bool {
    auto all = runtime_->observe();
    if (!all) return false;
    return std::any_of(all->begin(), all->end(),
                       [&](const ObservedWorkspace& w) { return w.workspace_id == spec.workspace_id; });
  };
  auto wait_for = [&](bool want) {
    for (int i = 0; i < 100; ++i) {
      if (observed() == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  ASSERT_TRUE(wait_for(true)) << "the running workspace is observed";
  const std::string uid = uid_of(pod_path);

  auto removed = client_->remove(ingresses + "/" + pod + "-login");
  ASSERT_TRUE(removed) << removed.status().to_string();
  EXPECT_TRUE(wait_for(false)) << "a running workspace missing its login Ingress is reported absent";

  ASSERT_TRUE(runtime_->apply(spec).ok());
  EXPECT_EQ(names(ingresses), (std::vector<std::string>{pod, pod + "-login"}));
  EXPECT_EQ(uid_of(pod_path), uid) << "the same Pod: only the missing object is created";
  EXPECT_EQ(owner_uid(ingresses + "/" + pod + "-login"), uid);
  EXPECT_TRUE(wait_for(true)) << "observed again once restored";
}

}  // namespace
}  // namespace k4ds::kubernetes
