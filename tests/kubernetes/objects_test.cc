// The renderer's promises, object by object: names, labels, limits, security, secrets.
#include "kubernetes/objects.h"

#include <gtest/gtest.h>

#include "kubernetes/names.h"
#include "kubernetes_test_support.h"

namespace k4ds::kubernetes {
namespace {
namespace json = boost::json;
using testing::find_kind;
using testing::gpu_spec;
using testing::jupyter_spec;

TEST(KubernetesNames, DnsLabelsAreShortLowercaseAndStable) {
  EXPECT_EQ(dns_label("Alice_Analysis.v2"), "alice-analysis-v2");
  EXPECT_EQ(dns_label("--x--"), "x");
  EXPECT_EQ(dns_label("***"), "x");
  std::string long_a(100, 'a');
  std::string long_b = long_a + "b";
  std::string a = dns_label(long_a);
  EXPECT_EQ(a.size(), 63u);
  EXPECT_EQ(a, dns_label(long_a)) << "same input, same name";
  EXPECT_NE(a, dns_label(long_b)) << "long names sharing a prefix must stay distinct";
}

TEST(KubernetesNames, WorkspaceNamesDoNotCollideWhenJoined) {
  LaunchSpec one = jupyter_spec(), two = jupyter_spec();
  one.owner = "a-b";
  one.name = "c";
  two.owner = "a";
  two.name = "b-c";
  two.workspace_id = "ffffffff-0d4a-4c55-9d1e-6a7b8c9d0e1f";
  EXPECT_NE(workspace_object_name(one), workspace_object_name(two));
  LaunchSpec long_name = jupyter_spec();
  long_name.name = std::string(80, 'n');
  std::string name = workspace_object_name(long_name);
  EXPECT_LE(name.size(), 63u);
  EXPECT_EQ(name.substr(0, 3), "ws-") << "Service names must start with a letter";
}

TEST(KubernetesNames, LabelValuesAreValid) {
  EXPECT_EQ(label_value("alice"), "alice");
  EXPECT_EQ(label_value("-a b-"), "a_b");
  EXPECT_LE(label_value(std::string(90, 'x')).size(), 63u);
}

TEST(KubernetesObjects, PerUserNamespaceWithEverythingLabelled) {
  auto r = render_workspace(jupyter_spec(), KubernetesOptions{});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->namespace_name, "k4ds-alice");
  std::vector<std::string> kinds;
  for (const auto& o : r->objects) {
    kinds.push_back(std::string(o.at("kind").as_string()));
    EXPECT_EQ(o.at("metadata").at("labels").at(kManagedByLabel), "k4ds") << kinds.back();
    if (kinds.back() != "Namespace") {
      EXPECT_EQ(o.at("metadata").at("namespace"), "k4ds-alice");
    }
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"Namespace", "PersistentVolumeClaim", "Pod", "Service",
                                             "NetworkPolicy"}));
  for (std::string_view kind : {"Pod", "Service", "NetworkPolicy"}) {
    auto labels = find_kind(*r, kind).at("metadata").at("labels").as_object();
    EXPECT_EQ(labels.at(kWorkspaceIdLabel), "3f1c2b7e-0d4a-4c55-9d1e-6a7b8c9d0e1f") << kind;
    EXPECT_EQ(labels.at(kOwnerLabel), "alice") << kind;
  }
}

TEST(KubernetesObjects, SharedNamespaceHasNoNamespaceObject) {
  KubernetesOptions o;
  o.namespace_mode = NamespaceMode::shared;
  o.shared_namespace = "research";
  auto r = render_workspace(jupyter_spec(), o);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->namespace_name, "research");
  for (const auto& obj : r->objects) EXPECT_NE(obj.at("kind"), "Namespace");
}

TEST(KubernetesObjects, LimitsEqualRequestsFromTheSize) {
  auto r = render_workspace(jupyter_spec(), KubernetesOptions{});
  ASSERT_TRUE(r);
  auto c = find_kind(*r, "Pod").at("spec").at("containers").at(0).as_object();
  EXPECT_EQ(c.at("image"), "quay.io/jupyter/scipy-notebook:2024-04-01");
  EXPECT_EQ(c.at("resources").at("limits"), (json::object{{"cpu", "2"}, {"memory", "8Gi"}}));
  EXPECT_EQ(c.at("resources").at("requests"), c.at("resources").at("limits"));
  EXPECT_EQ(c.at("readinessProbe").at("httpGet").at("path"), "/api");

  auto g = render_workspace(gpu_spec(), KubernetesOptions{});
  ASSERT_TRUE(g);
  auto pod = find_kind(*g, "Pod");
  auto limits = pod.at("spec").at("containers").at(0).at("resources").at("limits");
  EXPECT_EQ(limits, (json::object{{"cpu", "3500m"}, {"memory", "24Gi"}, {"nvidia.com/gpu", "1"}}));
  EXPECT_EQ(pod.at("spec").at("tolerations").at(0).at("key"), "nvidia.com/gpu");
}

TEST(KubernetesObjects, Quantities) {
  EXPECT_EQ(cpu_quantity(250), "250m");
  EXPECT_EQ(cpu_quantity(4000), "4");
  EXPECT_EQ(memory_quantity(int64_t{512} << 20), "512Mi");
  EXPECT_EQ(memory_quantity(int64_t{3} << 40), "3Ti");
  EXPECT_EQ(memory_quantity(1000), "1000");
}

TEST(KubernetesObjects, RunsAsTheUserWithoutPrivileges) {
  auto r = render_workspace(jupyter_spec(), KubernetesOptions{}, PosixIds{.uid = 20001, .gid = 5000});
  ASSERT_TRUE(r);
  auto spec = find_kind(*r, "Pod").at("spec").as_object();
  auto sc = spec.at("containers").at(0).at("securityContext").as_object();
  EXPECT_EQ(sc.at("runAsNonRoot"), true);
  EXPECT_EQ(sc.at("runAsUser"), 20001);
  EXPECT_EQ(sc.at("runAsGroup"), 5000);
  EXPECT_EQ(sc.at("allowPrivilegeEscalation"), false);
  EXPECT_EQ(sc.at("capabilities").at("drop"), json::array{"ALL"});
  EXPECT_EQ(sc.at("seccompProfile").at("type"), "RuntimeDefault");
  EXPECT_EQ(spec.at("securityContext").at("fsGroup"), 5000);
  EXPECT_EQ(spec.at("automountServiceAccountToken"), false);

  auto defaults = render_workspace(jupyter_spec(), KubernetesOptions{});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(find_kind(*defaults, "Pod").at("spec").at("securityContext").at("runAsUser"), 1000);
}

TEST(KubernetesObjects, HomeVolumeIsMountedAndEnvExpanded) {
  auto r = render_workspace(jupyter_spec(), KubernetesOptions{});
  ASSERT_TRUE(r);
  auto pod = find_kind(*r, "Pod");
  auto c = pod.at("spec").at("containers").at(0).as_object();
  EXPECT_EQ(c.at("volumeMounts").at(0).at("mountPath"), "/home/alice");
  EXPECT_EQ(pod.at("spec").at("volumes").at(0).at("persistentVolumeClaim").at("claimName"),
            "k4ds-vol-8e2d4f6a-1b3c-4d5e-8f90-a1b2c3d4e5f6");
  std::map<std::string, std::string> env;
  for (const auto& e : c.at("env").as_array()) {
    env[std::string(e.at("name").as_string())] = std::string(e.at("value").as_string());
  }
  EXPECT_EQ(env["JUPYTER_PORT"], "8888");
  EXPECT_EQ(env["NOTEBOOK_DIR"], "/home/alice/notebooks");
  EXPECT_EQ(env["HOME"], "/home/alice");

  auto pvc = find_kind(*r, "PersistentVolumeClaim");
  EXPECT_EQ(pvc.at("spec").at("resources").at("requests").at("storage"), "10Gi");
  EXPECT_FALSE(pvc.at("metadata").as_object().contains("ownerReferences"))
      << "volumes outlive workspaces";
  EXPECT_FALSE(pvc.at("metadata").at("labels").as_object().contains(kWorkspaceIdLabel));
}

TEST(KubernetesObjects, ExtraVolumesAreClaimsMountedUnderVolumesInHome) {
  LaunchSpec spec = jupyter_spec();
  spec.extra_volumes = {{.volume_id = "11111111-2222-4333-8444-555555555555", .name = "data"}};
  auto r = render_workspace(spec, KubernetesOptions{});
  ASSERT_TRUE(r) << r.status().to_string();
  int claims = 0;
  for (const auto& o : r->objects) claims += o.at("kind") == "PersistentVolumeClaim";
  EXPECT_EQ(claims, 2) << "home and data";
  auto pod = find_kind(*r, "Pod");
  const auto& mounts = pod.at("spec").at("containers").at(0).at("volumeMounts").as_array();
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts.at(1).at("mountPath"), "/home/alice/volumes/data");
  EXPECT_EQ(pod.at("spec").at("volumes").at(1).at("persistentVolumeClaim").at("claimName"),
            "k4ds-vol-11111111-2222-4333-8444-555555555555");
}

TEST(KubernetesObjects, NfsVolumeIsAStaticVolumeAtExportSlashUuid) {
  KubernetesOptions o;
  o.nfs_server = "nfs.example.com";
  o.nfs_export = "/exports/k4ds/";
  auto r = render_workspace(jupyter_spec(), o);
  ASSERT_TRUE(r) << r.status().to_string();
  auto pv = find_kind(*r, "PersistentVolume");
  EXPECT_EQ(pv.at("spec").at("nfs").at("path"), "/exports/k4ds/8e2d4f6a-1b3c-4d5e-8f90-a1b2c3d4e5f6");
  EXPECT_EQ(pv.at("spec").at("persistentVolumeReclaimPolicy"), "Retain");
  EXPECT_FALSE(pv.at("metadata").as_object().contains("namespace"));
  auto pvc = find_kind(*r, "PersistentVolumeClaim");
  EXPECT_EQ(pvc.at("spec").at("volumeName"), pv.at("metadata").at("name"));

  o.nfs_export = "";
  auto bad = render_workspace(jupyter_spec(), o);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), Code::failed_precondition);
}

TEST(KubernetesObjects, ServiceAndPolicyAreOwnedByThePodOnceItExists) {
  auto before = render_workspace(jupyter_spec(), KubernetesOptions{});
  ASSERT_TRUE(before);
  EXPECT_FALSE(find_kind(*before, "Service").at("metadata").as_object().contains("ownerReferences"));
  auto r = render_workspace(jupyter_spec(), KubernetesOptions{}, {}, "0a1b2c3d-uid");
  ASSERT_TRUE(r);
  for (std::string_view kind : {"Service", "NetworkPolicy"}) {
    auto ref = find_kind(*r, kind).at("metadata").at("ownerReferences").at(0).as_object();
    EXPECT_EQ(ref.at("kind"), "Pod") << kind;
    EXPECT_EQ(std::string(ref.at("name").as_string()), r->pod_name) << kind;
    EXPECT_EQ(ref.at("uid"), "0a1b2c3d-uid") << kind;
  }
  auto svc = find_kind(*r, "Service");
  EXPECT_EQ(svc.at("spec").at("type"), "ClusterIP");
  EXPECT_EQ(svc.at("spec").at("selector").at(kWorkspaceIdLabel), "3f1c2b7e-0d4a-4c55-9d1e-6a7b8c9d0e1f");
}

TEST(KubernetesObjects, NetworkPolicyAdmitsOnlyTheGateway) {
  KubernetesOptions o;
  o.gateway_pod_labels = {{"app", "k4ds-gateway"}};
  o.gateway_namespace = "k4ds-system";
  auto r = render_workspace(jupyter_spec(), o);
  ASSERT_TRUE(r);
  auto spec = find_kind(*r, "NetworkPolicy").at("spec").as_object();
  EXPECT_EQ(spec.at("policyTypes"), json::array{"Ingress"});
  ASSERT_EQ(spec.at("ingress").as_array().size(), 1u);
  auto from = spec.at("ingress").at(0).at("from").as_array();
  ASSERT_EQ(from.size(), 1u);
  EXPECT_EQ(from.at(0).at("podSelector").at("matchLabels"), (json::object{{"app", "k4ds-gateway"}}));
  EXPECT_EQ(from.at(0).at("namespaceSelector").at("matchLabels").at("kubernetes.io/metadata.name"),
            "k4ds-system");
  EXPECT_EQ(spec.at("ingress").at(0).at("ports").at(0).at("port"), 8888);
}

TEST(KubernetesObjects, PullSecretFromPasswordAndGoogleJsonKey) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");

  std::string key = R"({"type":"service_account","project_id":"p","private_key":"-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"})";
  KubernetesOptions o;
  o.registries = {{.server = "registry.example.com", .username = "user", .password = "pass"},
                  {.server = "europe-docker.pkg.dev", .json_key = key}};
  auto r = render_workspace(jupyter_spec(), o);
  ASSERT_TRUE(r) << r.status().to_string();
  auto secret = find_kind(*r, "Secret");
  EXPECT_EQ(secret.at("type"), "kubernetes.io/dockerconfigjson");
  auto config = docker_config_json(o.registries);
  ASSERT_TRUE(config);
  EXPECT_EQ(json::value(base64_encode(*config)), secret.at("data").at(".dockerconfigjson"));
  auto auths = json::parse(*config).at("auths").as_object();
  EXPECT_EQ(auths.at("registry.example.com").at("auth"), "dXNlcjpwYXNz");
  EXPECT_EQ(auths.at("europe-docker.pkg.dev").at("username"), "_json_key");
  EXPECT_EQ(auths.at("europe-docker.pkg.dev").at("password"), json::value(key));
  EXPECT_EQ(auths.at("europe-docker.pkg.dev").at("auth"), json::value(base64_encode("_json_key:" + key)));
  EXPECT_EQ(find_kind(*r, "Pod").at("spec").at("imagePullSecrets").at(0).at("name"), kPullSecretName);

  o.registries = {{.server = "europe-docker.pkg.dev", .json_key = "not json"}};
  auto bad = render_workspace(jupyter_spec(), o);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.status().message().find("service-account key"), std::string::npos);
}

TEST(KubernetesObjects, SpecsThatCannotRunSayWhy) {
  LaunchSpec no_image = jupyter_spec();
  no_image.environment.image = "";
  auto r = render_workspace(no_image, KubernetesOptions{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::failed_precondition);
  EXPECT_NE(r.status().message().find("image"), std::string::npos);

  LaunchSpec socket = jupyter_spec();
  socket.environment.port = 0;
  EXPECT_FALSE(render_workspace(socket, KubernetesOptions{}));

  LaunchSpec host_path = jupyter_spec();
  host_path.environment.env = {{"SOCK", "{socket}"}};
  auto p = render_workspace(host_path, KubernetesOptions{});
  ASSERT_FALSE(p);
  EXPECT_NE(p.status().message().find("{socket}"), std::string::npos);
}

TEST(KubernetesObjects, NodePoolPerSize) {
  KubernetesOptions o;
  o.node_pools["small"] = {.node_selector = {{"cloud.google.com/gke-nodepool", "workspaces"}},
                           .tolerations = {{.key = "k4ds.io/workspaces", .op = "Equal",
                                            .value = "true", .effect = "NoSchedule"}}};
  auto r = render_workspace(jupyter_spec(), o);
  ASSERT_TRUE(r);
  auto spec = find_kind(*r, "Pod").at("spec").as_object();
  EXPECT_EQ(spec.at("nodeSelector").at("cloud.google.com/gke-nodepool"), "workspaces");
  EXPECT_EQ(spec.at("tolerations").at(0).at("value"), "true");
}

}  // namespace
}  // namespace k4ds::kubernetes
