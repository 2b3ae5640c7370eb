// Specs and lookups shared by the kubernetes_test files.
#pragma once

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "kubernetes/client.h"
#include "kubernetes/objects.h"

namespace k4ds::kubernetes::testing {

inline LaunchSpec jupyter_spec() {
  LaunchSpec spec;
  spec.workspace_id = "3f1c2b7e-0d4a-4c55-9d1e-6a7b8c9d0e1f";
  spec.owner = "alice";
  spec.name = "analysis";
  spec.volume_id = "8e2d4f6a-1b3c-4d5e-8f90-a1b2c3d4e5f6";
  spec.environment.name = "jupyter-python";
  spec.environment.image = "quay.io/jupyter/scipy-notebook:2024-04-01";
  spec.environment.port = 8888;
  spec.environment.health_path = "/api";
  spec.environment.env = {{"JUPYTER_PORT", "{port}"}, {"NOTEBOOK_DIR", "{home}/notebooks"}};
  spec.size = {.name = "small", .description = "2 CPUs, 8 GiB", .cpu_millis = 2000,
               .memory_bytes = int64_t{8} << 30, .gpus = 0};
  return spec;
}

inline LaunchSpec gpu_spec() {
  LaunchSpec spec = jupyter_spec();
  spec.workspace_id = "aa1c2b7e-0d4a-4c55-9d1e-6a7b8c9d0e1f";
  spec.name = "training";
  spec.size = {.name = "gpu", .description = "1 GPU", .cpu_millis = 3500,
               .memory_bytes = int64_t{24} << 30, .gpus = 1};
  return spec;
}

// The one object of this kind; fails the test (returns an empty object) when not exactly one.
inline boost::json::object find_kind(const WorkspaceObjects& objects, std::string_view kind) {
  boost::json::object found;
  int n = 0;
  for (const auto& o : objects.objects) {
    if (o.at("kind").as_string() == kind) {
      found = o;
      ++n;
    }
  }
  return n == 1 ? found : boost::json::object{};
}

// A kubeconfig with one context, "dev", for `k4ds config check` tests: it loads, and nothing is
// ever sent to its server.
inline void write_offline_kubeconfig(const std::filesystem::path& file) {
  std::ofstream(file) << "apiVersion: v1\nkind: Config\n"
                         "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]\n"
                         "users: [{name: u, user: {token: t}}]\n"
                         "contexts: [{name: dev, context: {cluster: c, user: u}}]\n"
                         "current-context: dev\n";
}

// The kubelet's report for a workspace Pod that started and answers its readiness probe
// (POST it to the fake API server's /_test/status).
inline constexpr const char* kPodRunningReady =
    R"({"phase":"Running","conditions":[{"type":"Ready","status":"True"}],)"
    R"("containerStatuses":[{"name":"workspace","ready":true,"state":{"running":{}}}]})";

// The names of the objects in a collection (with its selectors); empty when it cannot be read.
inline std::vector<std::string> object_names(KubeClient& client, const std::string& collection) {
  std::vector<std::string> out;
  if (auto list = client.get(collection)) {
    for (const auto& item : list->at("items").as_array()) out.emplace_back(item.at("metadata").at("name").as_string());
  }
  return out;
}

}  // namespace k4ds::kubernetes::testing
