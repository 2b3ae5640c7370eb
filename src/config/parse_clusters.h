// `runtime.clusters`: several named Kubernetes clusters at once (kubernetes::ClusterOptions), and
// the node pools' `cluster` key that says which cluster runs a size. For parse_runtime.cc.
//
// Contract: every problem is reported with its path and what to set, never stopping at the first:
// a missing, malformed or repeated name, in_cluster beside kubeconfig/context, storage_class
// beside nfs, an empty list, two entries reaching the same cluster (same kubeconfig and context,
// or two in_cluster); after the whole section, the top-level kubeconfig / context / in_cluster
// beside `clusters` (one form or the other), and node pools naming a cluster that is not
// defined (or naming one without `clusters`).
//
// Usage (parse_runtime.cc):
//   config::load_clusters(r, node["clusters"], "runtime.clusters", options.clusters);
//   ...every other key...
//   config::check_clusters(r, node, "runtime", options, pool_clusters);
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

#include "config/yaml_reader.h"
#include "kubernetes/options.h"

namespace k4ds::config {

void load_clusters(YamlReader& r, const YAML::Node& node, const std::string& path,
                   std::vector<kubernetes::ClusterOptions>& out);

// `runtime` is the whole section at `path`; pool_clusters: (path, name) of each node pool's
// `cluster`.
void check_clusters(YamlReader& r, const YAML::Node& runtime, const std::string& path,
                    const kubernetes::KubernetesOptions& options,
                    const std::vector<std::pair<std::string, std::string>>& pool_clusters);

}  // namespace k4ds::config
