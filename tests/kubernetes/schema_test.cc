// Every object the renderer produces, checked against the official Kubernetes schemas by the
// npm package kubernetes-models (tests/kubernetes/schema/validate.mjs, run with real Node.js).
// The broken-object cases prove the check can fail.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "kubernetes/objects.h"
#include "kubernetes_test_support.h"

namespace k4ds::kubernetes {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;
using testing::gpu_spec;
using testing::jupyter_spec;

struct Validation {
  int exit_code = -1;
  std::string output;
};

Validation validate(const json::array& objects) {
  fs::path dir = fs::temp_directory_path() / ("k4ds-schema-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path file = dir / "objects.json";
  std::ofstream(file) << json::serialize(objects);
  std::string command = std::string(K4DS_NODE) + " " + K4DS_SCHEMA_VALIDATOR + " " + file.string() + " 2>&1";
  Validation v;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return v;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) v.output.append(buf, n);
  int status = ::pclose(pipe);
  v.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  fs::remove_all(dir);
  return v;
}

json::array rendered(const LaunchSpec& spec, const KubernetesOptions& o, std::string_view uid = "") {
  auto r = render_workspace(spec, o, {}, uid);
  EXPECT_TRUE(r) << r.status().to_string();
  json::array out;
  if (r) for (const auto& obj : r->objects) out.push_back(obj);
  return out;
}

TEST(KubernetesSchema, EveryRenderedObjectIsValid) {
  json::array all;
  auto add = [&](const json::array& objects) {
    for (const auto& o : objects) all.push_back(o);
  };
  add(rendered(jupyter_spec(), KubernetesOptions{}));
  add(rendered(jupyter_spec(), KubernetesOptions{}, "6c0c7a52-5c1f-4b0e-9a43-2f1d0c9b8a7e"));
  add(rendered(gpu_spec(), KubernetesOptions{}));

  KubernetesOptions nfs;
  nfs.nfs_server = "10.0.0.2";
  nfs.nfs_export = "/exports/k4ds";
  add(rendered(jupyter_spec(), nfs));
  LaunchSpec with_data = jupyter_spec();  // another volume of the owner's, mounted too
  with_data.extra_volumes = {{.volume_id = "11111111-2222-4333-8444-555555555555", .name = "data"}};
  add(rendered(with_data, nfs));
  add(rendered(with_data, KubernetesOptions{}));

  KubernetesOptions shared;
  shared.namespace_mode = NamespaceMode::shared;
  shared.shared_namespace = "research";
  shared.storage_class = "premium-rwo";
  shared.gateway_namespace = "";
  shared.node_pools["gpu"] = {.node_selector = {{"cloud.google.com/gke-accelerator", "nvidia-l4"}},
                              .tolerations = {{.key = "dedicated", .op = "Equal", .value = "gpu",
                                               .effect = "NoSchedule"}}};
  add(rendered(gpu_spec(), shared));

  KubernetesOptions pull;
  pull.registries = {{.server = "europe-docker.pkg.dev",
                      .json_key = R"({"type":"service_account","private_key":"k"})"},
                     {.server = "registry.example.com", .username = "u", .password = "p"}};
  add(rendered(jupyter_spec(), pull));

  KubernetesOptions ingress;  // an Ingress per workspace for the site's own ingress-nginx
  ingress.ingress = {.enabled = true, .domain = "example.org", .tls_secret = "wildcard-tls",
                     .signin_url = "https://k4ds.example.org/login"};
  add(rendered(jupyter_spec(), ingress, "6c0c7a52-5c1f-4b0e-9a43-2f1d0c9b8a7e"));
  ingress.namespace_mode = NamespaceMode::shared;
  ingress.gateway_namespace = "";
  ingress.ingress.tls_secret = "";
  ingress.ingress.controller_namespace = "";
  add(rendered(gpu_spec(), ingress));

  LaunchSpec odd = jupyter_spec();
  odd.owner = "bob.smith";
  odd.name = std::string(70, 'Z') + "_weird name";
  odd.environment.name = "R Studio (4.3)";
  odd.size.cpu_millis = 250;
  odd.size.memory_bytes = 1000000000;
  add(rendered(odd, KubernetesOptions{}));

  LaunchSpec limited = jupyter_spec();  // the owner's quota as ResourceQuota and LimitRange
  limited.owner_quota = QuotaLimits{.workspaces = {3, ""}, .cpu_millis = {2500, ""},
                                    .memory_bytes = {int64_t{12} << 30, ""}, .gpus = {2, ""}};
  add(rendered(limited, KubernetesOptions{}));
  limited.owner_quota = QuotaLimits{.cpu_millis = {0, ""}, .memory_bytes = {1000000000, ""}};  // odd, still valid
  add(rendered(limited, KubernetesOptions{}));

  ASSERT_GE(all.size(), 55u);
  int quota_objects = 0, ingresses = 0;
  for (const auto& o : all) quota_objects += o.at("kind") == "ResourceQuota" || o.at("kind") == "LimitRange";
  for (const auto& o : all) ingresses += o.at("kind") == "Ingress";
  EXPECT_EQ(quota_objects, 4);
  EXPECT_EQ(ingresses, 4);
  Validation v = validate(all);
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find(std::to_string(all.size()) + " objects are valid"), std::string::npos)
      << v.output;
}

TEST(KubernetesSchema, BrokenObjectsAreRejected) {
  json::array objects = rendered(jupyter_spec(), KubernetesOptions{});
  ASSERT_FALSE(objects.empty());
  json::object pod;
  for (const auto& o : objects) {
    if (o.at("kind") == "Pod") pod = o.as_object();
  }
  ASSERT_FALSE(pod.empty());

  json::object bad_quantity = pod;  // a memory limit that is not a quantity
  bad_quantity["spec"].as_object()["containers"].as_array()[0].as_object()["resources"]
      .as_object()["limits"].as_object()["memory"] = "eight gigs";
  json::object no_image_port = pod;  // containerPort must be an integer
  no_image_port["spec"].as_object()["containers"].as_array()[0].as_object()["ports"]
      .as_array()[0].as_object()["containerPort"] = "8888";
  json::object bad_name = pod;  // not a DNS label
  bad_name["metadata"].as_object()["name"] = "Alice_Analysis";
  json::object unknown_kind = pod;
  unknown_kind["kind"] = "Workspace";

  KubernetesOptions with_ingress;
  with_ingress.ingress = {.enabled = true, .domain = "example.org"};
  json::object bad_ingress;  // a backend port number that is not a number
  for (const auto& o : rendered(jupyter_spec(), with_ingress)) {
    if (o.at("kind") == "Ingress" && bad_ingress.empty()) bad_ingress = o.as_object();
  }
  ASSERT_FALSE(bad_ingress.empty());
  bad_ingress["spec"].as_object()["rules"].as_array()[0].as_object()["http"].as_object()["paths"].as_array()[0]
      .as_object()["backend"].as_object()["service"].as_object()["port"].as_object()["number"] = "http";

  for (const json::object& broken : {bad_quantity, no_image_port, bad_name, unknown_kind, bad_ingress}) {
    Validation v = validate(json::array{broken});
    EXPECT_EQ(v.exit_code, 1) << json::serialize(broken) << "\n" << v.output;
    EXPECT_NE(v.output.find("1 of 1 objects are invalid"), std::string::npos) << v.output;
  }
  // One broken object among valid ones still fails the whole check.
  objects.push_back(bad_quantity);
  EXPECT_EQ(validate(objects).exit_code, 1);
}

}  // namespace
}  // namespace k4ds::kubernetes
